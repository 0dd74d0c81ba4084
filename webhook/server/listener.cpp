// The accept loop.
#include "webhook/server/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace memguard::server {
namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
// After an accept error such as EMFILE, retrying at once would spin; wait a little instead.
constexpr std::chrono::milliseconds kAcceptBackoff{100};
}  // namespace

Listener::Listener(IoContextPool& pool, ServerContext& server, CertificateReloader* certificates)
    : pool_(pool),
      acceptor_(pool.first()),
      backoff_(acceptor_.get_executor()),
      server_(server),
      certificates_(certificates) {}

Expected<std::shared_ptr<Listener>> Listener::create(IoContextPool& pool, const tcp::endpoint& endpoint,
                                                     ServerContext& server, CertificateReloader* certificates) {
  std::shared_ptr<Listener> self(new Listener(pool, server, certificates));
  beast::error_code ec;
  auto failed = [&](const char* what) {
    return make_error(ErrorCode::kInternal, std::string("cannot ") + what + " " + endpoint.address().to_string() +
                                                       ":" + std::to_string(endpoint.port()) + ": " + ec.message());
  };
  self->acceptor_.open(endpoint.protocol(), ec);
  if (ec) return failed("open a socket for");
  self->acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return failed("set SO_REUSEADDR on");
  self->acceptor_.bind(endpoint, ec);
  if (ec) return failed("bind");
  self->acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen on");
  self->local_ = self->acceptor_.local_endpoint(ec);
  if (ec) return failed("read the address of");
  return self;
}

void Listener::run() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  try {
    // Each connection lives on one single-threaded io_context, so its handlers never run
    // concurrently; connections are spread over the contexts round robin.
    acceptor_.async_accept(pool_.next(), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  } catch (const std::exception& e) {
    retry_later(e.what());
  }
}

void Listener::retry_later(const char* why) noexcept {
  // The accept loop must never end while the server runs: an exception here (out of memory under
  // the heap cap, in the middle of a flood) would otherwise stop it for good, and with it every
  // probe and review. Try again after a pause, when memory may have come back.
  try {
    server_.metrics.record_session_exception();
    server_.log.error("accepting failed; retrying", {{"error", why}});
    backoff_.expires_after(kAcceptBackoff);
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
  } catch (...) {
    // Nothing to wait with: the next timer or accept completion on this context gets another go.
  }
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    server_.log.error("accept failed", {{"error", ec.message()}});
    backoff_.expires_after(kAcceptBackoff);
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  try {
    start_session(std::move(socket));
  } catch (const std::exception& e) {
    // The socket closes with it; the client sees a reset and its failurePolicy applies.
    return retry_later(e.what());
  }
  do_accept();
}

void Listener::start_session(tcp::socket socket) {
  if (server_.shutting_down.load()) {
    // Accepted in the moment before the acceptor closed: dropping it lets the client go elsewhere.
    return;
  }
  std::shared_ptr<HttpSession> session;
  if (!certificates_) {
    session = std::make_shared<PlainSession>(std::move(socket), nullptr, server_);
  } else if (auto tls = certificates_->current()) {
    session = std::make_shared<TlsSession>(std::move(socket), std::move(tls), server_);
  }
  if (!session) {
    // Not ready: without a certificate there is no handshake to offer.
    server_.metrics.record_tls_handshake_failure();
    server_.log.error("connection closed: no TLS certificate loaded yet");
  } else {
    std::shared_ptr<HttpSession> evicted;
    if (server_.connections.try_add(session, &evicted)) {
      if (evicted) {
        server_.metrics.record_connection_evicted();
        evicted->evict();
      }
      session->run();
    } else {
      server_.metrics.record_connection_rejected();
      server_.log.error("connection closed: connection cap reached and every connection is busy",
                        {{"max_connections", std::to_string(server_.options.max_connections)}});
    }
  }
}

}  // namespace memguard::server
