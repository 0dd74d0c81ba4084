// Prometheus metrics of the webhook server, hand-rolled: lock-free counters on the request path,
// text exposition format on /metrics, and a cap on label combinations so that request-controlled
// labels (kind, finding codes) cannot grow memory without bound.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <initializer_list>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "webhook/admission/review_outcome.h"

namespace memguard::server {

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::vector<Label>;

// A counter family with labels. Existing series are incremented under a shared lock with an
// atomic add; a new label set takes the exclusive lock once. Beyond `max_series` new label sets
// are counted in one series whose label values are all "_other".
class LabeledCounter {
 public:
  explicit LabeledCounter(std::size_t max_series) : max_series_(max_series) {}
  void add(const Labels& labels, uint64_t delta = 1);
  // The same without building a vector (a braced list of labels at the call site).
  void add(std::initializer_list<Label> labels, uint64_t delta = 1);
  void add(std::span<const Label> labels, uint64_t delta = 1);
  uint64_t value(const Labels& labels) const;  // 0 when the series does not exist
  void render(std::string& out, std::string_view name) const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> series_;
  std::size_t max_series_;
};

// A histogram with fixed buckets, in seconds.
class Histogram {
 public:
  // Admission decisions take microseconds; the apiserver logs a trace at 500 ms and gives up at
  // timeoutSeconds, so the buckets run from 100 us to 1 s.
  static constexpr std::array<double, 13> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
  void observe(double seconds);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  void render(std::string& out, std::string_view name) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size()> buckets_{};  // non-cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

class Metrics {
 public:
  // One admission review answered by the handler (whatever the HTTP status).
  void record_review(const admission::ReviewOutcome& outcome, double seconds);
  void record_response(int http_status);
  void record_tls_reload(bool ok);
  void record_tls_handshake_failure() { tls_handshake_failures_.fetch_add(1, std::memory_order_relaxed); }
  void record_connection_rejected() { connections_rejected_.fetch_add(1, std::memory_order_relaxed); }
  void set_certificate_expiry(int64_t not_after_unix) { cert_expiry_.store(not_after_unix, std::memory_order_relaxed); }
  void add_inflight(int64_t delta) { inflight_.fetch_add(delta, std::memory_order_relaxed); }
  void add_connections(int64_t delta) { connections_.fetch_add(delta, std::memory_order_relaxed); }
  void record_connection_evicted() { connections_evicted_.fetch_add(1, std::memory_order_relaxed); }
  // A request answered with an error before or instead of its decision, by reason: body_budget,
  // decision_queue_full, decision_deadline, transfer_encoding, expect, bad_request, ...
  void record_refused(std::string_view reason) { refused_.add({{"reason", reason}}); }
  // An exception caught at a session or I/O-thread boundary (a library bug or an allocation failure).
  void record_session_exception() { session_exceptions_.fetch_add(1, std::memory_order_relaxed); }
  // Body bytes in flight, rendered from the server's budget (null: not rendered).
  void set_body_bytes_source(std::function<std::size_t()> source) { body_bytes_ = std::move(source); }
  // Exposition text of a part of the process the server does not own (the Kubernetes object
  // cache's counters), appended to the server's own. Set before the server runs.
  void set_extra_source(std::function<std::string()> source) { extra_ = std::move(source); }
  const LabeledCounter& refused() const { return refused_; }
  uint64_t session_exceptions() const { return session_exceptions_.load(std::memory_order_relaxed); }
  uint64_t connections_evicted() const { return connections_evicted_.load(std::memory_order_relaxed); }

  // Read access for tests and readiness.
  const LabeledCounter& requests() const { return requests_; }
  const LabeledCounter& responses() const { return responses_; }
  const LabeledCounter& findings() const { return findings_; }
  const LabeledCounter& tls_reloads() const { return tls_reloads_; }
  const Histogram& duration() const { return duration_; }
  int64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }

  // The whole exposition, in Prometheus text format 0.0.4.
  std::string render() const;

 private:
  LabeledCounter requests_{256};
  LabeledCounter findings_{128};
  LabeledCounter responses_{64};
  LabeledCounter tls_reloads_{4};
  LabeledCounter refused_{16};
  std::atomic<uint64_t> connections_evicted_{0};
  std::atomic<uint64_t> session_exceptions_{0};
  std::function<std::size_t()> body_bytes_;
  std::function<std::string()> extra_;
  Histogram duration_;
  std::atomic<int64_t> inflight_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<uint64_t> connections_rejected_{0};
  std::atomic<uint64_t> tls_handshake_failures_{0};
  std::atomic<int64_t> cert_expiry_{0};
};

// The Prometheus text format (0.0.4) is written by the functions below and nowhere else: the
// server's exposition, the object cache's counters and audit's findings all go through them.

// The Content-Type of a /metrics answer.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
// Appends `value` escaped for a Prometheus label value (backslash, double quote, newline).
void append_label_value(std::string& out, std::string_view value);
// `name="value",...` with each value escaped: a sample's labels, without the braces.
std::string label_text(const Labels& labels);
// The "# HELP" and "# TYPE" lines that open a metric family.
void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// One sample line; `labels` as label_text() writes them (empty: none).
void append_sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value);
void append_sample(std::string& out, std::string_view name, int64_t value);
void append_sample(std::string& out, std::string_view name, uint64_t value);
// A value with exactly `decimals` digits after the point (a Unix time in seconds with 3).
void append_sample_fixed(std::string& out, std::string_view name, double value, int decimals);

}  // namespace memguard::server
