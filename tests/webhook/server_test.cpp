// End-to-end tests of the webhook server over real TLS, in-process on 127.0.0.1:0, with a
// throwaway CA made by the openssl CLI and a Boost.Beast client.
#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "server_test_support.h"
#include "webhook/cli/serve_command.h"

namespace {

using namespace memguard;
using namespace memguard::testing;
namespace http = boost::beast::http;

server::AdmissionHandler engine_stand_in() {
  auto admission = cli::make_admission_handler(server::ServerOptions{});
  REQUIRE(admission);
  return admission->handler;
}

struct Pki {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair server = make_leaf(dir.path(), "server", ca);
  ClientOptions client() const { return ClientOptions{ca.cert, std::nullopt, 0, 0, false}; }
};

}  // namespace

TEST_CASE("A valid review is answered 200 with the request's uid", "[server][e2e]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), engine_stand_in());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());

  SECTION("on /validate, with the ?timeout= the API server appends") {
    Reply r = client.request(http::verb::post, "/validate?timeout=10s", sample_review());
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 200);
    CHECK(r.response[http::field::content_type] == "application/json");
    // Whatever the decision, the envelope echoes apiVersion, kind and uid (the engine owns the rest).
    CHECK(r.response.body().rfind(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"3b1f7c2e-9a64-4d0b-8f2a-61c0f5d2a9e1",)", 0) == 0);
  }
  SECTION("on /mutate, with a charset parameter on the Content-Type") {
    Reply r = client.request(http::verb::post, "/mutate", sample_review(), "application/json; charset=utf-8");
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 200);
    CHECK_THAT(r.response.body(), Catch::Contains(R"("uid":"3b1f7c2e-9a64-4d0b-8f2a-61c0f5d2a9e1")"));
  }
  // One structured line per review, without the body.
  srv.stop();
  const std::string log = srv.log_output();
  CHECK_THAT(log, Catch::Contains(R"("msg":"admission review")"));
  CHECK_THAT(log,
             Catch::Contains(R"("uid":"3b1f7c2e-9a64-4d0b-8f2a-61c0f5d2a9e1","kind":"FlinkDeployment","namespace":"analytics","name":"wordcount","operation":"CREATE","dryRun":false,"decision":")"));
  CHECK_THAT(log, !Catch::Contains("taskmanager.numberOfTaskSlots"));
}

TEST_CASE("Requests on one connection are served keep-alive", "[server][e2e]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), engine_stand_in());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    Reply r = client.request(http::verb::post, "/validate", sample_review());
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 200);
    CHECK(r.response.keep_alive());
  }
  CHECK(srv.server().metrics().responses().value({{"code", "200"}}) == 3);
  CHECK_THAT(srv.server().metrics().render(), Catch::Contains("memguard_connections_active 1\n"));
}

TEST_CASE("A body over the limit is answered 413 and the connection closed", "[server][e2e][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.body_limit = 64 * 1024;
  InProcessServer srv(options, engine_stand_in());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  const std::string big(options.body_limit + 1, ' ');

  SECTION("declared by Content-Length") {
    Reply r = client.request(http::verb::post, "/validate", big);
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 413);
    CHECK_THAT(r.response.body(), Catch::Contains("exceeds the limit of 65536 bytes"));
    CHECK_FALSE(r.response.keep_alive());
  }
  SECTION("sent chunked, without a length") {
    http::request<http::string_body> req{http::verb::post, "/validate", 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/json");
    req.body() = big;
    req.chunked(true);
    Reply r = client.send(req);
    REQUIRE_FALSE(r.ec);
    CHECK(r.status() == 413);
  }
  CHECK(client.wait_for_close());
  CHECK(srv.server().metrics().responses().value({{"code", "413"}}) == 1);
}

TEST_CASE("Wrong paths, methods and content types get 404, 405 and 415", "[server][e2e][routes]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), engine_stand_in());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());

  Reply not_found = client.request(http::verb::post, "/", sample_review());
  CHECK(not_found.status() == 404);
  Reply wrong_method = client.request(http::verb::get, "/validate", "", "");
  CHECK(wrong_method.status() == 405);
  CHECK(wrong_method.response[http::field::allow] == "POST");
  Reply wrong_type = client.request(http::verb::post, "/mutate", sample_review(), "application/yaml");
  CHECK(wrong_type.status() == 415);
  Reply no_type = client.request(http::verb::post, "/validate", sample_review(), "");
  CHECK(no_type.status() == 415);
  // Error answers keep the connection usable.
  Reply after = client.request(http::verb::post, "/validate", sample_review());
  CHECK(after.status() == 200);
}

TEST_CASE("A body that is not an AdmissionReview is answered 400 with the reason", "[server][e2e]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), engine_stand_in());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());

  Reply malformed = client.request(http::verb::post, "/validate", R"({"apiVersion": "admission.k8s.io/v1", )");
  CHECK(malformed.status() == 400);
  // Like every error the server produces, a JSON {"error": ...} (issue 12 found text/plain here).
  CHECK(malformed.response[http::field::content_type] == "application/json");
  CHECK(malformed.response.body().rfind(R"({"error":")", 0) == 0);
  CHECK_THAT(malformed.response.body(), Catch::Contains("not valid JSON"));
  Reply other = client.request(http::verb::post, "/validate", R"({"apiVersion":"v1","kind":"ConfigMap"})");
  CHECK(other.status() == 400);
  CHECK_THAT(other.response.body(), Catch::Contains("not an AdmissionReview"));
  Reply no_uid = client.request(http::verb::post, "/validate",
                                R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}})");
  CHECK(no_uid.status() == 400);
  CHECK_THAT(no_uid.response.body(), Catch::Contains("uid"));
}

TEST_CASE("A handler that throws yields 500 and the server keeps serving", "[server][e2e]") {
  Pki pki;
  std::atomic<int> calls{0};
  InProcessServer srv(test_options(pki.server), [&calls](admission::Mode, std::string_view) -> admission::ReviewOutcome {
    if (calls++ == 0) throw std::runtime_error("engine bug");
    admission::ReviewOutcome ok;
    ok.body = "{}";
    ok.decision = admission::ReviewDecision::kAllowed;
    return ok;
  });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  Reply first = client.request(http::verb::post, "/validate", sample_review());
  CHECK(first.status() == 500);
  CHECK(first.response.body() == R"({"error":"internal error while deciding the review"})");
  Reply second = client.request(http::verb::post, "/validate", sample_review());
  CHECK(second.status() == 200);
  srv.stop();
  CHECK_THAT(srv.log_output(), Catch::Contains("handler threw: engine bug"));
}

TEST_CASE("Health, readiness and metrics are served", "[server][e2e]") {
  Pki pki;
  // A fixed outcome, so that the metrics it feeds are known.
  InProcessServer srv(test_options(pki.server), [](admission::Mode, std::string_view) {
    admission::ReviewOutcome o;
    o.body = "{}";
    o.kind = "FlinkDeployment";
    o.operation = "CREATE";
    o.decision = admission::ReviewDecision::kDenied;
    o.finding_codes = {"tm-memory-undersized"};
    return o;
  });
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE(client.request(http::verb::post, "/validate", sample_review()).status() == 200);

  Reply health = client.request(http::verb::get, "/healthz", "", "");
  CHECK(health.status() == 200);
  Reply ready = client.request(http::verb::get, "/readyz", "", "");
  CHECK(ready.status() == 200);
  Reply metrics = client.request(http::verb::get, "/metrics", "", "");
  REQUIRE(metrics.status() == 200);
  CHECK(metrics.response[http::field::content_type].find("text/plain; version=0.0.4") == 0);
  const std::string& text = metrics.response.body();
  CHECK_THAT(text,
             Catch::Contains(R"(memguard_admission_requests_total{kind="FlinkDeployment",operation="CREATE",decision="denied"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(memguard_findings_total{code="tm-memory-undersized"} 1)"));
  CHECK_THAT(text, Catch::Contains("memguard_admission_duration_seconds_count 1\n"));
  CHECK_THAT(text, Catch::Contains(R"(memguard_admission_duration_seconds_bucket{le="0.0001"})"));
  CHECK_THAT(text, Catch::Contains(R"(memguard_http_responses_total{code="200"} 3)"));
  CHECK_THAT(text, Catch::Contains(R"(memguard_tls_reloads_total{result="success"} 1)"));
  CHECK_THAT(text, Catch::Contains("# TYPE memguard_findings_total counter"));
  CHECK_THAT(text, Catch::Contains("memguard_inflight_requests 1\n"));  // the scrape itself
  // The loaded certificate's notAfter as a Unix time: the test certificates are valid for 2 days.
  const std::string expiry = "\nmemguard_tls_certificate_expiry_seconds ";
  REQUIRE_THAT(text, Catch::Contains(expiry));
  const double not_after = std::stod(text.substr(text.find(expiry) + expiry.size()));
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(not_after > now + 86400);
  CHECK(not_after < now + 3 * 86400);
}

TEST_CASE("TLS below 1.2 is refused by the server, 1.2 and 1.3 are accepted", "[server][e2e][tls]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), engine_stand_in());

  SECTION("TLS 1.1") {
    auto options = pki.client();
    options.allow_legacy = true;  // so that the client really offers 1.1 and the refusal is the server's
    options.max_version = TLS1_1_VERSION;
    TlsClient client(srv.port(), options);
    auto ec = client.connect();
    REQUIRE(ec);
    CHECK(ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
  }
  SECTION("TLS 1.2") {
    auto options = pki.client();
    options.max_version = TLS1_2_VERSION;
    TlsClient client(srv.port(), options);
    REQUIRE_FALSE(client.connect());
    CHECK(client.negotiated_version() == "TLSv1.2");
    CHECK(client.request(http::verb::get, "/healthz", "", "").status() == 200);
  }
  SECTION("TLS 1.3") {
    TlsClient client(srv.port(), pki.client());
    REQUIRE_FALSE(client.connect());
    CHECK(client.negotiated_version() == "TLSv1.3");
  }
}

TEST_CASE("A certificate replaced on disk is served to new connections without failing requests",
          "[server][e2e][tls][reload]") {
  Pki pki;
  // The kubelet layout: tls.crt -> ..data/tls.crt, ..data -> a generation directory, swapped by rename.
  const fs::path mount = pki.dir / "mount";
  fs::create_directories(mount / "gen1");
  fs::copy_file(pki.server.cert, mount / "gen1/tls.crt");
  fs::copy_file(pki.server.key, mount / "gen1/tls.key");
  fs::create_directory_symlink("gen1", mount / "..data");
  fs::create_symlink("..data/tls.crt", mount / "tls.crt");
  fs::create_symlink("..data/tls.key", mount / "tls.key");
  const KeyPair mounted{mount / "tls.crt", mount / "tls.key"};
  const std::string old_fp = fingerprint_of(pki.server.cert);

  InProcessServer srv(test_options(mounted), engine_stand_in());
  TlsClient kept(srv.port(), pki.client());
  REQUIRE_FALSE(kept.connect());
  CHECK(kept.peer_fingerprint() == old_fp);

  // Requests on fresh connections while the files change underneath.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, successes{0};
  std::thread load([&] {
    while (!stop) {
      TlsClient c(srv.port(), pki.client());
      if (c.connect() || c.request(http::verb::post, "/validate", sample_review()).status() != 200) {
        ++failures;
      } else {
        ++successes;
      }
    }
  });

  const KeyPair renewed = make_leaf(pki.dir.path(), "renewed", pki.ca);
  const std::string new_fp = fingerprint_of(renewed.cert);
  fs::create_directories(mount / "gen2");
  fs::copy_file(renewed.cert, mount / "gen2/tls.crt");
  fs::copy_file(renewed.key, mount / "gen2/tls.key");
  fs::create_directory_symlink("gen2", mount / "..data_tmp");
  fs::rename(mount / "..data_tmp", mount / "..data");  // atomic, as kubelet's AtomicWriter does

  std::string seen;
  for (int i = 0; i < 200 && seen != new_fp; ++i) {
    TlsClient probe(srv.port(), pki.client());
    REQUIRE_FALSE(probe.connect());
    seen = probe.peer_fingerprint();
    if (seen != new_fp) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  load.join();
  CHECK(seen == new_fp);
  CHECK(failures == 0);
  CHECK(successes > 0);
  // The connection opened before the swap keeps its context and still works.
  CHECK(kept.request(http::verb::post, "/validate", sample_review()).status() == 200);
  CHECK(srv.server().metrics().tls_reloads().value({{"result", "success"}}) == 2);

  // A key that does not match its certificate is rejected and the current certificate kept.
  {
    const KeyPair other = make_leaf(pki.dir.path(), "other", pki.ca);
    fs::create_directories(mount / "gen3");
    fs::copy_file(other.cert, mount / "gen3/tls.crt");
    fs::copy_file(renewed.key, mount / "gen3/tls.key");  // the wrong key
    fs::create_directory_symlink("gen3", mount / "..data_tmp");
    fs::rename(mount / "..data_tmp", mount / "..data");
    for (int i = 0; i < 200 && srv.server().metrics().tls_reloads().value({{"result", "failure"}}) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(srv.server().metrics().tls_reloads().value({{"result", "failure"}}) == 1);
    TlsClient after(srv.port(), pki.client());
    REQUIRE_FALSE(after.connect());
    CHECK(after.peer_fingerprint() == new_fp);
    CHECK(srv.server().ready());
    srv.stop();
    CHECK_THAT(srv.error_output(), Catch::Contains("the private key does not match the certificate"));
  }
}

TEST_CASE("Without a certificate the server is not ready, and becomes ready when one appears",
          "[server][e2e][tls][reload]") {
  Pki pki;
  const KeyPair pending{pki.dir / "later.crt", pki.dir / "later.key"};
  InProcessServer srv(test_options(pending), engine_stand_in());
  CHECK_FALSE(srv.server().ready());
  TlsClient early(srv.port(), pki.client());
  CHECK(early.connect());  // no certificate, no handshake

  fs::copy_file(pki.server.key, pending.key);
  fs::copy_file(pki.server.cert, pending.cert);
  for (int i = 0; i < 200 && !srv.server().ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(srv.server().ready());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  CHECK(client.request(http::verb::get, "/readyz", "", "").status() == 200);
  srv.stop();
  const std::string log = srv.log_output();
  CHECK(log.find(R"("msg":"listening")") < log.find(R"("msg":"ready")"));
}

TEST_CASE("With --client-ca a client certificate from that CA is required", "[server][e2e][tls][mtls]") {
  Pki pki;
  const KeyPair client_ca = make_ca(pki.dir.path(), "client-ca");
  const KeyPair apiserver = make_leaf(pki.dir.path(), "kube-apiserver", client_ca);
  const KeyPair stranger = make_leaf(pki.dir.path(), "stranger", pki.ca);  // valid, but another CA
  auto options = test_options(pki.server);
  options.client_ca_file = client_ca.cert.string();
  InProcessServer srv(options, engine_stand_in());

  SECTION("no client certificate: the handshake fails") {
    TlsClient client(srv.port(), pki.client());
    auto ec = client.connect();
    // With TLS 1.3 the client may finish its side before the server's alert arrives.
    if (!ec) ec = client.request(http::verb::get, "/healthz", "", "").ec;
    CHECK(ec);
  }
  SECTION("a certificate from another CA: the handshake fails") {
    auto o = pki.client();
    o.client_cert = stranger;
    TlsClient client(srv.port(), o);
    auto ec = client.connect();
    if (!ec) ec = client.request(http::verb::get, "/healthz", "", "").ec;
    CHECK(ec);
  }
  SECTION("a certificate from the client CA: served") {
    auto o = pki.client();
    o.client_cert = apiserver;
    TlsClient client(srv.port(), o);
    REQUIRE_FALSE(client.connect());
    CHECK(client.request(http::verb::post, "/validate", sample_review()).status() == 200);
  }
  srv.stop();
  CHECK_THAT(srv.log_output(), Catch::Contains(R"("client_auth":"required")"));
}

TEST_CASE("Connections beyond the cap are closed at once when every connection is busy", "[server][e2e][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.max_connections = 2;
  InProcessServer srv(options, engine_stand_in());
  TlsClient a(srv.port(), pki.client()), b(srv.port(), pki.client()), c(srv.port(), pki.client());
  REQUIRE_FALSE(a.connect());
  REQUIRE_FALSE(b.connect());
  // Both in the middle of a request: neither may be evicted (idle ones would be, see server_hostile_test).
  const std::string partial = "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              "Content-Length: 9\r\n\r\n{";
  REQUIRE_FALSE(a.write_raw(partial));
  REQUIRE_FALSE(b.write_raw(partial));
  for (int i = 0; i < 200 && srv.server().metrics().inflight() != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(srv.server().metrics().inflight() == 2);
  auto ec = c.connect();
  if (!ec) ec = c.request(http::verb::get, "/healthz", "", "").ec;  // TLS 1.3: the close may come after
  CHECK(ec);
  CHECK_THAT(srv.server().metrics().render(), Catch::Contains("memguard_connections_rejected_total 1\n"));
  // The admitted ones are unaffected.
  REQUIRE_FALSE(a.write_raw("\"x\":\"y\"}"));
  CHECK(a.read_reply().status() == 400);
}

TEST_CASE("A client that sends a request too slowly is disconnected", "[server][e2e][limits]") {
  Pki pki;
  auto options = test_options(pki.server);
  options.read_timeout = std::chrono::milliseconds(300);
  InProcessServer srv(options, engine_stand_in());
  TlsClient client(srv.port(), pki.client());
  REQUIRE_FALSE(client.connect());
  REQUIRE_FALSE(client.write_raw("POST /validate HTTP/1.1\r\nHost: localhost\r\n"));  // and then nothing
  CHECK(client.wait_for_close());
}

TEST_CASE("Shutdown finishes a request in flight and closes idle connections", "[server][e2e][shutdown]") {
  Pki pki;
  InProcessServer srv(test_options(pki.server), engine_stand_in());
  TlsClient idle(srv.port(), pki.client()), busy(srv.port(), pki.client());
  REQUIRE_FALSE(idle.connect());
  REQUIRE_FALSE(busy.connect());
  REQUIRE(idle.request(http::verb::get, "/healthz", "", "").status() == 200);
  // The /healthz leaves the gauge only when the server's write handler runs, which can be just
  // after the client has read the reply: wait for it, so that the count below is the busy request.
  for (int i = 0; i < 200 && srv.server().metrics().inflight() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(srv.server().metrics().inflight() == 0);

  const std::string review = sample_review();
  const std::string head = "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(review.size()) + "\r\n\r\n";
  REQUIRE_FALSE(busy.write_raw(head + review.substr(0, 100)));
  for (int i = 0; i < 200 && srv.server().metrics().inflight() != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(srv.server().metrics().inflight() == 1);

  int exit_code = -1;
  std::thread stopper([&] { exit_code = srv.stop(); });
  CHECK(idle.wait_for_close());  // the idle keep-alive connection is closed
  REQUIRE_FALSE(busy.write_raw(review.substr(100)));
  Reply r = busy.read_reply();
  REQUIRE_FALSE(r.ec);
  CHECK(r.status() == 200);
  CHECK_FALSE(r.response.keep_alive());  // told to go elsewhere
  busy.close();
  stopper.join();
  CHECK(exit_code == 0);
}

TEST_CASE("The server refuses to start where it cannot listen, saying why", "[server][e2e]") {
  Pki pki;
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    server::Log log(out, err, server::LogLevel::kInfo);
    auto options = test_options(pki.server);
    auto error_of = [&](const std::string& listen) {
      options.listen = listen;
      auto created = server::Server::create(options, engine_stand_in(), log);
      REQUIRE_FALSE(created);
      return created.error().message;
    };
    CHECK_THAT(error_of("localhost:8443"), Catch::Contains("is not an IP address"));
    // TEST-NET-1 (RFC 5737): an address no interface of this host has.
    CHECK_THAT(error_of("192.0.2.1:8443"), Catch::StartsWith("cannot bind 192.0.2.1:8443: "));
    InProcessServer taken(test_options(pki.server), engine_stand_in());
    const std::string port = std::to_string(taken.port());
    CHECK_THAT(error_of("127.0.0.1:" + port), Catch::StartsWith("cannot bind 127.0.0.1:" + port + ": "));

    // The plain-HTTP server likewise, and it needs its routes.
    options.listen = "127.0.0.1:" + port;
    auto plain = server::Server::create_plain(options, std::make_unique<server::TextRoutes>(
                                                           std::vector<server::TextRoutes::Entry>{}), log);
    REQUIRE_FALSE(plain);
    CHECK_THAT(plain.error().message, Catch::StartsWith("cannot bind"));
    options.listen = "nowhere";
    CHECK_FALSE(server::Server::create_plain(options, std::make_unique<server::TextRoutes>(
                                                          std::vector<server::TextRoutes::Entry>{}), log));
    options.listen = "127.0.0.1:0";
    auto no_routes = server::Server::create_plain(options, nullptr, log);
    REQUIRE_FALSE(no_routes);
    CHECK(no_routes.error().message == "a plain-HTTP server needs its routes");
  }
  std::fclose(out);
  std::fclose(err);
}

TEST_CASE("The plain-HTTP server is ready while it listens and not once shutting down", "[server][plain]") {
  std::FILE* out = std::tmpfile();
  {
    server::Log log(out, out, server::LogLevel::kInfo);
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.handle_signals = false;
    auto created = server::Server::create_plain(
        options, std::make_unique<server::TextRoutes>(std::vector<server::TextRoutes::Entry>{}), log);
    REQUIRE(created);
    auto& srv = **created;
    CHECK_FALSE(srv.ready());  // not listening yet
    int exit_code = -1;
    std::thread runner([&] { exit_code = srv.run(); });
    for (int i = 0; i < 1000 && !srv.ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(srv.ready());
    srv.shutdown();
    runner.join();
    CHECK_FALSE(srv.ready());
    CHECK(exit_code == 0);
  }
  std::fclose(out);
}
