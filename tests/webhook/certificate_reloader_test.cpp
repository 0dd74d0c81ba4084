// Tests of certificate polling and swapping (without a server: poll() is called directly).
#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <cstdio>
#include <ctime>

#include <boost/asio/io_context.hpp>

#include "server_test_support.h"
#include "webhook/server/certificate_reloader.h"

using namespace memguard::testing;
using memguard::server::CertificateReloader;
using memguard::server::TlsFiles;
using Result = CertificateReloader::PollResult;

namespace {

struct Fixture {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair first = make_leaf(dir.path(), "first", ca);
  KeyPair second = make_leaf(dir.path(), "second", ca);
  fs::path cert = dir / "tls.crt";
  fs::path key = dir / "tls.key";
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  memguard::server::Log log{out, err, memguard::server::LogLevel::kInfo};
  memguard::server::Metrics metrics;
  boost::asio::io_context ioc;
  std::shared_ptr<CertificateReloader> reloader = std::make_shared<CertificateReloader>(
      ioc.get_executor(), TlsFiles{cert.string(), key.string(), ""}, std::chrono::seconds(1), metrics, log);

  void install(const KeyPair& pair) {
    fs::copy_file(pair.cert, cert, fs::copy_options::overwrite_existing);
    fs::copy_file(pair.key, key, fs::copy_options::overwrite_existing);
  }
  uint64_t reloads(const char* result) const { return metrics.tls_reloads().value({{"result", result}}); }
  std::string warnings() { return written_to(err); }
  ~Fixture() {
    log.flush();  // the log outlives this body: nothing of it may be left to write to closed files
    std::fclose(out);
    std::fclose(err);
  }
};

}  // namespace

TEST_CASE("A changed pair is installed, unchanged bytes are not reloaded", "[server][tls][reload]") {
  Fixture f;
  f.install(f.first);
  CHECK(f.reloader->poll() == Result::kInstalled);
  auto ctx1 = f.reloader->current();
  REQUIRE(ctx1);
  CHECK(f.reloader->certificate()->sha256_fingerprint == fingerprint_of(f.first.cert));
  CHECK(f.reloader->poll() == Result::kUnchanged);
  CHECK(f.reloader->current() == ctx1);

  f.install(f.second);
  CHECK(f.reloader->poll() == Result::kInstalled);
  CHECK(f.reloader->current() != ctx1);
  CHECK(f.reloader->certificate()->sha256_fingerprint == fingerprint_of(f.second.cert));
  CHECK(f.reloads("success") == 2);
  CHECK_THAT(f.metrics.render(), Catch::Contains("memguard_tls_certificate_expiry_seconds " +
                                                 std::to_string(f.reloader->certificate()->not_after_unix)));
}

TEST_CASE("A bad pair is reported once and the current certificate kept", "[server][tls][reload]") {
  Fixture f;
  f.install(f.first);
  REQUIRE(f.reloader->poll() == Result::kInstalled);
  auto good = f.reloader->current();

  fs::copy_file(f.second.cert, f.cert, fs::copy_options::overwrite_existing);  // key left behind
  CHECK(f.reloader->poll() == Result::kFailed);
  CHECK(f.reloader->poll() == Result::kFailed);
  CHECK(f.reloader->current() == good);
  CHECK(f.reloads("failure") == 1);

  fs::copy_file(f.second.key, f.key, fs::copy_options::overwrite_existing);  // the key catches up
  CHECK(f.reloader->poll() == Result::kInstalled);
}

TEST_CASE("Missing files leave the server without a certificate until they appear", "[server][tls][reload]") {
  Fixture f;
  CHECK(f.reloader->poll() == Result::kFailed);
  CHECK_FALSE(f.reloader->loaded());
  CHECK(f.reloader->poll() == Result::kFailed);
  CHECK(f.reloads("failure") == 1);  // the same error is not reported every poll

  bool announced = false;
  f.reloader->on_installed([&](const memguard::server::CertificateInfo&) { announced = true; });
  f.install(f.first);
  CHECK(f.reloader->poll() == Result::kInstalled);
  CHECK(f.reloader->loaded());
  CHECK(announced);
}

TEST_CASE("The poll timer reloads on its own and stops when asked", "[server][tls][reload]") {
  Fixture f;
  auto fast = std::make_shared<CertificateReloader>(f.ioc.get_executor(), TlsFiles{f.cert.string(), f.key.string(), ""},
                                                    std::chrono::milliseconds(10), f.metrics, f.log);
  f.install(f.first);
  fast->start();
  for (int i = 0; i < 500 && !fast->loaded(); ++i) f.ioc.run_for(std::chrono::milliseconds(10));
  CHECK(fast->loaded());
  fast->stop();
  f.ioc.restart();
  f.ioc.run_for(std::chrono::seconds(5));  // returns early once the cancelled timer is gone
  CHECK(f.ioc.stopped());
}

TEST_CASE("A pair replaced between the reads is skipped as in flux and installed whole on the next poll",
          "[server][tls][reload]") {
  Fixture f;
  f.install(f.first);
  // The reader of the files on disk, except that the swap to `second` happens just after the first
  // read of the certificate: the key and the second certificate read come from the new pair.
  int cert_reads = 0;
  std::string vanish;  // when set, the second certificate read fails with it (the file is gone)
  auto read = [&](const std::string& path, std::string_view what) -> memguard::Expected<std::string> {
    auto bytes = memguard::server::read_pem_file(path, what);
    if (path != f.cert.string()) return bytes;
    ++cert_reads;
    if (cert_reads == 1) f.install(f.second);  // the swap, just after this read
    if (cert_reads == 2 && !vanish.empty()) return memguard::make_error(memguard::ErrorCode::kNotFound, vanish);
    return bytes;
  };
  auto reloader = std::make_shared<CertificateReloader>(f.ioc.get_executor(), TlsFiles{f.cert.string(), f.key.string(), ""},
                                                        std::chrono::seconds(1), f.metrics, f.log, read);

  SECTION("the certificate changed between its two reads") {}
  SECTION("the certificate could not be read the second time") { vanish = "certificate file gone"; }
  CHECK(reloader->poll() == Result::kInFlux);
  CHECK_FALSE(reloader->loaded());
  CHECK(f.reloads("failure") == 0);  // not an error: the next poll sees the swap whole
  CHECK(f.reloads("success") == 0);
  CHECK(reloader->poll() == Result::kInstalled);
  CHECK(reloader->certificate()->sha256_fingerprint == fingerprint_of(f.second.cert));
}

TEST_CASE("An expired certificate is installed, with a warning that clients will reject it", "[server][tls][reload]") {
  Fixture f;
  using std::chrono::hours;
  f.install(make_self_signed(f.dir.path(), "expired", "expired", -hours(48), -hours(24)));
  CHECK(f.reloader->poll() == Result::kInstalled);
  REQUIRE(f.reloader->certificate());
  CHECK(f.reloader->certificate()->not_after_unix < std::time(nullptr));
  const std::string warned = f.warnings();
  CHECK_THAT(warned, Catch::Contains("the loaded certificate has expired; clients will reject it"));
  CHECK_THAT(warned, Catch::Contains(R"("not_after":")" +
                                     memguard::server::format_timestamp(std::chrono::system_clock::from_time_t(
                                         static_cast<std::time_t>(f.reloader->certificate()->not_after_unix)))));

  // A valid one: no such warning.
  f.install(f.first);
  CHECK(f.reloader->poll() == Result::kInstalled);
  const std::string after = f.warnings().substr(warned.size());
  CHECK_THAT(after, !Catch::Contains("expired"));
}

TEST_CASE("A failed load says whether a certificate is still being served", "[server][tls][reload]") {
  Fixture f;
  CHECK(f.reloader->poll() == Result::kFailed);
  CHECK_THAT(f.warnings(), Catch::Contains("no certificate loaded yet; TLS handshakes fail and /readyz is not ready"));
  f.install(f.first);
  REQUIRE(f.reloader->poll() == Result::kInstalled);
  write_text(f.key, "not a key");
  CHECK(f.reloader->poll() == Result::kFailed);
  CHECK_THAT(f.warnings(), Catch::Contains("certificate reload rejected; keeping the current certificate"));
  CHECK(f.reloader->loaded());
}

TEST_CASE("A client CA file is read with the pair, and one that cannot be read fails the load naming it",
          "[server][tls][reload][mtls]") {
  Fixture f;
  f.install(f.first);
  const fs::path client_ca = f.dir / "client-ca.crt";
  auto reloader = std::make_shared<CertificateReloader>(
      f.ioc.get_executor(), TlsFiles{f.cert.string(), f.key.string(), client_ca.string()}, std::chrono::seconds(1),
      f.metrics, f.log);
  CHECK(reloader->poll() == Result::kFailed);
  CHECK_FALSE(reloader->loaded());
  CHECK_THAT(f.warnings(), Catch::Contains("client CA file"));

  fs::copy_file(f.ca.cert, client_ca);
  CHECK(reloader->poll() == Result::kInstalled);
  REQUIRE(reloader->current());
  CHECK(SSL_CTX_get_verify_mode(reloader->current()->native_handle()) ==
        (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));

  // A changed client CA alone is a new version.
  const KeyPair other = make_ca(f.dir.path(), "other-clients");
  fs::copy_file(other.cert, client_ca, fs::copy_options::overwrite_existing);
  auto before = reloader->current();
  CHECK(reloader->poll() == Result::kInstalled);
  CHECK(reloader->current() != before);
}

TEST_CASE("A reloader describes no certificate before one is loaded, and stops before it started", "[server][tls][reload]") {
  Fixture f;
  CHECK_FALSE(f.reloader->certificate());
  CHECK_FALSE(f.reloader->current());
  f.reloader->stop();  // shutdown before run(): nothing to stop, nothing breaks
  f.install(f.first);
  CHECK(f.reloader->poll() == Result::kInstalled);
  CHECK(f.reloader->certificate());
}

TEST_CASE("A reloader gone while its poll timer runs is not polled", "[server][tls][reload]") {
  Fixture f;
  f.install(f.first);
  auto reloader = std::make_shared<CertificateReloader>(f.ioc.get_executor(), TlsFiles{f.cert.string(), f.key.string(), ""},
                                                        std::chrono::milliseconds(10), f.metrics, f.log);
  reloader->start();
  std::weak_ptr<CertificateReloader> weak = reloader;
  reloader.reset();  // the timer still holds its poll, which holds the reloader only weakly
  CHECK(weak.expired());
  f.ioc.run_for(std::chrono::milliseconds(100));
  CHECK(f.reloads("success") == 0);
}
