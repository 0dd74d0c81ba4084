// Issue 12, server side: hostile clients over real TLS. Every case checks the documented answer
// and that the server is still alive and answering on a new connection afterwards.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server_test_support.h"

namespace {

using namespace memguard;
using namespace memguard::testing;
namespace http = boost::beast::http;

struct Pki {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair server = make_leaf(dir.path(), "server", ca);
  ClientOptions client() const { return ClientOptions{ca.cert, std::nullopt, 0, 0, false}; }
};

admission::ReviewOutcome allowed() {
  admission::ReviewOutcome o;
  o.body = "{}";
  o.kind = "FlinkDeployment";
  o.decision = admission::ReviewDecision::kAllowed;
  return o;
}

// A handler that blocks until released: the seam through which a slow, worst-case decision is
// injected without depending on what the engine happens to cost today.
class Gate {
 public:
  server::AdmissionHandler handler() {
    return [this](admission::Mode, std::string_view) {
      std::unique_lock lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
      return allowed();
    };
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits (at most 10 s) until `n` decisions have started.
  bool wait_entered(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= n; });
  }
  ~Gate() { open(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int entered_ = 0;
};

// Declared right after the server: opens the gate before the server is destroyed, so that its
// decision threads can be joined even when a check failed half-way.
struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.open(); }
};

std::string head(const std::string& target, const std::string& extra) {
  return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + extra + "\r\n";
}

void check_alive(unsigned short port, const ClientOptions& options) {
  TlsClient fresh(port, options);
  REQUIRE_FALSE(fresh.connect());
  Reply r = fresh.request(http::verb::get, "/healthz", "", "");
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
}

bool is_json_error(const Reply& r) {
  return r.response[http::field::content_type] == "application/json" &&
         r.response.body().rfind(R"({"error":")", 0) == 0;
}

// Sends `request` on a new connection and returns the status of its answer (0 if none came).
int status_on_new_connection(unsigned short port, const ClientOptions& options, const std::string& request) {
  TlsClient client(port, options);
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(request));
  Reply r = client.read_reply();
  if (r.ec) return 0;
  if (r.status() != 200) {
    CHECK(is_json_error(r));
    CHECK_FALSE(r.response.keep_alive());
  }
  return r.status();
}

}  // namespace

TEST_CASE("A 64 KiB trailer field is refused with 431 instead of aborting the process", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  for (const std::string target : {"/healthz", "/validate"}) {
    CAPTURE(target);
    TlsClient client(srv.port(), pki.client());
    REQUIRE_FALSE(client.connect());
    const std::string value(64 * 1024, 'v');
    REQUIRE_FALSE(client.write_raw(head(target, "Transfer-Encoding: chunked\r\n") + "2\r\n{}\r\n0\r\nX-Trailer: " +
                                   value + "\r\n\r\n"));
    Reply r = client.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 431);
    CHECK(is_json_error(r));
    CHECK_FALSE(r.response.keep_alive());
  }
  CHECK(srv.server().metrics().refused().value({{"reason", "header_limit"}}) == 2);
  check_alive(srv.port(), pki.client());
}

TEST_CASE("Chunk extensions count against the header limit", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  SECTION("one extension larger than the limit") {
    REQUIRE_FALSE(client.write_raw(head("/validate", "Transfer-Encoding: chunked\r\n") + "2;x=" +
                                   std::string(100 * 1024, 'e')));
    Reply r = client.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 431);
    CHECK(is_json_error(r));
  }
  SECTION("many small ones that add up") {
    std::string body = head("/validate", "Transfer-Encoding: chunked\r\n");
    for (int i = 0; i < 200; ++i) body += "1;" + std::string(100, 'e') + "\r\n{\r\n";
    body += "0\r\n\r\n";
    REQUIRE_FALSE(client.write_raw(body));
    Reply r = client.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 431);
    CHECK_THAT(r.response.body(), Catch::Contains("chunk extensions exceed the header limit of 16384 bytes"));
  }
  check_alive(srv.port(), pki.client());
}

TEST_CASE("Transfer-Encoding other than a single chunked is answered 400 (RFC 9112 6.1)", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  for (const std::string te : {"Transfer-Encoding: chunked, identity\r\n", "Transfer-Encoding: identity\r\n",
                               "Transfer-Encoding: gzip, chunked\r\n",
                               "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"}) {
    CAPTURE(te);
    CHECK(status_on_new_connection(srv.port(), pki.client(), head("/validate", te) + "2\r\n{}\r\n0\r\n\r\n") == 400);
  }
  // A plain chunked body is still fine, in any letter case.
  CHECK(status_on_new_connection(srv.port(), pki.client(),
                                 head("/validate", "Transfer-Encoding: Chunked\r\n") + "2\r\n{}\r\n0\r\n\r\n") == 200);
}

TEST_CASE("A slow decision does not stop the server from accepting and answering probes and reviews",
          "[server][e2e][hostile][decisions]") {
  Pki pki;
  Gate gate;
  std::atomic<int> calls{0};
  auto slow_first = [&calls, inner = gate.handler()](admission::Mode m, std::string_view b) {
    if (calls++ == 0) return inner(m, b);
    return allowed();
  };
  auto options = test_options(pki.server);
  options.decision_threads = 2;  // one for the slow review, one for the others, whatever the core count
  InProcessServer srv(options, slow_first);
  OpenOnExit opener{gate};
  TlsClient slow(srv.port(), pki.client());
  REQUIRE_FALSE(slow.connect());
  REQUIRE_FALSE(slow.write_raw(head("/validate", "Content-Length: 2\r\n") + "{}"));
  REQUIRE(gate.wait_entered(1));

  // While it runs: a new connection is accepted; probes, metrics and another review are answered.
  TlsClient other(srv.port(), pki.client());
  REQUIRE_FALSE(other.connect());
  CHECK(other.request(http::verb::get, "/healthz", "", "").status() == 200);
  CHECK(other.request(http::verb::get, "/readyz", "", "").status() == 200);
  CHECK(other.request(http::verb::get, "/metrics", "", "").status() == 200);
  CHECK(other.request(http::verb::post, "/validate", "{}").status() == 200);

  gate.open();
  Reply r = slow.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
  CHECK(r.response.keep_alive());
}

TEST_CASE("A decision past its deadline is answered 503 with a JSON error", "[server][e2e][hostile][decisions]") {
  Pki pki;
  Gate gate;
  auto options = test_options(pki.server);
  SECTION("the API server's ?timeout= sets the deadline") {
    InProcessServer srv(options, gate.handler());
    OpenOnExit opener{gate};
    TlsClient client(srv.port(), pki.client());
    REQUIRE_FALSE(client.connect());
    Reply r = client.request(http::verb::post, "/validate?timeout=1s", "{}");
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 503);
    CHECK(is_json_error(r));
    CHECK_THAT(r.response.body(), Catch::Contains("not decided within its deadline"));
    CHECK(r.response.keep_alive());
    CHECK(srv.server().metrics().refused().value({{"reason", "decision_deadline"}}) == 1);
    gate.open();
    // The connection is usable again; the late decision's result is dropped.
    CHECK(client.request(http::verb::get, "/healthz", "", "").status() == 200);
  }
  SECTION("our own cap bounds a longer ?timeout=") {
    options.decision_timeout = std::chrono::milliseconds(500);
    InProcessServer srv(options, gate.handler());
    OpenOnExit opener{gate};
    TlsClient client(srv.port(), pki.client());
    REQUIRE_FALSE(client.connect());
    Reply r = client.request(http::verb::post, "/validate?timeout=30s", "{}");
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 503);
    CHECK_THAT(r.response.body(), Catch::Contains("at most 500 ms"));
  }
}

TEST_CASE("A full decision queue answers 503 at once", "[server][e2e][hostile][decisions]") {
  Pki pki;
  Gate gate;
  auto options = test_options(pki.server);
  options.decision_threads = 1;
  options.decision_queue = 1;
  InProcessServer srv(options, gate.handler());
  OpenOnExit opener{gate};
  TlsClient running(srv.port(), pki.client()), queued(srv.port(), pki.client()), refused(srv.port(), pki.client());
  REQUIRE_FALSE(running.connect());
  REQUIRE_FALSE(queued.connect());
  REQUIRE_FALSE(refused.connect());
  REQUIRE_FALSE(running.write_raw(head("/validate", "Content-Length: 2\r\n") + "{}"));
  REQUIRE(gate.wait_entered(1));
  REQUIRE_FALSE(queued.write_raw(head("/validate", "Content-Length: 2\r\n") + "{}"));
  for (int i = 0; i < 1000 && srv.server().queued_decisions() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(srv.server().queued_decisions() == 1);
  Reply r = refused.request(http::verb::post, "/validate", "{}");
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 503);
  CHECK(is_json_error(r));
  CHECK_THAT(r.response.body(), Catch::Contains("reviews are already waiting"));
  check_alive(srv.port(), pki.client());
  gate.open();
  CHECK(running.read_reply().status() == 200);
  CHECK(queued.read_reply().status() == 200);
}

TEST_CASE("Request bodies in flight are bounded by a global budget", "[server][e2e][hostile][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.body_budget = 100 * 1024;
  InProcessServer srv(options, [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient holder(srv.port(), pki.client()), late(srv.port(), pki.client());
  REQUIRE_FALSE(holder.connect());
  REQUIRE_FALSE(late.connect());
  // The holder announces 80 KiB and sends only part of it.
  REQUIRE_FALSE(holder.write_raw(head("/validate", "Content-Length: 81920\r\n") + "{"));
  for (int i = 0; i < 500 && srv.server().metrics().inflight() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  SECTION("by Content-Length") {
    REQUIRE_FALSE(late.write_raw(head("/validate", "Content-Length: 40960\r\n")));
    Reply r = late.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 503);
    CHECK(is_json_error(r));
    CHECK_THAT(r.response.body(), Catch::Contains("request bodies in flight (102400 bytes)"));
  }
  SECTION("chunk by chunk") {
    REQUIRE_FALSE(late.write_raw(head("/validate", "Transfer-Encoding: chunked\r\n") + "8000\r\n"));
    Reply r = late.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 503);
  }
  CHECK(srv.server().metrics().refused().value({{"reason", "body_budget"}}) == 1);
  // Small requests without a body still get through, and the holder's share comes back when it is done.
  check_alive(srv.port(), pki.client());
  REQUIRE_FALSE(holder.write_raw("\"a\":\"" + std::string(81920 - 8, 'x') + "\"}"));
  CHECK(holder.read_reply().status() == 200);
  TlsClient after(srv.port(), pki.client());
  REQUIRE_FALSE(after.connect());
  CHECK(after.request(http::verb::post, "/validate", "{\"a\":\"" + std::string(60000, 'x') + "\"}").status() == 200);
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 2\r\nExpect: 100-continue\r\n")));
  Reply interim = client.read_reply();
  REQUIRE_FALSE(interim.ec);
  CHECK(interim.status() == 100);
  REQUIRE_FALSE(client.write_raw("{}"));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
}

TEST_CASE("The 100 Continue is written whole: one TLS record carries it", "[server][e2e][hostile]") {
  // A client whose read is interrupted between records, or that takes a record for a response,
  // must not see part of a status line: Beast's serializer wrote "HTTP/1.1 100 ", "Continue" and
  // the line ends as records of their own, and the fuzzed session's client failed between them.
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 2\r\nExpect: 100-continue\r\n")));
  CHECK(client.read_record() == "HTTP/1.1 100 Continue\r\n\r\n");
  REQUIRE_FALSE(client.write_raw("{}"));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
}

TEST_CASE("An expectation other than 100-continue is answered 417 and the body never read", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 2\r\nExpect: 200-ok\r\n")));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 417);
  CHECK(is_json_error(r));
  CHECK_THAT(r.response.body(), Catch::Contains("the only expectation supported is 100-continue"));
  check_alive(srv.port(), pki.client());
}

TEST_CASE("A request that is not HTTP is answered 400 naming the parse error", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw("POST /validate HTTP/1.1\r\nHost: localhost\r\nno colon in this field\r\n\r\n"));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 400);
  CHECK(is_json_error(r));
  CHECK_THAT(r.response.body(), Catch::Contains("malformed HTTP request: "));
  CHECK_FALSE(r.response.keep_alive());
  check_alive(srv.port(), pki.client());
}

TEST_CASE("At the connection cap the longest-idle connection makes room", "[server][e2e][hostile][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.max_connections = 2;
  InProcessServer srv(options, [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient a(srv.port(), pki.client()), b(srv.port(), pki.client());
  REQUIRE_FALSE(a.connect());
  REQUIRE(a.request(http::verb::get, "/healthz", "", "").status() == 200);
  REQUIRE_FALSE(b.connect());
  REQUIRE(b.request(http::verb::get, "/healthz", "", "").status() == 200);

  TlsClient c(srv.port(), pki.client());
  REQUIRE_FALSE(c.connect());
  CHECK(c.request(http::verb::get, "/healthz", "", "").status() == 200);
  CHECK(a.wait_for_close());  // idle the longest
  CHECK(b.request(http::verb::get, "/healthz", "", "").status() == 200);
  CHECK(srv.server().metrics().connections_evicted() == 1);
}

TEST_CASE("A client that does not speak TLS is refused at the handshake, counted and logged", "[server][e2e][hostile][tls]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) { return allowed(); });
  RawClient plain(srv.port());
  REQUIRE_FALSE(plain.connect());
  REQUIRE_FALSE(plain.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  CHECK(plain.wait_for_close());
  check_alive(srv.port(), pki.client());
  CHECK_THAT(srv.server().metrics().render(), Catch::Contains("memguard_tls_handshake_failures_total 1\n"));
  srv.stop();
  CHECK_THAT(srv.error_output(), Catch::Contains(R"("msg":"connection error","op":"tls handshake")"));
}

TEST_CASE("A connection that never starts its TLS handshake is the first to make room at the cap, uncounted as a failure",
          "[server][e2e][hostile][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.max_connections = 1;
  InProcessServer srv(options, [](admission::Mode, std::string_view) { return allowed(); });
  RawClient silent(srv.port());
  REQUIRE_FALSE(silent.connect());
  for (int i = 0; i < 1000 && srv.server().metrics().render().find("memguard_connections_active 1\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  CHECK(client.request(http::verb::get, "/healthz", "", "").status() == 200);
  CHECK(silent.wait_for_close());
  CHECK(srv.server().metrics().connections_evicted() == 1);
  CHECK_THAT(srv.server().metrics().render(), Catch::Contains("memguard_tls_handshake_failures_total 0\n"));
}

TEST_CASE("Pipelined reviews over TLS are answered in order on one connection", "[server][e2e][hostile]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), [](admission::Mode mode, std::string_view body) {
    auto o = allowed();
    o.body = std::string(mode == admission::Mode::kMutate ? "mutate " : "validate ") + std::string(body);
    return o;
  });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 3\r\n") + "\"a\"" +
                                 head("/mutate", "Content-Length: 3\r\n") + "\"b\"" +
                                 "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  Reply a = client.read_reply(), b = client.read_reply(), probe = client.read_reply();
  REQUIRE_FALSE(a.ec);
  REQUIRE_FALSE(b.ec);
  REQUIRE_FALSE(probe.ec);
  CHECK(a.response.body() == "validate \"a\"");
  CHECK(b.response.body() == "mutate \"b\"");
  CHECK(probe.response.body() == "ok\n");
  CHECK(probe.response.keep_alive());
}

TEST_CASE("A review sent with Connection: close is answered, then the TLS connection closed", "[server][e2e][hostile]") {
  Pki pki;
  Gate gate;
  auto options = test_options(pki.server);
  int expected = 0;
  SECTION("decided in time") {
    gate.open();
    expected = 200;
  }
  SECTION("answered at its deadline") { expected = 503; }
  InProcessServer srv(options, gate.handler());
  OpenOnExit opener{gate};
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate?timeout=1s", "Content-Length: 2\r\nConnection: close\r\n") + "{}"));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == expected);
  CHECK_FALSE(r.response.keep_alive());
  CHECK(client.wait_for_close());
}

TEST_CASE("An empty review with Expect: 100-continue gets its answer without a 100", "[server][e2e][hostile]") {
  Pki pki;
  std::atomic<int> empty_bodies{0};
  InProcessServer srv(test_options(pki.server), [&](admission::Mode, std::string_view body) {
    if (body.empty()) ++empty_bodies;
    return allowed();
  });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 0\r\nExpect: 100-continue\r\n")));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
  CHECK(empty_bodies == 1);
}

TEST_CASE("Content-Length that is ambiguous or conflicts with chunked is answered 400 (request smuggling)",
          "[server][e2e][hostile]") {
  Pki pki;
  std::atomic<int> decided{0};
  InProcessServer srv(test_options(pki.server), [&](admission::Mode, std::string_view) {
    ++decided;
    return allowed();
  });
  for (const std::string fields :
       {"Content-Length: 2\r\nContent-Length: 20\r\n", "Content-Length: 2, 20\r\n", "Content-Length: -2\r\n",
        "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"}) {
    CAPTURE(fields);
    CHECK(status_on_new_connection(srv.port(), pki.client(), head("/validate", fields) + "{}") == 400);
  }
  // The same value twice is one length (RFC 9110 8.6).
  CHECK(status_on_new_connection(srv.port(), pki.client(),
                                 head("/validate", "Content-Length: 2\r\nContent-Length: 2\r\n") + "{}") == 200);
  CHECK(decided == 1);
}

TEST_CASE("A header limit below the first read's size still refuses larger headers with 431", "[server][e2e][hostile][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.header_limit = 1024;
  InProcessServer srv(options, [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE(client.request(http::verb::get, "/healthz", "", "").status() == 200);
  REQUIRE_FALSE(client.write_raw(head("/validate", "X-Padding: " + std::string(2000, 'p') + "\r\nContent-Length: 2\r\n") + "{}"));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 431);
  CHECK_THAT(r.response.body(), Catch::Contains("exceed the limit of 1024 bytes"));
}

TEST_CASE("A client that stops in the middle of its body is disconnected at the read timeout", "[server][e2e][hostile][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.read_timeout = std::chrono::milliseconds(300);
  InProcessServer srv(options, [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 100\r\n") + "{\"a\":"));
  CHECK(client.wait_for_close());
  CHECK(srv.server().metrics().responses().value({{"code", "200"}}) == 0);
  check_alive(srv.port(), pki.client());
}

TEST_CASE("An idle TLS keep-alive connection is closed at the idle timeout", "[server][e2e][hostile][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.idle_timeout = std::chrono::milliseconds(200);
  InProcessServer srv(options, [](admission::Mode, std::string_view) { return allowed(); });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE(client.request(http::verb::get, "/healthz", "", "").status() == 200);
  CHECK(client.wait_for_close());
  srv.stop();
  CHECK_THAT(srv.error_output(), !Catch::Contains("connection error"));  // a normal end, not logged
}

TEST_CASE("A review answered at its deadline while still queued is never decided", "[server][e2e][hostile][decisions]") {
  Pki pki;
  Gate gate;
  std::atomic<int> decided{0};
  auto inner = gate.handler();
  auto options = test_options(pki.server);
  options.decision_threads = 1;
  InProcessServer srv(options, [&](admission::Mode m, std::string_view b) {
    ++decided;
    return inner(m, b);
  });
  OpenOnExit opener{gate};
  TlsClient running(srv.port(), pki.client()), queued(srv.port(), pki.client());
  REQUIRE_FALSE(running.connect());
  REQUIRE_FALSE(queued.connect());
  REQUIRE_FALSE(running.write_raw(head("/validate", "Content-Length: 2\r\n") + "{}"));
  REQUIRE(gate.wait_entered(1));
  Reply late = queued.request(http::verb::post, "/validate?timeout=1s", "{}");
  REQUIRE_FALSE(late.ec);
  CHECK(late.status() == 503);
  gate.open();
  CHECK(running.read_reply().status() == 200);
  // The queue has moved past the abandoned review: a new one is decided, and it was never run.
  CHECK(queued.request(http::verb::post, "/validate", "{}").status() == 200);
  CHECK(decided == 2);
}

TEST_CASE("A client that resets its connection while its review is decided costs the server nothing", "[server][e2e][hostile][decisions]") {
  Pki pki;
  Gate gate;
  InProcessServer srv(test_options(pki.server), gate.handler());
  OpenOnExit opener{gate};
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(head("/validate", "Content-Length: 2\r\n") + "{}"));
  REQUIRE(gate.wait_entered(1));
  client.reset();
  gate.open();  // the answer now has no one to go to
  for (int i = 0; i < 1000 && srv.server().metrics().render().find("memguard_connections_active 0\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(srv.server().metrics().inflight() == 0);
  CHECK_THAT(srv.server().metrics().render(), Catch::Contains("memguard_connections_active 0\n"));
  CHECK_THAT(srv.server().metrics().render(), Catch::Contains("memguard_body_bytes_in_flight 0\n"));
  check_alive(srv.port(), pki.client());
  srv.stop();
  CHECK_THAT(srv.error_output(), !Catch::Contains("connection error"));
}
