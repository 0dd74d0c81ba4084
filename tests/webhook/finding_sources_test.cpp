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
