// Tests of the Prometheus metrics: exposition format, label escaping, cardinality cap, histogram.
#include <catch2/catch.hpp>

#include <limits>

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

TEST_CASE("Label values from requests are cut to 64 bytes, never inside a UTF-8 sequence", "[server][metrics][hostile]") {
  Metrics m;
  ReviewOutcome o;
  o.kind = std::string(63, 'k') + "\xc3\xa9" + std::string(100, 'x');  // the 64th byte starts "é"
  o.operation = std::string(64, 'o');                                    // exactly the bound: kept whole
  o.decision = memguard::admission::ReviewDecision::kAllowed;
  o.finding_codes = {std::string(200, 'c')};
  m.record_review(o, 0.001);
  CHECK(m.requests().value({{"kind", std::string(63, 'k')}, {"operation", std::string(64, 'o')}, {"decision", "allowed"}}) == 1);
  CHECK(contains(m.render(), "memguard_findings_total{code=\"" + std::string(64, 'c') + "\"} 1\n"));
}

TEST_CASE("The body-budget gauge and extra metrics appear only when the server provides them", "[server][metrics]") {
  Metrics m;
  CHECK_FALSE(contains(m.render(), "memguard_body_bytes_in_flight"));
  m.set_body_bytes_source([] { return std::size_t{4096}; });
  m.set_extra_source([] { return std::string("memguard_cache_objects 3\n"); });
  const std::string text = m.render();
  CHECK(contains(text, "# TYPE memguard_body_bytes_in_flight gauge\nmemguard_body_bytes_in_flight 4096\n"));
  CHECK(text.size() >= 25);
  CHECK(text.substr(text.size() - 25) == "memguard_cache_objects 3\n");
}

TEST_CASE("A histogram ignores NaN as a duration of zero", "[server][metrics]") {
  Histogram h;
  h.observe(std::numeric_limits<double>::quiet_NaN());
  std::string out;
  h.render(out, "h");
  CHECK(contains(out, "h_bucket{le=\"0.0001\"} 1\n"));
  CHECK(contains(out, "h_sum 0\n"));
}
