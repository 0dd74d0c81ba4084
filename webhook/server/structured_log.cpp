// Structured JSON log lines for the webhook server (stdout for reviews and events, stderr for errors).
#include "webhook/server/structured_log.h"

#include <algorithm>
#include <charconv>
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
// Calls emit(text) with `value` bounded to Log::kMaxFieldBytes, a cut marked "...(N bytes)".
template <class Emit>
void with_bounded(std::string_view value, Emit emit) {
  const std::string_view kept = truncate_for_log(value, Log::kMaxFieldBytes);
  if (kept.size() == value.size()) return emit(value);
  emit(std::string(kept) + "...(" + std::to_string(value.size()) + " bytes)");
}

void bounded_member(json::Writer& w, std::string_view key, std::string_view value) {
  with_bounded(value, [&](std::string_view text) { w.member(key, text); });
}

// The value bounded_member writes, appended as a JSON string.
void append_bounded(std::string& out, std::string_view value) {
  with_bounded(value, [&](std::string_view text) { json::append_escaped(out, text); });
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

void append_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
  // gmtime_r and snprintf cost 3.9k instructions a line; the text up to the seconds changes once
  // a second, so each thread keeps the last one.
  struct Cached {
    long long secs = -1;
    char text[24] = {};  // "2026-08-24T09:12:03."
    std::size_t size = 0;
  };
  thread_local Cached cached;
  long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  long long secs = ms / 1000;
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) millis += 1000, --secs;  // before 1970: floor, as gmtime_r expects
  if (secs != cached.secs) {
    const std::time_t whole = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&whole, &tm);
    const int n = std::snprintf(cached.text, sizeof cached.text, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached.size = n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof cached.text - 1) : 0;
    cached.secs = secs;
  }
  out.append(cached.text, cached.size);
  const char digits[4] = {static_cast<char>('0' + millis / 100), static_cast<char>('0' + millis / 10 % 10),
                          static_cast<char>('0' + millis % 10), 'Z'};
  out.append(digits, 4);
}

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  std::string out;
  append_timestamp(out, t);
  return out;
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
  // The line json::Writer wrote, member for member, with the constant keys appended as they are
  // (they need no escaping) and every value still escaped by json::append_escaped: the writer's
  // per-key escaping, a line string per review and its copy were half of this function's cost.
  thread_local std::string line;
  line.clear();
  line.append(R"({"ts":")");
  append_timestamp(line, std::chrono::system_clock::now());
  line.append(allowed ? R"(","level":"info")" : R"(","level":"warn")");
  line.append(R"(,"msg":"admission review","webhook":)");
  json::append_escaped(line, webhook);
  line.append(R"(,"uid":)");
  append_bounded(line, o.uid);
  line.append(R"(,"kind":)");
  append_bounded(line, o.kind);
  line.append(R"(,"namespace":)");
  append_bounded(line, o.namespace_);
  line.append(R"(,"name":)");
  append_bounded(line, o.name);
  line.append(R"(,"operation":)");
  append_bounded(line, o.operation);
  line.append(o.dry_run ? R"(,"dryRun":true,"decision":)" : R"(,"dryRun":false,"decision":)");
  json::append_escaped(line, admission::decision_name(o.decision));
  line.append(R"(,"findings":[)");
  std::size_t codes = 0;
  for (const auto& code : o.finding_codes) {
    if (++codes > kMaxFindingCodes) break;  // codes are ours, but their number follows the request
    if (codes > 1) line.push_back(',');
    json::append_escaped(line, truncate_for_log(code, kMaxFieldBytes));
  }
  // Microsecond resolution is enough and keeps the line short.
  line.append(R"(],"latency_ms":)");
  json::append_number(line, std::round(latency_seconds * 1e6) / 1e3);
  line.append(R"(,"status":)");
  char status[16];
  line.append(status, std::to_chars(status, status + sizeof status, http_status).ptr);
  if (!o.error.empty()) {
    line.append(R"(,"error":)");
    append_bounded(line, o.error);
  }
  line.append("}\n");
  std::lock_guard lock(mu_);
  pending_reviews_.append(line);
  if (pending_reviews_.size() >= kReviewBatchBytes) flush_reviews_locked();
}

}  // namespace memguard::server
