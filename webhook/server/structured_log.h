// Structured JSON log lines: one line per admission review on stdout (batched), server events on stdout,
// errors on stderr through a rate limiter so that a handshake flood cannot fill a disk. Never
// logs request bodies or configuration values.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "webhook/admission/review_outcome.h"
#include "webhook/server/server_options.h"

namespace memguard::server {

using LogFields = std::vector<std::pair<std::string_view, std::string_view>>;

// Token bucket: `burst` lines at once, then `per_second` on average. Counts what it refuses so
// that the next line that gets through can say how many were suppressed.
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst), tokens_(burst) {}
  // True if a line may be written now; `suppressed` receives the count refused since the last one.
  bool allow(std::chrono::steady_clock::time_point now, uint64_t& suppressed);

 private:
  double per_second_, burst_, tokens_;
  std::chrono::steady_clock::time_point last_{};
  bool started_ = false;
  uint64_t suppressed_ = 0;
};

class Log {
 public:
  Log(std::FILE* out, std::FILE* err, LogLevel level);

  // Lifecycle events (listening, ready, certificate loaded, shutting down): always written.
  void event(std::string_view msg, const LogFields& fields = {});
  // Problems the operator should see (a rejected certificate pair); not rate limited, rare.
  void warn(std::string_view msg, const LogFields& fields = {});
  // Per-connection errors (handshake failures, accept errors): rate limited.
  void error(std::string_view msg, const LogFields& fields = {});
  // One line per admission review. At level warn only reviews that were not allowed are logged.
  // Review lines are batched: written when kReviewBatchBytes have gathered, before any other line
  // to the same stream (so order is kept), on flush() and at destruction. A write(2) per review
  // cost a tenth of the server's throughput under load.
  void review(std::string_view webhook, const admission::ReviewOutcome& outcome, int http_status,
              double latency_seconds);
  // Writes the review lines gathered so far. The server calls it every kFlushInterval.
  void flush();
  ~Log();

  static constexpr std::size_t kReviewBatchBytes = 32 * 1024;
  // Every field value of a line is cut to this many bytes (uid, kind, name, error texts, remote
  // addresses...): request content never reaches the log unbounded. Kubernetes names are at most
  // 253 bytes and uids 36, so real values are never cut.
  static constexpr std::size_t kMaxFieldBytes = 256;
  static constexpr std::size_t kMaxFindingCodes = 64;
  static constexpr std::chrono::milliseconds kFlushInterval{200};

 private:
  void write(std::FILE* to, std::string_view level, std::string_view msg, const LogFields& fields,
             uint64_t suppressed);
  std::FILE* out_;
  std::FILE* err_;
  LogLevel level_;
  void flush_reviews_locked();
  std::mutex mu_;  // one line at a time, and guards the limiter and the batch
  std::string pending_reviews_;
  RateLimiter error_limiter_{5.0, 20.0};
};

// The longest prefix of `value` of at most `max_bytes` that does not split a UTF-8 sequence.
std::string_view truncate_for_log(std::string_view value, std::size_t max_bytes);

// RFC 3339 UTC with milliseconds, e.g. 2026-08-24T09:12:03.123Z.
std::string format_timestamp(std::chrono::system_clock::time_point t);
// The same, appended to `out`.
void append_timestamp(std::string& out, std::chrono::system_clock::time_point t);

}  // namespace memguard::server
