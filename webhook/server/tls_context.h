// Builds the server's TLS context from PEM bytes: TLS 1.2+ with ECDHE+AEAD suites, no compression,
// no renegotiation, ALPN http/1.1 only, optional client-certificate verification. Pure apart from
// OpenSSL: callers read the files, so that what they compare is exactly what gets loaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "support/expected.h"

namespace memguard::server {

struct TlsMaterial {
  std::string cert_pem;       // leaf first, then intermediates
  std::string key_pem;
  std::string client_ca_pem;  // empty: no client-certificate verification

  friend bool operator==(const TlsMaterial&, const TlsMaterial&) = default;
};

// What the server and its logs need to know about a loaded certificate (nothing secret).
struct CertificateInfo {
  int64_t not_after_unix = 0;
  std::string serial_hex;          // upper-case hex, as `openssl x509 -serial` prints it
  std::string sha256_fingerprint;  // lower-case hex of the DER leaf
  std::string subject;             // one-line RFC 2253 form
};

struct LoadedTls {
  std::shared_ptr<boost::asio::ssl::context> context;
  CertificateInfo certificate;
};

// A ready-to-use server context, or an error naming what is wrong (unparsable certificate, key
// that does not match it, unparsable client CA). Never throws.
Expected<LoadedTls> make_tls_context(const TlsMaterial& material);

}  // namespace memguard::server
