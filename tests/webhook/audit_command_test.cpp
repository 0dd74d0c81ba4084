// `flink-memguard audit` end to end against a fake TLS API server: what runs is listed, judged as
// the webhook would judge it, and reported with check's exit codes; API failures exit 2.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <utility>
#include <thread>

#include "tests/webhook/cli_test_support.h"
#include "tests/webhook/fake_apiserver.h"
#include "tests/webhook/server_test_support.h"

using namespace memguard;
using memguard::kubetest::FakeApiServer;
using memguard::kubetest::FakeCluster;
using memguard::kubetest::FakeRequest;
using memguard::kubetest::FakeResponse;

namespace {

using Run = memguard::testing::CliRun;
Run run(const std::string& arguments) { return memguard::testing::run_cli(arguments, memguard::testing::Stderr::kMerge); }

// List items as the API server sends them: without apiVersion and kind.
std::string list(const std::string& kind, const std::string& items) {
  return R"({"kind":")" + kind + R"(List","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[)" + items + "]}";
}

const std::string kConfigMap =
    R"({"metadata":{"name":"flink-config","namespace":"flink"},"data":{"config.yaml":"taskmanager.memory.process.size: 1728m\n"}})";

std::string taskmanager(const std::string& name, const std::string& limit) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"flink"},)"
         R"("spec":{"template":{"spec":{"containers":[{"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)"
         R"("resources":{"limits":{"memory":")" + limit + R"("}},"volumeMounts":[{"name":"c","mountPath":"/opt/flink/conf"}]}],)"
         R"("volumes":[{"name":"c","configMap":{"name":"flink-config"}}]}}}})";
}

// A pod its ReplicaSet controls: judged through the Deployment, not again on its own.
const std::string kOwnedPod =
    R"({"metadata":{"name":"flink-taskmanager-abc","namespace":"flink","ownerReferences":[{"apiVersion":"apps/v1",)"
    R"("kind":"ReplicaSet","name":"flink-taskmanager-5d9","uid":"1","controller":true}]},)"
    R"("spec":{"containers":[{"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)"
    R"("resources":{"limits":{"memory":"1Gi"}},"volumeMounts":[{"name":"c","mountPath":"/opt/flink/conf"}]}],)"
    R"("volumes":[{"name":"c","configMap":{"name":"flink-config"}}]}})";

FakeResponse cluster(const FakeRequest& r, const std::string& prefix) {
  if (r.path == "/apis/flink.apache.org/v1beta1" + prefix + "flinkdeployments") {
    return FakeResponse::fixture("status-404-page.json", 404);  // the CRD is not installed
  }
  if (r.path == "/api/v1" + prefix + "configmaps") return FakeResponse::json(list("ConfigMap", kConfigMap));
  if (r.path == "/apis/apps/v1" + prefix + "deployments") {
    return FakeResponse::json(list("Deployment", taskmanager("flink-taskmanager", "1Gi") + "," +
                                                     taskmanager("flink-taskmanager-big", "2Gi")));
  }
  if (r.path == "/apis/apps/v1" + prefix + "statefulsets") return FakeResponse::json(list("StatefulSet", ""));
  if (r.path == "/apis/batch/v1" + prefix + "jobs") return FakeResponse::json(list("Job", ""));
  if (r.path == "/api/v1" + prefix + "pods") return FakeResponse::json(list("Pod", kOwnedPod));
  return FakeResponse::fixture("status-404-page.json", 404);
}

std::string connection(const FakeCluster& c, const FakeApiServer& s) {
  return "--server " + s.url() + " --token-file '" + c.token_file + "' --ca-file '" + c.ca_file + "'";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("audit reports what already runs as the webhook would judge it", "[cli][audit]") {
  FakeCluster c;
  FakeApiServer server(c.server_cert, c.token, [](const FakeRequest& r) { return cluster(r, "/"); });
  Run r = run("audit " + connection(c, server));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "note: FlinkDeployments not audited: the flink.apache.org CRD is not installed"));
  CHECK(contains(r.out, "deployments.apps Deployment flink/flink-taskmanager: denied"));
  CHECK(contains(r.out, "  deny process-exceeds-limit: container taskmanager: TaskManager: total process memory exceeds "
                        "the container memory limit 1024 MiB"));
  CHECK(contains(r.out, "deployments.apps Deployment flink/flink-taskmanager-big: allowed"));
  CHECK(contains(r.out, "configmaps ConfigMap flink/flink-config: denied"));
  CHECK_FALSE(contains(r.out, "flink-taskmanager-abc"));  // the ReplicaSet's pod
  CHECK(contains(r.out, "3 object(s) read, 3 judged: 2 denied"));
  // Every request carried the bearer token, and the lists were cluster-wide.
  for (const auto& request : server.requests()) {
    CHECK(request.authorization == "Bearer " + c.token);
    CHECK_FALSE(contains(request.path, "/namespaces/"));
  }
}

TEST_CASE("audit --namespace lists only those namespaces, and --output json is machine-readable", "[cli][audit]") {
  FakeCluster c;
  FakeApiServer server(c.server_cert, c.token, [](const FakeRequest& r) { return cluster(r, "/namespaces/flink/"); });
  Run r = run("audit --namespace flink --output json " + connection(c, server));
  CHECK(r.exit_code == 1);
  std::string json = r.out.substr(r.out.find('{'));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
  CHECK(root["summary"]["denied"].get_int64().value() == 2);
  CHECK(root["summary"]["exitCode"].get_int64().value() == 1);
}

TEST_CASE("audit exits 2 when the API refuses or cannot be reached", "[cli][audit]") {
  FakeCluster c;
  SECTION("403: the message names what RBAC lacks") {
    FakeApiServer server(c.server_cert, c.token,
                         [](const FakeRequest&) { return FakeResponse::fixture("status-403-list-deployments.json", 403); });
    Run r = run("audit " + connection(c, server));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "403"));
  }
  SECTION("a wrong token: the fake server answers 401") {
    FakeApiServer server(c.server_cert, "another-token", [](const FakeRequest& r) { return cluster(r, "/"); });
    Run r = run("audit " + connection(c, server));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "401"));
  }
  SECTION("bad usage") {
    CHECK(run("audit --server https://127.0.0.1:1").exit_code == 2);
    CHECK(run("audit --output yaml").exit_code == 2);
    CHECK(run("audit --interval 0").exit_code == 2);
    CHECK(run("audit --kubeconfig /nonexistent/kubeconfig").exit_code == 2);
  }
}

namespace {

// A loopback port nothing listens on right now (the audit's endpoint binds it a moment later).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

// GET `target` over plain HTTP: the status (0 if the endpoint does not answer) and the body.
std::pair<unsigned, std::string> get(unsigned short port, const std::string& target) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  boost::system::error_code ec;
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {0, ""};
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "localhost");
  http::write(stream, req, ec);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) return {0, ""};
  return {res.result_int(), res.body()};
}

// GET /metrics; "" unless answered 200.
std::string scrape(unsigned short port) {
  auto [status, body] = get(port, "/metrics");
  return status == 200 ? body : "";
}

}  // namespace

TEST_CASE("audit --interval repeats the audit and serves the last good one on /metrics", "[cli][audit]") {
  FakeCluster c;
  std::atomic<bool> api_down{false};
  FakeApiServer server(c.server_cert, c.token, [&api_down](const FakeRequest& r) {
    return api_down ? FakeResponse::fixture("status-403-list-deployments.json", 403) : cluster(r, "/");
  });
  const unsigned short port = free_port();
  std::vector<std::string> args = {"audit", "--server", server.url(), "--token-file", c.token_file, "--ca-file",
                                    c.ca_file, "--interval", "1", "--listen", "127.0.0.1:" + std::to_string(port)};
  memguard::testing::ChildProcess audit(args);  // killed when the test ends, however it ends
  REQUIRE(audit.wait_for_line("deployments.apps Deployment flink/flink-taskmanager: denied", std::chrono::seconds(60)));

  // Polled: the endpoint publishes right after the report is printed.
  auto scrape_until = [&](const std::string& part) {
    std::string text;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!contains(text, part) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      text = scrape(port);
    }
    return text;
  };
  std::string metrics = scrape_until("flink_memguard_audit_runs_total");
  CHECK_THAT(metrics, Catch::Contains(R"(flink_memguard_audit_findings{namespace="flink",kind="Deployment",)"
                                      R"(name="flink-taskmanager",code="process-exceeds-limit",action="deny"} 1)"));
  CHECK_THAT(metrics, Catch::Contains("flink_memguard_audit_errors_total 0\n"));
  CHECK_THAT(metrics, !Catch::Contains(R"(name="flink-taskmanager-big",code="process-exceeds-limit")"));  // it fits
  // It runs again: a later run counts.
  CHECK_THAT(scrape_until("flink_memguard_audit_runs_total 2\n"), Catch::Contains("flink_memguard_audit_runs_total 2\n"));

  // The server's own routes, nothing else.
  CHECK(get(port, "/healthz") == std::make_pair(200u, std::string("ok\n")));
  CHECK(get(port, "/validate").first == 404);
  CHECK(get(port, "/readyz").first == 404);

  // A client that connects and sends nothing, and one that sends half a request and stops, hold
  // only their own connections (the server's sessions, each under its own deadline): the next
  // scrape is answered at once, not after their 10 s read deadline.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket silent(io), trickling(io);
  silent.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  trickling.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(trickling, boost::asio::buffer(std::string("GET /metrics HTTP/1.1\r\n")));
  const auto start = std::chrono::steady_clock::now();
  CHECK_THAT(scrape(port), Catch::Contains("flink_memguard_audit_runs_total"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(9));  // milliseconds expected

  // A failed run keeps the last good findings and is counted.
  api_down = true;
  metrics = scrape_until("flink_memguard_audit_errors_total 1\n");
  CHECK_THAT(metrics, Catch::Contains("flink_memguard_audit_errors_total 1\n"));
  CHECK_THAT(metrics, Catch::Contains(R"(name="flink-taskmanager",code="process-exceeds-limit",action="deny"} 1)"));

  // SIGTERM: the listener closes, the silent connection at once, the trickling one at its read
  // deadline or the 5 s drain limit, and the process returns 0 (so a coverage build writes its
  // counters). 60 s is the bound; a few seconds are expected.
  audit.signal(SIGTERM);
  CHECK(audit.wait(std::chrono::seconds(60)) == 0);
  CHECK(get(port, "/metrics").first == 0);
}

TEST_CASE("audit --listen takes serve's addresses and gives serve's errors", "[cli][audit]") {
  Run r = run("audit --interval 1 --listen 9090 --server https://127.0.0.1:1");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "--listen '9090' must be HOST:PORT, e.g. 0.0.0.0:8443"));
  r = run("audit --listen 127.0.0.1:65536");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "--listen '127.0.0.1:65536': port must be a number from 0 to 65535"));
  r = run("audit --listen ::1:9090");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "write IPv6 addresses in brackets"));
}

TEST_CASE("audit --page-size sets the limit of every list request, within 1 to 10000", "[cli][audit]") {
  FakeCluster c;
  FakeApiServer server(c.server_cert, c.token, [](const FakeRequest& r) { return cluster(r, "/"); });
  Run r = run("audit --page-size 3 " + connection(c, server));
  CHECK(r.exit_code == 1);
  size_t lists = 0;
  for (const auto& request : server.requests()) {
    ++lists;
    CHECK(request.param("limit") == "3");
  }
  CHECK(lists == 6);  // one page per kind here: the fake hands out no continue token
  CHECK(run("audit " + connection(c, server)).exit_code == 1);
  CHECK(server.requests().back().param("limit") == "500");
  for (const char* bad : {"0", "10001", "x"}) {
    Run refused = run(std::string("audit --page-size ") + bad + " " + connection(c, server));
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.out, "--page-size needs a number of objects from 1 to 10000"));
  }
}
