// Test double for kube-apiserver: a loopback TLS server (Boost.Beast) replaying recorded responses,
// enforcing bearer-token auth, and able to delay, stream watches and hold them open.
// Its own namespace (kubetest): inline helpers of other suites share names like read_fixture.
#pragma once

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/read_file.h"
#include "tests/webhook/test_pki.h"

namespace memguard::kubetest {

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "memguard-kube-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes through a temporary and rename(2), as the kubelet's atomic writer swaps projected files.
  std::string write(const std::string& name, const std::string& text) const {
    std::string tmp = file("." + name + ".tmp");
    std::ofstream(tmp, std::ios::binary) << text;
    std::filesystem::rename(tmp, file(name));
    return file(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string kube_fixture(const std::string& name) {
  auto text = read_file(std::string(MEMGUARD_TEST_DATA) + "/kube/" + name, size_t{16} << 20, "fixture");
  if (!text) throw std::runtime_error(text.error().message);
  return std::move(*text);
}

// --- the server ------------------------------------------------------------------------------------

struct FakeRequest {
  std::string method, path;
  std::map<std::string, std::string> params;  // decoded query parameters
  std::string authorization;
  bool is_watch() const { return params.count("watch") != 0; }
  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  }
};

struct FakeResponse {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};  // before the status line
  std::vector<std::string> stream;     // watch: each line sent as its own chunk, then the stream ends
  bool hold_open = false;              // keep a watch stream open after its lines until the server stops

  static FakeResponse json(std::string body, int status = 200) { return FakeResponse{status, std::move(body), {}, {}, false}; }
  static FakeResponse fixture(const std::string& name, int status = 200) { return json(kube_fixture(name), status); }
  static FakeResponse watch_fixture(const std::string& name, bool hold = false) {
    FakeResponse r;
    std::istringstream lines(kube_fixture(name));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) r.stream.push_back(line);
    }
    r.hold_open = hold;
    return r;
  }
  static FakeResponse quiet_watch() {
    FakeResponse r;
    r.hold_open = true;
    return r;
  }
};

class FakeApiServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  FakeApiServer(const KeyAndCert& server_cert, std::string token, Handler handler)
      : tls_(boost::asio::ssl::context::tls_server), token_(std::move(token)), handler_(std::move(handler)) {
    std::string cert = server_cert.cert_pem(), key = server_cert.key_pem();
    tls_.use_certificate_chain(boost::asio::buffer(cert));
    tls_.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~FakeApiServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      // shutdown(2) wakes threads blocked in accept/read on these sockets.
      ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    accept_thread_.join();
    for (auto& t : connection_threads_) t.join();
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  void set_token(std::string token) {
    std::lock_guard lock(mu_);
    token_ = std::move(token);
  }
  std::vector<FakeRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int count(const std::function<bool(const FakeRequest&)>& match) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& r : requests_) n += match(r) ? 1 : 0;
    return n;
  }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  static std::string decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(s[i] == '+' ? ' ' : s[i]);
      }
    }
    return out;
  }

  static FakeRequest describe(const boost::beast::http::request<boost::beast::http::string_body>& req) {
    FakeRequest r;
    r.method = std::string(req.method_string());
    std::string target(req.target());
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::istringstream query(target.substr(q + 1));
      for (std::string pair; std::getline(query, pair, '&');) {
        size_t eq = pair.find('=');
        r.params[decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
      }
    }
    r.authorization = std::string(req[boost::beast::http::field::authorization]);
    return r;
  }

  void accept_loop() {
    for (;;) {
      boost::asio::ip::tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      std::lock_guard lock(mu_);
      if (stopping_) return;
      if (ec) continue;
      open_fds_.insert(socket.native_handle());
      connection_threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
    }
  }

  // Waits `d` unless the server is stopping; returns false when stopping.
  bool wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stopping_; });
  }

  void serve(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    int fd = socket.native_handle();
    Stream stream(std::move(socket), tls_);
    boost::system::error_code ec;
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    boost::beast::flat_buffer buffer;
    while (!ec) {
      http::request<http::string_body> req;
      http::read(stream, buffer, req, ec);
      if (ec) break;
      FakeRequest fr = describe(req);
      FakeResponse out;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(fr);
        if (fr.authorization != "Bearer " + token_) out = FakeResponse::fixture("status-401.json", 401);
      }
      if (out.status != 401) out = handler_(fr);
      if (out.delay.count() > 0 && !wait(out.delay)) break;
      if (!out.stream.empty() || out.hold_open) {
        http::response<http::empty_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        res.chunked(true);
        http::response_serializer<http::empty_body> sr{res};
        http::write_header(stream, sr, ec);
        for (const auto& line : out.stream) {
          if (ec) break;
          std::string chunk = line + "\n";
          boost::asio::write(stream, http::make_chunk(boost::asio::buffer(chunk)), ec);
        }
        if (out.hold_open) wait(std::chrono::hours(1));
        if (!ec) boost::asio::write(stream, http::make_chunk_last(), ec);
        break;  // the API server closes a finished watch
      }
      http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = std::move(out.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(stream, res, ec);
      if (!res.keep_alive()) break;
    }
    stream.shutdown(ec);
    std::lock_guard lock(mu_);
    open_fds_.erase(fd);
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string token_;
  Handler handler_;
  std::set<int> open_fds_;
  std::vector<FakeRequest> requests_;
  std::thread accept_thread_;
  std::vector<std::thread> connection_threads_;
};

// The PKI and credentials one test needs: a CA, a server certificate it signed, token and CA files.
struct FakeCluster {
  TempDir dir;
  KeyAndCert ca = make_certificate("memguard-test-ca", nullptr);
  KeyAndCert server_cert = make_certificate("kube-apiserver", &ca);
  std::string token = "eyJhbGciOiJSUzI1NiJ9.test-token-1";
  std::string token_file = dir.write("token", token + "\n");
  std::string ca_file = dir.write("ca.crt", ca.cert_pem());
};

}  // namespace memguard::kubetest
