// The policy the server decides with, reloaded when its file changes: poll, compare bytes, parse,
// swap a shared_ptr under a mutex (each review holds the policy it started with); a bad file keeps
// the previous policy and is reported once, never applied. A WatchedFile over the one file.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "webhook/engine/policy.h"
#include "webhook/server/structured_log.h"
#include "webhook/server/watched_file.h"

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
  // A changed but invalid (or unreadable) file keeps the current policy and records the error; a
  // reload and a newly rejected file are logged to the log given to report_to.
  bool poll();
  void report_to(Log& log) { log_ = &log; }

  // The policy to decide one review with; cheap (a shared_ptr copy under the lock).
  std::shared_ptr<const engine::Policy> current() const;

  const std::string& path() const { return path_; }
  uint64_t reloads() const;          // successful swaps after the first load
  uint64_t reload_failures() const;  // changed files that did not parse
  std::string last_error() const;    // "" after a successful (re)load

 private:
  std::string path_;
  std::shared_ptr<const engine::Policy> default_;  // when path_ is empty
  WatchedFile<engine::Policy> watched_;
  Log* log_ = nullptr;
  mutable std::mutex mutex_;  // guards the counters and the error
  uint64_t reloads_ = 0;
  uint64_t failures_ = 0;
  std::string last_error_;
};

}  // namespace memguard::server
