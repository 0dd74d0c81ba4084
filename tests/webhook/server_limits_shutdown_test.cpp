// The server's documented limits and shutdown (README: Limits, Shutdown), each checked by what a
// client sees: 431 for big headers, the 3 MiB default body limit, /readyz failing during the drain,
// the drain limit, and a second signal exiting at once.
#include <catch2/catch.hpp>

#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "server_test_support.h"
#include "webhook/cli/serve_command.h"

namespace {

using namespace memguard;
using namespace memguard::testing;
namespace http = boost::beast::http;

server::AdmissionHandler real_engine() {
  auto admission = cli::make_admission_handler(server::ServerOptions{});
  REQUIRE(admission);
  return admission->handler;
}

struct Pki {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair server = make_leaf(dir.path(), "server", ca);
  ClientOptions client() const { return ClientOptions{ca.cert, std::nullopt, 0, 0, false}; }
};

// Polls `done` until it holds; 30 s is far beyond what any step here needs.
template <class Predicate>
bool eventually(Predicate done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string post_head(std::size_t content_length) {
  return "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(content_length) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("Request headers over 16 KiB are answered 431, smaller ones are served", "[server][e2e][limits]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), real_engine());
  const std::string review = sample_review();
  auto with_header = [&](std::size_t bytes) {
    TlsClient client(srv.port(), pki.client());
    REQUIRE_FALSE(client.connect());
    std::string head = post_head(review.size());
    head.insert(head.find("\r\n") + 2, "X-Padding: " + std::string(bytes, 'a') + "\r\n");
    REQUIRE_FALSE(client.write_raw(head + review));
    return client.read_reply();
  };
  Reply big = with_header(17 * 1024);
  REQUIRE_FALSE(big.ec);
  CHECK(big.status() == 431);
  CHECK_THAT(big.response.body(), Catch::Contains("request headers, a chunk header or the trailer exceed the limit of 16384 bytes"));
  CHECK_FALSE(big.response.keep_alive());
  Reply fits = with_header(15 * 1024);
  REQUIRE_FALSE(fits.ec);
  CHECK(fits.status() == 200);
  CHECK(srv.server().metrics().responses().value({{"code", "431"}}) == 1);
}

TEST_CASE("By default a body of exactly 3 MiB is read and one byte more is refused with 413",
          "[server][e2e][limits]") {
  Pki pki;
  server::ServerOptions options = test_options(pki.server);
  REQUIRE(options.body_limit == server::ServerOptions{}.body_limit);  // the default, as `serve` uses it
  InProcessServer srv(options, real_engine());
  constexpr std::size_t kLimit = 3u * 1024 * 1024;  // kube-apiserver's request limit (README: Limits)
  // The review padded with JSON whitespace to the limit: still one valid AdmissionReview.
  std::string review = sample_review();
  review.append(kLimit - review.size(), ' ');
  {
    TlsClient client(srv.port(), pki.client());
    REQUIRE_FALSE(client.connect());
    REQUIRE_FALSE(client.write_raw(post_head(review.size()) + review));
    Reply r = client.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 200);
    CHECK_THAT(r.response.body(), Catch::Contains(R"("uid":"3b1f7c2e-9a64-4d0b-8f2a-61c0f5d2a9e1")"));
  }
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw(post_head(kLimit + 1)));  // refused on the Content-Length alone
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 413);
}

TEST_CASE("During the shutdown drain /readyz answers 503 to a request that had started", "[server][e2e][shutdown]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), real_engine());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE(client.request(http::verb::get, "/readyz", "", "").status() == 200);
  // The first request leaves the gauge only when the server's write handler runs, which can be just
  // after the client has read the reply; wait for it, or the next wait could see its stale count.
  REQUIRE(eventually([&] { return srv.server().metrics().inflight() == 0; }));
  // Its first bytes have arrived, so the drain lets it finish (README: Shutdown, step 3).
  REQUIRE_FALSE(client.write_raw("GET /readyz HTTP/1.1\r\nHost: localhost\r\n"));
  REQUIRE(eventually([&] { return srv.server().metrics().inflight() == 1; }));
  srv.server().shutdown();
  REQUIRE(eventually([&] { return !srv.server().ready(); }));
  REQUIRE_FALSE(client.write_raw("\r\n"));
  Reply r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 503);
  CHECK_THAT(r.response.body(), Catch::Contains("shutting down"));
  CHECK_FALSE(r.response.keep_alive());
  CHECK(srv.stop() == 0);
}

TEST_CASE("The drain ends at its limit even if a request never completes", "[server][e2e][shutdown]") {
  // The limit is 25 s by default (README: Limits); injected short here, with a read timeout far
  // beyond it, so that only the drain limit can end the wait.
  CHECK(server::ServerOptions{}.drain_timeout == std::chrono::seconds(25));
  Pki pki;
  server::ServerOptions options = test_options(pki.server);
  options.drain_timeout = std::chrono::milliseconds(300);
  options.read_timeout = std::chrono::seconds(20);
  InProcessServer srv(options, real_engine());
  TlsClient stalled(srv.port(), pki.client());
  REQUIRE_FALSE(stalled.connect());
  const std::string review = sample_review();
  REQUIRE_FALSE(stalled.write_raw(post_head(review.size()) + review.substr(0, 100)));
  REQUIRE(eventually([&] { return srv.server().metrics().inflight() == 1; }));

  const auto start = std::chrono::steady_clock::now();
  CHECK(srv.stop() == 0);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::milliseconds(300));
  CHECK(took < std::chrono::seconds(15));  // the drain limit ended it, not the read timeout (20 s)
  CHECK_THAT(srv.error_output() + srv.log_output(), Catch::Contains("drain timeout: dropping the remaining connections"));
}

TEST_CASE("A second SIGTERM during the drain exits at once", "[cli][serve][shutdown]") {
  Pki pki;
  ChildProcess proc({"serve", "--listen", "127.0.0.1:0", "--tls-cert", pki.server.cert.string(), "--tls-key",
                     pki.server.key.string()});
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);
  // A request that has started and never completes keeps the drain waiting (up to 10 s for the
  // rest of the request, 25 s in all).
  TlsClient stalled(port, pki.client());
  REQUIRE_FALSE(stalled.connect());
  const std::string review = sample_review();
  REQUIRE_FALSE(stalled.write_raw(post_head(review.size()) + review.substr(0, 100)));
  REQUIRE(eventually([&] {
    TlsClient scrape(port, pki.client());
    if (scrape.connect()) return false;
    return scrape.request(http::verb::get, "/metrics", "", "").response.body().find("memguard_inflight_requests 2\n") !=
           std::string::npos;
  }));

  proc.signal(SIGTERM);
  REQUIRE(proc.wait_for_line("shutting down", std::chrono::seconds(10)));
  proc.signal(SIGHUP);  // neither a reload nor a reason to stop while draining
  CHECK_FALSE(proc.wait(std::chrono::seconds(1)));  // still draining
  proc.signal(SIGTERM);
  const auto start = std::chrono::steady_clock::now();
  CHECK(proc.wait(std::chrono::seconds(5)).has_value());  // well before the 10 s read timeout
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_THAT(proc.stdout_text(), Catch::Contains("second signal: exiting without waiting for in-flight requests"));
  CHECK_THAT(proc.stdout_text(), !Catch::Contains("reloading on request"));
}

TEST_CASE("The idle keep-alive default outlasts Go's 90 s idle timeout", "[server][limits]") {
  // Not waited for (it is minutes); a shorter default would let the server close a pooled
  // connection that kube-apiserver is about to reuse for a POST, which Go does not retry.
  CHECK(server::ServerOptions{}.idle_timeout > std::chrono::seconds(90));
}

TEST_CASE("Out of file descriptors the server pauses accepting, says why, and serves again once some are free",
          "[cli][serve][limits]") {
  Pki pki;
  // A few dozen descriptors: enough to start (threads, timers, signals, the listener) and then
  // some connections, far below the connection cap (512), so that accept() itself fails (EMFILE).
  ChildProcess proc({"serve", "--listen", "127.0.0.1:0", "--threads", "2", "--tls-cert", pki.server.cert.string(),
                     "--tls-key", pki.server.key.string()},
                    64);
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  const unsigned short port = port_from_line(*ready);

  // Connections that never start their handshake each hold a descriptor in the server; the kernel
  // completes more of them in the listen backlog than the server can accept.
  std::vector<std::unique_ptr<RawClient>> held;
  std::string errors;
  for (int i = 0; i < 200 && errors.find("accept failed") == std::string::npos; ++i) {
    held.push_back(std::make_unique<RawClient>(port));
    REQUIRE_FALSE(held.back()->connect());
    errors += proc.stderr_text();
  }
  REQUIRE(eventually([&] {
    errors += proc.stderr_text();
    return errors.find("accept failed") != std::string::npos;
  }));
  CHECK_THAT(errors, Catch::Contains("Too many open files"));

  // Once the held connections are gone, the server accepts and serves again.
  held.clear();
  CHECK(eventually([&] {
    TlsClient client(port, pki.client());
    return !client.connect() && client.request(http::verb::get, "/healthz", "", "").status() == 200;
  }));
  proc.signal(SIGTERM);
  CHECK(proc.wait(std::chrono::seconds(20)) == 0);
}
