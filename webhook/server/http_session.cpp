// One connection, TLS or plain, serving HTTP/1.1 keep-alive requests (Beast async-ssl structure).
#include "webhook/server/http_session.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>

namespace memguard::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;

namespace {

// The first read of a request only has to show that one has started.
constexpr std::size_t kFirstReadBytes = 4096;
// A graceful TLS close waits for the peer's close_notify at most this long.
constexpr std::chrono::seconds kCloseTimeout{5};
// After an early answer (413, 431, 400) the rest of the request is read and discarded until the
// client has been quiet this long (nginx's lingering close), so that closing does not reset the
// connection before the client has read the answer. The whole drain is bounded by read_timeout.
constexpr std::chrono::seconds kLingerQuiet{1};

// The interim answer to Expect: 100-continue, whole.
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// A response buffer up to this size is kept for the connection's next answer.
constexpr std::size_t kKeptResponseBytes = 64 * 1024;

// Longest request-derived text (a parser message, a target) that goes into a log line or an answer.
constexpr std::size_t kEchoBytes = 256;

// Errors that are how connections normally end, not worth a log line.
bool is_normal_end(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == net::error::eof || ec == http::error::end_of_stream ||
         ec == ssl::error::stream_truncated || ec == beast::error::timeout || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::not_connected || ec == net::error::bad_descriptor;
}

}  // namespace

void format_response(std::string& out, const HttpResponse& r, bool keep_alive) {
  // What Beast's serializer wrote for response<string_body> with these fields set in this order,
  // keep_alive() and prepare_payload(): the status line with Beast's reason phrase, Server,
  // Content-Type, Allow (405 only), "Connection: close" when not keeping the connection alive
  // (HTTP/1.1 keeps it by default), Content-Length, then the body. Every field value is the
  // server's own text, never request content.
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  char status[16];
  const auto status_end = std::to_chars(status, status + sizeof status, r.status).ptr;
  char length[24];
  const auto length_end = std::to_chars(length, length + sizeof length, r.body.size()).ptr;
  out.clear();
  out.reserve(128 + r.content_type.size() + r.allow.size() + r.body.size());
  out.append("HTTP/1.1 ").append(status, status_end).append(" ").append(reason.data(), reason.size());
  out.append("\r\nServer: flink-memguard\r\nContent-Type: ").append(r.content_type);
  if (!r.allow.empty()) out.append("\r\nAllow: ").append(r.allow);
  if (!keep_alive) out.append("\r\nConnection: close");
  out.append("\r\nContent-Length: ").append(length, length_end).append("\r\n\r\n");
  out.append(r.body);
}

namespace {
// The connection's stream: TLS over the socket with the session's context, or the socket alone.
template <class Stream>
Stream open_stream(net::ip::tcp::socket&& socket, ssl::context* tls) {
  if constexpr (BasicHttpSession<Stream>::kTls) {
    return Stream(std::move(socket), *tls);
  } else {
    return Stream(std::move(socket));
  }
}
}  // namespace

template <class Stream>
BasicHttpSession<Stream>::BasicHttpSession(net::ip::tcp::socket&& socket, std::shared_ptr<ssl::context> tls,
                                           ServerContext& server)
    : tls_(std::move(tls)),
      stream_(open_stream<Stream>(std::move(socket), tls_.get())),
      server_(server),
      buffer_(read_buffer_limit(server.options)),
      guard_(server.options, server.body_budget, server.metrics),
      timer_(stream_.get_executor()) {
  beast::error_code ec;
  const auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  server_.metrics.add_connections(1);
}

template <class Stream>
BasicHttpSession<Stream>::~BasicHttpSession() {
  if (in_flight_) server_.metrics.add_inflight(-1);
  server_.metrics.add_connections(-1);
  server_.connections.remove(this);
}

template <class Stream>
void BasicHttpSession<Stream>::run() {
  // Continue on the connection's io_context (one thread), which the acceptor gave the socket.
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&BasicHttpSession::on_run, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::notify_shutdown() {
  net::post(stream_.get_executor(), beast::bind_front_handler(&BasicHttpSession::on_shutdown_notice, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::evict() {
  net::post(stream_.get_executor(), beast::bind_front_handler(&BasicHttpSession::on_evict_notice, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::on_shutdown_notice() {
  // Only a connection waiting for its next request is interrupted; one in the middle of a request
  // finishes it and closes after the response (keep-alive is off once shutting_down is set).
  if (phase_ == Phase::kIdle) beast::get_lowest_layer(stream_).cancel();
}

template <class Stream>
void BasicHttpSession<Stream>::on_evict_notice() {
  evicted_ = true;
  // Idle or still shaking hands: close now. Busy: the answer goes out with Connection: close.
  if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) beast::get_lowest_layer(stream_).cancel();
}

template <class Stream>
void BasicHttpSession<Stream>::set_deadline(std::chrono::steady_clock::duration limit, Expiry what) {
  deadline_ = std::chrono::steady_clock::now() + limit;
  expiry_ = what;
  // A wait already pending that ends no later than the new deadline stays: when it ends it sees
  // the later deadline and waits again (on_timer). Moving a deadline later (the next request, the
  // decision, the write, the idle wait after a request) is the common case and costs nothing.
  if (timer_armed_ && timer_at_ <= deadline_) return;
  arm_timer();
}

template <class Stream>
void BasicHttpSession<Stream>::arm_timer() {
  timer_at_ = deadline_;
  timer_armed_ = true;
  timer_.expires_at(timer_at_);  // cancels a pending wait, whose handler then does nothing
  // A weak reference: the timer alone never keeps a finished connection alive.
  timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
    if (ec) return;  // cancelled: re-armed, or the session is being destroyed
    if (const auto session = weak.lock()) session->on_timer();
  });
}

template <class Stream>
void BasicHttpSession<Stream>::on_timer() {
  timer_armed_ = false;
  if (expiry_ == Expiry::kNone) return;
  if (std::chrono::steady_clock::now() < deadline_) return arm_timer();  // the deadline moved later
  const Expiry what = std::exchange(expiry_, Expiry::kNone);
  if (what == Expiry::kDecision) return on_deadline();
  // A handshake, request, idle wait or write past its limit: closing the socket ends the
  // operation under way (operation_aborted), as Beast's tcp_stream timeout did.
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Stream>
void BasicHttpSession<Stream>::on_run() {
  if constexpr (kTls) {
    set_deadline(server_.options.read_timeout, Expiry::kClose);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&BasicHttpSession::on_handshake, self()));
  } else {
    do_wait_for_request();
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    if (!evicted_) server_.metrics.record_tls_handshake_failure();
    return fail(ec, "tls handshake");
  }
  do_wait_for_request();
}

template <class Stream>
void BasicHttpSession<Stream>::do_wait_for_request() {
  phase_ = Phase::kIdle;
  if (server_.shutting_down.load() || evicted_) return do_close();
  if (buffer_.size() > 0) return do_read();  // the client already sent the next request (pipelining)
  server_.connections.set_idle(this, true);
  // Idle keep-alive: wait for the first bytes of the next request. This wait is the only one a
  // shutdown or an eviction cancels, so that requests which have started are never cut off.
  set_deadline(server_.options.idle_timeout, Expiry::kClose);
  // kFirstReadBytes, or room for a request like the last one (up to the buffer's bound, the header
  // limit): a connection that carries 13.5 KB reviews reads each whole in this one read (one
  // SSL_read of the record instead of four of 4 KiB) and parses it without another, while one that
  // only carries probes keeps a small buffer.
  const std::size_t want = std::min(buffer_.max_size(), std::max(kFirstReadBytes, last_request_bytes_));
  stream_.async_read_some(buffer_.prepare(want),
                          beast::bind_front_handler(&BasicHttpSession::on_first_bytes, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::on_first_bytes(beast::error_code ec, std::size_t bytes) {
  buffer_.commit(bytes);
  if (ec == net::error::operation_aborted && (server_.shutting_down.load() || evicted_)) return do_close();
  if (ec) return fail(ec, "read");
  do_read();
}

template <class Stream>
void BasicHttpSession<Stream>::do_read() {
  phase_ = Phase::kRequest;
  server_.connections.set_idle(this, false);
  if (!in_flight_) {
    in_flight_ = true;
    server_.metrics.add_inflight(1);
  }
  parser_.emplace();
  guard_.arm(*parser_);
  // One deadline for the whole request, from its first byte: a slow-loris client trickling bytes
  // cannot keep the connection beyond read_timeout.
  set_deadline(server_.options.read_timeout, Expiry::kClose);
  // What was already read is parsed here: an asynchronous read over bytes already buffered costs a
  // posted completion and a composed operation for nothing. Only when the header is not complete
  // does async_read_header read more (and refuse a header that fills the buffer, as before).
  if (buffer_.size() > 0) {
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec != http::error::need_more) return on_header(ec, 0);
  }
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&BasicHttpSession::on_header, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::on_header(beast::error_code ec, std::size_t) {
  try {
    if (ec) return on_read_error(ec);
    switch (guard_.on_header(*parser_)) {
      case RequestGuard::AfterHeader::kRefuse:
        // The body is not read: answer, then drain what the client is still sending so that our
        // close does not reset the connection before it has read the answer.
        return send(*guard_.take_refusal(), false, true);
      case RequestGuard::AfterHeader::kSendContinue:
        // One buffer, so one write and one TLS record: Beast's serializer handed the stream the
        // status line's pieces one by one, and each became a record of its own.
        return net::async_write(stream_, net::buffer(kContinue),
                                beast::bind_front_handler(&BasicHttpSession::on_continue_sent, self()));
      case RequestGuard::AfterHeader::kReadBody:
        return do_read_body();
    }
  } catch (const std::exception& e) {
    on_exception(e.what());
  } catch (...) {
    on_exception("non-standard exception");
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_continue_sent(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "write");
  do_read_body();
}

template <class Stream>
void BasicHttpSession<Stream>::do_read_body() {
  // The body bytes already buffered go to the parser here (the guard has checked the header and
  // taken the body's share of the budget); a body that is complete then needs no read at all.
  if (!parser_->is_done() && buffer_.size() > 0) {
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec && ec != http::error::need_more) return on_read(ec, 0);
  }
  if (parser_->is_done()) return on_read({}, 0);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&BasicHttpSession::on_read, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  try {
    if (ec) return on_read_error(ec);

    auto& req = parser_->get();
    last_request_bytes_ = kFirstReadBytes + req.body().size();
    HttpRequest request{req.method_string(), req.target(), req[http::field::content_type], req.body()};
    Dispatch dispatch = server_.routes.route(request);
    const bool keep_alive = req.keep_alive() && !server_.shutting_down.load() && !evicted_;
    if (dispatch.answer) return send(std::move(*dispatch.answer), keep_alive, false);
    start_decision(dispatch.mode, dispatch.webhook, keep_alive);
  } catch (const std::exception& e) {
    on_exception(e.what());
  } catch (...) {
    on_exception("non-standard exception");
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_read_error(beast::error_code ec) {
  // After an early answer (413, 431, 400, 503) the rest of the request is drained, not parsed.
  if (auto answer = guard_.answer_read_error(ec)) return send(std::move(*answer), false, true);
  fail(ec, "read");
}

template <class Stream>
void BasicHttpSession<Stream>::start_decision(admission::Mode mode, std::string_view webhook, bool keep_alive) {
  auto ticket = std::make_shared<DecisionTicket>();
  ticket->body = std::move(parser_->get().body());
  // Zeroed padding after the body (within the capacity the body reader reserved): the decoder parses
  // the body in place instead of copying it.
  ticket->body.pad(admission::kBodyPadding);
  ticket->reservation = std::move(guard_.reservation());
  ticket->mode = mode;
  ticket->webhook = webhook;

  // The API server gives up after its ?timeout=; answer a little before it does, so that its log
  // and the user see our reason rather than a bare timeout. Our own cap bounds it either way.
  auto limit = server_.options.decision_timeout;
  if (const auto requested = request_timeout(parser_->get().target())) {
    const auto margin = std::min<std::chrono::milliseconds>(*requested / 10, std::chrono::seconds(1));
    limit = std::min(limit, *requested - margin);
  }
  ticket_ = ticket;
  keep_alive_ = keep_alive;
  set_deadline(limit, Expiry::kDecision);

  auto self = this->self();
  const bool queued = server_.decisions.try_submit([self, ticket] {
    if (ticket->abandoned.load(std::memory_order_relaxed)) return;  // answered at the deadline while queued
    std::optional<HttpResponse> response;
    try {
      response = self->server_.routes.admit(ticket->mode, ticket->webhook,
                                            admission::ReviewBody(std::string_view(ticket->body), true));
    } catch (...) {  // out of memory even for the error answer: a 500 below, or the deadline's 503
    }
    // The body is no longer needed; give its memory and its share of the budget back now.
    ticket->body.clear();
    ticket->reservation.release();
    net::post(self->stream_.get_executor(), [self, ticket, response = std::move(response)]() mutable {
      if (!response) {
        response = HttpResponse{500, "application/json", R"({"error":"out of memory while deciding the review"})", ""};
      }
      self->on_decided(ticket, std::move(*response));
    });
  });
  if (!queued) {
    ticket_.reset();
    server_.metrics.record_refused("decision_queue_full");
    server_.log.error("review refused: the decision queue is full",
                      {{"queue", std::to_string(server_.decisions.capacity())}, {"remote", remote_}});
    send({503, "application/json",
          error_body("the server is busy: " + std::to_string(server_.decisions.capacity()) +
                     " reviews are already waiting for a decision; retry shortly"),
          ""},
         keep_alive, false);
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_decided(const std::shared_ptr<DecisionTicket>& ticket, HttpResponse response) {
  if (ticket != ticket_) return;  // already answered at the deadline
  ticket_.reset();
  try {
    send(std::move(response), keep_alive_ && !evicted_, false);
  } catch (const std::exception& e) {
    on_exception(e.what());
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_deadline() {
  const auto ticket = ticket_;
  if (!ticket) return;  // decided in time
  ticket->abandoned.store(true, std::memory_order_relaxed);
  ticket_.reset();
  server_.metrics.record_refused("decision_deadline");
  try {
    server_.log.error("review not decided within its deadline", {{"remote", remote_}});
  } catch (...) {
  }
  try {
    send({503, "application/json",
          error_body("the review was not decided within its deadline (the API server's ?timeout=, at most " +
                     std::to_string(server_.options.decision_timeout.count()) + " ms); the server is overloaded"),
          ""},
         keep_alive_ && !evicted_, false);
  } catch (const std::exception& e) {
    on_exception(e.what());
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_exception(const char* what) noexcept {
  server_.metrics.record_session_exception();
  try {
    server_.log.error("exception in connection handler: connection closed",
                      {{"error", std::string_view(what).substr(0, kEchoBytes)}, {"remote", remote_}});
    if (!responding_) {
      send({500, "application/json", R"({"error":"internal error while reading the request"})", ""}, false, false);
      return;
    }
  } catch (...) {
  }
  // Nothing more can be done for this connection: closing the socket ends it.
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Stream>
void BasicHttpSession<Stream>::send(HttpResponse r, bool keep_alive, bool drain) {
  responding_ = true;
  format_response(out_, r, keep_alive);
  server_.metrics.record_response(r.status);
  set_deadline(server_.options.read_timeout, Expiry::kClose);
  // One contiguous buffer: one SSL_write, one TLS record for answers up to 16 KiB, and neither
  // Beast's serializer nor its flat_stream coalescing copy (27k instructions per review before).
  net::async_write(stream_, net::buffer(out_),
                   beast::bind_front_handler(&BasicHttpSession::on_write, self(), keep_alive, drain));
}

template <class Stream>
void BasicHttpSession<Stream>::on_write(bool keep_alive, bool drain, beast::error_code ec, std::size_t) {
  responding_ = false;
  if (in_flight_) {
    in_flight_ = false;
    server_.metrics.add_inflight(-1);
  }
  guard_.reservation().release();
  if (ec) return fail(ec, "write");
  // Keep the buffer for the next answer unless a large one (a /metrics scrape) grew it.
  if (out_.capacity() > kKeptResponseBytes) std::string().swap(out_);
  parser_.reset();
  if (drain) return do_drain();
  if (!keep_alive) return do_close();
  do_wait_for_request();
}

template <class Stream>
void BasicHttpSession<Stream>::do_drain() {
  phase_ = Phase::kClosing;
  const auto now = std::chrono::steady_clock::now();
  if (!drain_deadline_) drain_deadline_ = now + server_.options.read_timeout;
  if (now >= *drain_deadline_) return do_close();
  // Quiet for kLingerQuiet, or the whole drain past read_timeout: the timer closes the socket.
  set_deadline(std::min<std::chrono::steady_clock::duration>(kLingerQuiet, *drain_deadline_ - now), Expiry::kClose);
  buffer_.consume(buffer_.size());
  if (!drain_buffer_) drain_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
  stream_.async_read_some(net::buffer(*drain_buffer_),
                          beast::bind_front_handler(&BasicHttpSession::on_drain, self()));
}

template <class Stream>
void BasicHttpSession<Stream>::on_drain(beast::error_code ec, std::size_t bytes) {
  drained_ += bytes;
  // Quiet long enough: the timer closed the socket, and there is nothing left to close.
  if (!beast::get_lowest_layer(stream_).socket().is_open()) return;
  // Stop at the client's end of stream, at an error, or once it has sent more than one more body.
  if (ec || drained_ > server_.options.body_limit) return do_close();
  do_drain();
}

template <class Stream>
void BasicHttpSession<Stream>::do_close() {
  phase_ = Phase::kClosing;
  if constexpr (kTls) {
    set_deadline(kCloseTimeout, Expiry::kClose);  // waits for the peer's close_notify at most this long
    stream_.async_shutdown(beast::bind_front_handler(&BasicHttpSession::on_close, self()));
  } else {
    // Plain HTTP has no close_notify: send FIN; the socket closes when the last handler releases us.
    expiry_ = Expiry::kNone;
    beast::error_code ec;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  }
}

template <class Stream>
void BasicHttpSession<Stream>::on_close(beast::error_code) {
  // Whatever the peer did, we are done; the socket closes when the last handler releases us.
}

template <class Stream>
void BasicHttpSession<Stream>::fail(beast::error_code ec, std::string_view what) {
  // stream_truncated: the peer closed without close_notify, which many clients do; not an error.
  if (is_normal_end(ec)) return;
  server_.log.error("connection error", {{"op", what}, {"error", ec.message()}, {"remote", remote_}});
}

template class BasicHttpSession<TlsStream>;
template class BasicHttpSession<beast::tcp_stream>;

}  // namespace memguard::server
