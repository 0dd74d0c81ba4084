// KubeClient against a local TLS fake API server: get, paginated list, watch, and every failure mode.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cstdlib>
#include <optional>
#include <stop_token>

#include "tests/webhook/fake_apiserver.h"
#include "webhook/kube/kube_client.h"

using namespace memguard;
using namespace memguard::kube;
using memguard::kubetest::FakeApiServer;
using memguard::kubetest::FakeCluster;
using memguard::kubetest::FakeRequest;
using memguard::kubetest::FakeResponse;

namespace {

KubeClient client_for(const FakeCluster& cluster, const FakeApiServer& server, ClientOptions options = {}) {
  auto config = explicit_config(server.url(), cluster.token_file, cluster.ca_file);
  REQUIRE(config);
  return KubeClient(std::move(*config), options);
}

std::string name_of(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view name;
  if (parser.parse(json)["metadata"]["name"].get(name) != simdjson::SUCCESS) return "?";
  return std::string(name);
}

}  // namespace

TEST_CASE("get returns the object as minified JSON and authenticates with the bearer token", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.path == "/api/v1/namespaces/flink/configmaps/flink-config") return FakeResponse::fixture("configmap-flink-config.json");
    return FakeResponse::fixture("status-404-page.json", 404);
  });
  auto client = client_for(cluster, server);
  auto cm = client.get(kConfigMaps, "flink", "flink-config");
  REQUIRE(cm);
  CHECK_THAT(*cm, !Catch::Contains("\n"));
  CHECK_THAT(*cm, Catch::Contains("\"resourceVersion\":\"4711\""));
  CHECK(name_of(*cm) == "flink-config");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].authorization == "Bearer " + cluster.token);
}

TEST_CASE("get of a missing object is kNotFound naming kind, namespace and name", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("status-404-configmap.json", 404); });
  auto client = client_for(cluster, server);
  auto cm = client.get(kConfigMaps, "flink", "missing-config");
  REQUIRE_FALSE(cm);
  CHECK(cm.error().code == ErrorCode::kNotFound);
  CHECK(cm.error().message == "ConfigMap \"missing-config\" not found in namespace \"flink\"");
}

TEST_CASE("list follows continue tokens and returns every item with the list's resourceVersion", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.path != "/api/v1/namespaces/flink/configmaps") return FakeResponse::fixture("status-404-page.json", 404);
    return FakeResponse::fixture(r.param("continue").empty() ? "configmaps-page1.json" : "configmaps-page2.json");
  });
  auto client = client_for(cluster, server);
  auto list = client.list(kConfigMaps, "flink", ListOptions{"app=flink,component in (config)", {}, 2});
  REQUIRE(list);
  CHECK(list->pages == 2);
  CHECK(list->resource_version == "5120");
  REQUIRE(list->items.size() == 3);
  CHECK(name_of(list->items[0]) == "flink-config");
  CHECK(name_of(list->items[1]) == "kube-root-ca.crt");
  CHECK(name_of(list->items[2]) == "session-cluster-config");
  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].param("limit") == "2");
  CHECK(seen[0].param("labelSelector") == "app=flink,component in (config)");
  CHECK(seen[1].param("continue") == "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NTEyMCwic3RhcnQiOiJmbGluay1jb25maWdcdTAwMDAifQ");
}

TEST_CASE("list starts over unpaginated when its continue token has expired", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (!r.param("continue").empty()) return FakeResponse::fixture("status-410-continue-expired.json", 410);
    if (!r.param("limit").empty()) return FakeResponse::fixture("configmaps-page1.json");
    return FakeResponse::fixture("configmaps-relisted.json");
  });
  auto client = client_for(cluster, server);
  auto list = client.list(kConfigMaps, "flink");
  REQUIRE(list);
  CHECK(list->resource_version == "6001");
  REQUIRE(list->items.size() == 1);
  CHECK_THAT(list->items[0], Catch::Contains("2048m"));
  CHECK(server.requests().size() == 3);
}

TEST_CASE("list across all namespaces uses the cluster-wide path", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.path == "/apis/apps/v1/deployments") return FakeResponse::fixture("deployments-list.json");
    return FakeResponse::fixture("status-404-page.json", 404);
  });
  auto client = client_for(cluster, server);
  auto list = client.list(kDeployments, "");
  REQUIRE(list);
  CHECK(list->items.size() == 3);
  CHECK(list->resource_version == "7300");
}

TEST_CASE("a get or a list answered with a redirect is an error, even when its body reads as the answer",
          "[kube][client]") {
  // A proxy in front of the API server may answer 3xx; only a 200 is an object or a list (client-go's rule too).
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    const bool get = r.path == "/api/v1/namespaces/flink/configmaps/flink-config";
    return FakeResponse::fixture(get ? "configmap-flink-config.json" : "configmaps-page2.json", 302);
  });
  auto client = client_for(cluster, server);
  auto cm = client.get(kConfigMaps, "flink", "flink-config");
  REQUIRE_FALSE(cm);
  CHECK_THAT(cm.error().message, Catch::Contains("302"));
  auto list = client.list(kConfigMaps, "flink");
  REQUIRE_FALSE(list);
  CHECK_THAT(list.error().message, Catch::Contains("302"));
}

TEST_CASE("a 403 names the RBAC rule the service account is missing", "[kube][client][rbac]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("status-403-list-deployments.json", 403); });
  auto client = client_for(cluster, server);
  auto list = client.list(kDeployments, "flink");
  REQUIRE_FALSE(list);
  CHECK(list.error().code == kube::kPermissionDenied);
  const std::string& m = list.error().message;
  CHECK_THAT(m, Catch::Contains("cannot list deployments.apps in namespace \"flink\": 403 Forbidden"));
  CHECK_THAT(m, Catch::Contains("{apiGroups: [\"apps\"], resources: [\"deployments\"], verbs: [\"list\"]}"));
  CHECK_THAT(m, Catch::Contains("User \"system:serviceaccount:flink-memguard:flink-memguard\" cannot list resource"));
}

TEST_CASE("a list of a kind the server does not serve says the CRD may be missing", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("status-404-page.json", 404); });
  auto client = client_for(cluster, server);
  auto list = client.list(kFlinkDeployments, "");
  REQUIRE_FALSE(list);
  CHECK(list.error().code == ErrorCode::kNotFound);
  CHECK_THAT(list.error().message, Catch::Contains("does not serve flinkdeployments.flink.apache.org/v1beta1"));
  CHECK(server.requests().at(0).path == "/apis/flink.apache.org/v1beta1/flinkdeployments");
}

TEST_CASE("a wrong token is a 401 error that blames the token", "[kube][client][auth]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, "the-real-token",
                       [](const FakeRequest&) { return FakeResponse::fixture("configmap-flink-config.json"); });
  auto client = client_for(cluster, server);
  auto cm = client.get(kConfigMaps, "flink", "flink-config");
  REQUIRE_FALSE(cm);
  CHECK(cm.error().code == kube::kUnauthenticated);
  CHECK_THAT(cm.error().message, Catch::Contains("401 Unauthorized, the bearer token was rejected"));
}

TEST_CASE("a rotated token file is used by the next request", "[kube][client][auth]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("configmap-flink-config.json"); });
  auto client = client_for(cluster, server);
  REQUIRE(client.get(kConfigMaps, "flink", "flink-config"));

  // The kubelet rotates the bound token; the API server stops accepting the old one.
  cluster.dir.write("token", "eyJhbGciOiJSUzI1NiJ9.test-token-2\n");
  server.set_token("eyJhbGciOiJSUzI1NiJ9.test-token-2");
  auto after = client.get(kConfigMaps, "flink", "flink-config");
  REQUIRE(after);
  CHECK(server.requests().back().authorization == "Bearer eyJhbGciOiJSUzI1NiJ9.test-token-2");
}

TEST_CASE("a server slower than the request timeout gives a timeout error", "[kube][client][timeout]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest&) {
    auto r = FakeResponse::fixture("configmap-flink-config.json");
    r.delay = std::chrono::milliseconds(3000);
    return r;
  });
  auto client = client_for(cluster, server, ClientOptions{std::chrono::milliseconds(300), "test"});
  auto cm = client.get(kConfigMaps, "flink", "flink-config");
  REQUIRE_FALSE(cm);
  CHECK(cm.error().code == ErrorCode::kTimeout);
  CHECK_THAT(cm.error().message, Catch::Contains("no answer from https://127.0.0.1:") && Catch::Contains("within 300 ms"));
}

TEST_CASE("a server certificate signed by another CA fails the TLS handshake", "[kube][client][tls]") {
  FakeCluster cluster;
  auto other_ca = memguard::kubetest::make_certificate("someone-else", nullptr);
  auto impostor = memguard::kubetest::make_certificate("kube-apiserver", &other_ca);
  FakeApiServer server(impostor, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("configmap-flink-config.json"); });
  // Even when the process-wide OpenSSL trust store vouches for the impostor's CA, only the
  // configured cluster CA counts.
  bool system_trusts_impostor = GENERATE(false, true);
  CAPTURE(system_trusts_impostor);
  std::optional<std::string> saved = process_env("SSL_CERT_FILE");
  if (system_trusts_impostor) ::setenv("SSL_CERT_FILE", cluster.dir.write("system-roots.pem", other_ca.cert_pem()).c_str(), 1);
  auto client = client_for(cluster, server);
  auto cm = client.get(kConfigMaps, "flink", "flink-config");
  if (saved) ::setenv("SSL_CERT_FILE", saved->c_str(), 1); else ::unsetenv("SSL_CERT_FILE");
  REQUIRE_FALSE(cm);
  CHECK(cm.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(cm.error().message, Catch::Contains("TLS handshake with https://127.0.0.1:"));
  CHECK_THAT(cm.error().message, Catch::Contains(cluster.ca_file));
  // The token never reached the impostor.
  CHECK(server.requests().empty());
}

TEST_CASE("malformed JSON from the server is an error value", "[kube][client]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.is_watch()) {
      FakeResponse w;
      w.stream = {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}", "{\"type\":\"ADDED\",\"obj"};
      return w;
    }
    return FakeResponse::json(r.path.find("/configmaps/") != std::string::npos ? "{\"kind\":\"ConfigMap\"," : "{\"items\":42}");
  });
  auto client = client_for(cluster, server);
  SECTION("get") {
    auto cm = client.get(kConfigMaps, "flink", "flink-config");
    REQUIRE_FALSE(cm);
    CHECK(cm.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(cm.error().message, Catch::Contains("malformed JSON"));
  }
  SECTION("list") {
    auto list = client.list(kConfigMaps, "flink");
    REQUIRE_FALSE(list);
    CHECK_THAT(list.error().message, Catch::Contains("items is not an array"));
  }
  SECTION("watch") {
    int events = 0;
    auto end = client.watch(kConfigMaps, "flink", {}, [&](const WatchEvent&) { ++events; });
    REQUIRE_FALSE(end);
    CHECK(end.error().code == ErrorCode::kInvalidArgument);
    CHECK(events == 1);
  }
}

TEST_CASE("watch streams events in order and reports where to resume", "[kube][client][watch]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::watch_fixture("watch-configmaps.jsonl"); });
  auto client = client_for(cluster, server);
  std::vector<std::string> seen;
  auto end = client.watch(kConfigMaps, "flink", WatchOptions{"5120", {}, 60, true}, [&](const WatchEvent& ev) {
    seen.push_back(std::string(to_string(ev.type)) + " " + ev.name + " " + ev.resource_version);
  });
  REQUIRE(end);
  CHECK(end->events == 4);
  CHECK(end->resource_version == "5130");
  CHECK_FALSE(end->stopped);
  CHECK(seen == std::vector<std::string>{"ADDED batch-config 5121", "MODIFIED flink-config 5122",
                                         "DELETED session-cluster-config 5123", "BOOKMARK  5130"});
  auto req = server.requests().at(0);
  CHECK(req.path == "/api/v1/namespaces/flink/configmaps");
  CHECK(req.param("watch") == "1");
  CHECK(req.param("resourceVersion") == "5120");
  CHECK(req.param("allowWatchBookmarks") == "true");
  CHECK(req.param("timeoutSeconds") == "60");
}

TEST_CASE("watch reports a too-old resourceVersion as kGone so the caller relists", "[kube][client][watch]") {
  FakeCluster cluster;
  bool as_event = GENERATE(true, false);
  CAPTURE(as_event);
  FakeApiServer server(cluster.server_cert, cluster.token, [as_event](const FakeRequest&) {
    if (as_event) return FakeResponse::watch_fixture("watch-expired.jsonl");
    return FakeResponse::json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion 5120 is too old","reason":"Gone","code":410})", 410);
  });
  auto client = client_for(cluster, server);
  auto end = client.watch(kConfigMaps, "flink", WatchOptions{"5120", {}, 60, true}, [](const WatchEvent&) {});
  REQUIRE_FALSE(end);
  CHECK(end.error().code == kube::kGone);
  CHECK_THAT(end.error().message, Catch::Contains("a fresh list is needed"));
}

TEST_CASE("a stop request ends a watch the server holds open", "[kube][client][watch]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::watch_fixture("watch-configmaps.jsonl", true); });
  auto client = client_for(cluster, server);
  std::stop_source stop;
  auto end = client.watch(kConfigMaps, "flink", WatchOptions{"5120", {}, 60, true}, [&](const WatchEvent& ev) {
    if (ev.type == WatchEventType::kBookmark) stop.request_stop();
  }, stop.get_token());
  REQUIRE(end);
  CHECK(end->stopped);
  CHECK(end->events == 4);
  CHECK(end->resource_version == "5130");
}
