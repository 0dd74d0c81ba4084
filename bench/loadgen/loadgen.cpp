// Open-loop TLS HTTP/1.1 load generator for bench/run.sh: fixed request rate, latency measured from each request's intended send time.
//
// Why not wrk: wrk is closed-loop (a connection sends its next request only after the previous
// answer), so a server that stalls also stalls the client, and the requests that should have been
// sent during the stall are never measured ("coordinated omission"). wrk2 fixes that but is not
// packaged in Debian. This tool schedules request k at start + k/rate, whatever happens, and
// measures each latency from that intended time to the last byte of the response: a request that
// waited for a free keep-alive connection is charged for the wait, as kube-apiserver's caller
// would be. HTTP/1.1 has no pipelining, so each connection carries one request at a time.
//
//   loadgen rate  --port P --path /validate --body FILE --rate R [--connections 64] [--threads 2]
//                 [--duration 10] [--warmup 2]
//       prints one line: key=value pairs (achieved rate, errors, p50/p90/p99/p99.9/max in us, and
//       the client's own CPU time per request)
//   loadgen ready --port P [--path /readyz] [--timeout-ms 5000] [--log FILE] -- COMMAND ARGS...
//       starts COMMAND, polls GET PATH over TLS every ~200 us until it answers 200, prints
//       "pid=N ready_ms=X" and exits, leaving COMMAND running (the caller stops it by pid).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "loadgen: %s\n", what.c_str());
  std::exit(2);
}

struct Options {
  std::string mode;
  int port = 0;
  std::string path;  // default: /validate for rate, /readyz for ready
  std::string body_file;
  double rate = 0;
  int connections = 64;
  int threads = 2;
  double duration_s = 10;
  double warmup_s = 2;
  int timeout_ms = 5000;
  std::string log_file = "/dev/null";
  std::vector<std::string> command;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2) die("usage: loadgen rate|ready [options] (see the banner of bench/loadgen/loadgen.cpp)");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.command.emplace_back(argv[i]);
      break;
    }
    if (i + 1 >= argc) die("option " + std::string(a) + " needs a value");
    std::string v = argv[++i];
    try {
      if (a == "--port") o.port = std::stoi(v);
      else if (a == "--path") o.path = v;
      else if (a == "--body") o.body_file = v;
      else if (a == "--rate") o.rate = std::stod(v);
      else if (a == "--connections") o.connections = std::stoi(v);
      else if (a == "--threads") o.threads = std::stoi(v);
      else if (a == "--duration") o.duration_s = std::stod(v);
      else if (a == "--warmup") o.warmup_s = std::stod(v);
      else if (a == "--timeout-ms") o.timeout_ms = std::stoi(v);
      else if (a == "--log") o.log_file = v;
      else die("unknown option " + std::string(a));
    } catch (const std::logic_error&) {
      die("bad value '" + v + "' for " + std::string(a));
    }
  }
  if (o.port <= 0 || o.port > 65535) die("--port is required (1-65535)");
  if (o.path.empty()) o.path = o.mode == "ready" ? "/readyz" : "/validate";
  if (o.mode == "rate") {
    if (o.body_file.empty()) die("--body is required");
    if (o.rate <= 0) die("--rate must be > 0");
    if (o.threads < 1 || o.connections < o.threads) die("need --threads >= 1 and --connections >= --threads");
    if (o.duration_s <= 0 || o.warmup_s < 0) die("need --duration > 0 and --warmup >= 0");
  } else if (o.mode == "ready") {
    if (o.command.empty()) die("ready needs a command after --");
  } else {
    die("unknown mode '" + o.mode + "' (rate or ready)");
  }
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

SSL_CTX* make_client_context() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) die("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // a throwaway loopback certificate
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
  SSL_CTX_set_read_ahead(ctx, 1);  // one read() per response instead of header + body reads
  return ctx;
}

int connect_socket(int port, bool nonblocking) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Incremental HTTP/1.1 response framing: status line, headers, Content-Length body. The servers
// under test all answer with Content-Length; a chunked answer is reported, not guessed at.
struct ResponseParser {
  std::string buf;
  std::size_t header_end = std::string::npos;
  std::size_t content_length = 0;
  int status = 0;
  bool close = false;

  void reset() {
    buf.clear();
    header_end = std::string::npos;
    content_length = 0;
    status = 0;
    close = false;
  }

  // Returns true once a whole response is in buf; sets error on a response it cannot frame.
  bool complete(std::string& error) {
    if (header_end == std::string::npos) {
      std::size_t end = buf.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      header_end = end + 4;
      std::string head = buf.substr(0, end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (head.compare(0, 5, "http/") != 0 || head.size() < 12) {
        error = "malformed status line";
        return false;
      }
      status = std::atoi(head.c_str() + 9);
      std::size_t cl = head.find("\r\ncontent-length:");
      if (cl == std::string::npos) {
        error = head.find("\r\ntransfer-encoding:") != std::string::npos ? "chunked response (unsupported)"
                                                                         : "response without Content-Length";
        return false;
      }
      content_length = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
      close = head.find("\r\nconnection: close") != std::string::npos;
    }
    return buf.size() >= header_end + content_length;
  }
};

enum class State { kConnecting, kHandshaking, kIdle, kWriting, kReading, kDead };

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  State state = State::kDead;
  std::size_t written = 0;
  Clock::time_point intended{};
  bool measured = false;
  ResponseParser parser;
  uint32_t events = 0;
};

struct ThreadResult {
  std::vector<int64_t> latencies_ns;  // only requests intended inside the measured window
  uint64_t sent = 0, completed = 0, errors = 0, non_200 = 0, reconnects = 0, unfinished = 0;
  std::string first_error;
};

class Worker {
 public:
  // Worker `index` of `count` sends at `rate`, its schedule shifted by index/count of an interval
  // so that the workers together send evenly spaced requests rather than simultaneous pairs.
  Worker(const Options& o, SSL_CTX* ctx, const std::string& request, int connections, double rate, int index, int count)
      : o_(o), ctx_(ctx), request_(request), conns_(static_cast<std::size_t>(connections)), rate_(rate),
        phase_(static_cast<double>(index) / count) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1 failed");
  }
  ~Worker() {
    for (auto& c : conns_) shut(c);
    ::close(ep_);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens every connection and completes its TLS handshake, so that handshakes are not measured.
  void connect_all() {
    for (auto& c : conns_) open(c);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (std::any_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.state != State::kIdle; })) {
      if (Clock::now() > deadline) die("could not open all connections within 10 s");
      poll_events(Nanos(std::chrono::milliseconds(10)));
      for (auto& c : conns_)
        if (c.state == State::kDead) die("connection refused or TLS handshake failed on port " + std::to_string(o_.port));
    }
    idle_.clear();
    for (std::size_t i = 0; i < conns_.size(); ++i) idle_.push_back(i);
  }

  void run(Clock::time_point t0) {
    const Nanos warmup = std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(o_.warmup_s));
    const Nanos total = std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(o_.warmup_s + o_.duration_s));
    const uint64_t scheduled = static_cast<uint64_t>(std::floor(rate_ * (o_.warmup_s + o_.duration_s)));
    const double interval_ns = 1e9 / rate_;
    auto intended_of = [&](uint64_t k) {
      return t0 + Nanos(static_cast<int64_t>((static_cast<double>(k) + phase_) * interval_ns));
    };
    t0_ = t0;
    warmup_end_ = t0 + warmup;
    // Requests still open this long after the last one was due are counted as unfinished.
    const auto drain_deadline = t0 + total + std::chrono::seconds(5);
    uint64_t next = 0;
    result_.latencies_ns.reserve(static_cast<std::size_t>(rate_ * o_.duration_s) + 16);
    for (;;) {
      auto now = Clock::now();
      while (next < scheduled && !idle_.empty() && intended_of(next) <= now) {
        std::size_t i = idle_.back();
        idle_.pop_back();
        start_request(conns_[i], intended_of(next));
        ++next;
      }
      bool in_flight = idle_.size() < live_count();
      if (next >= scheduled && !in_flight) break;
      if (now > drain_deadline) {
        result_.unfinished = (scheduled - next) + (live_count() - idle_.size());
        break;
      }
      Nanos wait = std::chrono::milliseconds(5);
      if (next < scheduled && !idle_.empty()) wait = std::max(Nanos(0), std::min(wait, intended_of(next) - now));
      poll_events(wait);
    }
  }

  ThreadResult& result() { return result_; }

 private:
  std::size_t live_count() const {
    return static_cast<std::size_t>(std::count_if(conns_.begin(), conns_.end(), [](const Conn& c) { return c.state != State::kDead; }));
  }

  void open(Conn& c) {
    c.fd = connect_socket(o_.port, true);
    if (c.fd < 0) {
      c.state = State::kDead;
      return;
    }
    c.ssl = SSL_new(ctx_);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_connect_state(c.ssl);
    c.state = State::kConnecting;
    c.parser.reset();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = &c;
    c.events = ev.events;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  void shut(Conn& c) {
    if (c.ssl != nullptr) SSL_free(c.ssl);
    if (c.fd >= 0) ::close(c.fd);
    c.ssl = nullptr;
    c.fd = -1;
    c.state = State::kDead;
  }

  void want(Conn& c, uint32_t events) {
    if (c.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &c;
    c.events = events;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void fail(Conn& c, const std::string& why) {
    if (c.state == State::kWriting || c.state == State::kReading) ++result_.errors;
    if (result_.first_error.empty()) result_.first_error = why;
    bool was_busy = c.state == State::kWriting || c.state == State::kReading;
    bool was_idle = c.state == State::kIdle;
    shut(c);
    if (was_idle) idle_.erase(std::remove(idle_.begin(), idle_.end(), index_of(c)), idle_.end());
    reopen(c, was_busy || was_idle);
  }

  // A connection the server closed is replaced, as a client pool would do; its handshake then
  // counts against the requests that wait for it.
  void reopen(Conn& c, bool after_traffic) {
    if (!after_traffic) return;
    ++result_.reconnects;
    open(c);
  }

  std::size_t index_of(const Conn& c) const { return static_cast<std::size_t>(&c - conns_.data()); }

  void start_request(Conn& c, Clock::time_point intended) {
    c.state = State::kWriting;
    c.written = 0;
    c.intended = intended;
    c.measured = intended >= warmup_end_;
    c.parser.reset();
    ++result_.sent;
    do_write(c);
  }

  void do_write(Conn& c) {
    while (c.written < request_.size()) {
      int n = SSL_write(c.ssl, request_.data() + c.written, static_cast<int>(request_.size() - c.written));
      if (n > 0) {
        c.written += static_cast<std::size_t>(n);
        continue;
      }
      int err = SSL_get_error(c.ssl, n);
      if (err == SSL_ERROR_WANT_WRITE) return want(c, EPOLLIN | EPOLLOUT);
      if (err == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
      return fail(c, "write failed (server closed the connection?)");
    }
    // The answer cannot be there yet: wait for epoll rather than spend a read() on EAGAIN.
    c.state = State::kReading;
    want(c, EPOLLIN);
  }

  void do_read(Conn& c) {
    char chunk[16384];
    for (;;) {
      int n = SSL_read(c.ssl, chunk, sizeof chunk);
      if (n > 0) {
        if (c.state != State::kReading) return fail(c, "unsolicited bytes from the server");
        c.parser.buf.append(chunk, static_cast<std::size_t>(n));
        std::string error;
        if (c.parser.complete(error)) return finish(c);
        if (!error.empty()) return fail(c, error);
        continue;
      }
      int err = SSL_get_error(c.ssl, n);
      if (err == SSL_ERROR_WANT_READ) return;
      if (err == SSL_ERROR_WANT_WRITE) return want(c, EPOLLIN | EPOLLOUT);
      return fail(c, "connection closed by the server");
    }
  }

  void finish(Conn& c) {
    auto done = Clock::now();
    ++result_.completed;
    if (c.parser.status != 200) {
      ++result_.non_200;
      if (result_.first_error.empty()) result_.first_error = "HTTP status " + std::to_string(c.parser.status);
    }
    if (c.measured) result_.latencies_ns.push_back((done - c.intended).count());
    if (c.parser.close) {
      shut(c);
      reopen(c, true);
      return;
    }
    c.state = State::kIdle;
    idle_.push_back(index_of(c));
  }

  void on_event(Conn& c) {
    switch (c.state) {
      case State::kConnecting: {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          shut(c);
          return;
        }
        c.state = State::kHandshaking;
        [[fallthrough]];
      }
      case State::kHandshaking: {
        int n = SSL_connect(c.ssl);
        if (n == 1) {
          c.state = State::kIdle;
          want(c, EPOLLIN);
          if (t0_ != Clock::time_point{}) idle_.push_back(index_of(c));  // a reconnect during the run
          return;
        }
        int err = SSL_get_error(c.ssl, n);
        if (err == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
        if (err == SSL_ERROR_WANT_WRITE) return want(c, EPOLLIN | EPOLLOUT);
        if (result_.first_error.empty()) result_.first_error = "TLS handshake failed";
        shut(c);
        return;
      }
      case State::kWriting:
        return do_write(c);
      case State::kReading:
      case State::kIdle:
        return do_read(c);
      case State::kDead:
        return;
    }
  }

  void poll_events(Nanos wait) {
    epoll_event events[128];
    timespec ts{static_cast<time_t>(wait.count() / 1000000000), static_cast<long>(wait.count() % 1000000000)};
    int n = ::epoll_pwait2(ep_, events, 128, &ts, nullptr);
    if (n < 0 && errno != EINTR) die(std::string("epoll_pwait2: ") + std::strerror(errno));
    for (int i = 0; i < n; ++i) on_event(*static_cast<Conn*>(events[i].data.ptr));
  }

  const Options& o_;
  SSL_CTX* ctx_;
  const std::string& request_;
  std::vector<Conn> conns_;
  std::vector<std::size_t> idle_;
  double rate_;
  double phase_;
  int ep_ = -1;
  Clock::time_point t0_{};
  Clock::time_point warmup_end_{};
  ThreadResult result_;
};

double percentile_us(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

int run_rate(const Options& o) {
  std::string body = read_file(o.body_file);
  std::ostringstream req;
  req << "POST " << o.path << " HTTP/1.1\r\nHost: 127.0.0.1:" << o.port
      << "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " << body.size() << "\r\n\r\n"
      << body;
  const std::string request = req.str();
  SSL_CTX* ctx = make_client_context();

  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; ++t) {
    int conns = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(o, ctx, request, conns, o.rate / o.threads, t, o.threads));
  }
  std::atomic<int64_t> t0_ns{0};
  std::barrier sync(o.threads, [&]() noexcept {
    t0_ns = (Clock::now() + std::chrono::milliseconds(5)).time_since_epoch().count();
  });
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&, wp = w.get()] {
      wp->connect_all();
      sync.arrive_and_wait();
      wp->run(Clock::time_point(Nanos(t0_ns.load())));
    });
  }
  for (auto& t : threads) t.join();

  ThreadResult all;
  for (auto& w : workers) {
    ThreadResult& r = w->result();
    all.latencies_ns.insert(all.latencies_ns.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    all.sent += r.sent;
    all.completed += r.completed;
    all.errors += r.errors;
    all.non_200 += r.non_200;
    all.reconnects += r.reconnects;
    all.unfinished += r.unfinished;
    if (all.first_error.empty()) all.first_error = r.first_error;
  }
  std::sort(all.latencies_ns.begin(), all.latencies_ns.end());
  // This client's own CPU (user + system, handshakes included) per completed request: it shares
  // the cores with the server, so what it costs is taken from the server.
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double cpu_us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  std::printf(
      "target_rps=%.0f achieved_rps=%.0f measured=%zu sent=%lu completed=%lu errors=%lu non200=%lu reconnects=%lu "
      "unfinished=%lu p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f client_cpu_us_per_request=%.1f\n",
      o.rate, static_cast<double>(all.latencies_ns.size()) / o.duration_s, all.latencies_ns.size(),
      static_cast<unsigned long>(all.sent), static_cast<unsigned long>(all.completed),
      static_cast<unsigned long>(all.errors), static_cast<unsigned long>(all.non_200),
      static_cast<unsigned long>(all.reconnects), static_cast<unsigned long>(all.unfinished),
      percentile_us(all.latencies_ns, 50), percentile_us(all.latencies_ns, 90), percentile_us(all.latencies_ns, 99),
      percentile_us(all.latencies_ns, 99.9), percentile_us(all.latencies_ns, 100),
      all.completed > 0 ? cpu_us / static_cast<double>(all.completed) : 0.0);
  if (!all.first_error.empty()) std::fprintf(stderr, "loadgen: first error: %s\n", all.first_error.c_str());
  workers.clear();
  SSL_CTX_free(ctx);
  return (all.errors + all.non_200 + all.unfinished) == 0 ? 0 : 1;
}

// One blocking probe: TLS connect, GET path, true on "HTTP/1.1 200".
bool probe(SSL_CTX* ctx, int port, const std::string& path) {
  int fd = connect_socket(port, false);
  if (fd < 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  bool ok = false;
  if (SSL_connect(ssl) == 1) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (SSL_write(ssl, req.data(), static_cast<int>(req.size())) > 0) {
      // A TLS 1.3 server may send session tickets first; SSL_read can then return no data with
      // WANT_READ even on this blocking socket, so read until the status line is in.
      std::string got;
      char buf[256];
      for (int tries = 0; got.size() < 12 && tries < 8; ++tries) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        else if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ) break;
      }
      ok = got.compare(0, 12, "HTTP/1.1 200") == 0;
    }
  }
  SSL_free(ssl);
  ::close(fd);
  return ok;
}

int run_ready(const Options& o) {
  SSL_CTX* ctx = make_client_context();
  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    int log = ::open(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::setpgid(0, 0);  // its own group, so the caller can stop it and its workers in one kill
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "loadgen: cannot run %s: %s\n", argv[0], std::strerror(errno));
    std::_Exit(127);
  }
  auto deadline = start + std::chrono::milliseconds(o.timeout_ms);
  for (;;) {
    if (probe(ctx, o.port, o.path)) break;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) die("the server exited before it was ready (see " + o.log_file + ")");
    if (Clock::now() > deadline) {
      ::kill(pid, SIGTERM);
      die("the server was not ready within " + std::to_string(o.timeout_ms) + " ms");
    }
    ::usleep(200);
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::printf("pid=%d ready_ms=%.1f\n", pid, ms);
  SSL_CTX_free(ctx);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  ::prctl(PR_SET_TIMERSLACK, 1UL);  // wake at the scheduled send time, not up to 50 us later
  Options o = parse_options(argc, argv);
  return o.mode == "rate" ? run_rate(o) : run_ready(o);
}
