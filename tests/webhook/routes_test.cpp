// Tests of the route table: dispatch, method and content-type checks, error answers.
#include <catch2/catch.hpp>

#include <cstdio>
#include <stdexcept>

#include "webhook/server/routes.h"

using namespace memguard;
using server::HttpRequest;
using server::HttpResponse;
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

// The route table over a handler of the test's, with its log and metrics.
struct Table {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  server::Log log{out, err, server::LogLevel::kInfo};
  server::Metrics metrics;
  Routes routes;
  explicit Table(server::AdmissionHandler handler) : routes(std::move(handler), metrics, log, [] { return true; }) {}
  ~Table() {
    log.flush();
    std::fclose(out);
    std::fclose(err);
  }
  HttpResponse review() const { return routes.handle(HttpRequest{"POST", "/validate", "application/json", "{}"}); }
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
  CHECK(server::is_json_content_type("\tapplication/json\t; charset=utf-8"));  // tabs are whitespace too
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
  Table t([](admission::Mode, std::string_view) {
    admission::ReviewOutcome o;
    o.http_status = 400;
    o.content_type = "text/plain; charset=utf-8";
    o.body = "request body is not an AdmissionReview\n";
    o.error = "request body is not an AdmissionReview";
    o.decision = admission::ReviewDecision::kErrored;
    return o;
  });
  auto r = t.review();
  CHECK(r.status == 400);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"error":"request body is not an AdmissionReview"})");
}

TEST_CASE("A handler's answer keeps its JSON body and type, only a non-JSON error is rewrapped", "[server][routes]") {
  admission::ReviewOutcome next;
  Table t([&next](admission::Mode, std::string_view) { return next; });
  SECTION("a JSON error passes through as the handler wrote it") {
    next.http_status = 422;
    next.content_type = "application/json; charset=utf-8";
    next.body = R"({"error":"handler's own words"})";
    auto r = t.review();
    CHECK(r.status == 422);
    CHECK(r.content_type == "application/json; charset=utf-8");
    CHECK(r.body == R"({"error":"handler's own words"})");
  }
  SECTION("a text error without an error message becomes a JSON error carrying the text") {
    next.http_status = 400;
    next.content_type = "text/plain";
    next.body = "bad review";
    auto r = t.review();
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/json");
    CHECK(r.body == R"({"error":"bad review"})");
  }
  SECTION("a 200 without a content type is JSON") {
    next.body = R"({"response":{}})";
    auto r = t.review();
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
    CHECK(r.body == R"({"response":{}})");
  }
  SECTION("a 200 keeps the handler's content type") {
    next.content_type = "application/json; charset=utf-8";
    CHECK(t.review().content_type == "application/json; charset=utf-8");
  }
}

TEST_CASE("A handler that throws something other than an exception also yields a 500 JSON error", "[server][routes]") {
  Table t([](admission::Mode, std::string_view) -> admission::ReviewOutcome { throw 42; });
  auto r = t.review();
  CHECK(r.status == 500);
  CHECK(r.body == R"({"error":"internal error while deciding the review"})");
  t.log.flush();
  std::fflush(t.out);
  std::rewind(t.out);
  char line[1024] = {};
  REQUIRE(std::fgets(line, sizeof line, t.out) != nullptr);
  CHECK_THAT(std::string(line), Catch::Contains(R"("error":"handler threw a non-standard exception")"));
}

TEST_CASE("Probes and metrics take GET only, and answer 405 naming it", "[server][routes]") {
  Fixture f;
  for (const char* path : {"/healthz", "/readyz", "/metrics"}) {
    for (const char* method : {"HEAD", "POST", "get"}) {
      CAPTURE(path, method);
      auto r = f.routes.handle({method, path, "application/json", ""});
      CHECK(r.status == 405);
      CHECK(r.allow == "GET");
      CHECK(r.body == std::string(R"({"error":"use GET for )") + path + "\"}");
    }
  }
  CHECK(f.routes.handle({"POST", "/validate?dryRun=true#x", "application/json", "1"}).status == 200);
  CHECK(f.routes.handle({"GET", "/healthz?full=1", "", ""}).status == 200);
  CHECK(f.modes.size() == 1);
}

TEST_CASE("A text route table answers every request itself, and asked for a decision it answers 500", "[server][routes][plain]") {
  server::TextRoutes routes({{"/metrics", "text/plain", [] { return std::string("up 1\n"); }}});
  auto d = routes.route({"GET", "/metrics?x=1", "", ""});
  REQUIRE(d.answer);
  CHECK(d.answer->body == "up 1\n");
  CHECK(d.answer->content_type == "text/plain");
  auto r = routes.admit(admission::Mode::kValidate, "validate", "{}");
  CHECK(r.status == 500);
  CHECK(r.body == R"({"error":"unroutable request"})");
}

TEST_CASE("A ?timeout= that is not a Go duration in range is ignored", "[server][routes][decisions]") {
  using std::chrono::milliseconds;
  CHECK(server::request_timeout("/validate?timeout=2s#frag") == milliseconds(2000));
  CHECK(server::request_timeout("/validate?timeout=3s&dryRun=true") == milliseconds(3000));
  CHECK(server::request_timeout("/validate?xtimeout=5s&timeout=4s") == milliseconds(4000));
  CHECK(server::request_timeout("/validate?timeout=.5s") == milliseconds(500));
  CHECK(server::request_timeout("/validate?timeout=1.s") == milliseconds(1000));
  CHECK(server::request_timeout("/validate?timeout=24h") == milliseconds(24 * 3600 * 1000));
  CHECK_FALSE(server::request_timeout("/validate?timeout=24h1ms"));  // beyond a day
  CHECK_FALSE(server::request_timeout("/validate?timeout=0s"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=.s"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=5x"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=1.5.5s"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=1.5"));    // a fraction without its unit
  CHECK_FALSE(server::request_timeout("/validate?timeout=1.5-s"));
  CHECK_FALSE(server::request_timeout("/validate?timeout=" + std::string(31, '0') + "1s"));  // 33 characters
  CHECK_FALSE(server::request_timeout("/validate#timeout=5s"));
  CHECK_FALSE(server::request_timeout("/validate?dryRun=true"));
}
