// The real server, as a process, answering the clients users and the API server really use:
// curl, and a cpprestsdk client that trusts only the project's CA.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>

// cpprestsdk defines a macro U() that breaks Boost headers included after it.
#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/http_client.h>

#include "server_test_support.h"
#include "webhook/kube/kube_client.h"

namespace {

using namespace memguard::testing;

struct ServedWebhook {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair server = make_leaf(dir.path(), "server", ca);
  ChildProcess proc{{"serve", "--listen", "127.0.0.1:0", "--tls-cert", server.cert.string(), "--tls-key",
                     server.key.string()}};
  unsigned short port = 0;

  ServedWebhook() {
    auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
    REQUIRE(ready);
    port = port_from_line(*ready);
    REQUIRE(port != 0);
  }
  ~ServedWebhook() {
    proc.signal(SIGTERM);
    proc.wait(std::chrono::seconds(20));
  }
};

fs::path review_fixture(const std::string& name) { return fs::path(MEMGUARD_TEST_DATA) / "reviews" / name; }

std::string run_curl(const std::string& args) {
  std::string out;
  std::FILE* pipe = ::popen(("curl -sS --max-time 10 " + args + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

}  // namespace

TEST_CASE("curl with the project's CA gets the webhook's decision", "[e2e][curl]") {
  ServedWebhook webhook;
  const std::string base = "https://localhost:" + std::to_string(webhook.port);
  const std::string common = "--cacert " + webhook.ca.cert.string() + " -H 'Content-Type: application/json' ";

  SECTION("a FlinkDeployment that fits is allowed") {
    std::string out = run_curl(common + "--data-binary @" + review_fixture("fd-valid.json").string() + " " + base +
                               "/validate?timeout=10s");
    CHECK_THAT(out, Catch::Contains(R"("uid":"uid-fd-valid")"));
    CHECK_THAT(out, Catch::Contains(R"("allowed":true)"));
  }
  SECTION("a FlinkDeployment Flink would reject is denied with the breakdown") {
    std::string out = run_curl(common + "--data-binary @" + review_fixture("fd-memory-config-rejected.json").string() +
                               " " + base + "/validate");
    CHECK_THAT(out, Catch::Contains(R"("allowed":false)"));
    CHECK_THAT(out, Catch::Contains(R"("code":403)"));
  }
  SECTION("without the CA, curl refuses the self-signed chain") {
    std::string out = run_curl("-H 'Content-Type: application/json' --data-binary @" +
                               review_fixture("fd-valid.json").string() + " " + base + "/validate");
    CHECK_THAT(out, Catch::Contains("certificate"));
  }
}

TEST_CASE("A cpprestsdk client that trusts only the project's CA gets the webhook's decision", "[e2e][cpprest]") {
  ServedWebhook webhook;
  const std::string ca_pem = read_text(webhook.ca.cert);
  web::http::client::http_client_config config;
  config.set_timeout(std::chrono::seconds(10));
  config.set_validate_certificates(true);
  config.set_ssl_context_callback([ca_pem](boost::asio::ssl::context& ctx) { memguard::kube::trust_only_ca(ctx, ca_pem); });
  web::http::client::http_client client("https://localhost:" + std::to_string(webhook.port), config);

  for (const char* path : {"/validate", "/mutate"}) {
    CAPTURE(path);
    web::http::http_request req(web::http::methods::POST);
    req.set_request_uri(path);
    req.set_body(read_text(review_fixture("fd-ambiguous-memory-unit.json")), "application/json");
    web::http::http_response resp = client.request(req).get();
    REQUIRE(resp.status_code() == 200);
    std::string body = resp.extract_utf8string(true).get();
    CHECK_THAT(body, Catch::Contains(R"("uid":"uid-fd-ambiguous","allowed":true)"));
    // The engine's finding reached the client, not just the echoed uid ("uid-fd-ambiguous").
    if (std::string_view(path) == "/validate") {
      CHECK_THAT(body, Catch::Contains("spec.jobManager.resource.memory: '2048m' is 2048 MiB to the Flink operator "
                                       "but 2.048 bytes to Kubernetes; write '2048Mi'"));
    } else {
      CHECK_THAT(body, Catch::Contains(R"("patchType":"JSONPatch")"));
      CHECK_THAT(body, Catch::Contains("spec.jobManager.resource.memory: rewrote '2048m' as '2048Mi'"));
    }
  }

  // The same client trusting a different CA must not get an answer.
  TempDir other;
  KeyPair stranger = make_ca(other.path(), "stranger");
  const std::string stranger_pem = read_text(stranger.cert);
  web::http::client::http_client_config strict;
  strict.set_timeout(std::chrono::seconds(10));
  strict.set_ssl_context_callback(
      [stranger_pem](boost::asio::ssl::context& ctx) { memguard::kube::trust_only_ca(ctx, stranger_pem); });
  web::http::client::http_client untrusting("https://localhost:" + std::to_string(webhook.port), strict);
  CHECK_THROWS(untrusting.request(web::http::methods::GET, "/healthz").get());
}
