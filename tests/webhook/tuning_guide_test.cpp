// The findings that follow Flink's memory tuning guide (README: Flink's memory tuning guide, finding by
// finding): flink.size in a container, batch jobs without managed memory, RocksDB's fixed memory
// outside every budget. Every fix a message suggests is applied to the object as the message words
// it, and the object reviewed again: the finding must be gone.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "webhook/admission/objects.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/decide.h"

namespace {

namespace admission = memguard::admission;
namespace engine = memguard::engine;
using engine::Finding;
using engine::FindingCode;

admission::KubeObject decode(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS);
  auto decoded = admission::decode_object(root);
  REQUIRE(decoded.has_value());
  return *decoded;
}

using Options = std::map<std::string, std::string>;

std::string json_members(const Options& options) {
  std::string out;
  for (const auto& [key, value] : options) out += (out.empty() ? "\"" : ",\"") + key + "\":\"" + value + "\"";
  return out;
}

// A FlinkDeployment as people write it: flat flinkConfiguration, the JobManager sized, the
// TaskManager sized by `tm_memory` (none: by the configuration alone).
struct Deployment {
  Options config;
  std::optional<std::string> tm_memory;
  std::optional<std::string> jm_memory = "1600Mi";
  std::string version = "v1_20";

  std::string json() const {
    auto role = [](const std::optional<std::string>& memory) {
      return memory ? R"({"resource":{"cpu":1,"memory":")" + *memory + R"("}})" : std::string(R"({"resource":{"cpu":1}})");
    };
    return R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"job",)"
           R"("namespace":"flink"},"spec":{"image":"flink:1.20","flinkVersion":")" + version +
           R"(","serviceAccount":"flink","flinkConfiguration":{)" + json_members(config) + R"(},"jobManager":)" +
           role(jm_memory) + R"(,"taskManager":)" + role(tm_memory) +
           R"(,"job":{"jarURI":"local:///opt/flink/usrlib/job.jar","parallelism":2,"upgradeMode":"stateless"}}})";
  }
};

// A ConfigMap holding `file` (config.yaml, flat lines); native: created by Flink's native integration.
std::string configmap_json(const Options& file, bool native) {
  std::string body;
  for (const auto& [key, value] : file) body += key + ": " + value + "\\n";
  std::string labels = native ? R"(,"labels":{"type":"flink-native-kubernetes","app":"job"})" : "";
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink")" + labels +
         R"(},"data":{"config.yaml":")" + body + R"("}})";
}

std::vector<Finding> findings(const std::string& json) {
  return engine::findings_for(decode(json), engine::default_policy().defaults);
}

const Finding* find(const std::vector<Finding>& all, FindingCode code) {
  auto it = std::find_if(all.begin(), all.end(), [&](const Finding& f) { return f.code == code; });
  return it == all.end() ? nullptr : &*it;
}

// Nothing left to fix. heap-backend-managed-memory is not counted: it speaks to every streaming
// FlinkDeployment that keeps managed memory, whatever the fix under test did.
bool clean(const std::vector<Finding>& all) {
  return std::all_of(all.begin(), all.end(),
                     [](const Finding& f) { return f.code == FindingCode::kHeapBackendManagedMemory; });
}

bool any_rocksdb(const std::vector<Finding>& all) {
  return find(all, FindingCode::kRocksdbUnmanagedMemory) || find(all, FindingCode::kRocksdbZeroManagedMemory) ||
         find(all, FindingCode::kRocksdbFixedMemoryUnbudgeted);
}

}  // namespace

TEST_CASE("A FlinkDeployment sized only by flink.size is warned with the resource.memory that gives the same container",
          "[engine][tuning-guide]") {
  Deployment d;
  d.config = {{"taskmanager.memory.flink.size", "1280m"}, {"taskmanager.numberOfTaskSlots", "2"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kFlinkSizeInContainer);
  REQUIRE(f != nullptr);
  CHECK(f->role == memguard::memmodel::Role::kTaskManager);
  // 1280 MiB + metaspace 256 MiB + overhead 192 MiB (its minimum).
  CHECK_THAT(f->message(), Catch::Contains("total process 1728 MiB"));
  CHECK_THAT(f->message(), Catch::Contains("tuning guide recommends configuring the total process memory in containers"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: set spec.taskManager.resource.memory: 1728Mi (the container Flink "
                                           "requests now) and remove taskmanager.memory.flink.size from "
                                           "spec.flinkConfiguration."));
  // The warning kubectl prints fits the API server's 256 bytes and names the same fix.
  CHECK(f->warning().size() <= 256);
  CHECK_THAT(f->warning(), Catch::Contains("set spec.taskManager.resource.memory: 1728Mi and remove "
                                           "taskmanager.memory.flink.size"));
  // The fix as worded: the same container, and nothing left to say.
  d.config.erase("taskmanager.memory.flink.size");
  d.tm_memory = "1728Mi";
  CHECK(clean(findings(d.json())));
}

TEST_CASE("The JobManager sized only by flink.size is warned with spec.jobManager.resource.memory",
          "[engine][tuning-guide]") {
  Deployment d;
  d.jm_memory.reset();
  d.tm_memory = "2048Mi";
  d.config = {{"jobmanager.memory.flink.size", "1280m"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kFlinkSizeInContainer);
  REQUIRE(f != nullptr);
  CHECK(f->role == memguard::memmodel::Role::kJobManager);
  // 1280 MiB + metaspace 256 MiB + overhead 192 MiB.
  CHECK_THAT(f->message(), Catch::Contains("set spec.jobManager.resource.memory: 1728Mi"));
  d.config.clear();
  d.jm_memory = "1728Mi";
  CHECK_FALSE(find(findings(d.json()), FindingCode::kFlinkSizeInContainer));
}

TEST_CASE("flink.size next to resource.memory is not this finding because the operator writes the process size",
          "[engine][tuning-guide]") {
  Deployment d;
  d.config = {{"taskmanager.memory.flink.size", "1280m"}};
  d.tm_memory = "2048Mi";
  CHECK_FALSE(find(findings(d.json()), FindingCode::kFlinkSizeInContainer));
}

TEST_CASE("A native ConfigMap sized only by flink.size is told to write the process size instead",
          "[engine][tuning-guide]") {
  Options file{{"taskmanager.memory.flink.size", "1280m"}, {"taskmanager.numberOfTaskSlots", "2"}};
  auto before = findings(configmap_json(file, true));
  const Finding* f = find(before, FindingCode::kFlinkSizeInContainer);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("Fix: replace taskmanager.memory.flink.size with "
                                           "taskmanager.memory.process.size: 1728m (the container Flink requests now) "
                                           "in data.config.yaml."));
  file.erase("taskmanager.memory.flink.size");
  file["taskmanager.memory.process.size"] = "1728m";
  CHECK(clean(findings(configmap_json(file, true))));
  // The standalone start scripts' file: the tuning guide recommends flink.size there.
  CHECK_FALSE(find(findings(configmap_json({{"taskmanager.memory.flink.size", "1280m"}}, false)),
                   FindingCode::kFlinkSizeInContainer));
}

TEST_CASE("A standalone container over its limit because of flink.size is told the process size that fits",
          "[engine][tuning-guide]") {
  auto review = [](const Options& file) {
    engine::StaticCounterparts counterparts;
    counterparts.add(decode(configmap_json(file, false)), "flink");
    std::string deployment =
        R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flink-taskmanager","namespace":"flink"},)"
        R"("spec":{"template":{"metadata":{"labels":{"app":"flink"}},"spec":{"containers":[{"name":"taskmanager",)"
        R"("image":"apache/flink:1.20.1-scala_2.12","args":["taskmanager"],"resources":{"limits":{"memory":"1536Mi"}},)"
        R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/opt/flink/conf"}]}],)"
        R"("volumes":[{"name":"flink-config-volume","configMap":{"name":"flink-config"}}]}}}})";
    return engine::findings_for(decode(deployment), engine::default_policy().defaults, nullptr, &counterparts, "flink");
  };
  Options file{{"taskmanager.memory.flink.size", "1280m"}};
  auto before = review(file);
  const Finding* f = find(before, FindingCode::kProcessExceedsLimit);
  REQUIRE(f != nullptr);
  CHECK_FALSE(find(before, FindingCode::kFlinkSizeInContainer));
  CHECK_THAT(f->message(), Catch::Contains("or configure taskmanager.memory.process.size: 1536m instead of "
                                           "taskmanager.memory.flink.size"));
  file.erase("taskmanager.memory.flink.size");
  file["taskmanager.memory.process.size"] = "1536m";
  CHECK(clean(review(file)));
}

TEST_CASE("A BATCH job without managed memory is warned with the sorter error Flink would raise",
          "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4096Mi";
  d.config = {{"execution.runtime-mode", "BATCH"}, {"taskmanager.numberOfTaskSlots", "4"}};
  SECTION("managed size 0") {
    d.config["taskmanager.memory.managed.size"] = "0";
    const Finding* f = nullptr;
    auto before = findings(d.json());
    REQUIRE((f = find(before, FindingCode::kBatchManagedMemoryTooSmall)) != nullptr);
    CHECK_THAT(f->message(), Catch::Contains("\"Too little memory provided to sorter to perform task. Required are at "
                                             "least 12 pages. Current page size is 32768 bytes.\""));
    CHECK_THAT(f->message(), Catch::Contains("Hash Join needs at least 33 memory segments."));
    CHECK_THAT(f->message(), Catch::Contains("Fix: remove taskmanager.memory.managed.size in spec.flinkConfiguration"));
    CHECK(f->warning().size() <= 256);
    d.config.erase("taskmanager.memory.managed.size");
    CHECK(clean(findings(d.json())));
  }
  SECTION("managed fraction 0") {
    d.config["taskmanager.memory.managed.fraction"] = "0";
    const Finding* f = nullptr;
    auto before = findings(d.json());
    REQUIRE((f = find(before, FindingCode::kBatchManagedMemoryTooSmall)) != nullptr);
    CHECK_THAT(f->message(), Catch::Contains("Fix: set taskmanager.memory.managed.fraction: 0.4 in spec.flinkConfiguration"));
    d.config["taskmanager.memory.managed.fraction"] = "0.4";
    CHECK(clean(findings(d.json())));
  }
  SECTION("fine-grained sizes without totals: the minimum as an explicit size") {
    d.tm_memory.reset();
    d.config = {{"execution.runtime-mode", "batch"}, {"taskmanager.memory.task.heap.size", "1g"},
                {"taskmanager.memory.managed.size", "0"}};
    const Finding* f = nullptr;
    auto before = findings(d.json());
    REQUIRE((f = find(before, FindingCode::kBatchManagedMemoryTooSmall)) != nullptr);
    // Removing the size leaves Flink without the pair it needs; 33 pages of 32 KiB round up to 2 MiB.
    CHECK_THAT(f->message(), Catch::Contains("Fix: set taskmanager.memory.managed.size: 2m in spec.flinkConfiguration"));
    d.config["taskmanager.memory.managed.size"] = "2m";
    CHECK_FALSE(find(findings(d.json()), FindingCode::kBatchManagedMemoryTooSmall));
  }
  SECTION("streaming jobs do not need it") {
    d.config["execution.runtime-mode"] = "STREAMING";
    d.config["taskmanager.memory.managed.size"] = "0";
    CHECK_FALSE(find(findings(d.json()), FindingCode::kBatchManagedMemoryTooSmall));
  }
}

TEST_CASE("A BATCH slot with fewer managed pages than a hash join needs is warned in the configured page size",
          "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4096Mi";
  // 32 MiB over 16 slots: 2 MiB a slot, 64 pages of 32 KiB (enough) but 32 pages of 64 KiB (not).
  d.config = {{"execution.runtime-mode", "BATCH"}, {"taskmanager.numberOfTaskSlots", "16"},
              {"taskmanager.memory.managed.size", "32m"}};
  CHECK_FALSE(find(findings(d.json()), FindingCode::kBatchManagedMemoryTooSmall));
  d.config["taskmanager.memory.segment-size"] = "64kb";
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kBatchManagedMemoryTooSmall);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("each of the 16 slots gets 2 MiB of managed memory (32 pages of 65536 bytes)"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: remove taskmanager.memory.managed.size"));
  d.config.erase("taskmanager.memory.managed.size");
  CHECK(clean(findings(d.json())));
}

TEST_CASE("RocksDB fixed-per-slot memory beyond task off-heap is warned with both ways out",
          "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  d.config = {{"state.backend.type", "rocksdb"}, {"taskmanager.numberOfTaskSlots", "4"},
              {"state.backend.rocksdb.memory.fixed-per-slot", "2g"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("state.backend.rocksdb.memory.fixed-per-slot: 2g x 4 slots = 8192 MiB"));
  CHECK_THAT(f->message(), Catch::Contains("only task off-heap (0 MiB) leaves room for it"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: remove state.backend.rocksdb.memory.fixed-per-slot in "
                                           "spec.flinkConfiguration (RocksDB then stays within managed memory"));
  // 8 GiB of task off-heap does not fit a 4 GiB process: the message says the process must grow.
  CHECK_THAT(f->message(), Catch::Contains("raise taskmanager.memory.task.off-heap.size by 8192 MiB and the process size"));
  CHECK(f->warning().size() <= 256);
  SECTION("the first fix: back to managed memory") {
    d.config.erase("state.backend.rocksdb.memory.fixed-per-slot");
    CHECK_FALSE(any_rocksdb(findings(d.json())));
  }
  SECTION("a budget that fits: reserve it in task off-heap") {
    d.config["state.backend.rocksdb.memory.fixed-per-slot"] = "256m";
    auto small = findings(d.json());
    const Finding* g = find(small, FindingCode::kRocksdbFixedMemoryUnbudgeted);
    REQUIRE(g != nullptr);
    CHECK_THAT(g->message(), Catch::Contains("or reserve it: set taskmanager.memory.task.off-heap.size: 1024m"));
    d.config["taskmanager.memory.task.off-heap.size"] = "1024m";
    CHECK_FALSE(any_rocksdb(findings(d.json())));
  }
}

TEST_CASE("RocksDB fixed-per-slot with managed memory off or at zero is led back to a managed budget that exists",
          "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  d.config = {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.managed", "false"},
              {"state.backend.rocksdb.memory.fixed-per-slot", "512m"}, {"taskmanager.memory.managed.size", "0"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted);
  REQUIRE(f != nullptr);
  CHECK_FALSE(find(before, FindingCode::kRocksdbUnmanagedMemory));  // bounded, just not budgeted
  CHECK_THAT(f->message(), Catch::Contains("Fix: remove state.backend.rocksdb.memory.fixed-per-slot and remove "
                                           "state.backend.rocksdb.memory.managed and remove "
                                           "taskmanager.memory.managed.size in spec.flinkConfiguration"));
  for (const char* key : {"state.backend.rocksdb.memory.fixed-per-slot", "state.backend.rocksdb.memory.managed",
                          "taskmanager.memory.managed.size"}) {
    d.config.erase(key);
  }
  CHECK_FALSE(any_rocksdb(findings(d.json())));
}

TEST_CASE("RocksDB fixed-per-tm counts only with managed memory off and from Flink 1.17",
          "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  d.config = {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.fixed-per-tm", "1g"}};
  // Managed memory on (the default) wins over fixed-per-tm.
  CHECK_FALSE(any_rocksdb(findings(d.json())));
  d.config["state.backend.rocksdb.memory.managed"] = "false";
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("RocksDB gets state.backend.rocksdb.memory.fixed-per-tm: 1g of native memory"));
  CHECK_THAT(f->message(), Catch::Contains("or reserve it: set taskmanager.memory.task.off-heap.size: 1024m"));
  d.config["taskmanager.memory.task.off-heap.size"] = "1024m";
  CHECK_FALSE(any_rocksdb(findings(d.json())));
}

TEST_CASE("The unmanaged RocksDB fix no longer points at fixed-per-slot", "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  d.config = {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.managed", "false"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbUnmanagedMemory);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), !Catch::Contains("fixed-per-slot"));
  d.config.erase("state.backend.rocksdb.memory.managed");
  CHECK_FALSE(any_rocksdb(findings(d.json())));
}

TEST_CASE("A BATCH slot that no option change alone can give a hash join's pages is told the managed memory it needs",
          "[engine][tuning-guide]") {
  Deployment d;
  // 64 MiB pages: a hash join needs 33 of them, 2112 MiB a slot, more than a 2 GiB TaskManager's Total Flink.
  d.tm_memory = "2048Mi";
  d.config = {{"execution.runtime-mode", "BATCH"}, {"taskmanager.memory.segment-size", "64m"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kBatchManagedMemoryTooSmall);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("each of the 1 slot gets "));
  CHECK_THAT(f->message(), Catch::Contains("(9 pages of 67108864 bytes)"));
  CHECK_THAT(f->message(), Catch::Contains("Fix: give each slot at least 2112 MiB of managed memory "
                                           "(taskmanager.memory.managed.size, or .fraction) and raise the process size "
                                           "with it."));
  CHECK_THAT(f->warning(), Catch::EndsWith("; give each slot at least 2112 MiB of managed memory"));
  CHECK(f->suggested.empty());
  // The fix as worded: 2112 MiB of managed memory in a process that has room for it.
  d.config["taskmanager.memory.managed.size"] = "2112m";
  d.tm_memory = "4096Mi";
  CHECK(clean(findings(d.json())));
}

TEST_CASE("RocksDB fixed memory that neither managed memory nor task off-heap can take as configured is told to grow "
          "the process",
          "[engine][tuning-guide]") {
  Deployment d;
  // Task heap pinned at 900 MiB and managed memory at 0: Flink's default managed memory does not fit
  // beside the heap, and neither do 256 MiB more of task off-heap.
  d.tm_memory = "1800Mi";
  d.config = {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.fixed-per-slot", "256m"},
              {"taskmanager.memory.task.heap.size", "900m"}, {"taskmanager.memory.managed.size", "0"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("state.backend.rocksdb.memory.fixed-per-slot: 256m x 1 slot = 256 MiB"));
  CHECK_THAT(f->message(), Catch::EndsWith("Fix: reserve it: raise taskmanager.memory.task.off-heap.size by 256 MiB "
                                           "and the process size with it."));
  CHECK_THAT(f->warning(), Catch::EndsWith("; reserve it in taskmanager.memory.task.off-heap.size"));
  CHECK(f->suggested.empty());
  // Fixed per slot, so RocksDB's zero managed memory is no finding of its own.
  CHECK_FALSE(find(before, FindingCode::kRocksdbZeroManagedMemory));
  // The fix as worded: task off-heap 256 MiB, and a process that grows with it.
  d.config["taskmanager.memory.task.off-heap.size"] = "256m";
  d.tm_memory = "2048Mi";
  CHECK_FALSE(any_rocksdb(findings(d.json())));
}

TEST_CASE("RocksDB fixed memory too large to add up is reported without a reserve that cannot be written",
          "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  // 8,000,000 TiB a slot times 2 slots passes 2^63-1 bytes: the total saturates.
  d.config = {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.fixed-per-slot", "8000000t"},
              {"taskmanager.numberOfTaskSlots", "2"}};
  SECTION("without task off-heap") {}
  SECTION("with task off-heap, which cannot be added either") { d.config["taskmanager.memory.task.off-heap.size"] = "1m"; }
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("fixed-per-slot: 8000000t x 2 slots = 8796093022208 MiB"));
  // Back to managed memory works; no task off-heap size can reserve that much.
  CHECK_THAT(f->message(), Catch::Contains("Fix: remove state.backend.rocksdb.memory.fixed-per-slot in "
                                           "spec.flinkConfiguration"));
  CHECK_THAT(f->message(), Catch::Contains("or reserve it: raise taskmanager.memory.task.off-heap.size by "));
  REQUIRE(f->suggested.size() == 1);
  d.config.erase("state.backend.rocksdb.memory.fixed-per-slot");
  CHECK_FALSE(any_rocksdb(findings(d.json())));
}

TEST_CASE("A RocksDB fixed budget of zero or of no size bounds nothing", "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  d.config = {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.managed", "false"}};
  for (const char* size : {"0", "lots"}) {
    CAPTURE(size);
    d.config["state.backend.rocksdb.memory.fixed-per-tm"] = size;
    auto before = findings(d.json());
    // Flink 1.17+ reads fixed-per-tm, but a budget of zero (or none it can read) leaves RocksDB unbounded.
    CHECK(find(before, FindingCode::kRocksdbUnmanagedMemory));
    CHECK_FALSE(find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted));
  }
  d.config.erase("state.backend.rocksdb.memory.fixed-per-tm");
  d.config.erase("state.backend.rocksdb.memory.managed");
  for (const char* size : {"0", "lots"}) {
    CAPTURE(size);
    d.config["state.backend.rocksdb.memory.fixed-per-slot"] = size;
    CHECK_FALSE(find(findings(d.json()), FindingCode::kRocksdbFixedMemoryUnbudgeted));
  }
}

TEST_CASE("Before Flink 1.17 fixed-per-tm does not bound RocksDB outside managed memory", "[engine][tuning-guide]") {
  Deployment d;
  d.tm_memory = "4Gi";
  d.version = "v1_16";
  d.config = {{"state.backend", "rocksdb"}, {"state.backend.rocksdb.memory.managed", "false"},
              {"state.backend.rocksdb.memory.fixed-per-tm", "1g"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kRocksdbUnmanagedMemory);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->warning(), Catch::StartsWith("spec.flinkConfiguration.state.backend.rocksdb.memory.managed: false leaves "
                                             "RocksDB native memory unbounded"));
  CHECK_FALSE(find(before, FindingCode::kRocksdbFixedMemoryUnbudgeted));
  d.version = "v1_17";
  d.config["state.backend.type"] = "rocksdb";
  auto later = findings(d.json());
  CHECK_FALSE(find(later, FindingCode::kRocksdbUnmanagedMemory));
  CHECK(find(later, FindingCode::kRocksdbFixedMemoryUnbudgeted));
}

TEST_CASE("flink.size next to pinned components that no process size of the same container accepts is told only to "
          "configure the process size",
          "[engine][tuning-guide]") {
  // Task heap 500m and managed 400m inside flink.size 1280m: network takes the 124 MiB left. The same
  // 1728 MiB as a process size derives network from its fraction, and the JVM overhead drops below 192 MiB.
  Deployment d;
  d.config = {{"taskmanager.memory.flink.size", "1280m"}, {"taskmanager.memory.task.heap.size", "500m"},
              {"taskmanager.memory.managed.size", "400m"}};
  auto before = findings(d.json());
  const Finding* f = find(before, FindingCode::kFlinkSizeInContainer);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("total process 1728 MiB"));
  CHECK_THAT(f->message(), Catch::EndsWith("Fix: configure spec.taskManager.resource.memory instead of "
                                           "taskmanager.memory.flink.size."));
  CHECK(f->warning() == "TaskManager: taskmanager.memory.flink.size sizes the container (1728 MiB) instead of the "
                        "process size; configure spec.taskManager.resource.memory instead of taskmanager.memory.flink.size");
  CHECK(f->suggested.empty());
  // A native ConfigMap names the option instead of the field.
  auto native = findings(configmap_json({{"taskmanager.memory.flink.size", "1280m"},
                                         {"taskmanager.memory.task.heap.size", "500m"},
                                         {"taskmanager.memory.managed.size", "400m"}},
                                        true));
  const Finding* g = find(native, FindingCode::kFlinkSizeInContainer);
  REQUIRE(g != nullptr);
  CHECK_THAT(g->message(), Catch::EndsWith("Fix: configure taskmanager.memory.process.size instead of "
                                           "taskmanager.memory.flink.size."));
}
