// Every text names the real source of a size (issue 13, item 5): a process size Flink derives from
// *.memory.flink.size is worded with that key and fixed by configuring the process size instead, and
// Flink's own "(jobmanager.memory.process.size)" is tied to the resource.memory it came from.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <string>
#include <vector>

#include "webhook/admission/objects.h"
#include "webhook/engine/decide.h"

namespace {

namespace admission = memguard::admission;
namespace engine = memguard::engine;
using engine::Finding;
using engine::FindingCode;

std::vector<Finding> findings(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS);
  auto decoded = admission::decode_object(root);
  REQUIRE(decoded.has_value());
  return engine::findings_for(*decoded, engine::default_policy().defaults);
}

const Finding* find(const std::vector<Finding>& all, FindingCode code) {
  auto it = std::find_if(all.begin(), all.end(), [&](const Finding& f) { return f.code == code; });
  return it == all.end() ? nullptr : &*it;
}

// `tm_config` members of flinkConfiguration; the TaskManager's resource.memory if `tm_memory` is set.
std::string deployment(const std::string& tm_config, const std::string& tm_memory = "",
                       const std::string& jm_memory = "1600Mi") {
  std::string tm = tm_memory.empty() ? R"({"cpu":1})" : R"({"cpu":1,"memory":")" + tm_memory + "\"}";
  return R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"job",)"
         R"("namespace":"flink"},"spec":{"image":"flink:1.20","flinkVersion":"v1_20","serviceAccount":"flink",)"
         R"("flinkConfiguration":{)" + tm_config + R"(},"jobManager":{"resource":{"cpu":1,"memory":")" + jm_memory +
         R"("}},"taskManager":{"resource":)" + tm + R"(},"job":{"jarURI":"local:///opt/flink/usrlib/job.jar",)"
         R"("parallelism":2,"upgradeMode":"stateless"}}})";
}

std::string native_configmap(const std::string& file) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config-job","namespace":"flink",)"
         R"("labels":{"type":"flink-native-kubernetes","app":"job"}},"data":{"config.yaml":")" + file + R"("}})";
}

// 1280 MiB + 512 bytes of total Flink memory: + metaspace 256 MiB + overhead 192 MiB = 1728 MiB + 512 bytes.
constexpr const char* kFlinkSizeBytes = "1342177792";

}  // namespace

TEST_CASE("A process size derived from flink.size is worded with flink.size and fixed with resource.memory",
          "[engine][sources]") {
  auto before = findings(deployment(std::string(R"("taskmanager.memory.flink.size":")") + kFlinkSizeBytes + "\""));
  const Finding* f = find(before, FindingCode::kProcessSizeNotWholeMib);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: taskmanager.memory.flink.size in spec.flinkConfiguration "
                                             "gives a process size of"));
  CHECK_THAT(f->message(), !Catch::Contains("resource.memory gives"));
  CHECK_THAT(f->message(), Catch::EndsWith("Fix: set spec.taskManager.resource.memory: 1728Mi and remove "
                                           "taskmanager.memory.flink.size from spec.flinkConfiguration."));
  CHECK_THAT(f->warning(), Catch::StartsWith("taskmanager.memory.flink.size in spec.flinkConfiguration: process size"));
  CHECK_THAT(f->warning(), Catch::EndsWith("; set spec.taskManager.resource.memory: 1728Mi and remove "
                                           "taskmanager.memory.flink.size"));
  CHECK(f->fix.empty());  // nothing to round: the size is not written anywhere
  // The fix as worded.
  auto after = findings(deployment("", "1728Mi"));
  CHECK_FALSE(find(after, FindingCode::kProcessSizeNotWholeMib));
  CHECK_FALSE(find(after, FindingCode::kFlinkSizeInContainer));
}

TEST_CASE("A native ConfigMap whose flink.size gives a fractional process size is told to write the process size",
          "[engine][sources]") {
  auto before = findings(native_configmap(std::string("taskmanager.memory.flink.size: ") + kFlinkSizeBytes +
                                          "\\njobmanager.memory.process.size: 1600m\\n"));
  const Finding* f = find(before, FindingCode::kProcessSizeNotWholeMib);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: taskmanager.memory.flink.size in data.config.yaml gives"));
  CHECK_THAT(f->message(), Catch::EndsWith("Fix: replace taskmanager.memory.flink.size with "
                                           "taskmanager.memory.process.size: 1728m in data.config.yaml."));
  auto after = findings(native_configmap("taskmanager.memory.process.size: 1728m\\njobmanager.memory.process.size: 1600m\\n"));
  CHECK_FALSE(find(after, FindingCode::kProcessSizeNotWholeMib));
}

TEST_CASE("Flink's error about the configured process size names the resource.memory it came from",
          "[engine][sources]") {
  auto all = findings(deployment("", "2048Mi", "500Mi"));
  const Finding* f = find(all, FindingCode::kMemoryConfigRejected);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("increase jobmanager.memory.process.size (from "
                                           "spec.jobManager.resource.memory) or reduce"));
  // Flink's "configured Total Process Memory (key)", below the metaspace.
  auto small = findings(deployment("", "2048Mi", "200Mi"));
  const Finding* g = find(small, FindingCode::kMemoryConfigRejected);
  REQUIRE(g != nullptr);
  CHECK_THAT(g->message(), Catch::Contains("(jobmanager.memory.process.size, from spec.jobManager.resource.memory)"));
  CHECK_THAT(g->message(), !Catch::Contains("(jobmanager.memory.process.size)"));
}

TEST_CASE("A native ConfigMap sized by the legacy heap key is told to write the process size instead of it",
          "[engine][sources]") {
  // Native Kubernetes maps taskmanager.heap.size onto the process size: 1500000000 bytes = 1430.5 MiB.
  auto before = findings(native_configmap("taskmanager.heap.size: 1500000000\\njobmanager.memory.process.size: 1600m\\n"));
  const Finding* f = find(before, FindingCode::kProcessSizeNotWholeMib);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: taskmanager.heap.size in data.config.yaml gives a process "
                                             "size of"));
  CHECK_THAT(f->message(), Catch::EndsWith("Fix: replace taskmanager.heap.size with taskmanager.memory.process.size: "
                                           "1430m in data.config.yaml."));
  CHECK_THAT(f->warning(), Catch::EndsWith("; write taskmanager.memory.process.size: 1430m instead"));
  auto after = findings(native_configmap("taskmanager.memory.process.size: 1430m\\njobmanager.memory.process.size: 1600m\\n"));
  CHECK_FALSE(find(after, FindingCode::kProcessSizeNotWholeMib));
}

TEST_CASE("Fine-grained sizes whose process size Flink would reject as a whole MiB are told to configure one instead",
          "[engine][sources]") {
  // Task heap 100000000 bytes and 10 MiB of managed memory: a process of 873 MiB and a fraction. The same
  // 873 MiB as a process size leaves Flink's default managed and network memory no room for a task heap.
  auto before = findings(native_configmap("taskmanager.memory.task.heap.size: 100000000\\n"
                                          "taskmanager.memory.managed.size: 10m\\n"
                                          "jobmanager.memory.process.size: 1600m\\n"));
  const Finding* f = find(before, FindingCode::kProcessSizeNotWholeMib);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: taskmanager.memory.task.heap.size and "
                                             "taskmanager.memory.managed.size in data.config.yaml gives a process size of"));
  CHECK_THAT(f->message(), Catch::EndsWith("Fix: configure the process size (taskmanager.memory.process.size) instead "
                                           "of taskmanager.memory.task.heap.size and taskmanager.memory.managed.size, "
                                           "as a whole MiB."));
  CHECK_THAT(f->warning(), Catch::EndsWith("; configure the process size instead"));
  CHECK(f->fix.empty());
  CHECK(f->suggested.empty());
}

TEST_CASE("A JobManager over its declared limit because of flink.size is told the process size that fits",
          "[engine][sources]") {
  auto configmap = [](const std::string& file) {
    return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink",)"
           R"("annotations":{"flink-memguard.io/jobmanager-memory-limit":"2Gi"}},"data":{"config.yaml":")" + file +
           R"("}})";
  };
  auto before = findings(configmap("jobmanager.memory.flink.size: 3g\\n"));
  const Finding* f = find(before, FindingCode::kProcessExceedsLimit);
  REQUIRE(f != nullptr);
  CHECK(f->role == memguard::memmodel::Role::kJobManager);
  CHECK_THAT(f->message(), Catch::Contains("(annotation flink-memguard.io/jobmanager-memory-limit: 2Gi)"));
  CHECK_THAT(f->message(), Catch::Contains(", or configure jobmanager.memory.process.size: 2048m instead of "
                                           "jobmanager.memory.flink.size"));
  // Both ways out as data: the annotation raised, or the process size written instead of flink.size.
  REQUIRE(f->suggested.size() == 2);
  CHECK(f->suggested[0].size() == 1);
  CHECK(f->suggested[0][0].kind == engine::SuggestedEdit::Kind::kField);
  CHECK(f->suggested[1] == engine::SuggestedFix{
                               engine::SuggestedEdit::option("jobmanager.memory.flink.size", "data.config.yaml", std::nullopt),
                               engine::SuggestedEdit::option("jobmanager.memory.process.size", "data.config.yaml", "2048m")});
  CHECK_FALSE(find(findings(configmap("jobmanager.memory.process.size: 2048m\\n")), FindingCode::kProcessExceedsLimit));
}

TEST_CASE("FlinkDeployment fine-grained sizes with a fractional process size are fixed with resource.memory",
          "[engine][sources]") {
  // Task heap 1000000000 bytes and 1g of managed memory: a process size of some MiB and a fraction.
  auto before = findings(deployment(R"("taskmanager.memory.task.heap.size":"1000000000",)"
                                    R"("taskmanager.memory.managed.size":"1g")"));
  const Finding* f = find(before, FindingCode::kProcessSizeNotWholeMib);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: taskmanager.memory.task.heap.size and "
                                             "taskmanager.memory.managed.size in spec.flinkConfiguration gives"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: set spec.taskManager.resource.memory: "));
  CHECK_THAT(f->message(), Catch::EndsWith("Mi and remove taskmanager.memory.task.heap.size and "
                                           "taskmanager.memory.managed.size from spec.flinkConfiguration."));
}

TEST_CASE("A standalone process size from -D arguments that Flink rejects is raised where it is set",
          "[engine][sources]") {
  engine::StaticCounterparts counterparts;
  std::string cm = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink"},)"
                   R"("data":{"config.yaml":"taskmanager.numberOfTaskSlots: 2\n"}})";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(cm.data(), cm.size()).get(root) == simdjson::SUCCESS);
  counterparts.add(*admission::decode_object(root), "flink");
  std::string tm = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"tm","namespace":"flink"},)"
                   R"("spec":{"template":{"spec":{"containers":[{"name":"taskmanager","image":"flink:1.20",)"
                   R"("args":["taskmanager","-Dtaskmanager.memory.process.size=300m"],"resources":{"limits":{"memory":"2Gi"}},)"
                   R"("volumeMounts":[{"name":"c","mountPath":"/opt/flink/conf"}]}],)"
                   R"("volumes":[{"name":"c","configMap":{"name":"flink-config"}}]}}}})";
  REQUIRE(parser.parse(tm.data(), tm.size()).get(root) == simdjson::SUCCESS);
  auto all = engine::findings_for(*admission::decode_object(root), engine::default_policy().defaults, nullptr,
                                  &counterparts, "flink");
  const Finding* f = find(all, FindingCode::kMemoryConfigRejected);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("container taskmanager: TaskManager: Flink rejects this memory configuration, "
                                             "so every TaskManager fails at start (crash loop)"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: set -Dtaskmanager.memory.process.size in the args of container "
                                           "taskmanager to at least "));
  CHECK_THAT(f->message(), Catch::EndsWith("m."));
  CHECK(f->suggested.empty());  // no edit of ours reaches an argument
}

TEST_CASE("A process size Flink cannot read is searched from zero", "[engine][sources]") {
  auto all = findings(native_configmap("taskmanager.memory.process.size: lots\\n"));
  const Finding* f = find(all, FindingCode::kMemoryConfigRejected);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("'lots'"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: set taskmanager.memory.process.size in data.config.yaml to at least "));
  REQUIRE(f->suggested.size() == 1);
  CHECK(f->suggested[0][0].kind == engine::SuggestedEdit::Kind::kOption);
}
