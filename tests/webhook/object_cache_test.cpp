// ObjectCache: informers applying watch events, relisting on 410, the mount index, and bounded lookups.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <atomic>
#include <thread>

#include "tests/webhook/fake_apiserver.h"
#include "webhook/kube/object_cache.h"

using namespace memguard;
using namespace memguard::kube;
using namespace std::chrono_literals;
using memguard::kubetest::FakeApiServer;
using memguard::kubetest::FakeCluster;
using memguard::kubetest::FakeRequest;
using memguard::kubetest::FakeResponse;

namespace {

std::shared_ptr<const KubeClient> client_for(const FakeCluster& cluster, const FakeApiServer& server) {
  auto config = explicit_config(server.url(), cluster.token_file, cluster.ca_file);
  REQUIRE(config);
  return std::make_shared<const KubeClient>(std::move(*config));
}

// Fast retries so failure paths do not slow the suite down.
CacheOptions quick_options() {
  CacheOptions o;
  o.initial_backoff = 50ms;
  o.max_backoff = 200ms;
  o.watch_timeout_seconds = 60;
  return o;
}

// Polls until `done` holds; bounded, and the result is checked rather than the time it took.
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 400; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(25ms);
  }
  return done();
}

// Test stand-in for the workload decoder: the ConfigMap volumes of a pod template.
std::vector<std::string> configmap_volumes(std::string_view json) {
  std::vector<std::string> names;
  simdjson::dom::parser parser;
  simdjson::dom::array volumes;
  if (parser.parse(json.data(), json.size())["spec"]["template"]["spec"]["volumes"].get(volumes) != simdjson::SUCCESS) return names;
  for (auto v : volumes) {
    std::string_view name;
    if (v["configMap"]["name"].get(name) == simdjson::SUCCESS) names.emplace_back(name);
  }
  return names;
}

std::string data_of(const ObjectLookup& l) {
  simdjson::dom::parser parser;
  std::string_view conf;
  if (parser.parse(l.object)["data"]["flink-conf.yaml"].get(conf) != simdjson::SUCCESS) return "?";
  return std::string(conf);
}

}  // namespace

TEST_CASE("An informer applies watch events to the cache and answers without asking the server", "[kube][cache][watch]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.path != "/api/v1/namespaces/flink/configmaps") return FakeResponse::fixture("status-404-page.json", 404);
    if (!r.is_watch()) return FakeResponse::fixture(r.param("continue").empty() ? "configmaps-page1.json" : "configmaps-page2.json");
    // First watch replays recorded events; the next one (resuming from the bookmark) stays quiet.
    return r.param("resourceVersion") == "5120" ? FakeResponse::watch_fixture("watch-configmaps.jsonl")
                                                : FakeResponse::quiet_watch();
  });
  ObjectCache cache(client_for(cluster, server), quick_options());
  cache.inform({kConfigMaps, "flink", {}, {}});
  REQUIRE(cache.wait_synced(10s));
  REQUIRE(eventually([&] { return cache.stats().watch_events >= 4; }));

  auto modified = cache.get(kConfigMaps, "flink", "flink-config", 1s);
  REQUIRE(modified.presence == Presence::kFound);
  CHECK(data_of(modified) == "taskmanager.numberOfTaskSlots: 4\ntaskmanager.memory.process.size: 3g\n");
  CHECK(cache.get(kConfigMaps, "flink", "batch-config", 1s).presence == Presence::kFound);
  CHECK(cache.get(kConfigMaps, "flink", "kube-root-ca.crt", 1s).presence == Presence::kFound);
  CHECK(cache.get(kConfigMaps, "flink", "session-cluster-config", 1s).presence == Presence::kAbsent);
  CHECK(cache.get(kConfigMaps, "flink", "never-existed", 1s).presence == Presence::kAbsent);

  // The watch resumed from the bookmark's resourceVersion, and no lookup became a GET.
  CHECK(eventually([&] { return server.count([](const FakeRequest& r) { return r.param("resourceVersion") == "5130"; }) >= 1; }));
  CHECK(server.count([](const FakeRequest& r) { return !r.is_watch() && r.path.find("/configmaps/") != std::string::npos; }) == 0);
}

TEST_CASE("A 410 on watch makes the informer relist and replace what it holds", "[kube][cache][watch]") {
  FakeCluster cluster;
  std::atomic<int> lists{0};
  FakeApiServer server(cluster.server_cert, cluster.token, [&lists](const FakeRequest& r) {
    if (!r.is_watch()) {
      return FakeResponse::fixture(lists++ == 0 ? "configmaps-page2.json" : "configmaps-relisted.json");
    }
    return r.param("resourceVersion") == "5120" ? FakeResponse::watch_fixture("watch-expired.jsonl") : FakeResponse::quiet_watch();
  });
  ObjectCache cache(client_for(cluster, server), quick_options());
  cache.inform({kConfigMaps, "flink", {}, {}});
  REQUIRE(eventually([&] { return cache.stats().relists_after_gone >= 1 && lists.load() >= 2; }));
  REQUIRE(eventually([&] { return cache.get(kConfigMaps, "flink", "flink-config", 1s).presence == Presence::kFound; }));

  CHECK(data_of(cache.get(kConfigMaps, "flink", "flink-config", 1s)) == "taskmanager.memory.process.size: 2048m\n");
  // Gone from the relisted state, so gone from the cache.
  CHECK(cache.get(kConfigMaps, "flink", "session-cluster-config", 1s).presence == Presence::kAbsent);
  // The watch resumes from the relisted resourceVersion.
  CHECK(eventually([&] { return server.count([](const FakeRequest& r) { return r.is_watch() && r.param("resourceVersion") == "6001"; }) >= 1; }));
}

TEST_CASE("Workloads are indexed by the ConfigMaps they mount, and the index follows watch events", "[kube][cache][index]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.path != "/apis/apps/v1/namespaces/flink/deployments") return FakeResponse::fixture("status-404-page.json", 404);
    if (!r.is_watch()) return FakeResponse::fixture("deployments-list.json");
    return FakeResponse::watch_fixture("watch-deployments.jsonl", true);
  });
  ObjectCache cache(client_for(cluster, server), quick_options());
  cache.inform({kDeployments, "flink", {}, configmap_volumes});

  auto names = [](const MountersLookup& m) {
    std::vector<std::string> out;
    for (const auto& w : m.workloads) out.push_back(w.resource + " " + w.ns + "/" + w.name);
    return out;
  };
  REQUIRE(cache.wait_synced(10s));
  REQUIRE(eventually([&] { return cache.stats().watch_events >= 1; }));

  auto flink = cache.mounting("flink", "flink-config", 1s);
  REQUIRE(flink.known);
  CHECK(names(flink) == std::vector<std::string>{"deployments.apps flink/flink-jobmanager"});
  auto session = cache.mounting("flink", "session-cluster-config", 1s);
  REQUIRE(session.known);
  CHECK(names(session) == std::vector<std::string>{"deployments.apps flink/flink-taskmanager"});
  CHECK(names(cache.mounting("flink", "nginx-conf", 1s)) == std::vector<std::string>{"deployments.apps flink/nginx"});
  auto none = cache.mounting("flink", "unused", 1s);
  CHECK(none.known);
  CHECK(none.workloads.empty());

  SECTION("a namespace no workload informer covers is unknown") {
    auto other = cache.mounting("analytics", "flink-config", 1s);
    CHECK_FALSE(other.known);
    CHECK_THAT(other.reason, Catch::Contains("no workload informer covers namespace \"analytics\""));
  }
}

TEST_CASE("A lookup the API cannot answer in time is unknown, and the late answer fills the cache", "[kube][cache][deadline]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest&) {
    auto r = FakeResponse::fixture("configmap-flink-config.json");
    r.delay = 1500ms;
    return r;
  });
  ObjectCache cache(client_for(cluster, server), quick_options());
  auto first = cache.get(kConfigMaps, "flink", "flink-config", 50ms);
  CHECK(first.presence == Presence::kUnknown);
  CHECK_THAT(first.reason, Catch::Contains("no answer from the Kubernetes API within 50 ms for configmaps \"flink/flink-config\""));

  // A patient caller joins the fetch already under way instead of sending another.
  auto later = cache.get(kConfigMaps, "flink", "flink-config", 20s);
  REQUIRE(later.presence == Presence::kFound);
  CHECK_FALSE(later.stale);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("On-demand gets are cached for the TTL, including not-found", "[kube][cache]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    if (r.path.ends_with("/flink-config")) return FakeResponse::fixture("configmap-flink-config.json");
    return FakeResponse::fixture("status-404-configmap.json", 404);
  });
  auto options = quick_options();
  options.ttl = 1h;
  ObjectCache cache(client_for(cluster, server), options);
  CHECK(cache.get(kConfigMaps, "flink", "flink-config", 10s).presence == Presence::kFound);
  CHECK(cache.get(kConfigMaps, "flink", "flink-config", 10s).presence == Presence::kFound);
  CHECK(cache.get(kConfigMaps, "flink", "missing-config", 10s).presence == Presence::kAbsent);
  CHECK(cache.get(kConfigMaps, "flink", "missing-config", 10s).presence == Presence::kAbsent);
  CHECK(server.requests().size() == 2);
  CHECK(cache.stats().fetches == 2);

  SECTION("an expired entry is fetched again") {
    ObjectCache short_lived(client_for(cluster, server), [] { auto o = quick_options(); o.ttl = 0ms; return o; }());
    CHECK(short_lived.get(kConfigMaps, "flink", "flink-config", 10s).presence == Presence::kFound);
    CHECK(short_lived.get(kConfigMaps, "flink", "flink-config", 10s).presence == Presence::kFound);
    CHECK(short_lived.stats().fetches == 2);
  }
}

TEST_CASE("A forbidden lookup is unknown and the reason names the missing RBAC rule", "[kube][cache][rbac]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest&) {
    return FakeResponse::json(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"flink-config\" is forbidden: User \"system:serviceaccount:flink-memguard:flink-memguard\" cannot get resource \"configmaps\" in API group \"\" in the namespace \"flink\"","reason":"Forbidden","details":{"name":"flink-config","kind":"configmaps"},"code":403})", 403);
  });
  ObjectCache cache(client_for(cluster, server), quick_options());
  auto l = cache.get(kConfigMaps, "flink", "flink-config", 10s);
  CHECK(l.presence == Presence::kUnknown);
  CHECK_THAT(l.reason, Catch::Contains("verbs: [\"get\"]"));
}

TEST_CASE("An informer that cannot list leaves lookups unknown with the list error", "[kube][cache][rbac]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("status-403-list-deployments.json", 403); });
  ObjectCache cache(client_for(cluster, server), quick_options());
  cache.inform({kDeployments, "flink", {}, configmap_volumes});
  REQUIRE(eventually([&] { return cache.stats().lists >= 2; }));  // it keeps retrying
  CHECK_FALSE(cache.wait_synced(10ms));

  auto deployment = cache.get(kDeployments, "flink", "flink-taskmanager", 100ms);
  CHECK(deployment.presence == Presence::kUnknown);
  CHECK_THAT(deployment.reason, Catch::Contains("has not completed its first list") && Catch::Contains("403 Forbidden"));
  auto mounters = cache.mounting("flink", "flink-config", 100ms);
  CHECK_FALSE(mounters.known);
  CHECK_THAT(mounters.reason, Catch::Contains("deployments.apps: cannot list deployments.apps"));
}
