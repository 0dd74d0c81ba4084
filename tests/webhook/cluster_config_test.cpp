// ClusterConfig: in-cluster discovery, explicit files, kubeconfig contexts, and rotating bearer tokens.
#include <catch2/catch.hpp>

#include <map>

#include "support/base64.h"
#include "tests/webhook/fake_apiserver.h"
#include "webhook/kube/cluster_config.h"

using namespace memguard;
using namespace memguard::kube;
using memguard::kubetest::TempDir;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string& ca_pem() {
  static const std::string pem = memguard::kubetest::make_certificate("memguard-test-ca", nullptr).cert_pem();
  return pem;
}

}  // namespace

TEST_CASE("In-cluster configuration comes from the service environment and the service-account files", "[kube][config]") {
  TempDir sa;
  sa.write("token", "eyJhbGciOiJSUzI1NiJ9.in-cluster\n");
  sa.write("ca.crt", ca_pem());
  sa.write("namespace", "flink-memguard");
  auto config = in_cluster_config(sa.path().string(), env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  REQUIRE(config);
  CHECK(config->server == "https://10.96.0.1:443");
  CHECK(config->ns == "flink-memguard");
  CHECK(config->ca_pem == ca_pem());
  auto token = config->token->current();
  REQUIRE(token);
  CHECK(*token == "eyJhbGciOiJSUzI1NiJ9.in-cluster");

  SECTION("an IPv6 service address is bracketed") {
    auto v6 = in_cluster_config(sa.path().string(), env_of({{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
    REQUIRE(v6);
    CHECK(v6->server == "https://[fd00:10:96::1]:443");
  }
  SECTION("outside a pod the error says which variables are missing") {
    auto none = in_cluster_config(sa.path().string(), env_of({}));
    REQUIRE_FALSE(none);
    CHECK(none.error().code == ErrorCode::kNotFound);
    CHECK_THAT(none.error().message, Catch::Contains("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"));
  }
  SECTION("a missing token file is named") {
    std::filesystem::remove(sa.file("token"));
    auto broken = in_cluster_config(sa.path().string(), env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
    REQUIRE_FALSE(broken);
    CHECK_THAT(broken.error().message, Catch::Contains(sa.file("token")));
  }
}

TEST_CASE("Explicit configuration refuses plain http and CA files without certificates", "[kube][config]") {
  TempDir dir;
  std::string token = dir.write("token", "abc");
  std::string ca = dir.write("ca.crt", ca_pem());
  std::string junk = dir.write("junk.crt", "not a certificate\n");

  auto ok = explicit_config("https://127.0.0.1:6443/", token, ca);
  REQUIRE(ok);
  CHECK(ok->server == "https://127.0.0.1:6443");

  auto http = explicit_config("http://127.0.0.1:8080", token, ca);
  REQUIRE_FALSE(http);
  CHECK_THAT(http.error().message, Catch::Contains("must start with https://"));

  auto bad_ca = explicit_config("https://127.0.0.1:6443", token, junk);
  REQUIRE_FALSE(bad_ca);
  CHECK(bad_ca.error().message == "the CA bundle " + junk + " holds no PEM certificate");

  auto empty_token = explicit_config("https://127.0.0.1:6443", dir.write("empty", "\n"), ca);
  REQUIRE_FALSE(empty_token);
  CHECK_THAT(empty_token.error().message, Catch::Contains("is empty"));
}

TEST_CASE("A token file is re-read when the kubelet swaps it", "[kube][config][auth]") {
  TempDir dir;
  auto token = BearerToken::from_file(dir.write("token", "first\n"));
  REQUIRE(token);
  CHECK((*token)->current().value() == "first");
  dir.write("token", "second-and-longer\n");
  CHECK((*token)->current().value() == "second-and-longer");
  CHECK((*token)->origin() == "token file " + dir.file("token"));

  SECTION("a file that vanishes for a moment keeps the last good token") {
    std::filesystem::remove(dir.file("token"));
    CHECK((*token)->current().value() == "second-and-longer");
  }
}

TEST_CASE("A kubeconfig context gives the server, CA and token", "[kube][config][kubeconfig]") {
  TempDir dir;
  dir.write("ca.crt", ca_pem());
  dir.write("sa-token", "from-token-file\n");
  std::string kubeconfig = dir.write("config", R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster:
    server: https://prod.example.internal:6443
    certificate-authority-data: )" + base64_encode(ca_pem()) + R"(
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ca.crt
- name: lax-cluster
  cluster:
    server: https://lax:6443
    insecure-skip-tls-verify: true
contexts:
- name: prod
  context: {cluster: prod-cluster, user: auditor, namespace: flink}
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: lax
  context: {cluster: lax-cluster, user: auditor}
- name: certs
  context: {cluster: dev-cluster, user: cert-user}
users:
- name: auditor
  user:
    token: inline-token
- name: dev-user
  user:
    tokenFile: sa-token
- name: cert-user
  user:
    client-certificate-data: AAAA
    client-key-data: AAAA
)");

  SECTION("the current context, with inline CA data and token") {
    auto config = kubeconfig_config(kubeconfig);
    REQUIRE(config);
    CHECK(config->server == "https://prod.example.internal:6443");
    CHECK(config->ca_pem == ca_pem());
    CHECK(config->ns == "flink");
    CHECK(config->token->current().value() == "inline-token");
  }
  SECTION("a named context, with files relative to the kubeconfig") {
    auto config = kubeconfig_config(kubeconfig, "dev");
    REQUIRE(config);
    CHECK(config->server == "https://127.0.0.1:6443");
    CHECK(config->ca_origin == dir.file("ca.crt"));
    CHECK(config->token->current().value() == "from-token-file");
  }
  SECTION("insecure-skip-tls-verify is refused") {
    auto config = kubeconfig_config(kubeconfig, "lax");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == ErrorCode::kUnsupported);
  }
  SECTION("client-certificate users are refused with the reason") {
    auto config = kubeconfig_config(kubeconfig, "certs");
    REQUIRE_FALSE(config);
    CHECK_THAT(config.error().message, Catch::Contains("client certificates"));
  }
  SECTION("an unknown context is named") {
    auto config = kubeconfig_config(kubeconfig, "staging");
    REQUIRE_FALSE(config);
    CHECK_THAT(config.error().message, Catch::Contains("has no context \"staging\""));
  }
}

TEST_CASE("A malformed kubeconfig is an error value, not an exception", "[kube][config][kubeconfig]") {
  TempDir dir;
  auto broken = kubeconfig_config(dir.write("config", "clusters: [unclosed\n"));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().code == ErrorCode::kInvalidArgument);
  auto mistyped = kubeconfig_config(dir.write("config2", "current-context: x\ncontexts:\n- name: x\n  context: [1, 2]\n"));
  REQUIRE_FALSE(mistyped);
  auto missing = kubeconfig_config(dir.file("nope"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}
