// One client connection: TLS handshake, then HTTP/1.1 keep-alive requests read with size limits
// and deadlines, each answered through the route table. Shaped like Beast's async-ssl session.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "webhook/server/connection_tracker.h"
#include "webhook/server/metrics.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"
#include "webhook/server/structured_log.h"

namespace memguard::server {

// What every session shares; owned by the Server, which outlives all sessions.
struct ServerContext {
  const ServerOptions& options;
  const Routes& routes;
  Metrics& metrics;
  Log& log;
  ConnectionTracker& connections;
  const std::atomic<bool>& shutting_down;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `tls` is the context current at accept time; the session keeps it alive for its lifetime,
  // so a certificate reload never affects an established connection.
  HttpSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<boost::asio::ssl::context> tls,
              ServerContext& server);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void run();
  // The server is shutting down: close now if idle between requests, else after the response.
  // Callable from any thread.
  void notify_shutdown();

 private:
  enum class Phase { kHandshake, kIdle, kRequest, kClosing };

  void on_run();
  void on_handshake(boost::beast::error_code ec);
  void do_wait_for_request();
  void on_first_bytes(boost::beast::error_code ec, std::size_t bytes);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void send(HttpResponse response, bool keep_alive, bool drain);
  void on_write(bool keep_alive, bool drain, boost::beast::error_code ec, std::size_t bytes);
  void do_drain();
  void on_drain(boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void on_close(boost::beast::error_code ec);
  void on_shutdown_notice();
  void fail(boost::beast::error_code ec, std::string_view what);

  std::shared_ptr<boost::asio::ssl::context> tls_;  // declared before stream_, which refers to it
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  ServerContext& server_;
  std::string remote_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  std::array<char, 16 * 1024> drain_buffer_{};
  std::size_t drained_ = 0;
  std::optional<std::chrono::steady_clock::time_point> drain_deadline_;
  Phase phase_ = Phase::kHandshake;
  bool in_flight_ = false;
};

}  // namespace memguard::server
