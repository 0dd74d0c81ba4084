// Keeps the server's TLS context current: polls the certificate, key and client-CA files, and
// when their bytes change builds a new context and swaps it in. New connections take the current
// context; existing ones keep the one they started with. A pair that fails to load is logged and
// the previous one stays in use (certwatcher / FileCertificateSource style).
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "webhook/server/metrics.h"
#include "webhook/server/structured_log.h"
#include "webhook/server/tls_context.h"

namespace memguard::server {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty: none
};

class CertificateReloader : public std::enable_shared_from_this<CertificateReloader> {
 public:
  enum class PollResult { kInstalled, kUnchanged, kInFlux, kFailed };

  CertificateReloader(boost::asio::any_io_executor executor, TlsFiles files, std::chrono::milliseconds interval,
                      Metrics& metrics, Log& log);

  // Reads the files once and installs a changed, valid pair. Thread-safe.
  PollResult poll();
  // Polls every interval until stop().
  void start();
  void stop();

  // The context for a new connection; null until a certificate has been loaded.
  std::shared_ptr<boost::asio::ssl::context> current() const;
  std::optional<CertificateInfo> certificate() const;
  bool loaded() const { return current() != nullptr; }

  // Called after each installation (the server announces readiness on the first).
  void on_installed(std::function<void(const CertificateInfo&)> callback) { on_installed_ = std::move(callback); }

 private:
  using Digest = std::array<unsigned char, 32>;
  void schedule();
  void report_failure(const std::string& message, const Digest* rejected);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  TlsFiles files_;
  std::chrono::milliseconds interval_;
  Metrics& metrics_;
  Log& log_;
  std::function<void(const CertificateInfo&)> on_installed_;

  mutable std::mutex mu_;  // guards everything below
  std::shared_ptr<boost::asio::ssl::context> current_;
  std::optional<CertificateInfo> info_;
  std::optional<Digest> installed_digest_;
  std::optional<Digest> rejected_digest_;  // so a bad pair is reported once, not every poll
  std::string last_error_;                 // likewise for unreadable files
  bool stopped_ = false;
  std::mutex poll_mu_;  // one poll at a time
};

}  // namespace memguard::server
