// `flink-memguard serve --kube-api KUBECONFIG` as a process: the flag reaches the engine, which
// reads the ConfigMap a workload mounts from the (fake, loopback) API server; without it the
// workload is allowed with a note that nothing was checked.
#include <catch2/catch.hpp>

#include <csignal>

#include "server_test_support.h"
#include "tests/webhook/fake_apiserver.h"

namespace {

using namespace memguard::testing;
using memguard::kubetest::FakeApiServer;
using memguard::kubetest::FakeCluster;
using memguard::kubetest::FakeRequest;
using memguard::kubetest::FakeResponse;
namespace http = boost::beast::http;

const std::string kConfigMap =
    R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"flink-config","namespace":"flink","resourceVersion":"10"},)"
    R"("data":{"config.yaml":"taskmanager.memory.process.size: 1728m\n"}})";

const std::string kTaskManager =
    R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flink-taskmanager","namespace":"flink"},)"
    R"("spec":{"template":{"metadata":{"labels":{"component":"taskmanager"}},"spec":{"containers":[{"name":"taskmanager",)"
    R"("image":"flink:1.20","args":["taskmanager"],"resources":{"limits":{"memory":"1Gi"}},)"
    R"("volumeMounts":[{"name":"conf","mountPath":"/opt/flink/conf"}]}],)"
    R"("volumes":[{"name":"conf","configMap":{"name":"flink-config"}}]}}}})";

const std::string kReview =
    R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-kube-api",)"
    R"("kind":{"group":"apps","version":"v1","kind":"Deployment"},"namespace":"flink",)"
    R"("operation":"CREATE","object":)" + kTaskManager + "}}";

std::string empty_list(const std::string& kind) {
  return R"({"kind":")" + kind + R"(List","apiVersion":"v1","metadata":{"resourceVersion":"12"},"items":[]})";
}

FakeResponse cluster_api(const FakeRequest& r) {
  if (r.path == "/api/v1/namespaces/flink/configmaps/flink-config") return FakeResponse::json(kConfigMap);
  if (r.is_watch()) return FakeResponse::quiet_watch();
  if (r.path == "/apis/apps/v1/deployments") return FakeResponse::json(empty_list("Deployment"));
  if (r.path == "/apis/apps/v1/statefulsets") return FakeResponse::json(empty_list("StatefulSet"));
  if (r.path == "/apis/batch/v1/jobs") return FakeResponse::json(empty_list("Job"));
  if (r.path == "/api/v1/pods") return FakeResponse::json(empty_list("Pod"));
  return FakeResponse::fixture("status-404-configmap.json", 404);
}

struct Pki {
  TempDir dir;
  KeyPair ca = make_ca(dir.path(), "ca");
  KeyPair server = make_leaf(dir.path(), "server", ca);
  ClientOptions client() const { return ClientOptions{ca.cert, std::nullopt, 0, 0, false}; }
};

// Serves with `extra` flags and returns the answer to kReview on /validate.
std::string validate_with(const Pki& pki, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--tls-cert", pki.server.cert.string(),
                                   "--tls-key", pki.server.key.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  ChildProcess proc(args);  // killed by its destructor (or the kernel) if anything below fails
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  TlsClient client(port_from_line(*ready), pki.client());
  REQUIRE_FALSE(client.connect());
  Reply r = client.request(http::verb::post, "/validate", kReview);
  REQUIRE_FALSE(r.ec);
  REQUIRE(r.status() == 200);
  client.close();
  proc.signal(SIGTERM);
  CHECK(proc.wait(std::chrono::seconds(30)) == 0);
  return r.response.body();
}

}  // namespace

TEST_CASE("serve --kube-api KUBECONFIG judges a workload against the ConfigMap the API server holds",
          "[cli][serve][kube]") {
  Pki pki;
  FakeCluster cluster;
  FakeApiServer api(cluster.server_cert, cluster.token, cluster_api);
  const std::string kubeconfig = cluster.dir.write("kubeconfig", "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                                                                 "clusters:\n- name: fake\n  cluster:\n    server: " +
                                                                     api.url() + "\n    certificate-authority: " +
                                                                     cluster.ca_file +
                                                                     "\ncontexts:\n- name: test\n  context: {cluster: fake, "
                                                                     "user: webhook}\nusers:\n- name: webhook\n  user:\n"
                                                                     "    tokenFile: " + cluster.token_file + "\n");

  const std::string judged = validate_with(pki, {"--kube-api", kubeconfig, "--kube-timeout-ms", "20000"});
  CHECK_THAT(judged, Catch::Contains(R"("uid":"u-kube-api","allowed":false)"));
  CHECK_THAT(judged, Catch::Contains("container taskmanager: TaskManager: total process memory exceeds the container "
                                     "memory limit 1024 MiB"));
  bool read_configmap = false;
  for (const auto& r : api.requests()) {
    CHECK(r.authorization == "Bearer " + cluster.token);
    read_configmap = read_configmap || r.path == "/api/v1/namespaces/flink/configmaps/flink-config";
  }
  CHECK(read_configmap);

  // The default, off: allowed, saying what was not checked.
  const std::string unchecked = validate_with(pki, {});
  CHECK_THAT(unchecked, Catch::Contains(R"("uid":"u-kube-api","allowed":true)"));
  CHECK_THAT(unchecked, Catch::Contains("ConfigMap flink-config not checked: no Kubernetes API access configured"));
}

TEST_CASE("serve --kube-watch-timeout sets the informers' watch timeoutSeconds, and /metrics counts the cache's work",
          "[cli][serve][kube]") {
  Pki pki;
  FakeCluster cluster;
  FakeApiServer api(cluster.server_cert, cluster.token, cluster_api);
  const std::string kubeconfig = cluster.dir.write("kubeconfig", "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                                                                 "clusters:\n- name: fake\n  cluster:\n    server: " +
                                                                     api.url() + "\n    certificate-authority: " +
                                                                     cluster.ca_file +
                                                                     "\ncontexts:\n- name: test\n  context: {cluster: fake, "
                                                                     "user: webhook}\nusers:\n- name: webhook\n  user:\n"
                                                                     "    tokenFile: " + cluster.token_file + "\n");
  ChildProcess proc({"serve", "--listen", "127.0.0.1:0", "--tls-cert", pki.server.cert.string(), "--tls-key",
                     pki.server.key.string(), "--kube-api", kubeconfig, "--kube-watch-timeout", "7"});
  auto ready = proc.wait_for_line(R"("msg":"ready")", std::chrono::seconds(20));
  REQUIRE(ready);
  TlsClient client(port_from_line(*ready), pki.client());
  REQUIRE_FALSE(client.connect());
  // The four informers (Deployments, StatefulSets, Jobs, Pods) list at least once each, then watch
  // (a failed watch relists, so "at least"); polled until a watch was sent too, since they start in the background (a deadline
  // 50x what they take).
  auto counter = [](const std::string& text, const std::string& name) -> long {
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stol(text.substr(at + name.size() + 2));
  };
  std::string metrics;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto watched = [&api] {
    for (const auto& r : api.requests()) {
      if (r.is_watch()) return true;
    }
    return false;
  };
  while ((counter(metrics, "memguard_kube_cache_lists_total") < 4 || !watched()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Reply r = client.request(http::verb::get, "/metrics", "", "");
    REQUIRE_FALSE(r.ec);
    metrics = r.response.body();
  }
  CHECK_THAT(metrics, Catch::Contains("# TYPE memguard_kube_cache_lists_total counter\n"));
  CHECK(counter(metrics, "memguard_kube_cache_lists_total") >= 4);
  CHECK(counter(metrics, "memguard_kube_cache_relists_after_gone_total") == 0);  // the fake never answers 410
  CHECK(counter(metrics, "memguard_kube_cache_watch_events_total") == 0);         // nor sends an event
  CHECK(counter(metrics, "memguard_kube_cache_fetches_total") == 0);
  client.close();
  proc.signal(SIGTERM);
  const auto exit_code = proc.wait(std::chrono::seconds(30));
  INFO("exit status: " << (exit_code ? std::to_string(*exit_code) : std::string("still running")));
  INFO(proc.stderr_text());
  CHECK(exit_code == 0);
  size_t watches = 0;
  for (const auto& r : api.requests()) {
    if (!r.is_watch()) continue;
    ++watches;
    CHECK(r.param("timeoutSeconds") == "7");
  }
  CHECK(watches >= 1);
}

TEST_CASE("serve refuses a --kube-watch-timeout outside 1 to 3600 seconds", "[cli][serve][kube]") {
  for (const char* bad : {"0", "3601", "x"}) {
    ChildProcess proc({"serve", "--tls-cert", "c", "--tls-key", "k", "--kube-watch-timeout", bad});
    CHECK(proc.wait(std::chrono::seconds(30)) == 2);
  }
}
