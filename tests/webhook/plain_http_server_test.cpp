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
class PlainServer {
 public:
  explicit PlainServer(server::ServerOptions options)
      : out_(std::tmpfile()), log_(std::make_unique<server::Log>(out_, out_, options.log_level)) {
    std::vector<server::TextRoutes::Entry> routes;
    routes.push_back({"/metrics", std::string(server::kPrometheusContentType), [] { return std::string("up 1\n"); }});
    routes.push_back({"/healthz", "text/plain; charset=utf-8", [] { return std::string("ok\n"); }});
    auto created = server::Server::create_plain(options, std::make_unique<server::TextRoutes>(std::move(routes)), *log_);
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
