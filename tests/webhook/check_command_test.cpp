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

TEST_CASE("check -v prints each judged role's memory for admitted objects too", "[cli][check]") {
  const std::string dir = kManifests + "/standalone-fits";
  Run r = run("check -v -f '" + dir + "'");
  CHECK(r.exit_code == 0);
  // config.yaml: JobManager process 1600m = 1152 MiB Flink (1024 MiB heap + 128 MiB off-heap) + 256 MiB
  // metaspace + 192 MiB overhead (10% of 1600 MiB is 160 MiB, below the 192 MiB minimum); the
  // TaskManager's 1728m = 1280 + 256 + 192. The Deployments' containers have limits of the same size.
  CHECK(contains(r.out, "  " + dir + "/jobmanager-session-deployment.yaml:3 Deployment/flink-jobmanager jobmanager "
                        "(container jobmanager): process 1600 MiB = flink 1152 MiB + metaspace 256 MiB + overhead "
                        "192 MiB, container limit 1600 MiB\n"));
  CHECK(contains(r.out, "  " + dir + "/taskmanager-session-deployment.yaml:2 Deployment/flink-taskmanager taskmanager "
                        "(container taskmanager): process 1728 MiB = flink 1280 MiB + metaspace 256 MiB + overhead "
                        "192 MiB, container limit 1728 MiB\n"));
  CHECK(contains(r.out, "  " + dir + "/flink-configuration-configmap.yaml:3 ConfigMap/flink-config taskmanager: process "
                        "1728 MiB = flink 1280 MiB + metaspace 256 MiB + overhead 192 MiB, container limit 1728 MiB\n"));
  Run quiet = run("check -f '" + dir + "'");
  CHECK_FALSE(contains(quiet.out, "= flink "));
  // The denied layout: the same process against a 1 GiB limit.
  Run denied = run("check --verbose -f '" + kManifests + "/standalone-session'");
  CHECK(denied.exit_code == 1);
  CHECK(contains(denied.out, "Deployment/flink-jobmanager jobmanager (container jobmanager): process 1600 MiB = flink "
                             "1152 MiB + metaspace 256 MiB + overhead 192 MiB, container limit 1 GiB\n"));
}

TEST_CASE("check -v says a role Flink rejects and its smallest accepted process size", "[cli][check]") {
  const std::string file = temp_file("rejected-jm.yaml",
                                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flink-config\ndata:\n"
                                     "  config.yaml: |\n    jobmanager.memory.process.size: 500m\n"
                                     "    taskmanager.memory.process.size: 2g\n");
  Run r = run("check -v -f '" + file + "'");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "ConfigMap/flink-config jobmanager: rejected by Flink (illegal-configuration), smallest accepted "
                        "jobmanager.memory.process.size = 577m\n"));
  // 2 GiB: overhead 2 GiB x the float 0.1 = 214748368 bytes (~204.80 MiB); Flink the rest after 256 MiB
  // metaspace: 1664299824 bytes = ~1587.20 MiB, printed as ~1.55 GiB.
  CHECK(contains(r.out, "ConfigMap/flink-config taskmanager: process 2 GiB = flink ~1.55 GiB + metaspace 256 MiB + "
                        "overhead ~204.80 MiB, container limit 2 GiB\n"));
}

TEST_CASE("check --output json carries the derived memory of every judged role", "[cli][check]") {
  Run r = run("check --output json -f '" + kManifests + "/application-list.yaml'");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(r.out).get(root) == simdjson::SUCCESS);
  std::map<std::string, simdjson::dom::element> by_role;
  for (simdjson::dom::element m : simdjson::dom::array(root["memory"])) {
    by_role[std::string(std::string_view(m["kind"])) + " " + std::string(std::string_view(m["role"]))] = m;
  }
  REQUIRE(by_role.size() == 4);
  // The ConfigMap's roles: Flink sizes their containers at the process size (limit-factor 1).
  simdjson::dom::element cm_tm = by_role.at("ConfigMap taskmanager");
  CHECK(std::string_view(cm_tm["derivationPath"]) == "total-process");
  CHECK(int64_t(cm_tm["components"]["processTotal"]) == 2048LL << 20);
  CHECK(int64_t(cm_tm["components"]["jvmOverhead"]) == 214748368);
  CHECK(int64_t(cm_tm["components"]["flinkTotal"]) == (2048LL << 20) - 268435456 - 214748368);
  CHECK(int64_t(cm_tm["containerLimitBytes"]) == 2048LL << 20);
  // The Job's -D sets 2048m against its container's 1Gi: the engine's limit, not Flink's sizing.
  simdjson::dom::element job = by_role.at("Job jobmanager");
  CHECK(std::string_view(job["container"]) == "jobmanager");
  CHECK(int64_t(job["components"]["processTotal"]) == 2048LL << 20);
  CHECK(int64_t(job["containerLimitBytes"]) == 1LL << 30);
  simdjson::dom::element ignored;
  CHECK(job["kubernetes"].get(ignored) == simdjson::NO_SUCH_FIELD);
  // FLINK_PROPERTIES: 4096m with no managed memory.
  simdjson::dom::element sts = by_role.at("StatefulSet taskmanager");
  CHECK(int64_t(sts["components"]["processTotal"]) == 4096LL << 20);
  CHECK(int64_t(sts["components"]["managed"]) == 0);
  CHECK_THAT(std::string(std::string_view(sts["source"])), Catch::Contains("application-list.yaml:"));
}

TEST_CASE("check -v names the same smallest process size as the rejection finding's fix", "[cli][check]") {
  // Two searches, one over the memory model (memmodel/accepted_size.h), one in the finding's fix: a
  // 600m TaskManager needs 982 MiB (Flink 534 MiB after 256 MiB metaspace and 192 MiB overhead, for
  // 128 + 128 MiB framework memory, 64 MiB network and 40% managed memory).
  const std::string file = temp_file("small-tm.yaml",
                                     "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n"
                                     "  name: wordcount\nspec:\n  flinkVersion: v1_20\n  jobManager:\n    resource:\n"
                                     "      memory: \"2048m\"\n      cpu: 1\n  taskManager:\n    resource:\n"
                                     "      memory: \"600m\"\n      cpu: 1\n");
  Run r = run("check -v -f '" + file + "'");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "Fix: set spec.taskManager.resource.memory to at least 982Mi."));
  CHECK(contains(r.out, "FlinkDeployment/wordcount taskmanager: rejected by Flink (illegal-configuration), smallest "
                        "accepted taskmanager.memory.process.size = 982m\n"));
  CHECK(contains(r.out, "FlinkDeployment/wordcount jobmanager: process 2 GiB = flink ~1.55 GiB + metaspace 256 MiB + "
                        "overhead ~204.80 MiB, container limit 2 GiB\n"));
}
