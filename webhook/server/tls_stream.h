// TLS over the connection's socket with OpenSSL reading and writing the socket itself, as nginx
// does, instead of through Asio's BIO pair (boost::asio::ssl::stream): each record used to be
// received into Asio's 17 KiB input buffer, copied into the pair's 17 KiB buffer and copied again
// into OpenSSL's, and every connection carried those four 17 KiB buffers beside OpenSSL's own
// (issue 16: two 13.5 KB copies and ~28k instructions per review, ~70 KiB per connection).
//
// The stream is an Asio AsyncReadStream and AsyncWriteStream with the handshake and shutdown of
// boost::asio::ssl::stream and its error codes (eof for a close_notify, ssl::error::stream_truncated
// for a peer that closed without one), so that Beast's HTTP reads and the session use it as they
// used ssl_stream. Each operation tries the OpenSSL call on the non-blocking socket; when OpenSSL
// wants to read or write, it waits for the socket to become readable or writable (async_wait) and
// tries again. An operation that completes at once still completes through the executor, never
// inside the call that started it. The lowest layer is a beast::tcp_stream for its socket and
// cancel(); its timeouts do not apply (the session keeps its own deadlines).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <openssl/ssl.h>

namespace memguard::server {

class TlsStream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  // A server-side TLS connection over `socket` with `context`'s configuration (certificate,
  // protocols, ALPN, client verification). The context must outlive the stream. Throws
  // std::bad_alloc if OpenSSL cannot allocate the connection.
  TlsStream(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& context);
  ~TlsStream();
  // The socket's state is shared with OpenSSL by address: the stream never moves.
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() noexcept { return next_layer_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_layer_; }
  SSL* native_handle() noexcept { return ssl_; }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    const auto buffer = first_buffer<boost::asio::mutable_buffer>(buffers);
    return start<void(boost::beast::error_code, std::size_t)>(
        [this, buffer] { return read(buffer.data(), buffer.size()); }, std::forward<ReadHandler>(handler));
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    const auto buffer = first_buffer<boost::asio::const_buffer>(buffers);
    return start<void(boost::beast::error_code, std::size_t)>(
        [this, buffer] { return write(buffer.data(), buffer.size()); }, std::forward<WriteHandler>(handler));
  }

  // Server side only: `type` must be boost::asio::ssl::stream_base::server.
  template <class HandshakeHandler>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, HandshakeHandler&& handler) {
    (void)type;
    return start<void(boost::beast::error_code)>([this] { return handshake(); },
                                                 std::forward<HandshakeHandler>(handler));
  }

  // Sends close_notify and waits for the peer's (or its end of stream, or an error).
  template <class ShutdownHandler>
  auto async_shutdown(ShutdownHandler&& handler) {
    return start<void(boost::beast::error_code)>([this] { return shutdown(); },
                                                 std::forward<ShutdownHandler>(handler));
  }

  // What one OpenSSL call came to: done (with an error or a byte count), or waiting for the socket.
  struct Attempt {
    enum class Next { kDone, kWaitRead, kWaitWrite };
    Next next = Next::kDone;
    boost::beast::error_code ec;
    std::size_t bytes = 0;
  };

  // The socket as OpenSSL's BIO sees it (tls_stream.cpp): the descriptor, and what the last
  // failed system call said, which SSL_get_error does not keep.
  struct SocketState {
    int fd = -1;
    int error = 0;     // errno of the last failed recv or send other than EAGAIN
    bool eof = false;  // recv returned 0
  };

 private:
  Attempt read(void* data, std::size_t size);
  Attempt write(const void* data, std::size_t size);
  Attempt handshake();
  Attempt shutdown();
  // SSL_get_error's verdict on `result` as an Attempt with Asio's ssl::stream error codes.
  Attempt outcome(int result);

  template <class Buffer, class Sequence>
  static Buffer first_buffer(const Sequence& buffers) {
    // As boost::asio::ssl::stream: an operation moves the bytes of the first non-empty buffer.
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      if (Buffer b(*it); b.size() > 0) return b;
    }
    return Buffer();
  }

  // One operation: tries `attempt` now and after every wait for the socket until it is done.
  template <class Signature, class Attempter>
  struct Operation {
    TlsStream& stream;
    Attempter attempt;
    Attempt result{};
    bool waited = false;  // a wait has completed: completing now is not inside the initiating call
    bool posted = false;

    template <class Self>
    void operator()(Self& self, boost::beast::error_code ec = {}) {
      if (!posted && !ec) {
        result = attempt();
        if (result.next != Attempt::Next::kDone) {
          waited = true;
          const auto wait = result.next == Attempt::Next::kWaitRead ? boost::asio::socket_base::wait_read
                                                                    : boost::asio::socket_base::wait_write;
          return stream.next_layer_.socket().async_wait(wait, std::move(self));
        }
        if (!waited) {
          posted = true;
          return boost::asio::post(stream.get_executor(), std::move(self));
        }
      } else if (ec) {
        result = Attempt{Attempt::Next::kDone, ec, 0};  // the wait was cancelled, or the socket closed
      }
      if constexpr (std::is_same_v<Signature, void(boost::beast::error_code)>) {
        self.complete(result.ec);
      } else {
        self.complete(result.ec, result.bytes);
      }
    }
  };

  template <class Signature, class Attempter, class Handler>
  auto start(Attempter&& attempt, Handler&& handler) {
    return boost::asio::async_compose<Handler, Signature>(
        Operation<Signature, std::decay_t<Attempter>>{*this, std::forward<Attempter>(attempt)}, handler,
        next_layer_.socket());
  }

  next_layer_type next_layer_;
  SocketState socket_state_;
  SSL* ssl_ = nullptr;
};

}  // namespace memguard::server
