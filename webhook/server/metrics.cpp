// Prometheus metrics of the webhook server: counters, the latency histogram and the exposition.
#include "webhook/server/metrics.h"

#include <charconv>
#include <cmath>
#include <mutex>

namespace memguard::server {
namespace {

void append_number(std::string& out, double value, std::chars_format format = std::chars_format::general) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, format);
  out.append(buf, ec == std::errc() ? end : buf);
}

// An empty label value reads as "unknown" (a review that failed before its kind was known). The
// number of distinct values is bounded by each family's series cap; the length of each here, since
// a kind comes from the request (a 1 MB kind times 256 series would be 256 MB).
constexpr std::size_t kMaxLabelBytes = 64;
std::string_view bounded(std::string_view value) {
  if (value.empty()) return "unknown";
  if (value.size() <= kMaxLabelBytes) return value;
  std::size_t cut = kMaxLabelBytes;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return value.substr(0, cut);
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

namespace {
void append_label_text(std::string& out, std::span<const Label> labels) {
  for (const auto& [name, value] : labels) {
    if (!out.empty()) out += ',';
    out += name;
    out += "=\"";
    append_label_value(out, value);
    out += '"';
  }
}
}  // namespace

std::string label_text(const Labels& labels) {
  std::string out;
  append_label_text(out, labels);
  return out;
}

void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

void append_sample(std::string& out, std::string_view name, int64_t value) {
  append_sample(out, name, {}, std::to_string(value));
}

void append_sample(std::string& out, std::string_view name, uint64_t value) {
  append_sample(out, name, {}, std::to_string(value));
}

void append_sample_fixed(std::string& out, std::string_view name, double value, int decimals) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, decimals);
  append_sample(out, name, {}, std::string_view(buf, ec == std::errc() ? static_cast<std::size_t>(end - buf) : 0));
}

void LabeledCounter::add(const Labels& labels, uint64_t delta) { add(std::span<const Label>(labels), delta); }

void LabeledCounter::add(std::initializer_list<Label> labels, uint64_t delta) {
  add(std::span<const Label>(labels.begin(), labels.size()), delta);
}

void LabeledCounter::add(std::span<const Label> labels, uint64_t delta) {
  // The key of an existing series is looked up without allocating: built in this thread's buffer.
  thread_local std::string scratch;
  scratch.clear();
  append_label_text(scratch, labels);
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(std::string_view(scratch)); it != series_.end()) {
      it->second->fetch_add(delta, std::memory_order_relaxed);
      return;
    }
  }
  std::string key = scratch;
  std::unique_lock lock(mu_);
  if (series_.find(key) == series_.end() && series_.size() >= max_series_) {
    Labels other;
    for (const auto& l : labels) other.emplace_back(l.first, "_other");
    key = label_text(other);
  }
  auto& slot = series_[key];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  slot->fetch_add(delta, std::memory_order_relaxed);
}

uint64_t LabeledCounter::value(const Labels& labels) const {
  std::shared_lock lock(mu_);
  auto it = series_.find(label_text(labels));
  return it == series_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

void LabeledCounter::render(std::string& out, std::string_view name) const {
  std::shared_lock lock(mu_);
  for (const auto& [labels, value] : series_) {
    append_sample(out, name, labels, std::to_string(value->load(std::memory_order_relaxed)));
  }
}

void Histogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // also catches NaN
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name) const {
  // Each line is read separately, so a scrape racing an observation may see a bucket one ahead
  // of _count; Prometheus tolerates that and it avoids a lock on the request path.
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{le=\"");
    append_number(out, kBounds[i], std::chars_format::fixed);  // "0.0001", as client libraries write it
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  const uint64_t total = count_.load(std::memory_order_relaxed);
  out.append(name).append("_bucket{le=\"+Inf\"} ").append(std::to_string(total)).append("\n");
  out.append(name).append("_sum ");
  append_number(out, static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out.append("\n");
  out.append(name).append("_count ").append(std::to_string(total)).append("\n");
}

void Metrics::record_review(const admission::ReviewOutcome& outcome, double seconds) {
  requests_.add({{"kind", bounded(outcome.kind)},
                 {"operation", bounded(outcome.operation)},
                 {"decision", admission::decision_name(outcome.decision)}});
  for (const auto& code : outcome.finding_codes) findings_.add({{"code", bounded(code)}});
  duration_.observe(seconds);
}

void Metrics::record_response(int http_status) {
  char code[16];
  responses_.add({{"code", std::string_view(code, std::to_chars(code, code + sizeof code, http_status).ptr - code)}});
}

void Metrics::record_tls_reload(bool ok) { tls_reloads_.add({{"result", ok ? "success" : "failure"}}); }

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  append_family(out, "memguard_admission_requests_total", "counter",
                "Admission reviews answered, by object kind, operation and decision.");
  requests_.render(out, "memguard_admission_requests_total");
  append_family(out, "memguard_admission_duration_seconds", "histogram",
                "Time spent deciding one admission review (decode, decide, encode).");
  duration_.render(out, "memguard_admission_duration_seconds");
  append_family(out, "memguard_findings_total", "counter", "Findings reported in admission reviews, by code.");
  findings_.render(out, "memguard_findings_total");
  append_family(out, "memguard_inflight_requests", "gauge", "HTTP requests being read, handled or answered.");
  append_sample(out, "memguard_inflight_requests", inflight_.load(std::memory_order_relaxed));
  append_family(out, "memguard_http_responses_total", "counter", "HTTP responses sent, by status code.");
  responses_.render(out, "memguard_http_responses_total");
  append_family(out, "memguard_connections_active", "gauge", "Open client connections.");
  append_sample(out, "memguard_connections_active", connections_.load(std::memory_order_relaxed));
  append_family(out, "memguard_connections_rejected_total", "counter",
                "Connections closed at accept because the connection cap was reached.");
  append_sample(out, "memguard_connections_rejected_total", connections_rejected_.load(std::memory_order_relaxed));
  append_family(out, "memguard_connections_evicted_total", "counter",
                "Idle connections closed to make room for a new one at the connection cap.");
  append_sample(out, "memguard_connections_evicted_total", connections_evicted_.load(std::memory_order_relaxed));
  append_family(out, "memguard_requests_refused_total", "counter",
                "Requests answered with an error by the server itself before or instead of a decision, by reason.");
  refused_.render(out, "memguard_requests_refused_total");
  append_family(out, "memguard_session_exceptions_total", "counter",
                "Exceptions caught at a connection or thread boundary; the connection was closed, the server kept serving.");
  append_sample(out, "memguard_session_exceptions_total", session_exceptions_.load(std::memory_order_relaxed));
  if (body_bytes_) {
    append_family(out, "memguard_body_bytes_in_flight", "gauge",
                  "Request-body bytes reserved from the global body budget.");
    append_sample(out, "memguard_body_bytes_in_flight", body_bytes_());
  }
  append_family(out, "memguard_tls_handshake_failures_total", "counter", "TLS handshakes that failed.");
  append_sample(out, "memguard_tls_handshake_failures_total", tls_handshake_failures_.load(std::memory_order_relaxed));
  append_family(out, "memguard_tls_certificate_expiry_seconds", "gauge",
                "notAfter of the serving certificate in use, as a Unix time (0 before one is loaded).");
  append_sample(out, "memguard_tls_certificate_expiry_seconds", cert_expiry_.load(std::memory_order_relaxed));
  append_family(out, "memguard_tls_reloads_total", "counter",
                "Attempts to load a changed certificate/key pair from disk, by result.");
  tls_reloads_.render(out, "memguard_tls_reloads_total");
  if (extra_) out += extra_();
  return out;
}

}  // namespace memguard::server
