// Test double for kube-apiserver: a loopback TLS server (Boost.Beast) replaying recorded responses,
// enforcing bearer-token auth, and able to delay, stream watches and hold them open.
// Its own namespace (kubetest): inline helpers of other suites share names like read_fixture.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
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

namespace memguard::kubetest {

// --- throwaway PKI ---------------------------------------------------------------------------------

struct KeyAndCert {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
  std::string cert_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(bio.get(), cert.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  }
  std::string key_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  }
};

inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("cannot build X.509 extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A P-256 certificate valid for a day: a CA when `issuer` is null, else a server certificate for
// 127.0.0.1 and localhost signed by `issuer`.
inline KeyAndCert make_certificate(const std::string& common_name, const KeyAndCert* issuer) {
  static int serial = 1;
  KeyAndCert out;
  out.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  out.cert.reset(X509_new(), X509_free);
  X509* x = out.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, out.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  if (issuer == nullptr) {
    add_extension(x, x, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(x, x, NID_subject_key_identifier, "hash");
  } else {
    add_extension(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x, issuer_cert, NID_key_usage, "critical,digitalSignature");
    add_extension(x, issuer_cert, NID_ext_key_usage, "serverAuth");
    add_extension(x, issuer_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_extension(x, issuer_cert, NID_authority_key_identifier, "keyid:always");
  }
  X509_sign(x, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

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
