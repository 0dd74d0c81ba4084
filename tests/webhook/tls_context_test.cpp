// Tests of building the server TLS context from PEM bytes.
#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

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

void openssl(const std::string& args) {
  REQUIRE(std::system(("openssl " + args + " >/dev/null 2>&1").c_str()) == 0);
}

// An intermediate CA signed by `root`, as cert-manager's CA issuers chain them.
KeyPair make_intermediate(const fs::path& dir, const std::string& name, const KeyPair& root) {
  KeyPair ca{dir / (name + ".crt"), dir / (name + ".key")};
  write_text(dir / (name + ".ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + name + "' -keyout '" +
          ca.key.string() + "' -out '" + (dir / (name + ".csr")).string() + "'");
  openssl("x509 -req -in '" + (dir / (name + ".csr")).string() + "' -CA '" + root.cert.string() + "' -CAkey '" +
          root.key.string() + "' -set_serial 7 -days 2 -extfile '" + (dir / (name + ".ext")).string() + "' -out '" +
          ca.cert.string() + "'");
  return ca;
}

struct SslCtxFree { void operator()(SSL_CTX* c) const { SSL_CTX_free(c); } };
struct SslFree { void operator()(SSL* s) const { SSL_free(s); } };

// What a client saw of a handshake with the server context, run in memory over a BIO pair.
struct Handshake {
  bool ok = false;
  std::string alpn;      // the protocol the server selected, empty if none
  int peer_chain = 0;    // certificates the server sent
};

// A client that trusts `trusted` (a PEM file) and offers `alpn` (wire format, empty: no ALPN).
Handshake handshake(SSL_CTX* server_ctx, const fs::path& trusted, const std::vector<unsigned char>& alpn) {
  std::unique_ptr<SSL_CTX, SslCtxFree> client_ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(SSL_CTX_load_verify_locations(client_ctx.get(), trusted.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, SslFree> client(SSL_new(client_ctx.get()));
  std::unique_ptr<SSL, SslFree> server(SSL_new(server_ctx));
  if (!alpn.empty()) REQUIRE(SSL_set_alpn_protos(client.get(), alpn.data(), static_cast<unsigned>(alpn.size())) == 0);
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  REQUIRE(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) == 1);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  Handshake h;
  auto pending = [](SSL* ssl, int rc) {
    const int err = SSL_get_error(ssl, rc);
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
  };
  for (int round = 0; round < 20; ++round) {
    const int c = SSL_do_handshake(client.get());
    const int s = SSL_do_handshake(server.get());
    if (c == 1 && s == 1) {
      h.ok = true;
      break;
    }
    if ((c != 1 && !pending(client.get(), c)) || (s != 1 && !pending(server.get(), s))) break;
  }
  ERR_clear_error();
  const unsigned char* selected = nullptr;
  unsigned int selected_len = 0;
  SSL_get0_alpn_selected(client.get(), &selected, &selected_len);
  if (selected) h.alpn.assign(reinterpret_cast<const char*>(selected), selected_len);
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(client.get())) h.peer_chain = sk_X509_num(chain);
  return h;
}

// A CA and a server certificate signed by it, in a directory of their own.
struct ServerPair {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair leaf = make_leaf(dir.path(), "server", ca);
  TlsMaterial material() const { return {read_text(leaf.cert), read_text(leaf.key), ""}; }
};

std::vector<unsigned char> alpn_list(std::initializer_list<std::string> protocols) {
  std::vector<unsigned char> wire;
  for (const auto& p : protocols) {
    wire.push_back(static_cast<unsigned char>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  return wire;
}
}  // namespace

TEST_CASE("A matching certificate and key make a TLS 1.2+ server context", "[server][tls]") {
  ServerPair pair;
  const KeyPair& leaf = pair.leaf;
  auto loaded = make_tls_context(pair.material());
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
  ServerPair pair;
  auto loaded = make_tls_context(pair.material());
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

TEST_CASE("http/1.1 is selected by ALPN when offered, other offers get no ALPN but a handshake", "[server][tls]") {
  ServerPair pair;
  const KeyPair& ca = pair.ca;
  auto loaded = make_tls_context(pair.material());
  REQUIRE(loaded);
  SSL_CTX* ctx = loaded->context->native_handle();

  // kube-apiserver offers only http/1.1; Go's default transport offers h2 first.
  Handshake both = handshake(ctx, ca.cert, alpn_list({"h2", "http/1.1"}));
  CHECK(both.ok);
  CHECK(both.alpn == "http/1.1");
  CHECK(handshake(ctx, ca.cert, alpn_list({"http/1.1"})).alpn == "http/1.1");
  // h2 alone, or a protocol of the same length as http/1.1: nothing is selected, the handshake goes on.
  for (const auto& offer : {alpn_list({"h2"}), alpn_list({"http/1.0", "spdy/3"}), std::vector<unsigned char>{}}) {
    Handshake h = handshake(ctx, ca.cert, offer);
    CHECK(h.ok);
    CHECK(h.alpn.empty());
  }
}

TEST_CASE("A certificate file with its intermediate is served whole, so that clients of the root verify it",
          "[server][tls]") {
  TempDir dir;
  const KeyPair root = make_ca(dir.path(), "root");
  const KeyPair intermediate = make_intermediate(dir.path(), "intermediate", root);
  const KeyPair leaf = make_leaf(dir.path(), "server", intermediate);
  auto chained = make_tls_context({read_text(leaf.cert) + read_text(intermediate.cert), read_text(leaf.key), ""});
  REQUIRE(chained);
  CHECK(chained->certificate.subject == "CN=server");  // the leaf is described, not the intermediate
  CHECK(chained->certificate.sha256_fingerprint == fingerprint_of(leaf.cert));
  Handshake h = handshake(chained->context->native_handle(), root.cert, {});
  CHECK(h.ok);
  CHECK(h.peer_chain == 2);

  // Without the intermediate the context loads, but a client of the root cannot verify it.
  auto alone = make_tls_context({read_text(leaf.cert), read_text(leaf.key), ""});
  REQUIRE(alone);
  CHECK_FALSE(handshake(alone->context->native_handle(), root.cert, {}).ok);

  // The intermediate first: the certificate is the intermediate's, and the key is not its own.
  auto reversed = make_tls_context({read_text(intermediate.cert) + read_text(leaf.cert), read_text(leaf.key), ""});
  REQUIRE_FALSE(reversed);
  CHECK_THAT(reversed.error().message, Catch::Contains("does not match the certificate"));
}

TEST_CASE("Every CA of a client-CA bundle is accepted and announced", "[server][tls][mtls]") {
  TempDir dir;
  const KeyPair ca = make_ca(dir.path(), "ca");
  const KeyPair leaf = make_leaf(dir.path(), "server", ca);
  const KeyPair old_clients = make_ca(dir.path(), "clients-2025");
  const KeyPair new_clients = make_ca(dir.path(), "clients-2026");
  auto loaded = make_tls_context(
      {read_text(leaf.cert), read_text(leaf.key), read_text(old_clients.cert) + read_text(new_clients.cert)});
  REQUIRE(loaded);
  STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(loaded->context->native_handle());
  REQUIRE(names != nullptr);
  REQUIRE(sk_X509_NAME_num(names) == 2);
  char first[128], second[128];
  X509_NAME_oneline(sk_X509_NAME_value(names, 0), first, sizeof first);
  X509_NAME_oneline(sk_X509_NAME_value(names, 1), second, sizeof second);
  CHECK(std::string(first) == "/CN=clients-2025");
  CHECK(std::string(second) == "/CN=clients-2026");
}

TEST_CASE("A key of another type than the certificate's is rejected as not matching it", "[server][tls]") {
  ServerPair pair;  // an ECDSA P-256 certificate
  const KeyPair& leaf = pair.leaf;
  const fs::path ed25519 = pair.dir / "ed25519.key";
  openssl("genpkey -algorithm ed25519 -out '" + ed25519.string() + "'");
  auto loaded = make_tls_context({read_text(leaf.cert), read_text(ed25519), ""});
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message, Catch::StartsWith("the private key does not match the certificate: "));
  CHECK(ERR_peek_error() == 0);  // the reason was taken off OpenSSL's queue, not left for the next caller

  // A certificate where the key should be, and a key where the certificate should be.
  auto swapped = make_tls_context({read_text(leaf.key), read_text(leaf.cert), ""});
  REQUIRE_FALSE(swapped);
  CHECK_THAT(swapped.error().message, Catch::Contains("cannot load the certificate chain"));
  auto two_certs = make_tls_context({read_text(leaf.cert), read_text(leaf.cert), ""});
  REQUIRE_FALSE(two_certs);
  CHECK_THAT(two_certs.error().message, Catch::Contains("cannot load the private key"));
}

TEST_CASE("An encrypted private key is refused with a reason, without asking a terminal for its passphrase",
          "[server][tls]") {
  ServerPair pair;
  const KeyPair& leaf = pair.leaf;
  const fs::path encrypted = pair.dir / "encrypted.key";
  openssl("pkey -in '" + leaf.key.string() + "' -aes256 -passout pass:secret -out '" + encrypted.string() + "'");
  const TlsMaterial material{read_text(leaf.cert), read_text(encrypted), ""};
  REQUIRE_THAT(material.key_pem, Catch::Contains("ENCRYPTED"));

  // Loaded in a child whose controlling terminal is a pseudo-terminal, as when `serve` is run from a
  // shell: OpenSSL's default is to prompt there and wait for an answer that never comes.
  int terminal = -1;
  const pid_t child = forkpty(&terminal, nullptr, nullptr, nullptr);
  REQUIRE(child >= 0);
  if (child == 0) {
    auto loaded = make_tls_context(material);
    const std::string said = loaded ? std::string("loaded\n") : "refused: " + loaded.error().message + "\n";
    if (write(STDOUT_FILENO, said.data(), said.size()) < 0) _exit(2);
    _exit(loaded ? 1 : 0);
  }
  std::string output;
  std::optional<int> status;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);  // it takes milliseconds
  while (!status && std::chrono::steady_clock::now() < until) {
    pollfd p{terminal, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[512];
      const ssize_t n = read(terminal, buf, sizeof buf);
      if (n > 0) output.append(buf, static_cast<std::size_t>(n));
    }
    int st = 0;
    if (waitpid(child, &st, WNOHANG) == child) status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  if (!status) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  close(terminal);
  CAPTURE(output);
  CHECK_THAT(output, !Catch::Contains("pass phrase"));
  CHECK_THAT(output, Catch::Contains("refused: the private key is encrypted"));
  REQUIRE(status == 0);

  // In this process too, now that it is known not to prompt (the tests may run from a terminal).
  auto loaded = make_tls_context(material);
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message, Catch::StartsWith("the private key is encrypted"));
}

TEST_CASE("A certificate without a subject loads, described by an empty subject", "[server][tls]") {
  TempDir dir;
  using std::chrono::hours;
  const KeyPair unnamed = make_self_signed(dir.path(), "unnamed", "", -hours(1), hours(24));
  auto loaded = make_tls_context({read_text(unnamed.cert), read_text(unnamed.key), ""});
  REQUIRE(loaded);
  CHECK(loaded->certificate.subject.empty());
  CHECK(loaded->certificate.serial_hex == "2A");
  CHECK(loaded->certificate.sha256_fingerprint == fingerprint_of(unnamed.cert));
}
