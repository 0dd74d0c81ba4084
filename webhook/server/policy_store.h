// The policy the server decides with, reloaded when its file changes: poll, compare bytes, parse,
// swap a shared_ptr under a mutex (each review holds the policy it started with); a bad file keeps
// the previous policy and is reported, never applied.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "webhook/engine/policy.h"

namespace memguard::server {

// The one way a policy file is read and parsed, for the server's store and the offline commands'
// --policy: bounded (a policy is a few dozen lines; the bound stops a wrong path such as /dev/zero),
// and every error names the path.
[[nodiscard]] Expected<std::string> read_policy_bytes(const std::string& path);
[[nodiscard]] Expected<engine::Policy> parse_policy_file(const std::string& path, std::string_view bytes);

class PolicyStore {
 public:
  // `path` empty: the embedded default policy, never reloaded.
  explicit PolicyStore(std::string path);

  // First load. An unreadable or invalid file is an error (the server should not start with it).
  [[nodiscard]] Expected<void> load();

  // Re-reads the file; when its bytes changed and parse, swaps the policy in and returns true.
  // A changed but invalid (or unreadable) file keeps the current policy and records the error.
  bool poll();

  // The policy to decide one review with; cheap (a shared_ptr copy under the lock).
  std::shared_ptr<const engine::Policy> current() const;

  const std::string& path() const { return path_; }
  uint64_t reloads() const;          // successful swaps after the first load
  uint64_t reload_failures() const;  // changed files that did not parse
  std::string last_error() const;    // "" after a successful (re)load

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const engine::Policy> policy_;
  std::string loaded_bytes_;  // the bytes of the last file that parsed
  std::string failed_bytes_;  // the bytes of the last file that did not (not re-reported every poll)
  uint64_t reloads_ = 0;
  uint64_t failures_ = 0;
  std::string last_error_;
};

}  // namespace memguard::server
