// Load and fault test of issue 6: two spawned servers behind a client-side balancer under mixed load
// while certificates rotate, the policy is rewritten and one instance restarts; then abuse scenarios.
//
// Correctness is asserted (exit 1 on any violation): no failed request, every restart drains and
// exits 0, rotated certificates and rewritten policies are picked up, RSS does not grow, the server
// answers 413, cuts slow-loris and stalled connections, survives floods and invalid TLS, and frees
// every abused connection. Latencies are measured and reported, never asserted (project rule).
//
//   fault_driver --binary PATH [--duration SEC] [--rate REQ_PER_SEC] [--workers N]
//                [--rotate-every SEC] [--policy-every SEC] [--restart-every SEC]
//                [--warmup SEC] [--window SEC] [--abuse-seconds SEC] [--results FILE] [--command TEXT]
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "../webhook/server_test_support.h"

extern char** environ;

namespace {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using memguard::testing::KeyPair;
using memguard::testing::read_text;
using memguard::testing::write_text;

// The server's fixed limits (webhook/server/server_options.h) that the abuse scenarios push on.
constexpr int kServerReadTimeoutS = 10;
constexpr int kServerMaxConnections = 512;
constexpr std::size_t kServerBodyLimit = 3 * 1024 * 1024;
// Each client step (connect, handshake, write, read) gives up after this long: a hang is a failure.
constexpr std::chrono::seconds kStepDeadline{5};

std::atomic<int> g_violations{0};
std::mutex g_print_mu;

void note(const std::string& line) {
  std::lock_guard lock(g_print_mu);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void check(bool ok, const std::string& what) {
  if (ok) return;
  ++g_violations;
  note("FAIL: " + what);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Latency samples (microseconds) with percentiles.
struct Latencies {
  std::vector<uint32_t> us;
  void add(Clock::duration d) {
    us.push_back(static_cast<uint32_t>(std::min<int64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(d).count(), UINT32_MAX)));
  }
  void merge(const Latencies& o) { us.insert(us.end(), o.us.begin(), o.us.end()); }
  double pct_ms(double p) const {
    if (us.empty()) return 0;
    std::vector<uint32_t> s = us;
    const auto k = static_cast<std::size_t>(std::min<double>(static_cast<double>(s.size() - 1), p / 100.0 * static_cast<double>(s.size())));
    std::nth_element(s.begin(), s.begin() + static_cast<long>(k), s.end());
    return s[k] / 1000.0;
  }
  std::string summary() const {
    return fmt(pct_ms(50)) + " / " + fmt(pct_ms(99)) + " / " + fmt(pct_ms(99.9)) + " ms";
  }
};

// ---------------------------------------------------------------------------------------------
// A keep-alive TLS client connection whose every step has a deadline, and which tells "the
// connection ended before any response byte" (safe to retry elsewhere, as kube-apiserver sees a
// fresh connection error) from "the response broke off" (a failed request).
class Connection {
 public:
  enum class Outcome { kResponse, kNoResponseByte, kBroken };
  struct Result {
    Outcome outcome = Outcome::kNoResponseByte;
    beast::error_code ec;
    http::response<http::string_body> response;
  };

  Connection(net::io_context& ioc, ssl::context& ctx, unsigned short port) : ioc_(ioc), ctx_(ctx), port_(port) {}

  beast::error_code connect() {
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, ctx_);
    buffer_.clear();
    SSL_set_tlsext_host_name(stream_->native_handle(), "localhost");
    stream_->set_verify_callback(ssl::host_name_verification("localhost"));
    const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port_);
    auto ec = run([&](auto h) { beast::get_lowest_layer(*stream_).async_connect(ep, h); });
    if (ec) return ec;
    return run([&](auto h) { stream_->async_handshake(ssl::stream_base::client, h); });
  }

  Result exchange(http::request<http::string_body>& req) {
    return exchange_with([&](auto h) { http::async_write(*stream_, req, h); });
  }
  // Sends raw bytes (a malformed or oversized request) and reads one response.
  Result exchange_raw(const std::string& bytes) {
    return exchange_with([&](auto h) { net::async_write(*stream_, net::buffer(bytes), h); });
  }
  beast::error_code write_raw(const std::string& bytes) {
    return run([&](auto h) { net::async_write(*stream_, net::buffer(bytes), h); });
  }

 private:
  template <class WriteOp>
  Result exchange_with(WriteOp&& write) {
    Result r;
    r.ec = run(write);
    if (r.ec) return r;  // the server closed before reading: nothing was answered
    if (buffer_.size() == 0) {
      std::size_t got = 0;
      r.ec = run([&](auto h) { stream_->async_read_some(buffer_.prepare(16 * 1024), h); }, &got);
      buffer_.commit(got);
      if (r.ec && got == 0) return r;
    }
    r.outcome = Outcome::kBroken;
    r.ec = run([&](auto h) { http::async_read(*stream_, buffer_, r.response, h); });
    if (!r.ec) r.outcome = Outcome::kResponse;
    return r;
  }

 public:

  std::string peer_fingerprint() const {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (!cert) return {};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    X509_digest(cert, EVP_sha256(), md, &n);
    X509_free(cert);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 0xF];
    }
    return out;
  }

  void close() {
    if (!stream_) return;
    beast::error_code ec;
    beast::get_lowest_layer(*stream_).socket().close(ec);
    stream_.reset();
  }
  bool open() const { return stream_ != nullptr; }

 private:
  template <class Op>
  beast::error_code run(Op&& op, std::size_t* bytes = nullptr) {
    beast::error_code result = net::error::would_block;
    beast::get_lowest_layer(*stream_).expires_after(kStepDeadline);
    // Connect and handshake hand (ec); reads and writes hand (ec, bytes).
    op([&result, bytes](beast::error_code ec, auto&&... rest) {
      result = ec;
      if constexpr (sizeof...(rest) == 1) {
        if (bytes) ((*bytes = static_cast<std::size_t>(rest)), ...);
      }
    });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context& ioc_;
  ssl::context& ctx_;
  unsigned short port_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

std::unique_ptr<ssl::context> client_context(const fs::path& ca) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->load_verify_file(ca.string());
  return ctx;
}

http::request<http::string_body> make_request(http::verb method, const std::string& target, std::string body) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::user_agent, "memguard-faults");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// One request on a fresh connection (health probes, metrics, certificate checks).
std::optional<Connection::Result> one_shot(ssl::context& ctx, unsigned short port, const std::string& target,
                                           std::string* fingerprint = nullptr) {
  net::io_context ioc;
  Connection c(ioc, ctx, port);
  if (c.connect()) return std::nullopt;
  if (fingerprint) *fingerprint = c.peer_fingerprint();
  auto req = make_request(http::verb::get, target, "");
  auto r = c.exchange(req);
  c.close();
  if (r.outcome != Connection::Outcome::kResponse) return std::nullopt;
  return r;
}

double metric(ssl::context& ctx, unsigned short port, const std::string& name) {
  auto r = one_shot(ctx, port, "/metrics");
  if (!r) return -1;
  std::istringstream in(r->response.body());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// The review mix: what is sent and what a correct answer says.
struct Review {
  std::string name;
  std::string target;
  std::string body;
  std::string uid;
  bool allowed;
};

std::string uid_of(const std::string& body) {
  const auto key = body.find("\"uid\"");
  const auto open = body.find('"', body.find(':', key) + 1);
  return body.substr(open + 1, body.find('"', open + 1) - open - 1);
}

std::vector<Review> review_mix(const fs::path& source) {
  struct Spec {
    const char* file;
    bool validate_allowed;
  };
  const Spec specs[] = {{"bench/fixtures/update-flinkdeployment-allowed.json", true},
                        {"bench/fixtures/update-flinkdeployment-denied.json", false},
                        {"tests/data/reviews/cm-process-exceeds-limit.json", false},
                        {"tests/data/reviews/cm-other.json", true},
                        {"tests/data/reviews/fd-valid.json", true}};
  std::vector<Review> mix;
  for (const auto& s : specs) {
    const std::string body = read_text(source / s.file);
    if (body.empty()) throw std::runtime_error(std::string("missing fixture ") + s.file);
    const std::string name = fs::path(s.file).stem().string();
    mix.push_back({name + " validate", "/validate", body, uid_of(body), s.validate_allowed});
    // /mutate never denies; denials are /validate's.
    mix.push_back({name + " mutate", "/mutate", body, uid_of(body), true});
  }
  return mix;
}

// Empty when the answer is a correct AdmissionReview for `review`, else what is wrong with it.
std::string judge(const Review& review, const http::response<http::string_body>& res) {
  if (res.result_int() != 200) return "HTTP " + std::to_string(res.result_int());
  const std::string& b = res.body();
  if (b.find("\"uid\":\"" + review.uid + "\"") == std::string::npos) return "answer without the request's uid";
  const std::string verdict = review.allowed ? "\"allowed\":true" : "\"allowed\":false";
  if (b.find(verdict) == std::string::npos) return "expected " + verdict;
  return {};
}

// ---------------------------------------------------------------------------------------------
// kubelet-style atomically swapped mounts: files are symlinks through `..data`, which a rename
// points at a freshly written directory.
class AtomicDir {
 public:
  explicit AtomicDir(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  fs::path file(const std::string& name) const { return dir_ / name; }
  void publish(const std::map<std::string, std::string>& files) {
    const std::string stamp = "..v" + std::to_string(++version_);
    const fs::path fresh = dir_ / stamp;
    fs::create_directories(fresh);
    for (const auto& [name, text] : files) write_text(fresh / name, text);
    const fs::path tmp = dir_ / "..data_tmp";
    fs::remove(tmp);
    fs::create_directory_symlink(stamp, tmp);
    fs::rename(tmp, dir_ / "..data");  // rename(2): readers see the old or the new set, never a mix
    for (const auto& [name, text] : files) {
      const fs::path link = dir_ / name;
      if (!fs::is_symlink(link)) fs::create_symlink(fs::path("..data") / name, link);
    }
    if (!previous_.empty()) fs::remove_all(dir_ / previous_);
    previous_ = stamp;
  }

 private:
  fs::path dir_;
  int version_ = 0;
  std::string previous_;
};

std::string policy_text(int variant) {
  // Variants that differ in bytes and meaning but not in the verdicts of the review mix.
  return std::string("findings:\n  jvm-overhead-below-default: warn\n  process-exceeds-limit: deny\n") +
         "mutations:\n  corrections: true\n  tuning: " + (variant % 2 ? "true" : "false") + "\n" +
         "excluded-namespaces: [kube-system" + (variant % 3 == 1 ? ", scratch-*" : "") + "]\n" +
         "# rewrite " + std::to_string(variant) + "\n";
}

// ---------------------------------------------------------------------------------------------
// A spawned `flink-memguard serve`, its output in files (a full pipe must never block it).
struct RssSample {
  double t;
  double mb;
};

class Instance {
 public:
  Instance(std::string name, std::string binary, unsigned short port, std::vector<std::string> serve_args,
           fs::path logdir)
      : name_(std::move(name)), binary_(std::move(binary)), port_(port), args_(std::move(serve_args)),
        logdir_(std::move(logdir)) {}
  ~Instance() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st;
      waitpid(pid_, &st, 0);
    }
  }

  const std::string& name() const { return name_; }
  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_.load(); }
  int starts() const { return starts_; }

  // Starts the process and waits until /readyz answers 200.
  bool start(ssl::context& ctx) {
    ++starts_;
    std::vector<std::string> argv_s = {binary_, "serve", "--listen", "127.0.0.1:" + std::to_string(port_)};
    argv_s.insert(argv_s.end(), args_.begin(), args_.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string out = (logdir_ / (name_ + "-" + std::to_string(starts_) + ".out")).string();
    const std::string err = (logdir_ / (name_ + "-" + std::to_string(starts_) + ".err")).string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // Asio opens sockets without close-on-exec: a restarted instance would otherwise inherit the
    // balancer's client sockets and keep those connections open after the client closed them.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, binary_.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    pid_ = pid;
    last_out_ = out;
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until) {
      auto r = one_shot(ctx, port_, "/readyz");
      if (r && r->response.result_int() == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // SIGTERM, then waits for the drain; returns the exit code (nullopt: still running after 30 s).
  std::optional<int> stop() {
    const pid_t pid = pid_.load();
    if (pid <= 0) return std::nullopt;
    ::kill(pid, SIGTERM);
    const auto until = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < until) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  bool alive() const {
    const pid_t pid = pid_.load();
    return pid > 0 && ::kill(pid, 0) == 0 && waitpid(pid, nullptr, WNOHANG) == 0;
  }

  std::optional<double> rss_mb() const {
    const pid_t pid = pid_.load();
    if (pid <= 0) return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return std::nullopt;
  }

  std::size_t count_in_output(const std::string& text) const {
    const std::string out = read_text(last_out_);
    std::size_t n = 0;
    for (auto p = out.find(text); p != std::string::npos; p = out.find(text, p + 1)) ++n;
    return n;
  }

  // RSS samples of each incarnation (a restart begins a new series).
  std::mutex mu;
  std::vector<std::vector<RssSample>> rss;

 private:
  std::string name_, binary_;
  unsigned short port_;
  std::vector<std::string> args_;
  fs::path logdir_;
  std::atomic<pid_t> pid_{-1};
  int starts_ = 0;
  std::string last_out_;
};

unsigned short free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// ---------------------------------------------------------------------------------------------
// The client-side balancer: round-robin over the instances that are up; an instance whose
// connection was refused, ended before answering, or answered "Connection: close" is taken out
// for a while, as an endpoint removal would; a request is retried on the other instance only when
// its connection ended before any response byte.
struct LoadTotals {
  std::atomic<uint64_t> requests{0}, failed{0}, retried{0}, reconnects{0};
  std::mutex mu;
  Latencies latencies;
  std::map<std::string, uint64_t> failures;  // reason -> count
};

class Balancer {
 public:
  Balancer(ssl::context& ctx, std::vector<unsigned short> ports) {
    for (auto p : ports) backends_.push_back({p, std::make_unique<Connection>(ioc_, ctx, p), {}});
  }

  // Sends `req` for `review`; returns an empty string on success, else the failure.
  std::string send(const Review& review, http::request<http::string_body>& req, std::size_t turn,
                   LoadTotals& totals) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < backends_.size(); ++i) order.push_back((turn + i) % backends_.size());
    // Instances that are up first, in round-robin order.
    std::stable_partition(order.begin(), order.end(),
                          [&](std::size_t i) { return Clock::now() >= backends_[i].down_until; });
    std::string why = "no instance reachable";
    for (std::size_t attempt = 0; attempt < order.size(); ++attempt) {
      if (attempt > 0) ++totals.retried;
      Backend& b = backends_[order[attempt]];
      if (!b.conn->open()) {
        ++totals.reconnects;
        if (auto ec = b.conn->connect()) {
          b.conn->close();
          take_out(b);
          why = "connect: " + ec.message();
          continue;
        }
      }
      auto r = b.conn->exchange(req);
      if (r.outcome == Connection::Outcome::kNoResponseByte) {
        b.conn->close();
        take_out(b);
        why = "closed before answering: " + r.ec.message();
        continue;
      }
      if (r.outcome == Connection::Outcome::kBroken) {
        b.conn->close();
        take_out(b);
        return "response broken off: " + r.ec.message();
      }
      if (!r.response.keep_alive()) {
        b.conn->close();
        take_out(b);
      }
      return judge(review, r.response);
    }
    return why;
  }

  void close_all() {
    for (auto& b : backends_) b.conn->close();
  }

 private:
  struct Backend {
    unsigned short port;
    std::unique_ptr<Connection> conn;
    Clock::time_point down_until;
  };
  static void take_out(Backend& b) { b.down_until = Clock::now() + std::chrono::milliseconds(500); }

  net::io_context ioc_;
  std::vector<Backend> backends_;
};

// Paced workers: request k of a worker is due at start + k * workers / rate, and its latency runs
// from that due time (a stalled server is charged for the requests it held back).
void run_load(ssl::context& ctx, const std::vector<unsigned short>& ports, const std::vector<Review>& mix,
              double rate, int workers, const std::atomic<bool>& stop, LoadTotals& totals) {
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      Balancer lb(ctx, ports);
      Latencies mine;
      std::vector<http::request<http::string_body>> requests;
      for (const auto& r : mix) requests.push_back(make_request(http::verb::post, r.target, r.body));
      const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(workers / rate));
      const auto start = Clock::now() + interval * w / workers;
      for (uint64_t k = 0; !stop.load(); ++k) {
        const auto due = start + interval * static_cast<long>(k);
        std::this_thread::sleep_until(due);
        const std::size_t i = (k * static_cast<uint64_t>(workers) + static_cast<uint64_t>(w)) % mix.size();
        const std::string failure = lb.send(mix[i], requests[i], k + static_cast<uint64_t>(w), totals);
        mine.add(Clock::now() - due);
        ++totals.requests;
        if (!failure.empty()) {
          ++totals.failed;
          std::lock_guard lock(totals.mu);
          if (totals.failures[mix[i].name + ": " + failure]++ == 0) note("failed request: " + mix[i].name + ": " + failure);
        }
      }
      lb.close_all();
      std::lock_guard lock(totals.mu);
      totals.latencies.merge(mine);
    });
  }
  for (auto& t : threads) t.join();
}

// ---------------------------------------------------------------------------------------------
struct Options {
  std::string binary;
  double duration = 45, rate = 400, rotate_every = 15, policy_every = 15, restart_every = 30;
  double warmup = 10, window = 10, abuse_seconds = 3;
  bool abuse = true;
  // Off in sanitizer builds: ASan's quarantine holds freed memory on purpose, so RSS grows there
  // by design; the plain build's run is the one that checks memory growth.
  bool rss_checks = true;
  int workers = 4;
  std::string results, command;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--binary") o.binary = v;
    else if (k == "--duration") o.duration = std::stod(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--workers") o.workers = std::stoi(v);
    else if (k == "--rotate-every") o.rotate_every = std::stod(v);
    else if (k == "--policy-every") o.policy_every = std::stod(v);
    else if (k == "--restart-every") o.restart_every = std::stod(v);
    else if (k == "--warmup") o.warmup = std::stod(v);
    else if (k == "--window") o.window = std::stod(v);
    else if (k == "--abuse-seconds") o.abuse_seconds = std::stod(v);
    else if (k == "--results") o.results = v;
    else if (k == "--abuse") o.abuse = v != "0";
    else if (k == "--rss-checks") o.rss_checks = v != "0";
    else if (k == "--command") o.command = v;
    else throw std::runtime_error("unknown option " + k);
  }
  if (o.binary.empty()) throw std::runtime_error("--binary is required");
  return o;
}

struct Report {
  std::vector<std::string> lines;  // Markdown
  void add(const std::string& l) {
    lines.push_back(l);
    note(l);
  }
};

// Samples VmRSS of every instance once a second into its current series.
class RssSampler {
 public:
  RssSampler(std::vector<Instance*> instances, Clock::time_point t0) : instances_(std::move(instances)), t0_(t0) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        for (auto* in : instances_) {
          if (auto mb = in->rss_mb()) {
            std::lock_guard lock(in->mu);
            if (in->rss.empty()) in->rss.emplace_back();
            in->rss.back().push_back({seconds_since(t0_), *mb});
          }
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    });
  }
  ~RssSampler() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::vector<Instance*> instances_;
  Clock::time_point t0_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double average_mb(const std::vector<RssSample>& s, double from, double to) {
  double sum = 0;
  int n = 0;
  for (const auto& x : s) {
    if (x.t >= from && x.t < to) {
      sum += x.mb;
      ++n;
    }
  }
  return n ? sum / n : 0;
}

// ---------------------------------------------------------------------------------------------
// Abuse scenarios. Each runs while a well-behaved client sends to the same instance.
namespace abuse {

// One keep-alive connection at a steady rate; every request must get its correct answer.
class GoodClient {
 public:
  GoodClient(ssl::context& ctx, unsigned short port, const std::vector<Review>& mix, double rate)
      : thread_([this, &ctx, port, &mix, rate] {
          net::io_context ioc;
          Connection c(ioc, ctx, port);
          std::vector<http::request<http::string_body>> requests;
          for (const auto& r : mix) requests.push_back(make_request(http::verb::post, r.target, r.body));
          const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1 / rate));
          const auto start = Clock::now();
          for (uint64_t k = 0; !stop_.load(); ++k) {
            const auto due = start + interval * static_cast<long>(k);
            std::this_thread::sleep_until(due);
            const auto& review = mix[k % mix.size()];
            std::string failure;
            if (!c.open()) {
              if (auto ec = c.connect()) {
                c.close();
                failure = "connect: " + ec.message();
              }
            }
            if (failure.empty()) {
              auto r = c.exchange(requests[k % mix.size()]);
              if (r.outcome != Connection::Outcome::kResponse) {
                c.close();
                failure = "no answer: " + r.ec.message();
              } else {
                failure = judge(review, r.response);
                if (!r.response.keep_alive()) c.close();
              }
            }
            latencies.add(Clock::now() - due);
            ++requests_sent;
            if (!failure.empty()) {
              ++failed;
              if (failed == 1) note("good client failure: " + review.name + ": " + failure);
            }
          }
          c.close();
        }) {}
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  ~GoodClient() { stop(); }

  Latencies latencies;
  std::atomic<uint64_t> requests_sent{0}, failed{0};

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int raw_connect(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the peer has closed `fd` (EOF or reset), reading and discarding whatever came first
// (a TLS alert); false if it is still open after `wait`.
bool closed_by_peer(int fd, std::chrono::milliseconds wait) {
  const auto until = Clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long>(left, 0))) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

// Slow-loris and stalled-body connections: each completes the TLS handshake, then either trickles a
// request header one byte every 300 ms, or sends headers and part of the body and goes quiet. The
// server must cut each of them at its read timeout, counted from the request's first byte.
class SlowClients {
 public:
  struct Conn {
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
    net::steady_timer timer;
    std::string payload;
    bool trickle = true;
    std::size_t sent = 0;
    bool closed = false, handshake_failed = false;
    Clock::time_point first_byte{}, closed_at{};
    std::array<char, 1024> rb{};
    explicit Conn(net::io_context& ioc) : timer(ioc) {}
  };

  SlowClients(ssl::context& ctx, unsigned short port, int trickling, int stalled) {
    const std::string headers = "POST /validate HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slowloris\r\n"
                                "Content-Type: application/json\r\nContent-Length: 13000\r\n\r\n";
    for (int i = 0; i < trickling + stalled; ++i) {
      auto c = std::make_unique<Conn>(ioc_);
      c->stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, ctx);
      c->trickle = i < trickling;
      c->payload = c->trickle ? headers : headers + std::string(5000, '{');
      conns_.push_back(std::move(c));
    }
    for (auto& c : conns_) start(*c, port);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~SlowClients() {
    net::post(ioc_, [this] {
      for (auto& c : conns_) {
        beast::error_code ec;
        c->timer.cancel();
        beast::get_lowest_layer(*c->stream).socket().close(ec);
      }
    });
    thread_.join();
  }
  // Waits until every connection is closed or `deadline` passes; returns how many are still open.
  int wait_all_closed(std::chrono::seconds deadline) {
    const auto until = Clock::now() + deadline;
    for (;;) {
      int open = 0;
      net::post(ioc_, [] {});
      {
        std::lock_guard lock(mu_);
        for (auto& c : conns_) open += c->closed ? 0 : 1;
      }
      if (open == 0 || Clock::now() >= until) return open;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  // The longest time from a connection's first request byte to the server cutting it, in seconds.
  double longest_hold() {
    std::lock_guard lock(mu_);
    double m = 0;
    for (auto& c : conns_) {
      if (c->closed && c->first_byte != Clock::time_point{}) {
        m = std::max(m, std::chrono::duration<double>(c->closed_at - c->first_byte).count());
      }
    }
    return m;
  }
  int handshake_failures() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& c : conns_) n += c->handshake_failed ? 1 : 0;
    return n;
  }

 private:
  void mark_closed(Conn& c) {
    std::lock_guard lock(mu_);
    if (c.closed) return;
    c.closed = true;
    c.closed_at = Clock::now();
    c.timer.cancel();
  }
  void start(Conn& c, unsigned short port) {
    auto& tcp_layer = beast::get_lowest_layer(*c.stream);
    tcp_layer.expires_after(std::chrono::seconds(10));
    tcp_layer.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [this, &c](beast::error_code ec) {
      if (ec) {
        c.handshake_failed = true;
        return mark_closed(c);
      }
      c.stream->async_handshake(ssl::stream_base::client, [this, &c](beast::error_code ec2) {
        if (ec2) {
          c.handshake_failed = true;
          return mark_closed(c);
        }
        beast::get_lowest_layer(*c.stream).expires_never();
        read(c);
        write(c);
      });
    });
  }
  void read(Conn& c) {
    c.stream->async_read_some(net::buffer(c.rb), [this, &c](beast::error_code ec, std::size_t) {
      if (ec) return mark_closed(c);
      read(c);  // a 408/400 answer, then the close
    });
  }
  void write(Conn& c) {
    if (c.closed || c.sent >= c.payload.size()) return;
    const std::size_t n = c.trickle ? 1 : c.payload.size();
    if (c.sent == 0) c.first_byte = Clock::now();
    net::async_write(*c.stream, net::buffer(c.payload.data() + c.sent, n),
                     [this, &c, n](beast::error_code ec, std::size_t) {
                       if (ec) return mark_closed(c);
                       c.sent += n;
                       c.timer.expires_after(std::chrono::milliseconds(300));
                       c.timer.async_wait([this, &c](beast::error_code wec) {
                         if (!wec) write(c);
                       });
                     });
  }

  net::io_context ioc_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::mutex mu_;
  std::thread thread_;
};

void run_all(const Options& o, Instance& target, ssl::context& ctx, const std::vector<Review>& mix, Report& report) {
  const unsigned short port = target.port();
  const double good_rate = 100;
  const double rss_start = target.rss_mb().value_or(0);
  const double failures_start = metric(ctx, port, "memguard_tls_handshake_failures_total");
  report.add("");
  report.add("Abuse, each against instance A while one well-behaved keep-alive client sends " + fmt(good_rate, 0) +
             " req/s to it:");
  report.add("");
  report.add("| Scenario | What happened | Good client requests / failed | Good client p50 / p99 / p99.9 | "
             "RSS after, MB |");
  report.add("|---|---|---|---|---|");

  // The well-behaved client's connection plus the metrics probe's own: the resting count.
  auto connections_settle = [&](double resting, std::chrono::seconds deadline) {
    const auto until = Clock::now() + deadline;
    double active = -1;
    while (Clock::now() < until) {
      active = metric(ctx, port, "memguard_connections_active");
      if (active >= 0 && active <= resting) return active;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return active;
  };

  auto scenario = [&](const std::string& name, const std::function<std::string()>& abuse) {
    GoodClient good(ctx, port, mix, good_rate);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its connection is open first
    const std::string detail = abuse();
    good.stop();
    const bool alive = target.alive();
    check(alive, name + ": the server died");
    auto health = alive ? one_shot(ctx, port, "/healthz") : std::nullopt;
    check(health && health->response.result_int() == 200, name + ": /healthz did not answer 200 afterwards");
    // Only the probe's own connection may remain: every abusive connection has been freed.
    const double active = alive ? connections_settle(1, std::chrono::seconds(kServerReadTimeoutS + 5)) : -1;
    check(active >= 0 && active <= 1, name + ": " + fmt(active, 0) + " connections still open afterwards");
    const double rss = target.rss_mb().value_or(0);
    check(!o.rss_checks || rss < rss_start + 256, name + ": RSS exploded from " + fmt(rss_start, 1) + " to " + fmt(rss, 1) + " MB");
    check(good.failed == 0, name + ": the well-behaved client had " + std::to_string(good.failed.load()) + " failures");
    check(good.requests_sent > 0, name + ": the well-behaved client sent nothing");
    report.add("| " + name + " | " + detail + " | " + std::to_string(good.requests_sent.load()) + " / " +
               std::to_string(good.failed.load()) + " | " + good.latencies.summary() + " | " + fmt(rss, 1) + " |");
  };

  scenario("slow loris", [&] {
    const int trickling = 200, stalled = 50;
    SlowClients slow(ctx, port, trickling, stalled);
    const int open = slow.wait_all_closed(std::chrono::seconds(kServerReadTimeoutS + 8));
    check(slow.handshake_failures() == 0, "slow loris: " + std::to_string(slow.handshake_failures()) +
                                              " handshakes failed (the server should accept them, then cut them)");
    check(open == 0, "slow loris: " + std::to_string(open) + " connections were never cut");
    return std::to_string(trickling) + " trickling headers + " + std::to_string(stalled) +
           " stalled bodies; all cut, the last " + fmt(slow.longest_hold(), 1) + " s after its first byte (read timeout " +
           std::to_string(kServerReadTimeoutS) + " s)";
  });

  scenario("connection flood", [&] {
    const int flood = kServerMaxConnections + 176;
    std::vector<int> fds;
    for (int i = 0; i < flood; ++i) {
      const int fd = raw_connect(port);
      if (fd >= 0) fds.push_back(fd);
    }
    check(static_cast<int>(fds.size()) == flood, "flood: only " + std::to_string(fds.size()) + " connects succeeded");
    // Beyond the cap each new one evicts the connection idle the longest (a handshake that has not
    // started counts as idle): as many as exceed the cap are closed, the oldest first.
    const int expected = flood - kServerMaxConnections;
    int closed = 0;
    const auto until = Clock::now() + std::chrono::milliseconds(static_cast<long>(o.abuse_seconds * 1000));
    std::vector<bool> done(fds.size(), false);
    while (Clock::now() < until) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (!done[i] && closed_by_peer(fds[i], std::chrono::milliseconds(0))) {
          done[i] = true;
          ++closed;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    check(closed >= expected, "flood: only " + std::to_string(closed) + " connections were closed to keep within the cap");
    for (int fd : fds) ::close(fd);
    return std::to_string(flood) + " idle TCP connections (cap " + std::to_string(kServerMaxConnections) + "); " +
           std::to_string(closed) + " evicted (oldest idle first), the rest freed when the flood let go";
  });

  scenario("oversized body", [&] {
    const int rounds = 20;
    int answered = 0;
    for (int i = 0; i < rounds; ++i) {
      net::io_context ioc;
      Connection c(ioc, ctx, port);
      if (c.connect()) continue;
      // Odd rounds announce 4 MiB and send nothing; even ones also send 1 MiB of it.
      std::string req = "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(kServerBodyLimit + 1024 * 1024) + "\r\n\r\n";
      if (i % 2 == 0) req += std::string(1024 * 1024, ' ');
      auto r = c.exchange_raw(req);
      c.close();
      if (r.outcome == Connection::Outcome::kResponse && r.response.result_int() == 413 && !r.response.keep_alive()) {
        ++answered;
      }
    }
    check(answered == rounds, "oversized: " + std::to_string(answered) + " of " + std::to_string(rounds) +
                                  " requests were answered 413 with Connection: close");
    return std::to_string(rounds) + " requests announcing 4 MiB (half sending 1 MiB of it): " +
           std::to_string(answered) + " answered 413";
  });

  scenario("truncated body", [&] {
    const int rounds = 200;
    int sent = 0;
    for (int i = 0; i < rounds; ++i) {
      net::io_context ioc;
      Connection c(ioc, ctx, port);
      if (c.connect()) continue;
      const std::string req = "POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: 13545\r\n\r\n" + mix[0].body.substr(0, 5000);
      if (!c.write_raw(req)) ++sent;
      c.close();  // TCP close mid-body, without close_notify
    }
    check(sent == rounds, "truncated: only " + std::to_string(sent) + " of " + std::to_string(rounds) + " were sent");
    return std::to_string(rounds) + " requests closed after 5000 of 13545 body bytes";
  });

  scenario("invalid TLS", [&] {
    const int rounds = 50;
    int plaintext_closed = 0, garbage_closed = 0, tls10_refused = 0, cipher_refused = 0;
    std::mt19937 rng(6);
    for (int i = 0; i < rounds; ++i) {
      if (int fd = raw_connect(port); fd >= 0) {
        const std::string req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
        (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        plaintext_closed += closed_by_peer(fd, std::chrono::seconds(kServerReadTimeoutS + 2)) ? 1 : 0;
        ::close(fd);
      }
      if (int fd = raw_connect(port); fd >= 0) {
        std::string junk(4096, '\0');
        for (auto& ch : junk) ch = static_cast<char>(rng());
        junk[0] = '\xff';  // not a TLS record type, whatever the rest says
        (void)!::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
        garbage_closed += closed_by_peer(fd, std::chrono::seconds(kServerReadTimeoutS + 2)) ? 1 : 0;
        ::close(fd);
      }
    }
    ssl::context tls10(ssl::context::tls_client);
    SSL_CTX_set_security_level(tls10.native_handle(), 0);
    SSL_CTX_set_cipher_list(tls10.native_handle(), "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(tls10.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(tls10.native_handle(), TLS1_VERSION);
    ssl::context rsa_kx(ssl::context::tls_client);  // TLS 1.2 with only RSA key exchange: nothing in common
    SSL_CTX_set_max_proto_version(rsa_kx.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(rsa_kx.native_handle(), "AES128-SHA:AES256-SHA:AES128-GCM-SHA256");
    for (int i = 0; i < rounds; ++i) {
      net::io_context ioc;
      Connection c10(ioc, tls10, port);
      tls10_refused += c10.connect() ? 1 : 0;
      c10.close();
      Connection cx(ioc, rsa_kx, port);
      cipher_refused += cx.connect() ? 1 : 0;
      cx.close();
    }
    check(plaintext_closed == rounds, "invalid TLS: plaintext HTTP left open " + std::to_string(rounds - plaintext_closed));
    check(garbage_closed == rounds, "invalid TLS: garbage left open " + std::to_string(rounds - garbage_closed));
    check(tls10_refused == rounds, "invalid TLS: TLS 1.0 accepted " + std::to_string(rounds - tls10_refused) + " times");
    check(cipher_refused == rounds, "invalid TLS: no-common-cipher accepted " + std::to_string(rounds - cipher_refused));
    return std::to_string(rounds) + " each of plaintext HTTP, 4 KiB of garbage, a TLS 1.0 client, a TLS 1.2 client " +
           "with only RSA key exchange: all refused and closed";
  });

  const double failures_end = metric(ctx, port, "memguard_tls_handshake_failures_total");
  check(failures_end - failures_start >= 4 * 50, "invalid TLS: the handshake-failure counter rose by only " +
                                                     fmt(failures_end - failures_start, 0));
}

}  // namespace abuse

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fault_driver: %s\n", e.what());
    return 2;
  }
  // The flood needs more descriptors than the usual soft limit of 1024, here and in the servers.
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = std::min<rlim_t>(nofile.rlim_max, 8192);
  setrlimit(RLIMIT_NOFILE, &nofile);

  memguard::testing::TempDir tmp;
  const KeyPair ca = memguard::testing::make_ca(tmp.path(), "fault-ca");
  AtomicDir certs(tmp / "certs");
  AtomicDir policy(tmp / "policy");
  int cert_version = 0;
  std::string current_fingerprint;
  auto rotate = [&] {
    const auto leaf = memguard::testing::make_leaf(tmp.path(), "leaf" + std::to_string(++cert_version), ca);
    current_fingerprint = memguard::testing::fingerprint_of(leaf.cert);
    certs.publish({{"tls.crt", read_text(leaf.cert)}, {"tls.key", read_text(leaf.key)}});
  };
  rotate();
  int policy_version = 0;
  policy.publish({{"policy.yaml", policy_text(policy_version)}});
  fs::create_directories(tmp / "logs");

  auto ctx = client_context(ca.cert);
  const std::vector<Review> mix = review_mix(MEMGUARD_SOURCE_DIR);
  const std::vector<std::string> serve_args = {"--tls-cert", certs.file("tls.crt").string(), "--tls-key",
                                               certs.file("tls.key").string(), "--policy",
                                               policy.file("policy.yaml").string(), "--threads", "2",
                                               "--log-level", "warn", "--cert-poll-interval", "1"};
  Instance a("A", o.binary, free_port(), serve_args, tmp / "logs");
  Instance b("B", o.binary, free_port(), serve_args, tmp / "logs");
  if (!a.start(*ctx) || !b.start(*ctx)) {
    note("FAIL: the servers did not become ready");
    return 1;
  }

  Report report;
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  utsname un{};
  uname(&un);
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  report.add("- Date: " + std::string(date) + "; machine: " + std::to_string(std::thread::hardware_concurrency()) +
             " cores, Linux " + un.release);
  report.add("- Command: `" + (o.command.empty() ? std::string("fault_driver") : o.command) + "`");
  report.add("- Load average before (1/5/15 min): " + fmt(load[0]) + " " + fmt(load[1]) + " " + fmt(load[2]) +
             " (other builds share the 2 cores)");

  // Phase 1: mixed load through the balancer while the controller rotates, rewrites, restarts.
  const auto t0 = Clock::now();
  LoadTotals totals;
  std::atomic<bool> stop_load{false};
  int rotations = 0, rewrites = 0, restarts = 0, a_reloads_expected = 0, a_sighups = 0;
  {
    RssSampler sampler({&a, &b}, t0);
    std::thread load_thread(
        [&] { run_load(*ctx, {a.port(), b.port()}, mix, o.rate, o.workers, stop_load, totals); });
    double next_rotate = o.rotate_every, next_policy = o.policy_every * 0.5 + 1, next_restart = o.restart_every * 0.7;
    while (seconds_since(t0) < o.duration) {
      const double t = seconds_since(t0);
      if (t >= next_rotate) {
        next_rotate += o.rotate_every;
        rotate();
        ++rotations;
        // Both instances must serve the new certificate to new connections within a few polls.
        for (Instance* in : {&a, &b}) {
          bool seen = false;
          const auto until = Clock::now() + std::chrono::seconds(6);
          while (!seen && Clock::now() < until) {
            std::string fp;
            seen = one_shot(*ctx, in->port(), "/healthz", &fp).has_value() && fp == current_fingerprint;
            if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
          check(seen, "instance " + in->name() + " still serves the old certificate after rotation " +
                          std::to_string(rotations));
        }
      } else if (t >= next_policy) {
        next_policy += o.policy_every;
        policy.publish({{"policy.yaml", policy_text(++policy_version)}});
        ++rewrites;
        ++a_reloads_expected;
        // A reload on request races the poller for the same new file: still one reload, no failure.
        ::kill(a.pid(), SIGHUP);
        ++a_sighups;
      } else if (t >= next_restart) {
        next_restart += o.restart_every;
        const auto code = b.stop();
        check(code == 0, "instance B exited with " + (code ? std::to_string(*code) : std::string("a hang")) +
                             " after SIGTERM");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the endpoint is gone a while
        {
          std::lock_guard lock(b.mu);
          b.rss.emplace_back();
        }
        check(b.start(*ctx), "instance B did not become ready again after restart");
        ++restarts;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stop_load = true;
    load_thread.join();
  }
  const double elapsed = seconds_since(t0);

  // The policy rewrites reached A (B re-reads the current file whenever it starts).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto reloads = a.count_in_output("policy reloaded");
  check(reloads == static_cast<std::size_t>(a_reloads_expected),
        "instance A logged " + std::to_string(reloads) + " policy reloads for " + std::to_string(a_reloads_expected) +
            " rewrites");

  const auto on_request = a.count_in_output("reloading on request");
  check(on_request == static_cast<std::size_t>(a_sighups),
        "instance A logged " + std::to_string(on_request) + " reloads on request for " + std::to_string(a_sighups) +
            " SIGHUPs");

  report.add("");
  report.add("Mixed load: " + fmt(elapsed, 0) + " s at " + fmt(o.rate, 0) + " req/s target over " +
             std::to_string(o.workers) + " keep-alive clients x 2 instances (" + std::to_string(mix.size()) +
             " reviews: FlinkDeployment and ConfigMap, allowed and denied, /validate and /mutate), " +
             std::to_string(rotations) + " certificate rotations, " + std::to_string(rewrites) +
             " policy rewrites (each followed by a SIGHUP to instance A), " + std::to_string(restarts) +
             " SIGTERM restarts of instance B.");
  report.add("");
  report.add("| Requests | Failed | Retried on the other instance | New connections | Achieved req/s | "
             "Latency p50 / p99 / p99.9 |");
  report.add("|---|---|---|---|---|---|");
  report.add("| " + std::to_string(totals.requests.load()) + " | " + std::to_string(totals.failed.load()) + " | " +
             std::to_string(totals.retried.load()) + " | " + std::to_string(totals.reconnects.load()) + " | " +
             fmt(static_cast<double>(totals.requests.load()) / elapsed, 0) + " | " + totals.latencies.summary() + " |");
  check(totals.failed == 0, std::to_string(totals.failed.load()) + " failed requests during the mixed load");
  check(totals.requests > 0, "no request was sent");

  // RSS: A runs throughout; its last window must not sit above its first window after warm-up by
  // more than 10% + 2 MB (allocator arenas and TLS caches settle during the warm-up).
  report.add("");
  report.add("| Instance, run | RSS first / last / max MB | Window averages MB (first after warm-up, last) |");
  report.add("|---|---|---|");
  for (Instance* in : {&a, &b}) {
    std::lock_guard lock(in->mu);
    for (std::size_t run = 0; run < in->rss.size(); ++run) {
      const auto& s = in->rss[run];
      if (s.empty()) continue;
      double mx = 0;
      for (const auto& x : s) mx = std::max(mx, x.mb);
      std::string windows = "-";
      if (in == &a) {
        const double first = average_mb(s, o.warmup, o.warmup + o.window);
        const double last = average_mb(s, elapsed - o.window, elapsed + 1);
        windows = fmt(first, 1) + ", " + fmt(last, 1);
        check(first > 0 && last > 0, "too few RSS samples for the growth check");
        check(!o.rss_checks || last <= first * 1.10 + 2.0,
              "instance A RSS grew from " + fmt(first, 1) + " MB to " + fmt(last, 1) + " MB");
      }
      report.add("| " + in->name() + " #" + std::to_string(run + 1) + " | " + fmt(s.front().mb, 1) + " / " +
                 fmt(s.back().mb, 1) + " / " + fmt(mx, 1) + " | " + windows + " |");
    }
  }

  // Phase 2: abuse, against A, each while a well-behaved client keeps sending.
  note("connections open on A after the load: " +
       fmt(metric(*ctx, a.port(), "memguard_connections_active") - 1, 0));
  if (o.abuse) abuse::run_all(o, a, *ctx, mix, report);

  for (Instance* in : {&a, &b}) {
    const auto code = in->stop();
    check(code == 0, "instance " + in->name() + " did not exit 0 on the final SIGTERM");
  }
  getloadavg(load, 3);
  report.add("");
  report.add("- Load average after (1/5/15 min): " + fmt(load[0]) + " " + fmt(load[1]) + " " + fmt(load[2]));
  report.add("- Verdict: " + std::string(g_violations == 0 ? "all checks passed" : "CHECKS FAILED: " +
                                                                                       std::to_string(g_violations.load())));

  if (!o.results.empty()) {
    // Replace (or append) the section between the markers in the results file.
    const std::string begin = "<!-- faults:begin (written by tests/faults/fault_driver; do not edit) -->";
    const std::string end = "<!-- faults:end -->";
    std::string text = read_text(o.results);
    std::string section = begin + "\n## Load and fault tests\n\n";
    for (const auto& l : report.lines) section += l + "\n";
    section += end;
    const auto b0 = text.find(begin);
    const auto e0 = text.find(end);
    if (b0 != std::string::npos && e0 != std::string::npos) {
      text.replace(b0, e0 + end.size() - b0, section);
    } else {
      text += (text.empty() || text.back() == '\n' ? "\n" : "\n\n") + section + "\n";
    }
    write_text(o.results, text);
  }
  return g_violations == 0 ? 0 : 1;
}
