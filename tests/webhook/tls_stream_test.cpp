// TlsStream against a real TLS client (Beast's ssl_stream over loopback): bytes through both ways,
// records larger than one read, writes that fill the socket, and the error codes the session
// tells apart (eof for close_notify, stream_truncated for a close without it, operation_aborted
// for a cancelled wait, an ssl-category error for a failed handshake).
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "tests/webhook/server_test_support.h"
#include "webhook/server/tls_stream.h"

namespace {
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
using net::ip::tcp;
using memguard::server::TlsStream;
using namespace memguard::testing;

// One server connection and one client connection over loopback, on one io_context; every step
// runs the context until its handlers have finished, at most 10 s (a bug fails, it does not hang).
class Loopback {
 public:
  Loopback() : server_ctx_(ssl::context::tls_server), client_ctx_(ssl::context::tls_client) {
    const auto ca = make_ca(dir_.path(), "ca");
    const auto leaf = make_leaf(dir_.path(), "server", ca);
    server_ctx_.use_certificate_chain_file(leaf.cert.string());
    server_ctx_.use_private_key_file(leaf.key.string(), ssl::context::pem);
    client_ctx_.set_verify_mode(ssl::verify_none);
    tcp::acceptor acceptor(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, client_ctx_);
    beast::get_lowest_layer(*client_).socket().connect(acceptor.local_endpoint());
    server_ = std::make_unique<TlsStream>(acceptor.accept(), server_ctx_);
  }

  TlsStream& server() { return *server_; }
  beast::ssl_stream<beast::tcp_stream>& client() { return *client_; }

  // Runs until no handler is left; false if that took longer than the step deadline.
  bool run() {
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(10));
    return ioc_.stopped();
  }

  void handshake() {
    std::optional<beast::error_code> server_ec, client_ec;
    server_->async_handshake(ssl::stream_base::server, [&](beast::error_code ec) { server_ec = ec; });
    client_->async_handshake(ssl::stream_base::client, [&](beast::error_code ec) { client_ec = ec; });
    REQUIRE(run());
    REQUIRE(server_ec);
    REQUIRE(client_ec);
    REQUIRE_FALSE(*server_ec);
    REQUIRE_FALSE(*client_ec);
  }

 private:
  TempDir dir_;
  net::io_context ioc_;
  ssl::context server_ctx_;
  ssl::context client_ctx_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> client_;
  std::unique_ptr<TlsStream> server_;
};

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Writes `bytes` on one end and reads exactly as many on the other, both at once on the loop.
template <class Writer, class Reader>
void carry(Loopback& loop, Writer& writer, Reader& reader, const std::string& bytes) {
  std::string received(bytes.size(), '\0');
  std::optional<beast::error_code> write_ec, read_ec;
  net::async_write(writer, net::buffer(bytes), [&](beast::error_code ec, std::size_t) { write_ec = ec; });
  net::async_read(reader, net::buffer(received), net::transfer_exactly(received.size()),
                  [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  REQUIRE(loop.run());
  REQUIRE(write_ec);
  REQUIRE(read_ec);
  CHECK_FALSE(*write_ec);
  CHECK_FALSE(*read_ec);
  CHECK(received == bytes);
}

}  // namespace

TEST_CASE("TlsStream carries bytes both ways across records larger than one read and writes that fill the socket") {
  Loopback loop;
  loop.handshake();

  // 40 KB from the client: three records at least, read by the server in small pieces.
  carry(loop, loop.client(), loop.server(), pattern(40 * 1024 + 17));
  // 8 MB from the server: far more than the socket buffers, so OpenSSL's writes wait for the
  // socket to become writable while the client reads.
  carry(loop, loop.server(), loop.client(), pattern(8 * 1024 * 1024 + 5));
}

TEST_CASE("TlsStream never completes an operation inside the call that starts it") {
  Loopback loop;
  loop.handshake();
  // A write that OpenSSL finishes at once is still completed through the executor: Beast's
  // composed reads and writes rely on it.
  bool starting = true;
  std::optional<bool> completed_while_starting;
  const std::string bytes = "hello";
  loop.server().async_write_some(net::buffer(bytes), [&](beast::error_code, std::size_t) {
    completed_while_starting = starting;
  });
  starting = false;
  REQUIRE(loop.run());
  REQUIRE(completed_while_starting);
  CHECK_FALSE(*completed_while_starting);

  // An empty read is done at once, and also not inside the call.
  starting = true;
  std::optional<std::size_t> empty_read;
  loop.server().async_read_some(net::mutable_buffer(), [&](beast::error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    CHECK_FALSE(starting);
    empty_read = n;
  });
  starting = false;
  REQUIRE(loop.run());
  REQUIRE(empty_read);
  CHECK(*empty_read == 0);
}

TEST_CASE("TlsStream reports a close_notify as eof and a close without one as stream_truncated") {
  SECTION("close_notify") {
    Loopback loop;
    loop.handshake();
    std::optional<beast::error_code> read_ec;
    char byte = 0;
    // The client's shutdown then waits for our close_notify: its socket is closed once the server
    // has read the client's.
    loop.server().async_read_some(net::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) {
      read_ec = ec;
      beast::get_lowest_layer(loop.client()).socket().close();
    });
    loop.client().async_shutdown([](beast::error_code) {});
    REQUIRE(loop.run());
    REQUIRE(read_ec);
    CHECK(*read_ec == net::error::eof);
  }
  SECTION("TCP end of stream without close_notify") {
    Loopback loop;
    loop.handshake();
    std::optional<beast::error_code> read_ec;
    char byte = 0;
    loop.server().async_read_some(net::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
    // A FIN (closing outright would reset: the server's session tickets are unread).
    beast::get_lowest_layer(loop.client()).socket().shutdown(tcp::socket::shutdown_send);
    REQUIRE(loop.run());
    REQUIRE(read_ec);
    CHECK(*read_ec == ssl::error::stream_truncated);
  }
}

TEST_CASE("TlsStream's shutdown sends close_notify and ends when the peer answers with its own") {
  Loopback loop;
  loop.handshake();
  std::optional<beast::error_code> server_ec, client_ec;
  loop.server().async_shutdown([&](beast::error_code ec) { server_ec = ec; });
  char byte = 0;
  // The client sees our close_notify as eof and answers with its own.
  loop.client().async_read_some(net::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) {
    client_ec = ec;
    loop.client().async_shutdown([](beast::error_code) {});
  });
  REQUIRE(loop.run());
  REQUIRE(client_ec);
  CHECK(*client_ec == net::error::eof);
  REQUIRE(server_ec);
  CHECK_FALSE(*server_ec);
}

TEST_CASE("TlsStream's waits end with operation_aborted when the socket is cancelled") {
  Loopback loop;
  loop.handshake();
  std::optional<beast::error_code> read_ec;
  char byte = 0;
  loop.server().async_read_some(net::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  loop.server().next_layer().cancel();
  REQUIRE(loop.run());
  REQUIRE(read_ec);
  CHECK(*read_ec == net::error::operation_aborted);
}

TEST_CASE("TlsStream fails the handshake of a client that speaks plain HTTP with an ssl error") {
  Loopback loop;
  std::optional<beast::error_code> server_ec;
  loop.server().async_handshake(ssl::stream_base::server, [&](beast::error_code ec) { server_ec = ec; });
  const std::string plain = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  beast::get_lowest_layer(loop.client()).socket().write_some(net::buffer(plain));
  REQUIRE(loop.run());
  REQUIRE(server_ec);
  CHECK(server_ec->category() == net::error::get_ssl_category());
}
