// Tests of the Prometheus metrics: exposition format, label escaping, cardinality cap, histogram.
#include <catch2/catch.hpp>

#include "webhook/server/metrics.h"

using memguard::admission::ReviewOutcome;
using memguard::server::Histogram;
using memguard::server::LabeledCounter;
using memguard::server::Metrics;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("A review outcome feeds the request counter, findings and the latency histogram", "[server][metrics]") {
  Metrics m;
  ReviewOutcome o;
  o.kind = "FlinkDeployment";
  o.operation = "UPDATE";
  o.decision = memguard::admission::ReviewDecision::kDenied;
  o.finding_codes = {"tm-memory-undersized", "overhead-capped"};
  m.record_review(o, 0.0003);
  m.record_review(o, 0.002);
  const std::string text = m.render();
  CHECK(contains(text, "# TYPE memguard_admission_requests_total counter\n"));
  CHECK(contains(text, R"(memguard_admission_requests_total{kind="FlinkDeployment",operation="UPDATE",decision="denied"} 2)"));
  CHECK(contains(text, R"(memguard_findings_total{code="tm-memory-undersized"} 2)"));
  CHECK(contains(text, R"(memguard_findings_total{code="overhead-capped"} 2)"));
  CHECK(contains(text, R"(memguard_admission_duration_seconds_bucket{le="0.00025"} 0)"));
  CHECK(contains(text, R"(memguard_admission_duration_seconds_bucket{le="0.0005"} 1)"));
  CHECK(contains(text, R"(memguard_admission_duration_seconds_bucket{le="0.0025"} 2)"));
  CHECK(contains(text, R"(memguard_admission_duration_seconds_bucket{le="+Inf"} 2)"));
  CHECK(contains(text, "memguard_admission_duration_seconds_sum 0.0023\n"));
  CHECK(contains(text, "memguard_admission_duration_seconds_count 2\n"));
}

TEST_CASE("A review that failed before decoding is counted with kind unknown", "[server][metrics]") {
  Metrics m;
  ReviewOutcome o;
  o.decision = memguard::admission::ReviewDecision::kErrored;
  m.record_review(o, 0);
  CHECK(m.requests().value({{"kind", "unknown"}, {"operation", "unknown"}, {"decision", "errored"}}) == 1);
}

TEST_CASE("Label values are escaped for the text format", "[server][metrics]") {
  LabeledCounter c(8);
  c.add({{"kind", "a\"b\\c\nd"}});
  std::string out;
  c.render(out, "x");
  CHECK(out == "x{kind=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("Label sets beyond the cap are folded into one _other series", "[server][metrics]") {
  LabeledCounter c(2);
  c.add({{"code", "a"}});
  c.add({{"code", "b"}});
  c.add({{"code", "c"}});
  c.add({{"code", "d"}}, 5);
  c.add({{"code", "a"}});
  CHECK(c.value({{"code", "a"}}) == 2);
  CHECK(c.value({{"code", "c"}}) == 0);
  CHECK(c.value({{"code", "_other"}}) == 6);
}

TEST_CASE("Gauges and TLS counters are rendered", "[server][metrics]") {
  Metrics m;
  m.set_certificate_expiry(1798182513);
  m.record_tls_reload(true);
  m.record_tls_reload(false);
  m.record_tls_reload(false);
  m.add_inflight(3);
  m.add_inflight(-1);
  m.record_response(413);
  const std::string text = m.render();
  CHECK(contains(text, "memguard_tls_certificate_expiry_seconds 1798182513\n"));
  CHECK(contains(text, R"(memguard_tls_reloads_total{result="success"} 1)"));
  CHECK(contains(text, R"(memguard_tls_reloads_total{result="failure"} 2)"));
  CHECK(contains(text, "memguard_inflight_requests 2\n"));
  CHECK(contains(text, R"(memguard_http_responses_total{code="413"} 1)"));
  CHECK(text.back() == '\n');
}

TEST_CASE("Histogram observations land in the first bucket that holds them", "[server][metrics]") {
  Histogram h;
  h.observe(0.0001);  // on a bound: le is inclusive
  h.observe(5.0);     // beyond the last bound: only +Inf
  h.observe(-1.0);    // clock oddities count as 0
  std::string out;
  h.render(out, "h");
  CHECK(contains(out, "h_bucket{le=\"0.0001\"} 2\n"));
  CHECK(contains(out, "h_bucket{le=\"1\"} 2\n"));
  CHECK(contains(out, "h_bucket{le=\"+Inf\"} 3\n"));
  CHECK(h.count() == 3);
}
