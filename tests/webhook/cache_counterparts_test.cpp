// The webhook's standalone lookups against a fake TLS API server: a workload checked against the
// ConfigMap it mounts (get), a ConfigMap change checked against the workloads mounting it
// (informers), and the allow-with-warning fallback when the API is slow or forbids the read.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "tests/webhook/fake_apiserver.h"
#include "webhook/cli/kube_lookups.h"
#include "webhook/engine/handle_review.h"
#include "webhook/engine/policy.h"
#include "webhook/kube/cache_counterparts.h"

using namespace memguard;
using namespace std::chrono_literals;
using memguard::kubetest::FakeApiServer;
using memguard::kubetest::FakeCluster;
using memguard::kubetest::FakeRequest;
using memguard::kubetest::FakeResponse;

namespace {

const std::string kConfigMap =
    R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"flink-config","namespace":"flink","resourceVersion":"10"},)"
    R"("data":{"config.yaml":"taskmanager.memory.process.size: 1728m\n"}})";

std::string taskmanager(const std::string& limit) {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flink-taskmanager","namespace":"flink","resourceVersion":"11"},)"
         R"("spec":{"template":{"metadata":{"labels":{"component":"taskmanager"}},"spec":{"containers":[{"name":"taskmanager",)"
         R"("image":"flink:1.20","args":["taskmanager"],"resources":{"limits":{"memory":")" + limit + R"("}},)"
         R"("volumeMounts":[{"name":"conf","mountPath":"/opt/flink/conf"}]}],)"
         R"("volumes":[{"name":"conf","configMap":{"name":"flink-config"}}]}}}})";
}

std::string list(const std::string& kind, const std::string& items) {
  return R"({"kind":")" + kind + R"(List","apiVersion":"v1","metadata":{"resourceVersion":"12"},"items":[)" + items + "]}";
}

std::string review(const std::string& group, const std::string& kind, const std::string& object) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
         R"("kind":{"group":")" + group + R"(","version":"v1","kind":")" + kind + R"("},"namespace":"flink",)"
         R"("operation":"CREATE","object":)" + object + "}}";
}

struct Answer {
  bool allowed = false;
  std::string message;
  std::vector<std::string> warnings;
};

Answer answer(const admission::ReviewOutcome& outcome) {
  Answer a;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(outcome.body).get(root) == simdjson::SUCCESS);
  a.allowed = root["response"]["allowed"].get_bool().value();
  std::string_view message;
  if (root["response"]["status"]["message"].get(message) == simdjson::SUCCESS) a.message = std::string(message);
  simdjson::dom::array warnings;
  if (root["response"]["warnings"].get(warnings) == simdjson::SUCCESS) {
    for (auto w : warnings) a.warnings.emplace_back(w.get_string().value());
  }
  return a;
}

bool any_contains(const std::vector<std::string>& texts, const std::string& part) {
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(part) != std::string::npos; });
}

std::shared_ptr<const kube::KubeClient> client_for(const FakeCluster& cluster, const FakeApiServer& server) {
  auto config = kube::explicit_config(server.url(), cluster.token_file, cluster.ca_file);
  REQUIRE(config);
  return std::make_shared<const kube::KubeClient>(std::move(*config));
}

// The lookup deadline for cases about something else than the deadline: long enough for a first
// TLS handshake with the fake API under memcheck (make test-valgrind), where 2-5 s was not.
constexpr auto kGenerousLookup = 30s;

kube::CacheOptions quick() {
  kube::CacheOptions o;
  o.initial_backoff = 50ms;
  o.max_backoff = 200ms;
  return o;
}

// The cluster: flink-config, and a TaskManager Deployment with `limit`; lists of other kinds empty.
FakeResponse cluster_api(const FakeRequest& r, const std::string& limit) {
  if (r.path == "/api/v1/namespaces/flink/configmaps/flink-config") return FakeResponse::json(kConfigMap);
  if (r.is_watch()) return FakeResponse::quiet_watch();
  if (r.path == "/apis/apps/v1/deployments") return FakeResponse::json(list("Deployment", taskmanager(limit)));
  if (r.path == "/apis/apps/v1/statefulsets") return FakeResponse::json(list("StatefulSet", ""));
  if (r.path == "/apis/batch/v1/jobs") return FakeResponse::json(list("Job", ""));
  if (r.path == "/api/v1/pods") return FakeResponse::json(list("Pod", ""));
  return FakeResponse::fixture("status-404-configmap.json", 404);
}

}  // namespace

TEST_CASE("A workload arriving is checked against the ConfigMap read from the API", "[kube][standalone]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) { return cluster_api(r, "2Gi"); });
  auto lookups = cli::make_kube_lookups(client_for(cluster, server), kGenerousLookup, quick());
  Answer a = answer(engine::handle_review(admission::Mode::kValidate, review("apps", "Deployment", taskmanager("1Gi")),
                                          engine::default_policy(), lookups.counterparts.get()));
  CHECK_FALSE(a.allowed);
  CHECK_THAT(a.message, Catch::Contains("container taskmanager: TaskManager: total process memory exceeds the container "
                                        "memory limit 1024 MiB"));
  // The request carried the bearer token.
  auto requests = server.requests();
  REQUIRE_FALSE(requests.empty());
  CHECK(requests.front().authorization == "Bearer " + cluster.token);
}

TEST_CASE("A ConfigMap change is checked against the workloads the informers hold", "[kube][standalone]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) { return cluster_api(r, "1728Mi"); });
  auto lookups = cli::make_kube_lookups(client_for(cluster, server), kGenerousLookup, quick());
  REQUIRE(lookups.cache->wait_synced(10s));
  std::string grown = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink"},)"
                      R"("data":{"config.yaml":"taskmanager.memory.process.size: 4g\n"}})";
  Answer a = answer(engine::handle_review(admission::Mode::kValidate, review("", "ConfigMap", grown),
                                          engine::default_policy(), lookups.counterparts.get()));
  CHECK_FALSE(a.allowed);
  CHECK_THAT(a.message, Catch::Contains("Deployment flink/flink-taskmanager container taskmanager: TaskManager: total "
                                        "process memory exceeds the container memory limit 1728 MiB"));
  // The current content fits: allowed.
  Answer same = answer(engine::handle_review(admission::Mode::kValidate, review("", "ConfigMap", kConfigMap),
                                             engine::default_policy(), lookups.counterparts.get()));
  CHECK(same.allowed);
}

TEST_CASE("A slow API never blocks admission: allowed with a warning saying what was not checked",
          "[kube][standalone][deadline]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token, [](const FakeRequest& r) {
    FakeResponse out = cluster_api(r, "2Gi");
    if (!r.is_watch()) out.delay = 1500ms;
    return out;
  });
  auto lookups = cli::make_kube_lookups(client_for(cluster, server), 100ms, quick());
  Answer workload = answer(engine::handle_review(admission::Mode::kValidate,
                                                 review("apps", "Deployment", taskmanager("1Gi")),
                                                 engine::default_policy(), lookups.counterparts.get()));
  CHECK(workload.allowed);
  CHECK(any_contains(workload.warnings, "memory not checked: ConfigMap flink-config could not be read (no answer from "
                                        "the Kubernetes API within 100 ms"));
  Answer configmap = answer(engine::handle_review(admission::Mode::kValidate, review("", "ConfigMap", kConfigMap),
                                                  engine::default_policy(), lookups.counterparts.get()));
  CHECK(configmap.allowed);
  CHECK(any_contains(configmap.warnings, "the workloads mounting ConfigMap flink-config could not be listed"));
}

TEST_CASE("A forbidden read falls back the same way, naming the missing permission", "[kube][standalone][rbac]") {
  FakeCluster cluster;
  FakeApiServer server(cluster.server_cert, cluster.token,
                       [](const FakeRequest&) { return FakeResponse::fixture("status-403-list-deployments.json", 403); });
  auto lookups = cli::make_kube_lookups(client_for(cluster, server), kGenerousLookup, quick());
  Answer a = answer(engine::handle_review(admission::Mode::kValidate, review("apps", "Deployment", taskmanager("1Gi")),
                                          engine::default_policy(), lookups.counterparts.get()));
  CHECK(a.allowed);
  CHECK(any_contains(a.warnings, "could not be read"));
  CHECK(any_contains(a.warnings, "403"));
}

TEST_CASE("The mount extractor reads workloads with the admission decoder", "[kube][standalone]") {
  CHECK(kube::workload_configmaps(taskmanager("1Gi")) == std::vector<std::string>{"flink-config"});
  CHECK(kube::workload_configmaps("not json").empty());
  CHECK(kube::workload_configmaps(R"({"apiVersion":"v1","kind":"Service"})").empty());
}
