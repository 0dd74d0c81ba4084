// One client connection: TLS handshake (the webhook) or none (plain HTTP, audit's metrics), then
// HTTP/1.1 keep-alive requests read with size limits and deadlines, each answered through the
// server's route table. Shaped like Beast's async-ssl session; one template over the stream, as
// Beast's flex example, so both transports share every step but the handshake and the close.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <boost/asio/steady_timer.hpp>

#include "webhook/server/body_budget.h"
#include "webhook/server/connection_tracker.h"
#include "webhook/server/decision_pool.h"
#include "webhook/server/request_guard.h"
#include "webhook/server/metrics.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"
#include "webhook/server/structured_log.h"
#include "webhook/server/tls_stream.h"

namespace memguard::server {

// What every session shares; owned by the Server, which outlives all sessions.
struct ServerContext {
  const ServerOptions& options;
  const Router& routes;
  Metrics& metrics;
  Log& log;
  ConnectionTracker& connections;
  const std::atomic<bool>& shutting_down;
  BodyBudget& body_budget;
  DecisionPool& decisions;
};

// One review on its way through the decision pool: owns the body (and its share of the body
// budget) so that the session may answer at the deadline and move on while the decision finishes.
struct DecisionTicket {
  BodyBytes body;
  BodyReservation reservation;
  admission::Mode mode = admission::Mode::kValidate;
  std::string_view webhook;
  std::atomic<bool> abandoned{false};  // the deadline passed: a job not yet started is skipped
};

// Writes the HTTP/1.1 answer `r` (status line, header, body) into `out`, replacing its content.
void format_response(std::string& out, const HttpResponse& r, bool keep_alive);

// What the listener, the connection tracker and shutdown know of a connection, whatever its stream.
class HttpSession {
 public:
  virtual ~HttpSession() = default;
  virtual void run() = 0;
  // The server is shutting down: close now if idle between requests, else after the response.
  // Callable from any thread.
  virtual void notify_shutdown() = 0;
  // The connection cap evicted this connection to make room: close it if it is still idle, else
  // after its current response. Callable from any thread.
  virtual void evict() = 0;
};

// One connection over `Stream`: TlsStream (TlsSession) or boost::beast::tcp_stream (PlainSession). Instantiated for those two in http_session.cpp.
template <class Stream>
class BasicHttpSession : public HttpSession, public std::enable_shared_from_this<BasicHttpSession<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, boost::beast::tcp_stream>;
  // `tls` (null for plain HTTP) is the context current at accept time; the session keeps it alive
  // for its lifetime, so a certificate reload never affects an established connection.
  BasicHttpSession(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<boost::asio::ssl::context> tls,
                   ServerContext& server);
  ~BasicHttpSession() override;
  BasicHttpSession(const BasicHttpSession&) = delete;
  BasicHttpSession& operator=(const BasicHttpSession&) = delete;

  void run() override;
  void notify_shutdown() override;
  void evict() override;

 private:
  enum class Phase { kHandshake, kIdle, kRequest, kClosing };

  void on_run();
  void on_handshake(boost::beast::error_code ec);
  void do_wait_for_request();
  void on_first_bytes(boost::beast::error_code ec, std::size_t bytes);
  void do_read();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void do_read_body();
  void on_continue_sent(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  // Answers a read that failed: 413, 431, 400 or 503 for what the client sent, else closes quietly.
  void on_read_error(boost::beast::error_code ec);
  void start_decision(admission::Mode mode, std::string_view webhook, bool keep_alive);
  void on_decided(const std::shared_ptr<DecisionTicket>& ticket, HttpResponse response);
  void on_deadline();
  // What the session's one timer does when the current deadline passes.
  enum class Expiry { kNone, kClose, kDecision };
  // From now on the connection's limit is `limit` from now, and `what` happens when it passes.
  void set_deadline(std::chrono::steady_clock::duration limit, Expiry what);
  void arm_timer();
  void on_timer();
  void on_evict_notice();
  // Answers an exception caught in one of our handlers (500 if nothing was sent yet), counts it.
  void on_exception(const char* what) noexcept;
  void send(HttpResponse response, bool keep_alive, bool drain);
  void on_write(bool keep_alive, bool drain, boost::beast::error_code ec, std::size_t bytes);
  void do_drain();
  void on_drain(boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void on_close(boost::beast::error_code ec);
  void on_shutdown_notice();
  void fail(boost::beast::error_code ec, std::string_view what);
  std::shared_ptr<BasicHttpSession> self() { return this->shared_from_this(); }

  std::shared_ptr<boost::asio::ssl::context> tls_;  // declared before stream_, which refers to it
  Stream stream_;
  ServerContext& server_;
  std::string remote_;
  // Bounded by the header limit: what the parser must hold at once (the request line and headers,
  // one chunk header with its extensions, the trailer) can never grow past it. Body bytes are
  // moved into the body as they arrive.
  boost::beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  RequestGuard guard_;
  std::size_t last_request_bytes_ = 0;  // the size of the first read of the next request
  std::string out_;  // the answer being written: status line, header and body in one buffer
  // One timer for every deadline of the connection (handshake, idle wait, request, decision, write):
  // Beast's tcp_stream timeout started and cancelled a timer wait for every read and write it did,
  // 3 timerfd_settime calls and several handler completions per review. The drain and the TLS
  // close use it too (TlsStream has no timeouts of its own).
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point timer_at_{};  // when the pending wait ends
  Expiry expiry_ = Expiry::kNone;
  bool timer_armed_ = false;
  std::shared_ptr<DecisionTicket> ticket_;  // the review being decided, if any
  bool keep_alive_ = false;                 // for the answer to the review being decided
  bool evicted_ = false;
  bool responding_ = false;                 // a response write is under way
  // Allocated for a drain only: 16 KiB per connection that almost no connection uses.
  std::unique_ptr<std::array<char, 16 * 1024>> drain_buffer_;
  std::size_t drained_ = 0;
  std::optional<std::chrono::steady_clock::time_point> drain_deadline_;
  Phase phase_ = Phase::kHandshake;
  bool in_flight_ = false;
};

using TlsSession = BasicHttpSession<TlsStream>;
using PlainSession = BasicHttpSession<boost::beast::tcp_stream>;
extern template class BasicHttpSession<TlsStream>;
extern template class BasicHttpSession<boost::beast::tcp_stream>;

}  // namespace memguard::server
