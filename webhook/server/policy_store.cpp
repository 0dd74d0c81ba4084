// Policy file polling and hot swap (the certwatcher pattern applied to the policy file).
#include "webhook/server/policy_store.h"

#include <utility>

#include "support/read_file.h"

namespace memguard::server {

namespace {
// A policy is a few hundred bytes; anything near this is not a policy file (e.g. a wrong mount).
constexpr size_t kMaxPolicyBytes = size_t{1} << 20;
}  // namespace

Expected<std::string> read_policy_bytes(const std::string& path) { return read_file(path, kMaxPolicyBytes, "policy file"); }

Expected<engine::Policy> parse_policy_file(const std::string& path, std::string_view bytes) {
  auto parsed = engine::parse_policy(bytes);
  if (!parsed) return make_error(ErrorCode::kInvalidArgument, path + ": " + parsed.error().message);
  return std::move(*parsed);
}

PolicyStore::PolicyStore(std::string path)
    : path_(std::move(path)),
      default_(std::make_shared<const engine::Policy>(engine::default_policy())),
      watched_(
          [path = path_]() -> Expected<FileVersion> {
            auto bytes = read_policy_bytes(path);
            if (!bytes) return Unexpected{bytes.error()};
            return FileVersion{{std::move(*bytes)}};
          },
          [path = path_](const FileVersion& version) { return parse_policy_file(path, version.parts[0]); }) {}

Expected<void> PolicyStore::load() {
  if (path_.empty()) return {};
  if (auto loaded = watched_.load(); !loaded) return loaded;
  std::lock_guard lock(mutex_);
  last_error_.clear();
  return {};
}

bool PolicyStore::poll() {
  if (path_.empty()) return false;
  auto polled = watched_.poll();
  std::lock_guard lock(mutex_);
  switch (polled.result) {
    case PollResult::kInstalled:
      ++reloads_;
      last_error_.clear();
      if (log_) log_->event("policy reloaded", {{"file", path_}, {"reloads", std::to_string(reloads_)}});
      return true;
    case PollResult::kUnchanged: last_error_.clear(); return false;
    case PollResult::kInFlux: return false;
    case PollResult::kFailed: break;
  }
  // A file briefly missing during a ConfigMap update (symlink swap) is not a new policy: recorded,
  // not reported. A changed file that does not parse is counted and reported once.
  if (polled.failure == WatchedFile<engine::Policy>::Failure::kUnreadable) {
    last_error_ = polled.error;
  } else if (polled.first_report) {
    ++failures_;
    last_error_ = polled.error + " (keeping the previous policy)";
    if (log_) log_->warn("policy file rejected; keeping the previous policy", {{"file", path_}, {"error", last_error_}});
  }
  return false;
}

std::shared_ptr<const engine::Policy> PolicyStore::current() const {
  std::lock_guard lock(mutex_);
  auto loaded = watched_.current();
  return loaded ? loaded : default_;  // before the first load, and without a file
}

uint64_t PolicyStore::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

uint64_t PolicyStore::reload_failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

std::string PolicyStore::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

}  // namespace memguard::server
