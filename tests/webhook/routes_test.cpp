// Tests of the route table: dispatch, method and content-type checks, error answers.
#include <catch2/catch.hpp>

#include <cstdio>
#include <stdexcept>

#include "webhook/server/routes.h"

using namespace memguard;
using server::HttpRequest;
using server::Routes;

namespace {

struct Fixture {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  server::Log log{out, err, server::LogLevel::kInfo};
  server::Metrics metrics;
  bool ready = true;
  std::vector<admission::Mode> modes;
  Routes routes{[this](admission::Mode mode, std::string_view body) {
                  modes.push_back(mode);
                  if (body == "throw") throw std::runtime_error("boom");
                  admission::ReviewOutcome o;
                  o.body = "{\"echo\":" + std::string(body) + "}";
                  o.decision = admission::ReviewDecision::kAllowed;
                  o.kind = "FlinkDeployment";
                  return o;
                },
                metrics, log, [this] { return ready; }};
  ~Fixture() {
    log.flush();  // the log outlives this body: nothing of it may be left to write to closed files
    std::fclose(out);
    std::fclose(err);
  }
};

}  // namespace

TEST_CASE("Reviews are routed by path to the handler with the matching mode", "[server][routes]") {
  Fixture f;
  auto v = f.routes.handle({"POST", "/validate?timeout=10s", "application/json", "1"});
  auto m = f.routes.handle({"POST", "/mutate", "Application/JSON; charset=utf-8", "2"});
  CHECK(v.status == 200);
  CHECK(v.body == R"({"echo":1})");
  CHECK(m.status == 200);
  REQUIRE(f.modes.size() == 2);
  CHECK(f.modes[0] == admission::Mode::kValidate);
  CHECK(f.modes[1] == admission::Mode::kMutate);
  CHECK(f.metrics.requests().value({{"kind", "FlinkDeployment"}, {"operation", "unknown"}, {"decision", "allowed"}}) == 2);
  CHECK(f.metrics.duration().count() == 2);
}

TEST_CASE("Requests that do not fit the route table are answered without calling the handler", "[server][routes]") {
  Fixture f;
  SECTION("unknown path: 404") { CHECK(f.routes.handle({"POST", "/", "application/json", "{}"}).status == 404); }
  SECTION("a path that only differs by a trailing slash: 404") {
    CHECK(f.routes.handle({"POST", "/validate/", "application/json", "{}"}).status == 404);
  }
  SECTION("wrong method: 405 with Allow") {
    auto r = f.routes.handle({"PUT", "/mutate", "application/json", "{}"});
    CHECK(r.status == 405);
    CHECK(r.allow == "POST");
    CHECK(f.routes.handle({"POST", "/metrics", "", ""}).allow == "GET");
  }
  SECTION("wrong or missing content type: 415") {
    CHECK(f.routes.handle({"POST", "/validate", "text/plain", "{}"}).status == 415);
    CHECK(f.routes.handle({"POST", "/validate", "", "{}"}).status == 415);
    CHECK(f.routes.handle({"POST", "/validate", "application/json-patch+json", "{}"}).status == 415);
  }
  CHECK(f.modes.empty());
}

TEST_CASE("A handler exception becomes a 500 JSON error", "[server][routes]") {
  Fixture f;
  auto r = f.routes.handle({"POST", "/validate", "application/json", "throw"});
  CHECK(r.status == 500);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"error":"internal error while deciding the review"})");
  CHECK(f.metrics.requests().value({{"kind", "unknown"}, {"operation", "unknown"}, {"decision", "errored"}}) == 1);
}

TEST_CASE("Readiness follows the server's state, health does not", "[server][routes]") {
  Fixture f;
  CHECK(f.routes.handle({"GET", "/readyz", "", ""}).status == 200);
  f.ready = false;
  auto r = f.routes.handle({"GET", "/readyz", "", ""});
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Catch::Contains("not ready"));
  CHECK(f.routes.handle({"GET", "/healthz", "", ""}).status == 200);
}

TEST_CASE("Metrics are served in the Prometheus text format", "[server][routes]") {
  Fixture f;
  auto r = f.routes.handle({"GET", "/metrics?name[]=x", "", ""});
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK_THAT(r.body, Catch::Contains("# TYPE memguard_admission_duration_seconds histogram"));
}

TEST_CASE("Request targets and content types are parsed leniently where HTTP allows", "[server][routes]") {
  CHECK(server::target_path("/validate?timeout=10s") == "/validate");
  CHECK(server::target_path("/mutate#x") == "/mutate");
  CHECK(server::target_path("/readyz") == "/readyz");
  CHECK(server::is_json_content_type("application/json"));
  CHECK(server::is_json_content_type(" application/json ; charset=UTF-8"));
  CHECK_FALSE(server::is_json_content_type("application/jsonx"));
  CHECK_FALSE(server::is_json_content_type(""));
  CHECK(server::error_body("a \"quoted\" reason") == R"({"error":"a \"quoted\" reason"})");
}

TEST_CASE("The API server's ?timeout= is read as a Go duration", "[server][routes][decisions]") {
  using std::chrono::milliseconds;
  CHECK(server::request_timeout("/validate?timeout=10s") == milliseconds(10000));
  CHECK(server::request_timeout("/validate?x=1&timeout=2.5s") == milliseconds(2500));
  CHECK(server::request_timeout("/validate?timeout=1m30s") == milliseconds(90000));
  CHECK(server::request_timeout("/validate?timeout=500ms") == milliseconds(500));
  CHECK(server::request_timeout("/validate?timeout=1h") == milliseconds(3600000));
  // Go spells microseconds "us" or "\u00b5s"; both, and nanoseconds, add up like the other units.
  CHECK(server::request_timeout("/validate?timeout=1500000us") == milliseconds(1500));
  CHECK(server::request_timeout("/validate?timeout=2000\xc2\xb5s") == milliseconds(2));
  CHECK(server::request_timeout("/validate?timeout=3000000ns") == milliseconds(3));
  CHECK(server::request_timeout("/validate?timeout=1s500000us") == milliseconds(1500));
  CHECK_FALSE(server::request_timeout("/validate"));
  CHECK_FALSE(server::request_timeout("/validate?timeout="));
  CHECK_FALSE(server::request_timeout("/validate?timeout=10"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=s"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=-1s"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=10us"));  // below a millisecond
  CHECK_FALSE(server::request_timeout("/validate?timeout=" + std::string(100, '9') + "s"));
}

TEST_CASE("A handler's non-JSON error answer becomes a JSON error", "[server][routes]") {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    server::Log log{out, err, server::LogLevel::kInfo};
    server::Metrics metrics;
    Routes routes{[](admission::Mode, std::string_view) {
                    admission::ReviewOutcome o;
                    o.http_status = 400;
                    o.content_type = "text/plain; charset=utf-8";
                    o.body = "request body is not an AdmissionReview\n";
                    o.error = "request body is not an AdmissionReview";
                    o.decision = admission::ReviewDecision::kErrored;
                    return o;
                  },
                  metrics, log, [] { return true; }};
    auto r = routes.handle(HttpRequest{"POST", "/validate", "application/json", "{}"});
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/json");
    CHECK(r.body == R"({"error":"request body is not an AdmissionReview"})");
  }
  std::fclose(out);
  std::fclose(err);
}
