// OpenSSL over the connection's socket: a BIO that receives and sends on the descriptor, and the
// mapping of OpenSSL's results to the error codes of boost::asio::ssl::stream.
#include "webhook/server/tls_stream.h"

#include <cerrno>
#include <climits>
#include <new>

#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>

namespace memguard::server {
namespace net = boost::asio;

namespace {

using SocketState = TlsStream::SocketState;

// send() with MSG_NOSIGNAL: OpenSSL's own socket BIO uses write(), which raises SIGPIPE when the
// peer has gone, and the server's tests run it in processes that do not ignore SIGPIPE.
int socket_write(BIO* bio, const char* data, int size) {
  auto* state = static_cast<SocketState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t sent = ::send(state->fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (sent >= 0) return static_cast<int>(sent);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    BIO_set_retry_write(bio);
  } else {
    state->error = errno;
  }
  return -1;
}

int socket_read(BIO* bio, char* out, int size) {
  auto* state = static_cast<SocketState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t received = ::recv(state->fd, out, static_cast<std::size_t>(size), 0);
  if (received > 0) return static_cast<int>(received);
  if (received == 0) {
    state->eof = true;
    return 0;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    BIO_set_retry_read(bio);
  } else {
    state->error = errno;
  }
  return -1;
}

long socket_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // every write goes straight to the socket
      return 1;
    case BIO_CTRL_EOF:  // OpenSSL asks after a failed read: end of stream or an error
      return static_cast<SocketState*>(BIO_get_data(bio))->eof ? 1 : 0;
    default:
      return 0;
  }
}

int socket_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Built once; OpenSSL keeps it for the process (BIO_meth_new is not freed: sessions on other
// threads may still hold BIOs of it at exit).
const BIO_METHOD* socket_method() {
  static const BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "memguard socket");
    if (m == nullptr || BIO_meth_set_write(m, socket_write) != 1 || BIO_meth_set_read(m, socket_read) != 1 ||
        BIO_meth_set_ctrl(m, socket_ctrl) != 1 || BIO_meth_set_create(m, socket_create) != 1) {
      throw std::bad_alloc();
    }
    return m;
  }();
  return method;
}

int clamp(std::size_t size) { return size > INT_MAX ? INT_MAX : static_cast<int>(size); }

}  // namespace

TlsStream::TlsStream(net::ip::tcp::socket&& socket, net::ssl::context& context) : next_layer_(std::move(socket)) {
  auto& raw = next_layer_.socket();
  boost::system::error_code ec;
  raw.non_blocking(true, ec);  // OpenSSL's calls must return rather than block the I/O thread
  socket_state_.fd = raw.is_open() ? raw.native_handle() : -1;
  ssl_ = SSL_new(context.native_handle());
  BIO* bio = ssl_ != nullptr ? BIO_new(socket_method()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, &socket_state_);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO from here
  // As Asio's engine: a write may return after part of the buffer (one record), retried with a
  // buffer that moved; OpenSSL's buffers are freed while the connection is idle.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // Read what the socket has (up to OpenSSL's buffer) in one recv rather than a record header
  // and then its body in two.
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

TlsStream::Attempt TlsStream::read(void* data, std::size_t size) {
  if (size == 0) return {};
  ERR_clear_error();
  return outcome(SSL_read(ssl_, data, clamp(size)));
}

TlsStream::Attempt TlsStream::write(const void* data, std::size_t size) {
  if (size == 0) return {};
  ERR_clear_error();
  return outcome(SSL_write(ssl_, data, clamp(size)));
}

TlsStream::Attempt TlsStream::handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) return {};
  return outcome(result);
}

TlsStream::Attempt TlsStream::shutdown() {
  ERR_clear_error();
  int result = SSL_shutdown(ssl_);
  // 0: our close_notify is sent; calling again reads until the peer's arrives.
  if (result == 0) result = SSL_shutdown(ssl_);
  if (result == 1) return {};
  return outcome(result);
}

TlsStream::Attempt TlsStream::outcome(int result) {
  if (result > 0) return {Attempt::Next::kDone, {}, static_cast<std::size_t>(result)};
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return {Attempt::Next::kWaitRead, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {Attempt::Next::kWaitWrite, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {Attempt::Next::kDone, net::error::eof};
    case SSL_ERROR_SYSCALL:
      if (socket_state_.error != 0) {
        return {Attempt::Next::kDone, boost::system::error_code(socket_state_.error, boost::system::system_category())};
      }
      return {Attempt::Next::kDone, net::ssl::error::stream_truncated};  // closed without close_notify
    case SSL_ERROR_SSL: {
      const unsigned long error = ERR_get_error();
      if (ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Attempt::Next::kDone, net::ssl::error::stream_truncated};
      }
      if (error == 0 && socket_state_.error != 0) {
        return {Attempt::Next::kDone, boost::system::error_code(socket_state_.error, boost::system::system_category())};
      }
      return {Attempt::Next::kDone, boost::system::error_code(static_cast<int>(error), net::error::get_ssl_category())};
    }
    default:
      return {Attempt::Next::kDone, net::error::fault};
  }
}

}  // namespace memguard::server
