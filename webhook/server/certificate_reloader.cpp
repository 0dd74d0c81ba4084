// Polls the TLS files, rebuilds the context on change and swaps it in under a mutex.
#include "webhook/server/certificate_reloader.h"

#include <string_view>

#include "support/read_file.h"

namespace memguard::server {

// PEM files are a few KiB; the cap only guards against pointing the flag at something huge.
constexpr std::size_t kMaxPemBytes = 1024 * 1024;

Expected<std::string> read_pem_file(const std::string& path, std::string_view what) {
  return read_file(path, kMaxPemBytes, what);
}

namespace {

// Read the certificate again after the key: kubelet and cert-manager replace the files together by
// renaming a symlinked directory, so if the certificate is the same before and after, the key came
// from the same generation. Otherwise we caught a swap half way; the next poll sees it whole.
Expected<FileVersion> read_tls_files(const TlsFiles& files, const ReadPem& read_pem) {
  auto cert = read_pem(files.cert_file, "certificate file");
  if (!cert) return Unexpected{cert.error()};
  auto key = read_pem(files.key_file, "key file");
  if (!key) return Unexpected{key.error()};
  std::string client_ca;
  if (!files.client_ca_file.empty()) {
    auto ca = read_pem(files.client_ca_file, "client CA file");
    if (!ca) return Unexpected{ca.error()};
    client_ca = std::move(*ca);
  }
  FileVersion version;
  auto cert_again = read_pem(files.cert_file, "certificate file");
  version.in_flux = !cert_again || *cert_again != *cert;
  version.parts = {std::move(*cert), std::move(*key), std::move(client_ca)};
  return version;
}

Expected<LoadedTls> parse_tls_files(const FileVersion& version) {
  return make_tls_context(TlsMaterial{version.parts[0], version.parts[1], version.parts[2]});
}

}  // namespace

CertificateReloader::CertificateReloader(boost::asio::any_io_executor executor, TlsFiles files,
                                         std::chrono::milliseconds interval, Metrics& metrics, Log& log,
                                         ReadPem read)
    : executor_(std::move(executor)),
      files_(std::move(files)),
      interval_(interval),
      metrics_(metrics),
      log_(log),
      watched_([files = files_, read = std::move(read)] { return read_tls_files(files, read); }, parse_tls_files) {}

std::shared_ptr<boost::asio::ssl::context> CertificateReloader::current() const {
  auto tls = watched_.current();
  return tls ? tls->context : nullptr;
}

std::optional<CertificateInfo> CertificateReloader::certificate() const {
  auto tls = watched_.current();
  if (!tls) return std::nullopt;
  return tls->certificate;
}

CertificateReloader::PollResult CertificateReloader::poll() {
  auto polled = watched_.poll();
  if (polled.result == PollResult::kInstalled) installed(polled.installed->certificate);
  if (polled.result == PollResult::kFailed && polled.first_report) {
    metrics_.record_tls_reload(false);
    log_.warn(loaded() ? "certificate reload rejected; keeping the current certificate"
                       : "no certificate loaded yet; TLS handshakes fail and /readyz is not ready",
              {{"error", polled.error}, {"cert_file", files_.cert_file}, {"key_file", files_.key_file}});
  }
  return polled.result;
}

void CertificateReloader::installed(const CertificateInfo& certificate) {
  metrics_.record_tls_reload(true);
  metrics_.set_certificate_expiry(certificate.not_after_unix);
  const std::string not_after =
      format_timestamp(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(certificate.not_after_unix)));
  log_.event("certificate loaded", {{"subject", certificate.subject},
                                    {"serial", certificate.serial_hex},
                                    {"sha256", certificate.sha256_fingerprint},
                                    {"not_after", not_after}});
  if (certificate.not_after_unix < std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()) {
    log_.warn("the loaded certificate has expired; clients will reject it", {{"not_after", not_after}});
  }
  if (on_installed_) on_installed_(certificate);
}

void CertificateReloader::start() {
  timer_ = std::make_shared<PollTimer>(executor_, interval_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->poll();
  });
  timer_->start();
}

void CertificateReloader::stop() {
  if (timer_) timer_->stop();
}

}  // namespace memguard::server
