// Test support for the webhook server (see server_test_support.h).
#include "server_test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "support/read_file.h"

extern char** environ;

namespace memguard::testing {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;

namespace {

constexpr std::chrono::seconds kStepDeadline{10};

void sh(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("command failed: " + command);
  }
}

std::string hex(const unsigned char* data, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
  return out;
}

void reset_socket(net::ip::tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(net::socket_base::linger(true, 0), ignored);  // close() then sends RST
  socket.close(ignored);
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  return hex(md, n);
}

}  // namespace

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "memguard-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

KeyPair make_ca(const fs::path& dir, const std::string& name) {
  KeyPair ca{dir / (name + ".crt"), dir / (name + ".key")};
  sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj '/CN=" + name +
     "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout '" +
     ca.key.string() + "' -out '" + ca.cert.string() + "'");
  return ca;
}

KeyPair make_leaf(const fs::path& dir, const std::string& name, const KeyPair& ca) {
  KeyPair leaf{dir / (name + ".crt"), dir / (name + ".key")};
  const fs::path csr = dir / (name + ".csr");
  const fs::path ext = dir / (name + ".ext");
  write_text(ext,
             "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
             "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n");
  sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + name + "' -keyout '" +
     leaf.key.string() + "' -out '" + csr.string() + "'");
  // A random serial, so that two leaves for the same name are told apart.
  std::random_device rd;
  std::ostringstream serial;
  serial << std::hex << rd() << rd();
  sh("openssl x509 -req -in '" + csr.string() + "' -CA '" + ca.cert.string() + "' -CAkey '" + ca.key.string() +
     "' -set_serial 0x" + serial.str() + " -days 2 -extfile '" + ext.string() + "' -out '" + leaf.cert.string() + "'");
  return leaf;
}

KeyPair make_self_signed(const fs::path& dir, const std::string& name, const std::string& common_name,
                         std::chrono::seconds not_before, std::chrono::seconds not_after) {
  KeyPair pair{dir / (name + ".crt"), dir / (name + ".key")};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("cannot make a key or a certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 42);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(not_before.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(not_after.count()));
  if (!common_name.empty()) {
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  }
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) throw std::runtime_error("cannot sign the certificate");
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_out(BIO_new_file(pair.cert.c_str(), "w"), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> key_out(BIO_new_file(pair.key.c_str(), "w"), BIO_free);
  if (!cert_out || !key_out || PEM_write_bio_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot write " + pair.cert.string());
  }
  return pair;
}

// Test files are certificates and review fixtures of a few KiB.
constexpr size_t kMaxTestFileBytes = size_t{16} << 20;

std::string read_text(const fs::path& file) {
  auto text = read_file(file.string(), kMaxTestFileBytes, "test file");
  if (!text) throw std::runtime_error(text.error().message);
  return std::move(*text);
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string fingerprint_of(const fs::path& file) {
  const std::string pem = read_text(file);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return {};
  std::string fp = fingerprint(cert);
  X509_free(cert);
  return fp;
}

TlsClient::TlsClient(unsigned short port, ClientOptions options) : port_(port), ctx_(ssl::context::tls_client) {
  ctx_.set_verify_mode(ssl::verify_peer);
  ctx_.load_verify_file(options.ca_file.string());
  if (options.client_cert) {
    ctx_.use_certificate_chain_file(options.client_cert->cert.string());
    ctx_.use_private_key_file(options.client_cert->key.string(), ssl::context::pem);
  }
  if (options.allow_legacy) {
    SSL_CTX_set_security_level(ctx_.native_handle(), 0);
    SSL_CTX_set_cipher_list(ctx_.native_handle(), "DEFAULT:@SECLEVEL=0");
  }
  if (options.min_version) SSL_CTX_set_min_proto_version(ctx_.native_handle(), options.min_version);
  if (options.max_version) SSL_CTX_set_max_proto_version(ctx_.native_handle(), options.max_version);
}

template <class Op>
boost::system::error_code TlsClient::run(Op&& op) {
  boost::system::error_code result = net::error::would_block;
  beast::get_lowest_layer(*stream_).expires_after(kStepDeadline);
  op([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  ioc_.restart();
  ioc_.run();
  return result;
}

boost::system::error_code TlsClient::connect() {
  stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, ctx_);
  buffer_.clear();
  SSL_set_tlsext_host_name(stream_->native_handle(), "localhost");
  stream_->set_verify_callback(ssl::host_name_verification("localhost"));
  const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port_);
  auto ec = run([&](auto handler) { beast::get_lowest_layer(*stream_).async_connect(ep, handler); });
  if (ec) return ec;
  return run([&](auto handler) { stream_->async_handshake(ssl::stream_base::client, handler); });
}

Reply TlsClient::request(http::verb method, const std::string& target, const std::string& body,
                         const std::string& content_type) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::user_agent, "memguard-test");
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();
  return send(req);
}

Reply TlsClient::send(http::request<http::string_body>& req) {
  Reply reply;
  reply.ec = run([&](auto handler) { http::async_write(*stream_, req, handler); });
  if (reply.ec) return reply;
  return read_reply();
}

boost::system::error_code TlsClient::write_raw(const std::string& bytes) {
  return run([&](auto handler) { net::async_write(*stream_, net::buffer(bytes), handler); });
}

Reply TlsClient::read_reply() {
  Reply reply;
  reply.ec = run([&](auto handler) { http::async_read(*stream_, buffer_, reply.response, handler); });
  return reply;
}

std::string TlsClient::read_record() {
  std::string bytes(16 * 1024, '\0');
  std::size_t got = 0;
  const auto ec = run([&](auto handler) {
    stream_->async_read_some(boost::asio::buffer(bytes), [&got, handler](boost::system::error_code e, std::size_t n) mutable {
      got = n;
      handler(e);
    });
  });
  bytes.resize(ec ? 0 : got);
  return bytes;
}

void TlsClient::close() {
  boost::system::error_code ec;
  beast::get_lowest_layer(*stream_).socket().close(ec);
}

void TlsClient::reset() { reset_socket(beast::get_lowest_layer(*stream_).socket()); }

bool TlsClient::wait_for_close() {
  for (;;) {
    char buf[4096];
    std::size_t n = 0;
    boost::system::error_code ec = net::error::would_block;
    beast::get_lowest_layer(*stream_).expires_after(kStepDeadline);
    stream_->async_read_some(net::buffer(buf), [&](boost::system::error_code e, std::size_t bytes) {
      ec = e;
      n = bytes;
    });
    ioc_.restart();
    ioc_.run();
    (void)n;
    if (ec) {
      close();
      return ec != beast::error::timeout;
    }
  }
}

std::string TlsClient::peer_fingerprint() const {
  X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
  if (!cert) return {};
  std::string fp = fingerprint(cert);
  X509_free(cert);
  return fp;
}

std::string TlsClient::negotiated_version() const { return SSL_get_version(stream_->native_handle()); }

RawClient::RawClient(unsigned short port) : port_(port), stream_(ioc_) {}

template <class Op>
boost::system::error_code RawClient::run(Op&& op) {
  boost::system::error_code result = net::error::would_block;
  stream_.expires_after(kStepDeadline);
  op([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  ioc_.restart();
  ioc_.run();
  return result;
}

boost::system::error_code RawClient::connect() {
  const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port_);
  return run([&](auto handler) { stream_.async_connect(ep, handler); });
}

boost::system::error_code RawClient::write(const std::string& bytes) {
  return run([&](auto handler) { net::async_write(stream_, net::buffer(bytes), handler); });
}

Reply RawClient::read_reply() {
  Reply reply;
  reply.ec = run([&](auto handler) { http::async_read(stream_, buffer_, reply.response, handler); });
  return reply;
}

bool RawClient::wait_for_close() {
  for (;;) {
    char buf[4096];
    const auto ec = run([&](auto handler) { stream_.async_read_some(net::buffer(buf), handler); });
    if (ec) {
      boost::system::error_code ignored;
      stream_.socket().close(ignored);
      return ec != beast::error::timeout;
    }
  }
}

void RawClient::reset() { reset_socket(stream_.socket()); }

void RawClient::shutdown_send() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

InProcessServer::InProcessServer(server::ServerOptions options, server::AdmissionHandler handler)
    : out_(std::tmpfile()), err_(std::tmpfile()) {
  options.handle_signals = false;
  log_ = std::make_unique<server::Log>(out_, err_, options.log_level);
  auto created = server::Server::create(options, std::move(handler), *log_);
  if (!created) throw std::runtime_error("server did not start: " + created.error().message);
  server_ = std::move(*created);
  port_ = server_->local_endpoint().port();
  thread_ = std::thread([this] { result_ = server_->run(); });
}

InProcessServer::~InProcessServer() {
  if (thread_.joinable()) stop();
  // The server logs through log_, and log_ writes what it still holds when destroyed: both go
  // before the files they write to are closed.
  server_.reset();
  log_.reset();
  std::fclose(out_);
  std::fclose(err_);
}

int InProcessServer::stop() {
  if (thread_.joinable()) {
    server_->shutdown();
    thread_.join();
  }
  return result_;
}

std::string written_to(std::FILE* f) {
  std::fflush(f);
  std::string out;
  const long end = std::ftell(f);
  std::rewind(f);
  out.resize(static_cast<std::size_t>(end));
  if (end > 0 && std::fread(out.data(), 1, out.size(), f) != out.size()) out.clear();
  std::fseek(f, 0, SEEK_END);
  return out;
}

std::string InProcessServer::log_output() { return written_to(out_); }
std::string InProcessServer::error_output() { return written_to(err_); }

server::ServerOptions test_options(const KeyPair& server_cert) {
  server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.tls_cert_file = server_cert.cert.string();
  o.tls_key_file = server_cert.key.string();
  o.cert_poll_interval = std::chrono::milliseconds(50);
  o.threads = 2;
  o.drain_timeout = std::chrono::seconds(10);
  return o;
}

std::string sample_review() { return read_text(fs::path(MEMGUARD_TEST_DATA) / "reviews/sample-flinkdeployment.json"); }

namespace {

// The spawned server's environment: the test's, and under the sanitizers LeakSanitizer told to
// pass over cpprestsdk's own allocations. A `serve --kube-api` that exits with a watch in flight
// leaves cpprestsdk's tasks for it on a thread pool that outlives main, and LeakSanitizer reports
// them (an exit status of 1 that has nothing to do with our code). Only the child gets this: the
// test process itself stays under the full check, and its [cpprest] cases have their own run.
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
#ifdef MEMGUARD_CHILD_LSAN_SUPPRESSIONS
  constexpr std::string_view kName = "LSAN_OPTIONS=";
  const std::string suppressions = "suppressions=" MEMGUARD_CHILD_LSAN_SUPPRESSIONS;
  auto lsan = std::find_if(env.begin(), env.end(), [&](const std::string& v) { return v.starts_with(kName); });
  if (lsan == env.end()) {
    env.push_back(std::string(kName) + suppressions);
  } else if (lsan->find("suppressions=") == std::string::npos) {
    *lsan += (lsan->size() > kName.size() ? ":" : "") + suppressions;
  }
#endif
  return env;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& args, unsigned max_open_files) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_storage = {MEMGUARD_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = child_environment();
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // The destructor kills the child when a test fails; a test process that crashes or is killed
    // runs no destructor, so the kernel kills the child then. (The signal follows the forking
    // thread, which for Catch2 cases is the main thread.) Only async-signal-safe calls here.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close_range(3, ~0U, 0);  // nor may it hold the test's sockets open
    if (max_open_files > 0) {
      const rlimit limit{max_open_files, max_open_files};
      if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(127);
    }
    execve(MEMGUARD_BINARY, argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& text, std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::size_t scanned = 0;
  for (;;) {
    std::size_t nl;
    while ((nl = out_.find('\n', scanned)) != std::string::npos) {
      std::string line = out_.substr(scanned, nl - scanned);
      scanned = nl + 1;
      if (line.find(text) != std::string::npos) return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    out_.append(buf, static_cast<std::size_t>(n));
  }
}

void ChildProcess::signal(int signo) { ::kill(pid_, signo); }

std::optional<int> ChildProcess::wait(std::chrono::seconds deadline) {
  if (status_) return status_;
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    int st = 0;
    const pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
      // Collect the rest of stdout for the caller.
      char buf[4096];
      ssize_t n;
      while ((n = read(out_fd_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<std::size_t>(n));
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::string ChildProcess::stderr_text() {
  std::string err;
  const int flags = fcntl(err_fd_, F_GETFL);
  fcntl(err_fd_, F_SETFL, flags | O_NONBLOCK);
  char buf[4096];
  ssize_t n;
  while ((n = read(err_fd_, buf, sizeof buf)) > 0) err.append(buf, static_cast<std::size_t>(n));
  return err;
}

unsigned short port_from_line(const std::string& line) {
  const auto key = line.find("\"listen\":\"");
  if (key == std::string::npos) return 0;
  const auto end = line.find('"', key + 10);
  const auto colon = line.rfind(':', end);
  return static_cast<unsigned short>(std::stoi(line.substr(colon + 1, end - colon - 1)));
}

}  // namespace memguard::testing
