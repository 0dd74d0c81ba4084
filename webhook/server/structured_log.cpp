// Structured JSON log lines for the webhook server (stdout for reviews and events, stderr for errors).
#include "webhook/server/structured_log.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "webhook/json/json_writer.h"

namespace memguard::server {

std::string_view truncate_for_log(std::string_view value, std::size_t max_bytes) {
  if (value.size() <= max_bytes) return value;
  std::size_t cut = max_bytes;
  // Never split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return value.substr(0, cut);
}

namespace {
// Writes `value` bounded to Log::kMaxFieldBytes, marking a cut with "...(N bytes)".
void bounded_member(json::Writer& w, std::string_view key, std::string_view value) {
  const std::string_view kept = truncate_for_log(value, Log::kMaxFieldBytes);
  if (kept.size() == value.size()) {
    w.member(key, value);
    return;
  }
  w.member(key, std::string(kept) + "...(" + std::to_string(value.size()) + " bytes)");
}
}  // namespace

bool RateLimiter::allow(std::chrono::steady_clock::time_point now, uint64_t& suppressed) {
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * per_second_);
  if (tokens_ < 1.0) {
    ++suppressed_;
    return false;
  }
  tokens_ -= 1.0;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

Log::Log(std::FILE* out, std::FILE* err, LogLevel level) : out_(out), err_(err), level_(level) {}

Log::~Log() { flush(); }

void Log::flush() {
  std::lock_guard lock(mu_);
  flush_reviews_locked();
}

void Log::flush_reviews_locked() {
  if (pending_reviews_.empty()) return;
  std::fwrite(pending_reviews_.data(), 1, pending_reviews_.size(), out_);
  std::fflush(out_);
  pending_reviews_.clear();
}

void Log::write(std::FILE* to, std::string_view level, std::string_view msg, const LogFields& fields,
                uint64_t suppressed) {
  json::Writer w;
  w.begin_object();
  w.member("ts", format_timestamp(std::chrono::system_clock::now()));
  w.member("level", level);
  w.member("msg", msg);
  for (const auto& [k, v] : fields) bounded_member(w, k, v);
  if (suppressed > 0) w.member("suppressed", static_cast<int64_t>(suppressed));
  w.end_object();
  std::string line = w.take();
  line += '\n';
  if (to == out_) flush_reviews_locked();  // the reviews before this line stay before it
  std::fwrite(line.data(), 1, line.size(), to);
  std::fflush(to);
}

void Log::event(std::string_view msg, const LogFields& fields) {
  std::lock_guard lock(mu_);
  write(out_, "info", msg, fields, 0);
}

void Log::warn(std::string_view msg, const LogFields& fields) {
  std::lock_guard lock(mu_);
  write(err_, "warn", msg, fields, 0);
}

void Log::error(std::string_view msg, const LogFields& fields) {
  std::lock_guard lock(mu_);
  uint64_t suppressed = 0;
  if (!error_limiter_.allow(std::chrono::steady_clock::now(), suppressed)) return;
  write(err_, "error", msg, fields, suppressed);
}

void Log::review(std::string_view webhook, const admission::ReviewOutcome& o, int http_status,
                 double latency_seconds) {
  const bool allowed = http_status == 200 && admission::lets_in(o.decision);
  if (level_ == LogLevel::kWarn && allowed) return;
  json::Writer w;
  w.begin_object();
  w.member("ts", format_timestamp(std::chrono::system_clock::now()));
  w.member("level", allowed ? "info" : "warn");
  w.member("msg", "admission review");
  w.member("webhook", webhook);
  bounded_member(w, "uid", o.uid);
  bounded_member(w, "kind", o.kind);
  bounded_member(w, "namespace", o.namespace_);
  bounded_member(w, "name", o.name);
  bounded_member(w, "operation", o.operation);
  w.member("dryRun", o.dry_run);
  w.member("decision", admission::decision_name(o.decision));
  w.key("findings").begin_array();
  std::size_t codes = 0;
  for (const auto& code : o.finding_codes) {
    if (++codes > kMaxFindingCodes) break;  // codes are ours, but their number follows the request
    w.string(truncate_for_log(code, kMaxFieldBytes));
  }
  w.end_array();
  // Microsecond resolution is enough and keeps the line short.
  w.key("latency_ms").number(std::round(latency_seconds * 1e6) / 1e3);
  w.member("status", http_status);
  if (!o.error.empty()) bounded_member(w, "error", o.error);
  w.end_object();
  std::string line = w.take();
  line += '\n';
  std::lock_guard lock(mu_);
  pending_reviews_ += line;
  if (pending_reviews_.size() >= kReviewBatchBytes) flush_reviews_locked();
}

}  // namespace memguard::server
