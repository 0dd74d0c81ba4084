// Fuzzes the server's TLS layer (webhook/server/tls_stream.cpp, OpenSSL over the socket through our
// BIO) with the server's own TLS context, over a real loopback TCP connection. The client is either
// the fuzzer's bytes sent raw (a hostile handshake: truncated, malformed or oversized records) or a
// real OpenSSL client that completes the handshake and then sends the fuzzer's bytes as records,
// optionally followed by raw bytes that corrupt the record stream, and closes with or without
// close_notify. Every split of the bytes over TCP segments is explored through the send size.
//
// Invariants: each operation completes exactly once and the whole exchange ends (a hang fails: the
// context runs at most 10 s for an input); a failed read or handshake carries one of the error codes
// the session tells apart (eof, stream_truncated, an SSL-category error, a socket error); what the
// server reads is exactly a prefix of what the real client wrote, in order.
//
// Input: byte 0 chooses the client (bit 0: real client), whether it corrupts the stream after its
// records (bit 1) and closes with close_notify (bit 2); byte 1 the send size (1-256 bytes); the rest
// is the payload.
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fuzz/fuzz_check.h"
#include "fuzz/loopback_connect.h"
#include "tests/webhook/test_pki.h"
#include "webhook/server/tls_context.h"
#include "webhook/server/tls_stream.h"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using net::ip::tcp;
using memguard::server::TlsStream;

struct World {
  std::shared_ptr<net::ssl::context> server_context;
  SSL_CTX* client_context = SSL_CTX_new(TLS_client_method());
  World() {
    // As `serve` does: the client here writes through OpenSSL's socket BIO (write()), and a server that
    // has closed must fail that write, not end the fuzzer by SIGPIPE without saving the input.
    std::signal(SIGPIPE, SIG_IGN);
    const auto ca = memguard::kubetest::make_certificate("memguard-fuzz-ca", nullptr);
    const auto leaf = memguard::kubetest::make_certificate("memguard-fuzz-server", &ca);
    memguard::server::TlsMaterial material;
    material.cert_pem = leaf.cert_pem();
    material.key_pem = leaf.key_pem();
    auto loaded = memguard::server::make_tls_context(material);
    FUZZ_CHECK(static_cast<bool>(loaded), "the server's TLS context did not load");
    server_context = loaded->context;
    SSL_CTX_set_verify(client_context, SSL_VERIFY_NONE, nullptr);
  }
};

void send_all(int fd, std::string_view bytes, std::size_t send_size) {
  while (!bytes.empty()) {
    const std::size_t n = std::min(send_size, bytes.size());
    const ssize_t sent = ::send(fd, bytes.data(), n, MSG_NOSIGNAL);
    if (sent <= 0) return;  // the server closed: the rest would go nowhere
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// The client side, on its own thread (blocking): raw bytes, or a real TLS client.
void run_client(tcp::socket& socket, SSL_CTX* context, bool real, bool corrupt, bool close_notify,
                std::size_t send_size, std::string_view payload, std::string& written) {
  const int fd = socket.native_handle();
  if (!real) {
    send_all(fd, payload, send_size);
  } else {
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      std::string_view records = corrupt ? payload.substr(0, payload.size() / 2) : payload;
      while (!records.empty()) {
        const int n = static_cast<int>(std::min(send_size, records.size()));
        if (SSL_write(ssl, records.data(), n) != n) break;
        written.append(records.substr(0, static_cast<std::size_t>(n)));
        records.remove_prefix(static_cast<std::size_t>(n));
      }
      if (corrupt) send_all(fd, payload.substr(payload.size() / 2), send_size);
      if (close_notify && !corrupt) SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
  }
  ::shutdown(fd, SHUT_WR);
}

bool expected_failure(const beast::error_code& ec) {
  return ec == net::error::eof || ec == net::ssl::error::stream_truncated ||
         ec.category() == net::error::get_ssl_category() || ec.category() == beast::system_category();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  if (size < 2) return 0;
  const bool real = data[0] & 1, corrupt = data[0] & 2, close_notify = data[0] & 4;
  const std::size_t send_size = 1 + data[1];
  const std::string_view payload(reinterpret_cast<const char*>(data) + 2, size - 2);

  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(ioc);
  memguard::fuzz::connect_loopback(client, acceptor.local_endpoint().port());
  auto server = std::make_unique<TlsStream>(acceptor.accept(), *world.server_context);

  std::string written;  // what the real client wrote as records, before it stopped
  std::thread client_thread(
      [&] { run_client(client, world.client_context, real, corrupt, close_notify, send_size, payload, written); });

  std::string received;
  char buffer[4096];
  int handshakes = 0, reads = 0, shutdowns = 0;
  std::optional<beast::error_code> handshake_ec, read_ec;
  std::function<void()> read_next = [&] {
    server->async_read_some(net::buffer(buffer), [&](beast::error_code ec, std::size_t n) {
      ++reads;
      if (ec) {
        read_ec = ec;
        server->async_shutdown([&](beast::error_code) { ++shutdowns; });
        return;
      }
      received.append(buffer, n);
      read_next();
    });
  };
  server->async_handshake(net::ssl::stream_base::server, [&](beast::error_code ec) {
    ++handshakes;
    handshake_ec = ec;
    if (ec) return;
    read_next();
  });
  ioc.run_for(std::chrono::seconds(10));
  const bool ended = ioc.stopped();
  // Unblock a client still waiting for the server (a hang being reported), then join it.
  server->next_layer().socket().close();
  client_thread.join();

  FUZZ_CHECK(ended, "the TLS exchange did not end within 10 s");
  FUZZ_CHECK(handshakes == 1, "the handshake completed " + std::to_string(handshakes) + " times");
  if (*handshake_ec) {
    FUZZ_CHECK(expected_failure(*handshake_ec), "handshake: " + handshake_ec->message());
    FUZZ_CHECK(reads == 0 && received.empty(), "bytes read after a failed handshake");
  } else {
    FUZZ_CHECK(read_ec.has_value(), "the read loop ended without an error");
    FUZZ_CHECK(expected_failure(*read_ec), "read: " + read_ec->message());
    FUZZ_CHECK(shutdowns == 1, "the shutdown completed " + std::to_string(shutdowns) + " times");
  }
  FUZZ_CHECK(written.compare(0, received.size(), received) == 0 && received.size() <= written.size(),
             "the server read " + std::to_string(received.size()) + " bytes that are not a prefix of the " +
                 std::to_string(written.size()) + " the client wrote");
  ERR_clear_error();
  return 0;
}
