// The server's plain-HTTP mode (audit's /metrics): the webhook's own listener and session without
// TLS, answering only the routes it is given, under the same deadlines and drain.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server_test_support.h"
#include "webhook/server/server.h"

namespace {

using namespace memguard;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Far beyond what any step here needs on loopback (milliseconds): a bug fails, never hangs.
constexpr std::chrono::seconds kStep{10};

server::ServerOptions plain_options(std::chrono::milliseconds read_timeout) {
  server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = 2;
  o.read_timeout = read_timeout;
  o.drain_timeout = std::chrono::seconds(2);
  o.handle_signals = false;
  return o;
}

// A plain-HTTP server in-process with GET /metrics and /healthz, shut down on destruction.
std::unique_ptr<const server::Router> text_routes() {
  std::vector<server::TextRoutes::Entry> routes;
  routes.push_back({"/metrics", std::string(server::kPrometheusContentType), [] { return std::string("up 1\n"); }});
  routes.push_back({"/healthz", "text/plain; charset=utf-8", [] { return std::string("ok\n"); }});
  return std::make_unique<server::TextRoutes>(std::move(routes));
}

class PlainServer {
 public:
  explicit PlainServer(server::ServerOptions options, std::unique_ptr<const server::Router> routes = text_routes())
      : out_(std::tmpfile()), log_(std::make_unique<server::Log>(out_, out_, options.log_level)) {
    auto created = server::Server::create_plain(options, std::move(routes), *log_);
    REQUIRE(created);
    server_ = std::move(*created);
    port_ = server_->local_endpoint().port();
    thread_ = std::thread([this] { result_ = server_->run(); });
  }
  ~PlainServer() {
    stop();
    server_.reset();
    log_.reset();  // writes what it holds before its file closes
    std::fclose(out_);
  }
  unsigned short port() const { return port_; }
  const server::Metrics& metrics() const { return server_->metrics(); }
  std::FILE* log_file() const { return out_; }
  // Like SIGTERM; returns run()'s exit code.
  int stop() {
    if (thread_.joinable()) {
      server_->shutdown();
      thread_.join();
    }
    return result_;
  }

 private:
  std::FILE* out_;
  std::unique_ptr<server::Log> log_;
  std::unique_ptr<server::Server> server_;
  unsigned short port_ = 0;
  std::thread thread_;
  int result_ = -1;
};

tcp::endpoint loopback(unsigned short port) { return {net::ip::make_address("127.0.0.1"), port}; }

struct Reply {
  boost::system::error_code ec;
  http::response<http::string_body> response;
};

// One request on a new connection, every step under a deadline (tcp_stream's expiry applies to
// async operations only, hence the async calls).
Reply request(unsigned short port, http::verb method, const std::string& target) {
  net::io_context io;
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{method, target, 11};
  req.set(http::field::host, "localhost");
  Reply r;
  stream.expires_after(kStep);
  stream.async_connect(loopback(port), [&](boost::system::error_code connect_ec) {
    if ((r.ec = connect_ec)) return;
    http::async_write(stream, req, [&](boost::system::error_code write_ec, std::size_t) {
      if ((r.ec = write_ec)) return;
      http::async_read(stream, buffer, r.response, [&](boost::system::error_code ec, std::size_t) { r.ec = ec; });
    });
  });
  io.run();
  return r;
}

}  // namespace

TEST_CASE("The plain-HTTP server answers only the routes it is given", "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)));
  Reply metrics = request(srv.port(), http::verb::get, "/metrics");
  REQUIRE_FALSE(metrics.ec);
  CHECK(metrics.response.result_int() == 200);
  CHECK(metrics.response.body() == "up 1\n");
  CHECK(metrics.response[http::field::content_type] == server::kPrometheusContentType);

  Reply health = request(srv.port(), http::verb::get, "/healthz?verbose");
  REQUIRE_FALSE(health.ec);
  CHECK(health.response.result_int() == 200);
  CHECK(health.response.body() == "ok\n");

  SECTION("another path: 404 naming the paths there are, never the webhook's routes") {
    for (const char* path : {"/", "/validate", "/readyz", "/metrics/x"}) {
      CAPTURE(path);
      Reply r = request(srv.port(), http::verb::get, path);
      REQUIRE_FALSE(r.ec);
      CHECK(r.response.result_int() == 404);
      CHECK(r.response.body() == R"({"error":"no such path; this server answers GET /metrics, GET /healthz"})");
    }
    Reply post = request(srv.port(), http::verb::post, "/validate");
    REQUIRE_FALSE(post.ec);
    CHECK(post.response.result_int() == 404);
  }
  SECTION("another method: 405 with Allow: GET") {
    Reply r = request(srv.port(), http::verb::post, "/metrics");
    REQUIRE_FALSE(r.ec);
    CHECK(r.response.result_int() == 405);
    CHECK(r.response[http::field::allow] == "GET");
  }
  CHECK(srv.stop() == 0);
}

TEST_CASE("A stalled or trickling client does not hold up another request on the plain-HTTP server",
          "[server][plain]") {
  // A read deadline longer than the bound below: a server that served one connection at a time
  // would answer only after the two below had timed out.
  PlainServer srv(plain_options(std::chrono::seconds(60)));
  net::io_context io;
  tcp::socket silent(io), trickling(io);
  silent.connect(loopback(srv.port()));
  trickling.connect(loopback(srv.port()));
  net::write(trickling, net::buffer(std::string("GET /metrics HTTP/1.1\r\nHost: loc")));
  const auto start = Clock::now();
  Reply r = request(srv.port(), http::verb::get, "/metrics");
  REQUIRE_FALSE(r.ec);
  CHECK(r.response.result_int() == 200);
  CHECK(Clock::now() - start < kStep);
  // Shutdown closes the silent connection at once and waits for the trickling one at most the
  // drain timeout (2 s here).
  const auto stopping = Clock::now();
  CHECK(srv.stop() == 0);
  CHECK(Clock::now() - stopping < std::chrono::seconds(30));
}

TEST_CASE("The plain-HTTP server drops a slowloris client at its read deadline", "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::milliseconds(200)));
  // One byte of a request every 20 ms, never finishing it, until the server closes the connection.
  net::io_context io;
  tcp::socket client(io);
  client.connect(loopback(srv.port()));
  const std::string request_text = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + std::string(4096, 'a');
  std::size_t sent = 0;
  net::steady_timer tick(io);
  std::function<void()> trickle = [&] {
    if (sent >= request_text.size()) return;
    boost::system::error_code ec;
    net::write(client, net::buffer(request_text.data() + sent, 1), ec);
    if (ec) return;
    ++sent;
    tick.expires_after(std::chrono::milliseconds(20));
    tick.async_wait([&](boost::system::error_code wait_ec) {
      if (!wait_ec) trickle();
    });
  };
  // Reads (and ignores) whatever the server sends until it ends the connection.
  std::optional<Clock::duration> closed_after;
  char bytes[512];
  const auto start = Clock::now();
  std::function<void()> read_until_closed = [&] {
    client.async_read_some(net::buffer(bytes), [&](boost::system::error_code ec, std::size_t) {
      if (!ec) return read_until_closed();
      closed_after = Clock::now() - start;  // EOF or reset: the server ended it
      tick.cancel();
      sent = request_text.size();
    });
  };
  read_until_closed();
  trickle();
  io.run_for(kStep);
  REQUIRE(closed_after);
  CHECK(*closed_after < kStep);  // a 200 ms deadline, a 10 s bound
  CHECK(srv.stop() == 0);
}

namespace {

using testing::RawClient;

std::string get(const std::string& target, const std::string& extra = "", const std::string& version = "1.1") {
  return "GET " + target + " HTTP/" + version + "\r\nHost: localhost\r\n" + extra + "\r\n";
}

// Polls `done` for up to 10 s (each step here takes milliseconds).
template <class Predicate>
bool eventually(Predicate done) {
  const auto until = Clock::now() + kStep;
  while (!done()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

TEST_CASE("Pipelined requests on one plain-HTTP connection are answered in order and kept alive", "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)));
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write(get("/metrics") + get("/healthz") + get("/nowhere")));
  auto first = client.read_reply();
  auto second = client.read_reply();
  auto third = client.read_reply();
  REQUIRE_FALSE(first.ec);
  REQUIRE_FALSE(second.ec);
  REQUIRE_FALSE(third.ec);
  CHECK(first.response.body() == "up 1\n");
  CHECK(second.response.body() == "ok\n");
  CHECK(third.status() == 404);
  CHECK(third.response.keep_alive());
  // The connection is still usable once the pipeline has drained.
  REQUIRE_FALSE(client.write(get("/healthz")));
  CHECK(client.read_reply().response.body() == "ok\n");
  CHECK(srv.metrics().responses().value({{"code", "200"}}) == 3);
}

TEST_CASE("Connection: close and HTTP/1.0 end a plain-HTTP connection after its answer", "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)));
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  SECTION("HTTP/1.1 with Connection: close") { REQUIRE_FALSE(client.write(get("/healthz", "Connection: close\r\n"))); }
  SECTION("HTTP/1.0 without keep-alive") { REQUIRE_FALSE(client.write(get("/healthz", "", "1.0"))); }
  auto r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
  CHECK_FALSE(r.response.keep_alive());
  CHECK(client.wait_for_close());
}

TEST_CASE("An HTTP/1.0 client asking for keep-alive keeps its plain-HTTP connection", "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)));
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  for (int i = 0; i < 2; ++i) {
    REQUIRE_FALSE(client.write(get("/healthz", "Connection: keep-alive\r\n", "1.0")));
    auto r = client.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 200);
    CHECK(r.response.keep_alive());
  }
}

TEST_CASE("The plain-HTTP server answers over-limit and malformed requests as the TLS server does", "[server][plain]") {
  auto options = plain_options(std::chrono::seconds(10));
  options.body_limit = 1024;
  PlainServer srv(options);
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  auto [request, status, reason] = GENERATE(table<std::string, int, std::string>({
      {get("/metrics", "X-Padding: " + std::string(17 * 1024, 'a') + "\r\n"), 431, "header_limit"},
      {get("/metrics", "Content-Length: 1025\r\n"), 413, "body_limit"},
      {get("/metrics", "Transfer-Encoding: chunked\r\n") + "401\r\n" + std::string(1025, 'x') + "\r\n0\r\n\r\n", 413,
       "body_limit"},
      {get("/metrics", "Content-Length: 2\r\nExpect: 200-ok\r\n"), 417, "expect"},
      {get("/metrics", "Transfer-Encoding: gzip\r\n"), 400, "transfer_encoding"},
      {get("/metrics", "Content-Length: 2\r\nContent-Length: 3\r\n") + "{}", 400, "malformed"},
      {get("/metrics", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n") + "{}", 400, "malformed"},
      {get("/metrics", "Content-Length: 2x\r\n") + "{}", 400, "malformed"},
      {"GET /metrics HTTP/1.1\r\nHost: localhost\r\nno colon\r\n\r\n", 400, "malformed"},
  }));
  CAPTURE(reason, request.substr(0, 120));
  REQUIRE_FALSE(client.write(request));
  auto r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == status);
  CHECK(r.response[http::field::content_type] == "application/json");
  CHECK(r.response.body().rfind(R"({"error":")", 0) == 0);
  CHECK_FALSE(r.response.keep_alive());
  CHECK(srv.metrics().refused().value({{"reason", reason}}) == 1);
  // The client says it is done; the server, which was draining, closes too.
  client.shutdown_send();
  CHECK(client.wait_for_close());
}

TEST_CASE("The plain-HTTP server answers 100 Continue before a body it waits for, and not for an empty one",
          "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)));
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write(get("/metrics", "Content-Length: 2\r\nExpect: 100-Continue \r\n")));
  auto interim = client.read_reply();
  REQUIRE_FALSE(interim.ec);
  CHECK(interim.status() == 100);
  REQUIRE_FALSE(client.write("{}"));
  auto r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
  CHECK(r.response.keep_alive());
  // Nothing to wait for: the answer comes at once.
  REQUIRE_FALSE(client.write(get("/healthz", "Content-Length: 0\r\nExpect: 100-continue\r\n")));
  auto direct = client.read_reply();
  REQUIRE_FALSE(direct.ec);
  CHECK(direct.status() == 200);
  CHECK(direct.response.body() == "ok\n");
}

TEST_CASE("After an early answer the plain-HTTP server discards what still comes, within bounds", "[server][plain]") {
  // The read timeout also bounds the whole discarding; long here but where it is what is tested.
  auto options = plain_options(kStep);
  options.body_limit = 1024;
  // Writes until the server has closed the connection (true), or for at most `limit`.
  auto write_until_closed = [](RawClient& client, const std::string& bytes, std::chrono::milliseconds pause) {
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(5)) {
      const auto ec = client.write(bytes);
      if (ec) return ec != beast::error::timeout;
      std::this_thread::sleep_for(pause);
    }
    return false;
  };
  auto early_answer = [](RawClient& client) {
    REQUIRE_FALSE(client.connect());
    // Announced far over the limit: answered 413 on the header alone, while the body is coming.
    REQUIRE_FALSE(client.write(get("/metrics", "Content-Length: 1000000\r\n") + std::string(512, 'x')));
    auto r = client.read_reply();
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 413);
  };

  SECTION("a client that goes on sending is cut off once it has sent another body's worth") {
    PlainServer srv(options);
    RawClient client(srv.port());
    early_answer(client);
    // Never quiet and well within the read timeout: only the amount it sent can end it.
    CHECK(write_until_closed(client, std::string(512, 'x'), std::chrono::milliseconds(10)));
  }
  SECTION("a client that trickles is cut off at the read timeout") {
    options.read_timeout = std::chrono::milliseconds(300);
    PlainServer srv(options);
    RawClient client(srv.port());
    early_answer(client);
    // A byte every 50 ms: never quiet, and another body's worth only after 50 s.
    CHECK(write_until_closed(client, "x", std::chrono::milliseconds(50)));
  }
  SECTION("a client that goes quiet is closed after a short linger") {
    PlainServer srv(options);
    RawClient client(srv.port());
    early_answer(client);
    CHECK(client.wait_for_close());
  }
}

TEST_CASE("An idle plain-HTTP keep-alive connection is closed at the idle timeout", "[server][plain][limits]") {
  auto options = plain_options(std::chrono::seconds(10));
  options.idle_timeout = std::chrono::milliseconds(200);
  PlainServer srv(options);
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write(get("/healthz")));
  REQUIRE(client.read_reply().status() == 200);
  const auto start = Clock::now();
  CHECK(client.wait_for_close());
  CHECK(Clock::now() - start >= std::chrono::milliseconds(150));
}

TEST_CASE("At its connection cap the plain-HTTP server closes the connection idle the longest", "[server][plain][limits]") {
  auto options = plain_options(std::chrono::seconds(10));
  options.max_connections = 1;
  PlainServer srv(options);
  RawClient first(srv.port()), second(srv.port());
  REQUIRE_FALSE(first.connect());
  REQUIRE_FALSE(first.write(get("/healthz")));
  REQUIRE(first.read_reply().status() == 200);
  // Idle once the server has finished writing its answer, which can be just after the client read it.
  REQUIRE(eventually([&] { return srv.metrics().inflight() == 0; }));
  REQUIRE_FALSE(second.connect());
  REQUIRE_FALSE(second.write(get("/healthz")));
  CHECK(second.read_reply().status() == 200);
  CHECK(first.wait_for_close());
  CHECK(srv.metrics().connections_evicted() == 1);
}

namespace {
// A route table that sends every request to a decision, which the plain-HTTP server never makes.
class DecidingRoutes : public server::Router {
 public:
  server::Dispatch route(const server::HttpRequest&) const override { return {}; }
  server::HttpResponse admit(admission::Mode, std::string_view, admission::ReviewBody) const override {
    return {200, "application/json", "{}", ""};
  }
};
}  // namespace

TEST_CASE("A plain-HTTP route table that asks for a decision is answered 503 at once, never left waiting",
          "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)), std::make_unique<DecidingRoutes>());
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  // With the API server's ?timeout=, which would set the decision's deadline.
  REQUIRE_FALSE(client.write("POST /validate?timeout=20s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}"));
  auto r = client.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 503);
  CHECK(r.response.keep_alive());
  CHECK(srv.metrics().refused().value({{"reason", "decision_queue_full"}}) == 1);
  REQUIRE_FALSE(client.write(get("/healthz")));
  CHECK(client.read_reply().status() == 503);
}

TEST_CASE("A client that resets its connection in the middle of a request is dropped quietly", "[server][plain]") {
  PlainServer srv(plain_options(std::chrono::seconds(10)));
  RawClient client(srv.port());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write("GET /metrics HTTP/1.1\r\nHost: loc"));
  REQUIRE(eventually([&] { return srv.metrics().inflight() == 1; }));
  client.reset();
  // Nothing to answer and nothing to log: the request is simply gone.
  CHECK(eventually([&] { return srv.metrics().inflight() == 0; }));
  CHECK(eventually([&] { return srv.metrics().render().find("memguard_connections_active 0\n") != std::string::npos; }));
  CHECK(request(srv.port(), http::verb::get, "/healthz").response.result_int() == 200);
  CHECK(srv.metrics().responses().value({{"code", "400"}}) == 0);
  CHECK_THAT(testing::written_to(srv.log_file()), !Catch::Contains("connection error"));
}
