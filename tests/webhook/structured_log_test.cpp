// Tests of the structured JSON log: review lines, level filtering, error rate limiting.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>

#include "webhook/json/json_writer.h"
#include "webhook/server/structured_log.h"

using namespace memguard;
using server::Log;
using server::LogLevel;
using server::RateLimiter;

namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  if (!out.empty() && std::fread(out.data(), 1, out.size(), f) != out.size()) out.clear();
  std::fseek(f, 0, SEEK_END);  // the log writes on from the end
  return out;
}

struct Files {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  ~Files() {
    std::fclose(out);
    std::fclose(err);
  }
};

admission::ReviewOutcome denied_review() {
  admission::ReviewOutcome o;
  o.uid = "3b1f7c2e";
  o.kind = "FlinkDeployment";
  o.namespace_ = "analytics";
  o.name = "wordcount";
  o.operation = "CREATE";
  o.dry_run = true;
  o.decision = admission::ReviewDecision::kDenied;
  o.finding_codes = {"tm-memory-undersized"};
  o.body = R"({"secret":"taskmanager.memory.process.size"})";
  return o;
}

}  // namespace

TEST_CASE("A review is logged as one JSON line with its identity, decision and latency", "[server][log]") {
  Files f;
  Log log(f.out, f.err, LogLevel::kInfo);
  log.review("validate", denied_review(), 200, 0.0004567);
  log.flush();
  const std::string line = contents(f.out);
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["uid"]) == "3b1f7c2e");
  CHECK(std::string_view(doc["kind"]) == "FlinkDeployment");
  CHECK(std::string_view(doc["namespace"]) == "analytics");
  CHECK(std::string_view(doc["name"]) == "wordcount");
  CHECK(std::string_view(doc["operation"]) == "CREATE");
  CHECK(bool(doc["dryRun"]) == true);
  CHECK(std::string_view(doc["decision"]) == "denied");
  CHECK(std::string_view(doc["findings"].at(0)) == "tm-memory-undersized");
  CHECK(double(doc["latency_ms"]) == Approx(0.457));
  CHECK(int64_t(doc["status"]) == 200);
  CHECK(std::string_view(doc["webhook"]) == "validate");
  // The body never reaches the log.
  CHECK_THAT(line, !Catch::Contains("taskmanager"));
}

TEST_CASE("At level warn only reviews that were not allowed are logged", "[server][log]") {
  Files f;
  Log log(f.out, f.err, LogLevel::kWarn);
  auto allowed = denied_review();
  allowed.decision = admission::ReviewDecision::kAllowed;
  log.review("validate", allowed, 200, 0);
  log.flush();
  CHECK(contents(f.out).empty());
  log.review("validate", denied_review(), 200, 0);
  auto errored = allowed;
  errored.decision = admission::ReviewDecision::kErrored;
  log.review("mutate", errored, 400, 0);
  log.flush();
  const std::string text = contents(f.out);
  CHECK_THAT(text, Catch::Contains(R"("decision":"denied")"));
  CHECK_THAT(text, Catch::Contains(R"("status":400)"));
}

TEST_CASE("Review lines are written in batches, never after a later event, and all by the end", "[server][log]") {
  Files f;
  {
    Log log(f.out, f.err, LogLevel::kInfo);
    log.review("validate", denied_review(), 200, 0);
    CHECK(contents(f.out).empty());  // gathered, not yet written
    log.event("certificate reloaded");
    const std::string text = contents(f.out);
    REQUIRE_THAT(text, Catch::Contains("admission review"));
    CHECK(text.find("admission review") < text.find("certificate reloaded"));
    // A full batch is written without waiting for the timer.
    std::size_t before = contents(f.out).size();
    std::size_t gathered = 0;
    while (contents(f.out).size() == before) {
      log.review("validate", denied_review(), 200, 0);
      REQUIRE(++gathered < 10000);
    }
    CHECK(contents(f.out).size() - before >= Log::kReviewBatchBytes);
    log.review("mutate", denied_review(), 200, 0);
  }
  // Destroying the log writes the rest.
  const std::string text = contents(f.out);
  CHECK_THAT(text.substr(text.rfind("admission review")), Catch::Contains(R"("webhook":"mutate")"));
}

TEST_CASE("A flood of errors is rate limited and the suppressed count reported", "[server][log]") {
  Files f;
  Log log(f.out, f.err, LogLevel::kInfo);
  for (int i = 0; i < 1000; ++i) log.error("connection error", {{"op", "tls handshake"}});
  const std::string text = contents(f.err);
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  CHECK(lines >= 20);
  CHECK(lines < 100);
  CHECK(contents(f.out).empty());

  // The next line the limiter lets through (5 a second refill) reports how many were refused.
  int attempts = 1000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string after = text;
  while (after.size() == text.size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log.error("connection error", {{"op", "tls handshake"}});
    ++attempts;
    after = contents(f.err);
  }
  REQUIRE(after.size() > text.size());
  const std::string reported = after.substr(text.size());
  CHECK_THAT(reported, Catch::Contains(R"("suppressed":)"));
  // Every call is either a line or counted in the next line's "suppressed".
  std::size_t written = 0;
  long long suppressed = 0;
  for (std::size_t at = 0; (at = after.find('\n', at)) != std::string::npos; ++at) ++written;
  const std::string field = R"("suppressed":)";
  for (std::size_t at = 0; (at = after.find(field, at)) != std::string::npos; at += field.size()) {
    suppressed += std::stoll(after.substr(at + field.size()));
  }
  CHECK(static_cast<long long>(written) + suppressed == attempts);
}

TEST_CASE("The rate limiter refills over time and reports what it refused", "[server][log]") {
  RateLimiter limiter(1.0, 2.0);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  CHECK(limiter.allow(t0, suppressed));
  CHECK(suppressed == 0);
  CHECK(limiter.allow(t0, suppressed));
  CHECK_FALSE(limiter.allow(t0, suppressed));
  CHECK_FALSE(limiter.allow(t0, suppressed));
  CHECK(limiter.allow(t0 + std::chrono::seconds(1), suppressed));
  CHECK(suppressed == 2);
}

TEST_CASE("Timestamps are RFC 3339 UTC with milliseconds", "[server][log]") {
  const auto t = std::chrono::system_clock::from_time_t(1798182513) + std::chrono::milliseconds(7);
  CHECK(server::format_timestamp(t) == "2026-12-25T07:08:33.007Z");
}

TEST_CASE("Request-derived fields are cut to a bound, never echoed whole", "[server][log][hostile]") {
  Files files;
  {
    Log log(files.out, files.err, LogLevel::kInfo);
    admission::ReviewOutcome o = denied_review();
    o.uid = std::string(1024 * 1024, 'u');  // issue 12: a 1 MB uid made a 1 MB line
    o.kind = std::string(100000, 'k');
    o.name = std::string(300, 'n') + "\xc3\xa9";
    o.error = "decoding failed near " + std::string(100000, 'e');
    log.review("validate", o, 200, 0.001);
    log.error("connection error", {{"remote", std::string(10000, 'r')}});
  }
  const std::string out = contents(files.out);
  CHECK(out.size() < 4 * 1024);
  CHECK_THAT(out, Catch::Contains("...(1048576 bytes)"));
  CHECK_THAT(out, Catch::Contains("...(100000 bytes)"));
  CHECK(simdjson::validate_utf8(out.data(), out.size()));
  const std::string err = contents(files.err);
  CHECK(err.size() < 1024);
  CHECK_THAT(err, Catch::Contains("...(10000 bytes)"));
}

TEST_CASE("Truncation for the log never splits a UTF-8 sequence", "[server][log]") {
  CHECK(server::truncate_for_log("abc", 5) == "abc");
  CHECK(server::truncate_for_log("abcdef", 3) == "abc");
  CHECK(server::truncate_for_log("ab\xc3\xa9z", 3) == "ab");
  CHECK(server::truncate_for_log("ab\xc3\xa9z", 4) == "ab\xc3\xa9");
}

TEST_CASE("A review line lists at most the first 64 finding codes and the error, if any", "[server][log][hostile]") {
  Files f;
  {
    Log log(f.out, f.err, LogLevel::kInfo);
    admission::ReviewOutcome o = denied_review();
    o.finding_codes.clear();
    for (int i = 0; i < 100; ++i) o.finding_codes.push_back("code-" + std::to_string(i));
    log.review("validate", o, 200, 0);
    o.finding_codes.clear();
    o.error = "body is not an AdmissionReview";
    o.decision = admission::ReviewDecision::kErrored;
    log.review("validate", o, 400, 0);
  }
  const std::string text = contents(f.out);
  const std::string first = text.substr(0, text.find('\n'));
  CHECK_THAT(first, Catch::Contains(R"("code-63"])"));
  CHECK_THAT(first, !Catch::Contains("code-64"));
  CHECK_THAT(first, !Catch::Contains(R"("error")"));
  const std::string second = text.substr(first.size() + 1);
  CHECK_THAT(second, Catch::Contains(R"("findings":[])"));
  CHECK_THAT(second, Catch::Contains(R"("error":"body is not an AdmissionReview")"));
  CHECK_THAT(second, Catch::Contains(R"("level":"warn")"));
}

TEST_CASE("The rate limiter neither refills nor breaks when the clock steps back", "[server][log]") {
  RateLimiter limiter(1.0, 1.0);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 0;
  CHECK(limiter.allow(t0, suppressed));
  CHECK_FALSE(limiter.allow(t0 - std::chrono::seconds(30), suppressed));  // no refill for a negative interval
  CHECK_FALSE(limiter.allow(t0 - std::chrono::seconds(30), suppressed));
  CHECK(limiter.allow(t0 - std::chrono::seconds(29), suppressed));       // a second after the last call
  CHECK(suppressed == 2);
}

TEST_CASE("Warnings and events go to their own streams with their level", "[server][log]") {
  Files f;
  {
    Log log(f.out, f.err, LogLevel::kWarn);
    log.event("listening", {{"listen", "127.0.0.1:8443"}});
    log.warn("certificate reload rejected", {{"error", "bad PEM"}});
  }
  CHECK_THAT(contents(f.out), Catch::Contains(R"("level":"info","msg":"listening","listen":"127.0.0.1:8443"})"));
  CHECK_THAT(contents(f.err), Catch::Contains(R"("level":"warn","msg":"certificate reload rejected","error":"bad PEM"})"));
}

namespace {
// The review line as json::Writer wrote it before Log::review formatted lines itself, without "ts".
std::string writer_line(std::string_view webhook, const admission::ReviewOutcome& o, int status, double latency) {
  auto bounded = [](json::Writer& w, std::string_view key, std::string_view value) {
    const auto kept = server::truncate_for_log(value, Log::kMaxFieldBytes);
    if (kept.size() == value.size()) w.member(key, value);
    else w.member(key, std::string(kept) + "...(" + std::to_string(value.size()) + " bytes)");
  };
  const bool allowed = status == 200 && admission::lets_in(o.decision);
  json::Writer w;
  w.begin_object();
  w.member("level", allowed ? "info" : "warn");
  w.member("msg", "admission review");
  w.member("webhook", webhook);
  bounded(w, "uid", o.uid);
  bounded(w, "kind", o.kind);
  bounded(w, "namespace", o.namespace_);
  bounded(w, "name", o.name);
  bounded(w, "operation", o.operation);
  w.member("dryRun", o.dry_run);
  w.member("decision", admission::decision_name(o.decision));
  w.key("findings").begin_array();
  std::size_t codes = 0;
  for (const auto& code : o.finding_codes) {
    if (++codes > Log::kMaxFindingCodes) break;
    w.string(server::truncate_for_log(code, Log::kMaxFieldBytes));
  }
  w.end_array();
  w.key("latency_ms").number(std::round(latency * 1e6) / 1e3);
  w.member("status", status);
  if (!o.error.empty()) bounded(w, "error", o.error);
  w.end_object();
  return w.take() + "\n";
}
}  // namespace

TEST_CASE("A review line has exactly the members, escaping and bounds json::Writer gave it", "[server][log]") {
  auto o = denied_review();
  const int variant = GENERATE(0, 1, 2, 3);
  int status = 200;
  double latency = 0.0004567;
  if (variant == 1) {  // long, quoted, control and invalid UTF-8 values; many finding codes; an error
    o.uid = std::string(300, 'u');
    o.name = "a\"b\\c\nd\x01\xff\xc3\xa9";
    o.kind = std::string(255, 'k') + "\xc3\xa9";  // cut before the two-byte sequence
    o.finding_codes.assign(70, "code\"x");
    o.error = std::string(1000, 'e');
    status = 400;
    latency = 12.3456789;
  } else if (variant == 2) {  // allowed, empty fields, no findings
    o = admission::ReviewOutcome{};
    o.decision = admission::ReviewDecision::kAllowed;
    latency = 0;
  } else if (variant == 3) {
    latency = std::numeric_limits<double>::infinity();
    o.dry_run = false;
  }
  Files f;
  Log log(f.out, f.err, LogLevel::kInfo);
  log.review("mutate", o, status, latency);
  log.flush();
  std::string line = contents(f.out);
  // "ts" comes first: {"ts":"2026-12-25T07:08:33.007Z", is 33 bytes.
  REQUIRE(line.size() > 33);
  CHECK(line.substr(0, 7) == R"({"ts":")");
  CHECK(line.substr(31, 2) == "\",");
  line.erase(1, 32);
  CHECK(line == writer_line("mutate", o, status, latency));
}

TEST_CASE("Timestamps keep their format across seconds, days and years", "[server][log]") {
  using namespace std::chrono;
  const auto t = sys_days{year{2026} / 12 / 31} + hours(23) + minutes(59) + seconds(59) + milliseconds(999);
  CHECK(server::format_timestamp(t) == "2026-12-31T23:59:59.999Z");
  CHECK(server::format_timestamp(t + milliseconds(1)) == "2027-01-01T00:00:00.000Z");
  CHECK(server::format_timestamp(t + milliseconds(2)) == "2027-01-01T00:00:00.001Z");
  CHECK(server::format_timestamp(t + milliseconds(1001)) == "2027-01-01T00:00:01.000Z");
  std::string out = "x";
  server::append_timestamp(out, t);
  CHECK(out == "x2026-12-31T23:59:59.999Z");
}
