// Fuzzes a whole connection to the webhook as the API server reaches it: the real Server (listener,
// TLS session, Beast's parser and the session's own parse of bytes already read, limits, body budget,
// decision pool, deadlines) with the real engine behind /validate and /mutate, in process on
// loopback. A real TLS client sends the input's bytes as HTTP, in sends of every size, then closes
// its side with close_notify and reads everything the server answers until the server closes.
//
// Invariants: the server never goes 10 s without sending or closing (no hang; its own deadlines are
// far shorter); what it sends is a sequence of complete HTTP/1.1 responses, each with a Content-Length
// its body matches (interim 100 Continue aside); every answer other than 200 is a JSON
// {"error": ...}; a 200 to a review is an AdmissionReview; and the server keeps serving (a probe
// on a new connection every 64 inputs). ASan and UBSan watch the rest.
//
// Input: byte 0 sets the send size (1-256 bytes); the rest is what the client sends.
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <csignal>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <simdjson.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "fuzz/fuzz_check.h"
#include "fuzz/loopback_connect.h"
#include "tests/webhook/test_pki.h"
#include "webhook/engine/handle_review.h"
#include "webhook/server/server.h"

namespace {

namespace net = boost::asio;
using net::ip::tcp;
using namespace memguard;

void write_file(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

// Limits far below the defaults, so that short inputs reach them; deadlines short, so that a
// request the input leaves incomplete ends soon (the client's close ends most of them at once).
server::ServerOptions fuzz_options(const std::filesystem::path& dir) {
  server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.tls_cert_file = (dir / "tls.crt").string();
  o.tls_key_file = (dir / "tls.key").string();
  o.header_limit = 1024;
  o.body_limit = 12 * 1024;
  o.body_budget = 16 * 1024;
  o.read_timeout = std::chrono::seconds(2);
  o.idle_timeout = std::chrono::seconds(2);
  o.decision_timeout = std::chrono::seconds(2);
  o.drain_timeout = std::chrono::seconds(1);
  o.threads = 1;
  o.decision_threads = 1;
  o.handle_signals = false;
  o.log_level = server::LogLevel::kWarn;
  return o;
}

struct World {
  std::filesystem::path dir;
  std::FILE* devnull = std::fopen("/dev/null", "w");
  std::unique_ptr<server::Log> log = std::make_unique<server::Log>(devnull, devnull, server::LogLevel::kWarn);
  std::unique_ptr<server::Server> server;
  std::thread thread;
  unsigned short port = 0;
  SSL_CTX* client_context = SSL_CTX_new(TLS_client_method());

  World() {
    // As `serve` does: the client here writes through OpenSSL's socket BIO (write()), and a server that
    // has closed must fail that write, not end the fuzzer by SIGPIPE without saving the input.
    std::signal(SIGPIPE, SIG_IGN);
    char pattern[] = "/tmp/memguard-fuzz-session.XXXXXX";
    FUZZ_CHECK(::mkdtemp(pattern) != nullptr, "mkdtemp");
    dir = pattern;
    const auto ca = kubetest::make_certificate("memguard-fuzz-ca", nullptr);
    const auto leaf = kubetest::make_certificate("memguard-fuzz-server", &ca);
    write_file(dir / "tls.crt", leaf.cert_pem());
    write_file(dir / "tls.key", leaf.key_pem());
    const auto& policy = engine::default_policy();
    auto created = server::Server::create(
        fuzz_options(dir),
        [&policy](admission::Mode mode, admission::ReviewBody body) { return engine::handle_review(mode, body, policy); },
        *log);
    FUZZ_CHECK(static_cast<bool>(created), "the server did not start");
    server = std::move(*created);
    port = server->local_endpoint().port();
    thread = std::thread([this] { server->run(); });
    SSL_CTX_set_verify(client_context, SSL_VERIFY_NONE, nullptr);
    for (int i = 0; i < 1000 && !server->ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    FUZZ_CHECK(server->ready(), "the server did not become ready");
  }
  ~World() {
    server->shutdown();
    thread.join();
    std::filesystem::remove_all(dir);
  }
};

// What a blocking OpenSSL call on the client's socket came to. A call interrupted by a signal
// (libFuzzer's SIGALRM, every two seconds with -timeout=3) or stopped by the socket's 10 s timeout
// comes back as WANT_READ or WANT_WRITE, or as a syscall error; errno tells which. Taking an
// interruption for the end cut the client's reading between two records of one answer (Beast wrote
// the 100 Continue as several), and failed a CI run.
enum class Io { kDone, kInterrupted, kTimedOut, kEnded };

Io classify(SSL* ssl, int result) {
  if (result > 0) return Io::kDone;
  const int saved = errno;
  const int error = SSL_get_error(ssl, result);
  if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE && error != SSL_ERROR_SYSCALL) return Io::kEnded;
  if (saved == EINTR) return Io::kInterrupted;
  if (saved == EAGAIN || saved == EWOULDBLOCK) return Io::kTimedOut;
  return Io::kEnded;
}

// Runs `call` (an OpenSSL call returning > 0 on success) again while a signal interrupts it.
template <class Call>
Io retrying(SSL* ssl, Call call) {
  for (;;) {
    errno = 0;
    const Io io = classify(ssl, call());
    if (io != Io::kInterrupted) return io;
  }
}

// One connection: sends `bytes` in sends of `send_size`, closes its side with close_notify and returns
// everything the server sent until it closed; false when the server went 10 s without sending a
// byte or closing.
bool exchange(const World& world, std::string_view bytes, std::size_t send_size, std::string& received) {
  net::io_context ioc;
  tcp::socket socket(ioc);
  fuzz::connect_loopback(socket, world.port);
  const int fd = socket.native_handle();
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  SSL* ssl = SSL_new(world.client_context);
  SSL_set_fd(ssl, fd);
  Io io = retrying(ssl, [ssl] { return SSL_connect(ssl); });
  if (io == Io::kDone) {
    while (!bytes.empty() && io == Io::kDone) {
      const int n = static_cast<int>(std::min(send_size, bytes.size()));
      // A write that fails means the server closed: it may still have answered, so read on.
      io = retrying(ssl, [&] { return SSL_write(ssl, bytes.data(), n); });
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    if (io != Io::kTimedOut) {
      // 0 is "our close_notify is sent", all this client waits for.
      retrying(ssl, [ssl] { return SSL_shutdown(ssl) < 0 ? -1 : 1; });
      char buffer[16384];
      int n = 0;
      while ((io = retrying(ssl, [&] { return n = SSL_read(ssl, buffer, sizeof buffer); })) == Io::kDone) {
        received.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  SSL_free(ssl);
  ERR_clear_error();
  return io != Io::kTimedOut;
}

std::string header_value(std::string_view head, std::string_view name) {
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string_view::npos) {
    at += 2;
    std::string_view line = head.substr(at, head.find("\r\n", at) - at);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
  }
  return {};
}

// Checks that `received` is whole HTTP/1.1 responses, and what each says.
void check_responses(std::string_view received) {
  while (!received.empty()) {
    const std::size_t head_end = received.find("\r\n\r\n");
    FUZZ_CHECK(head_end != std::string_view::npos, "a response without the end of its head: " + std::string(received.substr(0, 200)));
    const std::string_view head = received.substr(0, head_end);
    FUZZ_CHECK(head.substr(0, 9) == "HTTP/1.1 " && head.size() >= 12, std::string(head));
    const int status = std::stoi(std::string(head.substr(9, 3)));
    received.remove_prefix(head_end + 4);
    if (status == 100) continue;
    const std::string length = header_value(head, "Content-Length");
    FUZZ_CHECK(!length.empty() && length.find_first_not_of("0123456789") == std::string::npos, std::string(head));
    const std::size_t size = std::stoul(length);
    FUZZ_CHECK(size <= received.size(), "a body cut short: " + std::string(head));
    const std::string_view body = received.substr(0, size);
    received.remove_prefix(size);
    const std::string type = header_value(head, "Content-Type");
    if (status != 200) {
      FUZZ_CHECK(type == "application/json" && body.rfind(R"({"error":)", 0) == 0, std::string(head) + "\n" + std::string(body));
    } else if (type == "application/json") {
      // The only JSON 200s are review answers.
      simdjson::dom::parser parser;
      simdjson::dom::element answer;
      std::string_view kind, uid;
      FUZZ_CHECK(parser.parse(body.data(), body.size()).get(answer) == simdjson::SUCCESS &&
                     answer["kind"].get(kind) == simdjson::SUCCESS && kind == "AdmissionReview" &&
                     answer["response"]["uid"].get(uid) == simdjson::SUCCESS,
                 std::string(body));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  static unsigned inputs = 0;
  if (size == 0) return 0;
  const std::size_t send_size = 1 + data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::string received;
  FUZZ_CHECK(exchange(world, bytes, send_size, received), "the server went 10 s without answering or closing");
  check_responses(received);

  if (++inputs % 64 == 0) {
    std::string probe;
    FUZZ_CHECK(exchange(world, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 256, probe), "the probe hung");
    FUZZ_CHECK(probe.rfind("HTTP/1.1 200 ", 0) == 0, "the server stopped serving: " + probe.substr(0, 200));
  }
  return 0;
}
