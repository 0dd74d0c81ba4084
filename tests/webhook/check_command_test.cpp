// `flink-memguard check` end to end: the Flink documentation's standalone layout with limits that do
// not fit, kind: List, directories, JSON output, exit codes, and parity with `review`.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/webhook/cli_test_support.h"

namespace {

using Run = memguard::testing::CliRun;
Run run(const std::string& arguments) { return memguard::testing::run_cli(arguments); }
std::string temp_file(const std::string& name, const std::string& text) {
  return memguard::testing::temp_file("check-test", name, text);
}

const std::string kManifests = MEMGUARD_TEST_DATA "/manifests";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("check denies the documentation's standalone layout with limits below config.yaml's sizes",
          "[cli][check]") {
  Run r = run("check -f '" + kManifests + "/standalone-session'");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "jobmanager-session-deployment.yaml:3 Deployment default/flink-jobmanager: denied"));
  CHECK(contains(r.out, "  deny process-exceeds-limit: container jobmanager: JobManager: total process memory exceeds "
                        "the container memory limit 1024 MiB (resources.limits.memory: 1Gi of container jobmanager)"));
  CHECK(contains(r.out, "Deployment default/flink-taskmanager: denied"));
  // The ConfigMap is judged against both Deployments too: changing it would be denied as well.
  CHECK(contains(r.out, "ConfigMap default/flink-config: denied"));
  CHECK(contains(r.out, "Deployment default/flink-taskmanager container taskmanager: TaskManager: total process memory"));
  CHECK_FALSE(contains(r.out, "Service"));  // kinds we do not judge are not listed
  CHECK(contains(r.out, "4 object(s) read, 3 judged: 3 denied"));
}

TEST_CASE("check passes the same layout once the limits hold the process sizes", "[cli][check]") {
  Run r = run("check -f '" + kManifests + "/standalone-fits'");
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "Deployment default/flink-jobmanager: allowed"));
  CHECK(contains(r.out, "0 denied"));
}

TEST_CASE("check reads kind: List, -D arguments and FLINK_PROPERTIES, and reports JSON", "[cli][check]") {
  Run r = run("check --output json -f '" + kManifests + "/application-list.yaml'");
  CHECK(r.exit_code == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(r.out).get(root) == simdjson::SUCCESS);
  CHECK(root["summary"]["exitCode"].get_int64().value() == 1);
  CHECK(root["summary"]["objects"].get_int64().value() == 3);
  std::map<std::string, std::string> decisions;
  for (auto object : root["objects"].get_array()) {
    decisions[std::string(object["kind"].get_string().value())] = std::string(object["decision"].get_string().value());
    if (object["kind"].get_string().value() == "Job") {
      auto finding = object["findings"].at(0);
      CHECK(finding["code"].get_string().value() == "process-exceeds-limit");
      CHECK(finding["action"].get_string().value() == "deny");
      CHECK(finding["role"].get_string().value() == "jobmanager");
      CHECK(contains(std::string(finding["message"].get_string().value()), "total process 2048 MiB"));
      CHECK(object["namespace"].get_string().value() == "streaming");
    }
  }
  CHECK(decisions["Job"] == "denied");
  CHECK(decisions["StatefulSet"] == "allowed");  // FLINK_PROPERTIES 4096m in a 4Gi limit
  // The Job mounts it, but the Job's own -D argument sets the process size past its limit: no edit of
  // the ConfigMap fixes that, so the ConfigMap is warned and the Job denied (README: UPDATEs).
  CHECK(decisions["ConfigMap"] == "allowed");
}

TEST_CASE("check --output json gives each FlinkDeployment's effectiveConfiguration as the operator builds it",
          "[cli][check]") {
  std::string path = temp_file("effective.yaml", R"(apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: effective}
spec:
  flinkVersion: v1_17
  flinkConfiguration: {taskmanager.memory.process.size: 1g, kubernetes.taskmanager.memory.limit-factor: "1.5",
                       taskmanager.numberOfTaskSlots: "2", s3.secret.memory.key: hidden}
  jobManager: {resource: {memory: 2048m, cpu: 1}}
  taskManager: {resource: {memory: 4Gi, cpu: 1}}
)");
  Run r = run("check --output json -f '" + path + "'");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(r.out).get(root) == simdjson::SUCCESS);
  auto effective = root["objects"].at(0)["effectiveConfiguration"];
  // resource.memory overwrites the process size, in bytes; flinkConfiguration's memory options stay.
  CHECK(effective["jobmanager.memory.process.size"].get_string().value() == "2147483648");
  CHECK(effective["taskmanager.memory.process.size"].get_string().value() == "4294967296");
  CHECK(effective["kubernetes.taskmanager.memory.limit-factor"].get_string().value() == "1.5");
  CHECK(effective["taskmanager.numberOfTaskSlots"].error() == simdjson::NO_SUCH_FIELD);  // memory options only
  CHECK(effective["s3.secret.memory.key"].error() == simdjson::NO_SUCH_FIELD);           // never a secret
}

TEST_CASE("check exit codes: 2 for bad usage and unreadable input, 0 for nothing to judge", "[cli][check]") {
  CHECK(run("check").exit_code == 2);
  CHECK(run("check -f").exit_code == 2);
  CHECK(run("check -f x --output yaml").exit_code == 2);
  CHECK(run("check -f /nonexistent/k8s").exit_code == 2);
  CHECK(run("check -f '" + temp_file("broken.yaml", "kind: [\n") + "'").exit_code == 2);
  // An object the API server would reject (args must be strings) is unreadable input, not a pass.
  CHECK(run("check -f '" + temp_file("badtype.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                                                      "  containers: [{name: tm, args: taskmanager}]\n") + "'")
            .exit_code == 2);
  Run other = run("check -f '" + temp_file("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n") + "'");
  CHECK(other.exit_code == 0);
  CHECK(contains(other.out, "1 object(s) read, 0 judged"));
  CHECK(run("check --help").exit_code == 0);
}

TEST_CASE("check takes --policy and --flink-version like the webhook's policy and annotation", "[cli][check]") {
  std::string policy = temp_file("warn-only.yaml", "findings:\n  process-exceeds-limit: warn\n");
  Run warned = run("check --policy '" + policy + "' -f '" + kManifests + "/standalone-session'");
  CHECK(warned.exit_code == 0);
  CHECK(contains(warned.out, "  warn process-exceeds-limit:"));
  // config.yaml only: Flink 1.18 reads flink-conf.yaml and fails at start.
  std::string cm = temp_file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                                        "  config.yaml: |\n    taskmanager.memory.process.size: 2g\n");
  CHECK(run("check --flink-version 1.18 -f '" + cm + "'").exit_code == 1);
  CHECK(run("check --flink-version 1.20 -f '" + cm + "'").exit_code == 0);
  CHECK(run("check --flink-version banana -f '" + cm + "'").exit_code == 2);
}

TEST_CASE("check and review --with give the same decision for the same object", "[cli][check][review]") {
  // The TaskManager Deployment as an AdmissionReview, with the ConfigMap standing in for the cluster.
  std::string deployment_json =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flink-taskmanager","namespace":"default"},)"
      R"("spec":{"template":{"metadata":{"labels":{"component":"taskmanager"}},"spec":{"containers":[{"name":"taskmanager",)"
      R"("image":"apache/flink:1.20.1-scala_2.12","args":["taskmanager"],"resources":{"limits":{"memory":"1536Mi"}},)"
      R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/opt/flink/conf"}]}],)"
      R"("volumes":[{"name":"flink-config-volume","configMap":{"name":"flink-config"}}]}}}})";
  std::string review = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1",)"
                       R"("kind":{"group":"apps","version":"v1","kind":"Deployment"},)"
                       R"("resource":{"group":"apps","version":"v1","resource":"deployments"},)"
                       R"("name":"flink-taskmanager","namespace":"default","operation":"CREATE","object":)" +
                       deployment_json + "}}";
  std::string review_file = temp_file("review.json", review);
  std::string manifest = temp_file("tm.json", deployment_json);
  std::string configmap = kManifests + "/standalone-session/flink-configuration-configmap.yaml";

  Run reviewed = run("review -f '" + review_file + "' --with '" + configmap + "'");
  Run checked = run("check -f '" + manifest + "' -f '" + configmap + "'");
  CHECK(reviewed.exit_code == 1);
  CHECK(checked.exit_code == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(reviewed.out).get(root) == simdjson::SUCCESS);
  std::string denial(root["response"]["status"]["message"].get_string().value());
  CHECK(contains(checked.out, "deny process-exceeds-limit: " + denial));

  // Without the ConfigMap, review allows and says the ConfigMap was not checked.
  Run alone = run("review -f '" + review_file + "'");
  CHECK(alone.exit_code == 0);
  CHECK(contains(alone.out, "ConfigMap flink-config not checked"));
}
