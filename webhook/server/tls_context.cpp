// The server's TLS context: protocol floor, cipher suites, certificate chain, key, client CA, ALPN.
#include "webhook/server/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>

namespace memguard::server {
namespace ssl = boost::asio::ssl;
namespace {

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy (ECDHE) and AEAD only, which is what Go
// clients such as kube-apiserver offer. TLS 1.3 suites keep OpenSSL's defaults (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Distinguishes our sessions from any other application's in OpenSSL's session cache; required
// for session resumption once client certificates are verified.
constexpr unsigned char kSessionIdContext[] = "flink-memguard";

std::string openssl_error(const char* what) {
  std::string msg = what;
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return msg;
}

// Boost.Asio drains OpenSSL's error queue into the error_code, so its message is the reason.
std::string asio_error(const char* what, const boost::system::error_code& ec) {
  return std::string(what) + ": " + ec.message();
}

struct BioDeleter { void operator()(BIO* b) const { BIO_free(b); } };

// OpenSSL asks for the passphrase of an encrypted key, by default on the controlling terminal:
// `serve` started from a shell then waited there at startup, and a reload would have held an I/O
// thread. We have no passphrase to give (Kubernetes TLS Secrets hold unencrypted keys): note that
// one was asked for and give none, so that loading fails and says why.
int refuse_passphrase(char*, int, int, void* asked) {
  if (asked) *static_cast<bool*>(asked) = true;
  return 0;
}

// kube-apiserver offers only http/1.1 (kubernetes PR #82090); we never speak HTTP/2, so we
// select http/1.1 when offered and otherwise carry on without ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void*) {
  static const unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned int i = 0;
  while (i < inlen) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof kHttp11 && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string hex(const unsigned char* data, std::size_t n, bool upper) {
  static const char* kLower = "0123456789abcdef";
  static const char* kUpper = "0123456789ABCDEF";
  const char* digits = upper ? kUpper : kLower;
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
  return out;
}

Expected<CertificateInfo> describe(X509* cert) {
  CertificateInfo info;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "certificate has an unreadable notAfter");
  }
  info.not_after_unix = static_cast<int64_t>(timegm(&tm));

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  info.serial_hex = hex(ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial)), true);

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1) {
    return make_error(ErrorCode::kInternal, openssl_error("cannot fingerprint certificate"));
  }
  info.sha256_fingerprint = hex(md, md_len, false);

  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (bio && X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (data && len > 0) info.subject.assign(data, static_cast<std::size_t>(len));
  }
  return info;
}

Expected<LoadedTls> build_context(const TlsMaterial& material) {
  ERR_clear_error();
  boost::system::error_code ec;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();

  // TLS 1.2 is the floor (Go clients offer 1.2 and 1.3). No compression (CRIME), no
  // renegotiation (a client-triggered CPU sink with nothing to gain for a webhook).
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return make_error(ErrorCode::kInternal, openssl_error("cannot configure TLS protocol options"));
  }
  // An idle keep-alive connection gives its 16 KiB read and write record buffers back and takes
  // them again when its next request arrives: without this, 1024 idle TLS connections held about
  // 100 MB, most of the chart's 128Mi (bench/RESULTS.md, Hostile input).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_id_context(native, kSessionIdContext, sizeof kSessionIdContext - 1);
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);

  ctx->use_certificate_chain(boost::asio::buffer(material.cert_pem), ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, asio_error("cannot load the certificate chain (expected complete PEM CERTIFICATE blocks)", ec));
  bool passphrase_asked = false;
  SSL_CTX_set_default_passwd_cb(native, refuse_passphrase);
  SSL_CTX_set_default_passwd_cb_userdata(native, &passphrase_asked);
  ctx->use_private_key(boost::asio::buffer(material.key_pem), ssl::context::pem, ec);
  SSL_CTX_set_default_passwd_cb_userdata(native, nullptr);  // the flag dies with this call
  if (passphrase_asked) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "the private key is encrypted; a passphrase cannot be given, use an unencrypted key "
                      "(as a Kubernetes TLS Secret holds)");
  }
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return make_error(ErrorCode::kInvalidArgument, "the private key does not match the certificate");
  }
  if (ec) return make_error(ErrorCode::kInvalidArgument, asio_error("cannot load the private key (expected one PEM private key)", ec));
  if (SSL_CTX_check_private_key(native) != 1) {
    return make_error(ErrorCode::kInvalidArgument, openssl_error("the private key does not match the certificate"));
  }

  if (!material.client_ca_pem.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(material.client_ca_pem), ec);
    if (ec) return make_error(ErrorCode::kInvalidArgument, asio_error("cannot load the client CA (expected PEM CERTIFICATE blocks)", ec));
    // Tell clients which CAs we accept, so that they pick the right certificate.
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    std::unique_ptr<BIO, BioDeleter> bio(
        BIO_new_mem_buf(material.client_ca_pem.data(), static_cast<int>(material.client_ca_pem.size())));
    if (!names || !bio) return make_error(ErrorCode::kInternal, "out of memory");
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_NAME* copy = X509_NAME_dup(X509_get_subject_name(ca));
      if (copy) sk_X509_NAME_push(names, copy);
      X509_free(ca);
    }
    ERR_clear_error();  // the loop ends on "no start line", which is not an error
    SSL_CTX_set_client_CA_list(native, names);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return make_error(ErrorCode::kInternal, asio_error("cannot enable client verification", ec));
  }

  X509* leaf = SSL_CTX_get0_certificate(native);
  if (!leaf) return make_error(ErrorCode::kInvalidArgument, "no certificate in the chain");
  auto info = describe(leaf);
  if (!info) return Unexpected{info.error()};
  return LoadedTls{std::move(ctx), std::move(*info)};
}

}  // namespace

Expected<LoadedTls> make_tls_context(const TlsMaterial& material) {
  try {
    return build_context(material);
  } catch (const std::exception& e) {  // ssl::context's constructor throws if OpenSSL cannot allocate
    return make_error(ErrorCode::kInternal, std::string("cannot create a TLS context: ") + e.what());
  }
}

}  // namespace memguard::server
