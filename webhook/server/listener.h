// Accepts TCP connections and starts a session for each: TLS with the context current at that
// moment, or plain HTTP when there is no certificate reloader; closes connections beyond the cap
// at once. Shaped like Beast's async-ssl listener, but
// built by a factory so that a failed bind is an error value, never a half-built object.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "support/expected.h"
#include "webhook/server/certificate_reloader.h"
#include "webhook/server/http_session.h"
#include "webhook/server/io_context_pool.h"

namespace memguard::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  static Expected<std::shared_ptr<Listener>> create(IoContextPool& pool,
                                                    const boost::asio::ip::tcp::endpoint& endpoint,
                                                    ServerContext& server, CertificateReloader* certificates);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return local_; }
  void run();
  void stop();  // closes the acceptor; any thread

 private:
  Listener(IoContextPool& pool, ServerContext& server, CertificateReloader* certificates);
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void start_session(boost::asio::ip::tcp::socket socket);
  void retry_later(const char* why) noexcept;

  IoContextPool& pool_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  ServerContext& server_;
  CertificateReloader* certificates_;  // null: plain HTTP
  boost::asio::ip::tcp::endpoint local_;
};

}  // namespace memguard::server
