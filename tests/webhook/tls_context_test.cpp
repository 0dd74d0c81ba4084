// Tests of building the server TLS context from PEM bytes.
#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <cstdio>
#include <ctime>

#include "server_test_support.h"
#include "webhook/server/tls_context.h"

using namespace memguard::testing;
using memguard::server::make_tls_context;
using memguard::server::TlsMaterial;

namespace {
std::string openssl_output(const std::string& command) {
  std::string out;
  if (std::FILE* p = popen(command.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}
}  // namespace

TEST_CASE("A matching certificate and key make a TLS 1.2+ server context", "[server][tls]") {
  TempDir dir;
  const KeyPair ca = make_ca(dir.path(), "ca");
  const KeyPair leaf = make_leaf(dir.path(), "server", ca);
  auto loaded = make_tls_context({read_text(leaf.cert), read_text(leaf.key), ""});
  REQUIRE(loaded);
  SSL_CTX* ctx = loaded->context->native_handle();
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION) != 0);
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) != 0);
  CHECK(SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_NONE);

  // The facts we log and export agree with the openssl CLI.
  CHECK(loaded->certificate.serial_hex ==
        openssl_output("openssl x509 -noout -serial -in '" + leaf.cert.string() + "' | cut -d= -f2"));
  CHECK(loaded->certificate.sha256_fingerprint == fingerprint_of(leaf.cert));
  CHECK(loaded->certificate.subject == "CN=server");
  const auto now = std::time(nullptr);
  CHECK(loaded->certificate.not_after_unix > now);
  CHECK(loaded->certificate.not_after_unix <= now + 3 * 24 * 3600);
}

TEST_CASE("Only ECDHE key exchange with AEAD ciphers is offered for TLS 1.2", "[server][tls]") {
  TempDir dir;
  const KeyPair ca = make_ca(dir.path(), "ca");
  const KeyPair leaf = make_leaf(dir.path(), "server", ca);
  auto loaded = make_tls_context({read_text(leaf.cert), read_text(leaf.key), ""});
  REQUIRE(loaded);
  SSL* ssl = SSL_new(loaded->context->native_handle());
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  REQUIRE(sk_SSL_CIPHER_num(ciphers) > 0);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    const std::string name = SSL_CIPHER_get_name(c);
    CAPTURE(name);
    if (name.rfind("TLS_", 0) == 0) continue;  // TLS 1.3 suites (TLS_AES_..., TLS_CHACHA20_...) are all AEAD
    CHECK(name.rfind("ECDHE-", 0) == 0);
    CHECK(SSL_CIPHER_is_aead(c) == 1);
  }
  SSL_free(ssl);
}

TEST_CASE("A client CA turns on mandatory client-certificate verification", "[server][tls][mtls]") {
  TempDir dir;
  const KeyPair ca = make_ca(dir.path(), "ca");
  const KeyPair leaf = make_leaf(dir.path(), "server", ca);
  const KeyPair client_ca = make_ca(dir.path(), "clients");
  auto loaded = make_tls_context({read_text(leaf.cert), read_text(leaf.key), read_text(client_ca.cert)});
  REQUIRE(loaded);
  SSL_CTX* ctx = loaded->context->native_handle();
  CHECK(SSL_CTX_get_verify_mode(ctx) == (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
  REQUIRE(SSL_CTX_get_client_CA_list(ctx) != nullptr);
  CHECK(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx)) == 1);
}

TEST_CASE("Broken material is rejected with a reason instead of a context", "[server][tls]") {
  TempDir dir;
  const KeyPair ca = make_ca(dir.path(), "ca");
  const KeyPair a = make_leaf(dir.path(), "a", ca);
  const KeyPair b = make_leaf(dir.path(), "b", ca);
  const std::string cert = read_text(a.cert), key = read_text(a.key);

  auto [material, reason] = GENERATE_COPY(table<TlsMaterial, std::string>({
      {TlsMaterial{cert, read_text(b.key), ""}, "does not match the certificate"},
      {TlsMaterial{"not a certificate", key, ""}, "cannot load the certificate chain"},
      {TlsMaterial{cert, "", ""}, "cannot load the private key"},
      {TlsMaterial{cert.substr(0, cert.size() / 2), key, ""}, "cannot load the certificate chain"},
      {TlsMaterial{cert, key, "garbage"}, "cannot load the client CA"},
  }));
  CAPTURE(reason);
  auto loaded = make_tls_context(material);
  REQUIRE_FALSE(loaded);
  CAPTURE(loaded.error().message);
  CHECK_THAT(loaded.error().message, Catch::Contains(reason));
}
