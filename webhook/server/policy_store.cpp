// Policy file polling and hot swap (the certwatcher pattern applied to the policy file).
#include "webhook/server/policy_store.h"

#include <utility>

#include "support/read_file.h"

namespace memguard::server {

namespace {
// A policy is a few hundred bytes; anything near this is not a policy file (e.g. a wrong mount).
constexpr size_t kMaxPolicyBytes = size_t{1} << 20;
}  // namespace

PolicyStore::PolicyStore(std::string path)
    : path_(std::move(path)), policy_(std::make_shared<const engine::Policy>(engine::default_policy())) {}

Expected<std::string> read_policy_bytes(const std::string& path) { return read_file(path, kMaxPolicyBytes, "policy file"); }

Expected<engine::Policy> parse_policy_file(const std::string& path, std::string_view bytes) {
  auto parsed = engine::parse_policy(bytes);
  if (!parsed) return make_error(ErrorCode::kInvalidArgument, path + ": " + parsed.error().message);
  return std::move(*parsed);
}

Expected<void> PolicyStore::load() {
  if (path_.empty()) return {};
  auto bytes = read_policy_bytes(path_);
  if (!bytes) return Unexpected{bytes.error()};
  auto parsed = parse_policy_file(path_, *bytes);
  if (!parsed) return Unexpected{parsed.error()};
  std::lock_guard lock(mutex_);
  policy_ = std::make_shared<const engine::Policy>(std::move(*parsed));
  loaded_bytes_ = std::move(*bytes);
  last_error_.clear();
  return {};
}

bool PolicyStore::poll() {
  if (path_.empty()) return false;
  auto bytes = read_policy_bytes(path_);
  std::lock_guard lock(mutex_);
  if (!bytes) {
    // A file briefly missing during a ConfigMap update (symlink swap) is not a new policy.
    last_error_ = bytes.error().message;
    return false;
  }
  if (*bytes == loaded_bytes_) {
    last_error_.clear();
    return false;
  }
  if (*bytes == failed_bytes_) return false;  // already reported
  auto parsed = parse_policy_file(path_, *bytes);
  if (!parsed) {
    ++failures_;
    failed_bytes_ = std::move(*bytes);
    last_error_ = parsed.error().message + " (keeping the previous policy)";
    return false;
  }
  policy_ = std::make_shared<const engine::Policy>(std::move(*parsed));
  loaded_bytes_ = std::move(*bytes);
  failed_bytes_.clear();
  last_error_.clear();
  ++reloads_;
  return true;
}

std::shared_ptr<const engine::Policy> PolicyStore::current() const {
  std::lock_guard lock(mutex_);
  return policy_;
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
