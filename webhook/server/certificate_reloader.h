// Keeps the server's TLS context current: polls the certificate, key and client-CA files, and
// when their bytes change builds a new context and swaps it in. New connections take the current
// context; existing ones keep the one they started with. A pair that fails to load is logged and
// the previous one stays in use (certwatcher / FileCertificateSource style). A WatchedFile over
// the three files read as one version.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include "support/expected.h"

#include "webhook/server/metrics.h"
#include "webhook/server/structured_log.h"
#include "webhook/server/tls_context.h"
#include "webhook/server/watched_file.h"

namespace memguard::server {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty: none
};

// Reads one of the PEM files; `what` ("certificate file") names it in errors.
using ReadPem = std::function<Expected<std::string>(const std::string& path, std::string_view what)>;
// The reloader's reader: the file through read_file, capped at 1 MiB (PEM files are a few KiB).
[[nodiscard]] Expected<std::string> read_pem_file(const std::string& path, std::string_view what);

class CertificateReloader : public std::enable_shared_from_this<CertificateReloader> {
 public:
  using PollResult = server::PollResult;

  // `read` is how each file is read; a test replaces it to change a file between two reads.
  CertificateReloader(boost::asio::any_io_executor executor, TlsFiles files, std::chrono::milliseconds interval,
                      Metrics& metrics, Log& log, ReadPem read = read_pem_file);

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
  void installed(const CertificateInfo& certificate);

  boost::asio::any_io_executor executor_;
  TlsFiles files_;
  std::chrono::milliseconds interval_;
  Metrics& metrics_;
  Log& log_;
  std::function<void(const CertificateInfo&)> on_installed_;
  WatchedFile<LoadedTls> watched_;
  std::shared_ptr<PollTimer> timer_;  // from start()
};

}  // namespace memguard::server
