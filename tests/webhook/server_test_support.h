// Test support for the webhook server: throwaway CAs and certificates made with the openssl CLI,
// a Boost.Beast TLS client whose every step has a deadline, the server run in-process, and the
// built binary run as a child process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "webhook/server/server.h"

namespace memguard::testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct KeyPair {
  fs::path cert, key;
};

// A self-signed CA in dir/<name>.crt/.key.
KeyPair make_ca(const fs::path& dir, const std::string& name);
// A leaf signed by `ca`, SAN localhost + 127.0.0.1, usable for server and client auth.
KeyPair make_leaf(const fs::path& dir, const std::string& name, const KeyPair& ca);
// A self-signed P-256 certificate made with the OpenSSL API, for what the CLI will not make: valid
// from now + `not_before` to now + `not_after` (an expired one), subject CN=`common_name` or,
// when that is empty, no subject at all (certificates that name themselves only by SAN).
KeyPair make_self_signed(const fs::path& dir, const std::string& name, const std::string& common_name,
                         std::chrono::seconds not_before, std::chrono::seconds not_after);
std::string read_text(const fs::path& file);
void write_text(const fs::path& file, const std::string& text);
// What has been written to `f` so far (a log's tmpfile); writing goes on at its end.
std::string written_to(std::FILE* f);
// SHA-256 fingerprint (lower-case hex) of the PEM certificate in `file`.
std::string fingerprint_of(const fs::path& file);

struct ClientOptions {
  fs::path ca_file;                  // trust anchor for the server certificate
  std::optional<KeyPair> client_cert;
  int min_version = 0;               // TLS1_2_VERSION etc.; 0 = OpenSSL default
  int max_version = 0;
  bool allow_legacy = false;         // security level 0, so that the client can really offer TLS 1.1
};

struct Reply {
  boost::system::error_code ec;
  boost::beast::http::response<boost::beast::http::string_body> response;
  int status() const { return static_cast<int>(response.result_int()); }
};

// A blocking-style client over async operations that each have a deadline, so a server bug
// fails a test instead of hanging it.
class TlsClient {
 public:
  TlsClient(unsigned short port, ClientOptions options);
  boost::system::error_code connect();  // TCP connect plus TLS handshake
  Reply request(boost::beast::http::verb method, const std::string& target, const std::string& body = "",
                const std::string& content_type = "application/json");
  Reply send(boost::beast::http::request<boost::beast::http::string_body>& req);
  boost::system::error_code write_raw(const std::string& bytes);
  Reply read_reply();
  // One read of the TLS stream: what the next record carries (OpenSSL gives one record a read).
  std::string read_record();
  // Reads until the server ends the connection, then closes our side. True if the server ended
  // it (close_notify, EOF or reset), false if nothing happened within the step deadline.
  bool wait_for_close();
  void close();  // TCP close, as a client that got "Connection: close" does
  void reset();  // TCP reset (RST), as a client that gave up hard
  std::string peer_fingerprint() const;
  std::string negotiated_version() const;

 private:
  template <class Op>
  boost::system::error_code run(Op&& op);

  unsigned short port_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
};

// A plain TCP client for the plain-HTTP server, or for what reaches the TLS port before any
// handshake: bytes written as given, replies parsed one at a time, every step under a deadline.
class RawClient {
 public:
  explicit RawClient(unsigned short port);
  boost::system::error_code connect();
  boost::system::error_code write(const std::string& bytes);
  Reply read_reply();
  // Reads until the server ends the connection, as TlsClient::wait_for_close does.
  bool wait_for_close();
  // Half-closes: tells the server that nothing more will come, and can still read its answer.
  void shutdown_send();
  // Closes with a reset (RST), as a client that crashed or timed out hard.
  void reset();

 private:
  template <class Op>
  boost::system::error_code run(Op&& op);

  unsigned short port_;
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

// The server in-process on 127.0.0.1:0, stopped (gracefully) on destruction.
class InProcessServer {
 public:
  InProcessServer(server::ServerOptions options, server::AdmissionHandler handler);
  ~InProcessServer();
  unsigned short port() const { return port_; }
  server::Server& server() { return *server_; }
  // Stops the server like SIGTERM does and waits for run() to return; returns its exit code.
  int stop();
  std::string log_output();  // what the server wrote to "stdout" so far
  std::string error_output();

 private:
  std::FILE* out_;
  std::FILE* err_;
  std::unique_ptr<server::Log> log_;
  std::unique_ptr<server::Server> server_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::optional<int> exit_code_;
  int result_ = -1;
};

// Server options for tests: the given certificate, fast polling, short timeouts, two threads.
server::ServerOptions test_options(const KeyPair& server_cert);

// The AdmissionReview of admission-webhooks.md §1.8.
std::string sample_review();

// The built flink-memguard binary as a child, with stdout and stderr captured.
class ChildProcess {
 public:
  // `max_open_files` > 0: the child's RLIMIT_NOFILE (to see what it does when it runs out).
  explicit ChildProcess(const std::vector<std::string>& args, unsigned max_open_files = 0);
  ~ChildProcess();
  // Reads stdout lines until one contains `text` (or the deadline passes); returns that line.
  std::optional<std::string> wait_for_line(const std::string& text, std::chrono::seconds deadline);
  void signal(int signo);
  // Waits for exit; returns the exit code, or -signal if it was killed, or nullopt on timeout.
  std::optional<int> wait(std::chrono::seconds deadline);
  std::string stdout_text() const { return out_; }
  std::string stderr_text();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::optional<int> status_;
};

// The port in a log line's "listen":"ADDR:PORT".
unsigned short port_from_line(const std::string& line);

}  // namespace memguard::testing
