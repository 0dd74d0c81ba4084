// UPDATE semantics: a change is denied only when it is what makes the object not fit. A denial the
// old object already had is warned ("present before this update; not denied"), a ConfigMap is
// compared by its Flink file only, and a violation that a mounting workload's own FLINK_PROPERTIES
// causes is never the ConfigMap's to deny.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "review_support.h"
#include "webhook/admission/review.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/decide.h"

namespace {

namespace admission = memguard::admission;
namespace engine = memguard::engine;
using engine::Decision;
using memguard::testing::any_contains;

std::string review(const std::string& kind, const std::string& operation, const std::string& object,
                   const std::optional<std::string>& old_object) {
  std::string group = kind == "FlinkDeployment" ? "flink.apache.org" : kind == "Deployment" ? "apps" : "";
  std::string version = kind == "FlinkDeployment" ? "v1beta1" : "v1";
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":")" +
         group + R"(","version":")" + version + R"(","kind":")" + kind + R"("},"resource":{"group":")" + group +
         R"(","version":")" + version + R"(","resource":"x"},"name":"x","namespace":"flink","operation":")" + operation +
         R"(","userInfo":{"username":"me"},"object":)" + object +
         (old_object ? R"(,"oldObject":)" + *old_object : std::string()) + "}}";
}

Decision decide(const std::string& body, const engine::Counterparts* counterparts = nullptr) {
  auto request = admission::decode_review(body);
  REQUIRE(request.has_value());
  return engine::decide(*request, admission::Mode::kValidate, engine::default_policy(), counterparts);
}

// A standalone ConfigMap whose TaskManager container has a 1Gi limit (annotation), with a log4j file.
std::string configmap(const std::string& flink_conf, const std::string& log4j = "rootLogger.level = INFO\\n") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink",)"
         R"("annotations":{"flink-memguard.io/taskmanager-memory-limit":"1Gi"}},"data":{"flink-conf.yaml":")" +
         flink_conf + R"(","log4j-console.properties":")" + log4j + R"("}})";
}

const std::string kViolating = "taskmanager.memory.process.size: 1728m\\nparallelism.default: 2\\n";
const std::string kFitting = "taskmanager.memory.process.size: 1024m\\nparallelism.default: 2\\n";

// A TaskManager Deployment mounting flink-config (no limit annotation there: its own container limit).
std::string deployment(const std::string& limit, const std::string& env = "") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flink-taskmanager","namespace":"flink"},)"
         R"("spec":{"replicas":1,"selector":{"matchLabels":{"app":"flink"}},"template":{"metadata":{"labels":)"
         R"({"app":"flink"}},"spec":{"containers":[{"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)"
         R"("resources":{"limits":{"memory":")" + limit + R"("}},"volumeMounts":[{"name":"conf","mountPath":)"
         R"("/opt/flink/conf"}])" + env + R"(}],"volumes":[{"name":"conf","configMap":{"name":"flink-config"}}]}}}})";
}

std::string plain_configmap(const std::string& flink_conf) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink"},)"
         R"("data":{"flink-conf.yaml":")" + flink_conf + R"("}})";
}

engine::StaticCounterparts counterparts_of(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
  auto object = admission::decode_object(root);
  REQUIRE(object.has_value());
  engine::StaticCounterparts c;
  c.add(*object, "flink");
  return c;
}

}  // namespace

TEST_CASE("A ConfigMap UPDATE that changes only its log4j file is warned about an old violation and not denied",
          "[engine][update]") {
  Decision d = decide(review("ConfigMap", "UPDATE", configmap(kViolating, "rootLogger.level = DEBUG\\n"),
                             configmap(kViolating)));
  CHECK(d.outcome == Decision::Outcome::kAllowed);
  CHECK(any_contains(d.warnings, "not denied, unchanged by this update: TaskManager: process 1728 MiB exceeds container "
                                 "limit 1024 MiB"));
}

TEST_CASE("A ConfigMap UPDATE of another option of a violating file is warned as present before and not denied",
          "[engine][update]") {
  std::string changed = "taskmanager.memory.process.size: 1728m\\nparallelism.default: 4\\n";
  Decision d = decide(review("ConfigMap", "UPDATE", configmap(changed), configmap(kViolating)));
  CHECK(d.outcome == Decision::Outcome::kAllowed);
  CHECK(any_contains(d.warnings, "present before this update; not denied: TaskManager: process 1728 MiB exceeds"));
  bool annotated = false;
  for (const auto& [key, value] : d.audit_annotations) {
    annotated = annotated || (key == "not-denied" && value == "present before this update; not denied");
  }
  CHECK(annotated);
}

TEST_CASE("A ConfigMap UPDATE that introduces the violation is denied", "[engine][update]") {
  Decision d = decide(review("ConfigMap", "UPDATE", configmap(kViolating), configmap(kFitting)));
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(d.message, Catch::Contains("TaskManager: total process memory exceeds the container memory limit"));
}

TEST_CASE("A ConfigMap CREATE with a violation is denied as before", "[engine][update]") {
  Decision d = decide(review("ConfigMap", "CREATE", configmap(kViolating), std::nullopt));
  CHECK(d.outcome == Decision::Outcome::kDenied);
}

TEST_CASE("A ConfigMap change is not denied for a violation the mounting Deployment's FLINK_PROPERTIES causes",
          "[engine][update]") {
  // The Deployment sets its own process size (3g) over a 2Gi limit: whatever the file says.
  auto workloads = counterparts_of(deployment(
      "2Gi", R"(,"env":[{"name":"FLINK_PROPERTIES","value":"taskmanager.memory.process.size: 3g\n"}])"));
  std::string before = plain_configmap("taskmanager.memory.process.size: 1536m\\nparallelism.default: 2\\n");
  std::string after = plain_configmap("taskmanager.memory.process.size: 1536m\\nparallelism.default: 4\\n");
  SECTION("an UPDATE") {
    Decision d = decide(review("ConfigMap", "UPDATE", after, before), &workloads);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_contains(d.warnings, "not denied, the workload sets the process size (its FLINK_PROPERTIES), no ConfigMap "
                                   "edit fixes it: Deployment flink/flink-taskmanager container taskmanager: TaskManager: "
                                   "process 3072 MiB"));
  }
  SECTION("a CREATE") {
    Decision d = decide(review("ConfigMap", "CREATE", after, std::nullopt), &workloads);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
  }
  SECTION("the Deployment itself is still denied") {
    auto configmaps = counterparts_of(after);
    Decision d = decide(review("Deployment", "CREATE", deployment("2Gi", R"(,"env":[{"name":"FLINK_PROPERTIES","value":)"
                                                                         R"("taskmanager.memory.process.size: 3g\n"}])"),
                               std::nullopt),
                        &configmaps);
    CHECK(d.outcome == Decision::Outcome::kDenied);
  }
}

TEST_CASE("A ConfigMap change that makes a mounting Deployment not fit is denied", "[engine][update]") {
  auto workloads = counterparts_of(deployment("2Gi"));
  std::string before = plain_configmap("taskmanager.memory.process.size: 1536m\\n");
  std::string after = plain_configmap("taskmanager.memory.process.size: 3g\\n");
  Decision d = decide(review("ConfigMap", "UPDATE", after, before), &workloads);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(d.message, Catch::Contains("Deployment flink/flink-taskmanager container taskmanager: TaskManager"));
}

TEST_CASE("A Deployment UPDATE is denied only when it makes its container not fit", "[engine][update]") {
  auto configmaps = counterparts_of(plain_configmap("taskmanager.memory.process.size: 1728m\\n"));
  SECTION("already too small: another change of the pod spec is warned") {
    Decision d = decide(review("Deployment", "UPDATE", deployment("1Gi", R"(,"env":[{"name":"TZ","value":"UTC"}])"),
                               deployment("1Gi")),
                        &configmaps);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_contains(d.warnings, "present before this update; not denied: container taskmanager: TaskManager"));
  }
  SECTION("lowering the limit below the process is denied") {
    Decision d = decide(review("Deployment", "UPDATE", deployment("1Gi"), deployment("2Gi")), &configmaps);
    CHECK(d.outcome == Decision::Outcome::kDenied);
  }
}

TEST_CASE("A FlinkDeployment UPDATE keeps an old rejection as a warning and denies a new one", "[engine][update]") {
  auto fd = [](const std::string& tm_memory, int parallelism) {
    return R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"job",)"
           R"("namespace":"flink"},"spec":{"image":"flink:1.20","flinkVersion":"v1_20","flinkConfiguration":)"
           R"({"taskmanager.memory.managed.size":"1g"},"jobManager":{"resource":{"cpu":1,"memory":"1600Mi"}},)"
           R"("taskManager":{"resource":{"cpu":1,"memory":")" + tm_memory + R"("}},"job":{"jarURI":"local:///j.jar",)"
           R"("parallelism":)" + std::to_string(parallelism) + "}}}";
  };
  SECTION("rejected before and after") {
    Decision d = decide(review("FlinkDeployment", "UPDATE", fd("1024Mi", 4), fd("1024Mi", 2)));
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_contains(d.warnings, "present before this update; not denied: TaskManager memory rejected by Flink"));
  }
  SECTION("rejected only after") {
    Decision d = decide(review("FlinkDeployment", "UPDATE", fd("1024Mi", 2), fd("4096Mi", 2)));
    CHECK(d.outcome == Decision::Outcome::kDenied);
  }
}

TEST_CASE("An UPDATE without the old object, or with an old object of another kind, is judged as new",
          "[engine][update]") {
  // Without oldObject nothing says the violation was there before.
  Decision bare = decide(review("ConfigMap", "UPDATE", configmap(kViolating), std::nullopt));
  CHECK(bare.outcome == Decision::Outcome::kDenied);
  // An old object that decodes as another kind is no earlier state of this one.
  std::string old_deployment = deployment("1Gi");
  auto request = admission::decode_review(review("ConfigMap", "UPDATE", configmap(kViolating), configmap(kViolating)));
  REQUIRE(request.has_value());
  auto decoded_old = admission::decode_review(review("Deployment", "CREATE", old_deployment, std::nullopt));
  REQUIRE(decoded_old.has_value());
  request->old_object = admission::OldObject(*decoded_old->object);
  request->memory_inputs_unchanged = false;
  Decision other_kind = engine::decide(*request, admission::Mode::kValidate, engine::default_policy(), nullptr);
  CHECK(other_kind.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(other_kind.message, Catch::Contains("TaskManager: total process memory exceeds the container memory limit"));
}
