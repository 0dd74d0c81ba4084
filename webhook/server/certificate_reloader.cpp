// Polls the TLS files, rebuilds the context on change and swaps it in under a mutex.
#include "webhook/server/certificate_reloader.h"

#include <openssl/evp.h>

#include <string_view>

#include <boost/asio/post.hpp>

#include "support/read_file.h"

namespace memguard::server {
namespace {

// PEM files are a few KiB; the cap only guards against pointing the flag at something huge.
constexpr std::size_t kMaxPemBytes = 1024 * 1024;

Expected<std::string> read_pem(const std::string& path, std::string_view what) { return read_file(path, kMaxPemBytes, what); }

std::array<unsigned char, 32> digest_of(const TlsMaterial& m) {
  std::array<unsigned char, 32> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const std::string* part : {&m.cert_pem, &m.key_pem, &m.client_ca_pem}) {
    const uint64_t len = part->size();  // length-prefixed, so moving bytes between files changes the digest
    EVP_DigestUpdate(ctx, &len, sizeof len);
    EVP_DigestUpdate(ctx, part->data(), part->size());
  }
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &n);
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace

CertificateReloader::CertificateReloader(boost::asio::any_io_executor executor, TlsFiles files,
                                         std::chrono::milliseconds interval, Metrics& metrics, Log& log)
    : strand_(boost::asio::make_strand(executor)),
      timer_(strand_),
      files_(std::move(files)),
      interval_(interval),
      metrics_(metrics),
      log_(log) {}

std::shared_ptr<boost::asio::ssl::context> CertificateReloader::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::optional<CertificateInfo> CertificateReloader::certificate() const {
  std::lock_guard lock(mu_);
  return info_;
}

void CertificateReloader::report_failure(const std::string& message, const Digest* rejected) {
  {
    std::lock_guard lock(mu_);
    if (rejected) {
      if (rejected_digest_ == *rejected) return;
      rejected_digest_ = *rejected;
    } else {
      if (last_error_ == message) return;
      last_error_ = message;
    }
  }
  metrics_.record_tls_reload(false);
  log_.warn(loaded() ? "certificate reload rejected; keeping the current certificate"
                     : "no certificate loaded yet; TLS handshakes fail and /readyz is not ready",
            {{"error", message}, {"cert_file", files_.cert_file}, {"key_file", files_.key_file}});
}

CertificateReloader::PollResult CertificateReloader::poll() {
  std::lock_guard poll_lock(poll_mu_);
  TlsMaterial material;
  // Read the certificate again after the key: kubelet and cert-manager replace the files together
  // by renaming a symlinked directory, so if the certificate is the same before and after, the key
  // came from the same generation. Otherwise we caught a swap half way; the next poll sees it whole.
  auto cert = read_pem(files_.cert_file, "certificate file");
  auto key = cert ? read_pem(files_.key_file, "key file") : Expected<std::string>(Unexpected{cert.error()});
  if (!cert || !key) {
    report_failure((!cert ? cert : key).error().message, nullptr);
    return PollResult::kFailed;
  }
  if (!files_.client_ca_file.empty()) {
    auto ca = read_pem(files_.client_ca_file, "client CA file");
    if (!ca) {
      report_failure(ca.error().message, nullptr);
      return PollResult::kFailed;
    }
    material.client_ca_pem = std::move(*ca);
  }
  auto cert_again = read_pem(files_.cert_file, "certificate file");
  if (!cert_again || *cert_again != *cert) return PollResult::kInFlux;
  material.cert_pem = std::move(*cert);
  material.key_pem = std::move(*key);

  const Digest digest = digest_of(material);
  {
    std::lock_guard lock(mu_);
    if (installed_digest_ == digest) return PollResult::kUnchanged;
    if (rejected_digest_ == digest) return PollResult::kFailed;
  }
  auto built = make_tls_context(material);
  if (!built) {
    report_failure(built.error().message, &digest);
    return PollResult::kFailed;
  }
  {
    std::lock_guard lock(mu_);
    current_ = std::move(built->context);
    info_ = built->certificate;
    installed_digest_ = digest;
    rejected_digest_.reset();
    last_error_.clear();
  }
  metrics_.record_tls_reload(true);
  metrics_.set_certificate_expiry(built->certificate.not_after_unix);
  const std::string not_after = format_timestamp(std::chrono::system_clock::from_time_t(
      static_cast<std::time_t>(built->certificate.not_after_unix)));
  log_.event("certificate loaded", {{"subject", built->certificate.subject},
                                    {"serial", built->certificate.serial_hex},
                                    {"sha256", built->certificate.sha256_fingerprint},
                                    {"not_after", not_after}});
  if (built->certificate.not_after_unix < std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()) {
    log_.warn("the loaded certificate has expired; clients will reject it", {{"not_after", not_after}});
  }
  if (on_installed_) on_installed_(built->certificate);
  return PollResult::kInstalled;
}

void CertificateReloader::start() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->schedule(); });
}

void CertificateReloader::schedule() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  timer_.expires_after(interval_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled by stop()
    self->poll();
    self->schedule();
  });
}

void CertificateReloader::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  boost::asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
}

}  // namespace memguard::server
