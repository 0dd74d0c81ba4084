// Policy file polling and hot swap (the certwatcher pattern applied to the policy file).
#include "webhook/server/policy_store.h"

#include <fstream>
#include <sstream>

namespace memguard::server {

namespace {
// A policy is a few hundred bytes; anything near this is not a policy file (e.g. a wrong mount).
constexpr std::streamsize kMaxPolicyBytes = 1 << 20;
}  // namespace

PolicyStore::PolicyStore(std::string path)
    : path_(std::move(path)), policy_(std::make_shared<const engine::Policy>(engine::default_policy())) {}

Expected<std::string> PolicyStore::read_file() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "policy file " + path_ + ": cannot be opened");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  if (static_cast<std::streamsize>(bytes.size()) > kMaxPolicyBytes) {
    return make_error(ErrorCode::kInvalidArgument, "policy file " + path_ + ": larger than 1 MiB");
  }
  return bytes;
}

Expected<void> PolicyStore::load() {
  if (path_.empty()) return {};
  auto bytes = read_file();
  if (!bytes) return Unexpected{bytes.error()};
  auto parsed = engine::parse_policy(*bytes);
  if (!parsed) return make_error(parsed.error().code, path_ + ": " + parsed.error().message);
  std::lock_guard lock(mutex_);
  policy_ = std::make_shared<const engine::Policy>(std::move(*parsed));
  loaded_bytes_ = std::move(*bytes);
  last_error_.clear();
  return {};
}

bool PolicyStore::poll() {
  if (path_.empty()) return false;
  auto bytes = read_file();
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
  auto parsed = engine::parse_policy(*bytes);
  if (!parsed) {
    ++failures_;
    failed_bytes_ = std::move(*bytes);
    last_error_ = path_ + ": " + parsed.error().message + " (keeping the previous policy)";
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
