// False alarms that erode trust in the real warnings (issue 13, item 4): the state backend judged only
// where the configuration names it, per version, and RocksDB left alone where BATCH mode keeps keyed
// state in the batch state backend. The Flink Kubernetes Operator's own examples get no warning.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/webhook/cli_test_support.h"
#include "webhook/admission/objects.h"
#include "webhook/engine/decide.h"

namespace {

namespace admission = memguard::admission;
namespace engine = memguard::engine;
using engine::Finding;
using engine::FindingCode;

using Options = std::map<std::string, std::string>;

admission::KubeObject decode(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS);
  auto decoded = admission::decode_object(root);
  REQUIRE(decoded.has_value());
  return *decoded;
}

// A FlinkDeployment with flat flinkConfiguration `config`, both roles sized by resource.memory.
std::string deployment(const Options& config, const std::string& version = "v1_20") {
  std::string members;
  for (const auto& [key, value] : config) members += (members.empty() ? "\"" : ",\"") + key + "\":\"" + value + "\"";
  return R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"job",)"
         R"("namespace":"flink"},"spec":{"image":"flink","flinkVersion":")" + version +
         R"(","serviceAccount":"flink","flinkConfiguration":{)" + members +
         R"(},"jobManager":{"resource":{"cpu":1,"memory":"1600Mi"}},"taskManager":{"resource":{"cpu":1,)"
         R"("memory":"2048Mi"}},"job":{"jarURI":"local:///opt/flink/usrlib/job.jar","parallelism":2,)"
         R"("upgradeMode":"stateless"}}})";
}

struct Judged {
  std::vector<Finding> findings;
  std::vector<std::string> notes;
  bool has(FindingCode code) const {
    return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.code == code; });
  }
  const Finding* get(FindingCode code) const {
    auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.code == code; });
    return it == findings.end() ? nullptr : &*it;
  }
  bool noted(const std::string& part) const {
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) { return n.find(part) != std::string::npos; });
  }
};

Judged judge(const std::string& json, bool tuning = false) {
  Judged out;
  engine::Settings settings = engine::default_policy().defaults;
  settings.tuning = tuning;
  out.findings = engine::findings_for(decode(json), settings, &out.notes);
  return out;
}

bool any_rocksdb(const Judged& j) {
  return j.has(FindingCode::kRocksdbUnmanagedMemory) || j.has(FindingCode::kRocksdbZeroManagedMemory) ||
         j.has(FindingCode::kRocksdbFixedMemoryUnbudgeted);
}

}  // namespace

TEST_CASE("No state backend configured is no heap-backend finding and tuning never zeroes managed memory for it",
          "[engine][false-alarms]") {
  Judged j = judge(deployment({}), true);
  CHECK_FALSE(j.has(FindingCode::kHeapBackendManagedMemory));
  // Nothing to patch: no finding carries a fix that sets managed memory.
  for (const auto& f : j.findings) CHECK(f.fix.empty());
  // The job may choose its backend in code: only a note says what hashmap would leave unused.
  CHECK(j.noted("TaskManager: no state backend configured; if the job keeps heap state (hashmap, Flink's default), "
                "taskmanager.memory.managed.size: 0 gives its"));
  // BATCH jobs use managed memory: no such note.
  CHECK_FALSE(judge(deployment({{"execution.runtime-mode", "BATCH"}})).noted("no state backend configured"));
}

TEST_CASE("hashmap named in the configuration is warned and the message names the key that says so",
          "[engine][false-alarms]") {
  Judged j = judge(deployment({{"state.backend.type", "hashmap"}}), true);
  const Finding* f = j.get(FindingCode::kHeapBackendManagedMemory);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::Contains("the heap state backend (state.backend.type: hashmap) in streaming mode"));
  CHECK_FALSE(f->fix.empty());  // tuning: true may set managed memory to 0 here
  CHECK_FALSE(j.noted("no state backend configured"));
  SECTION("the legacy heap names, before Flink 2.0") {
    CHECK(judge(deployment({{"state.backend", "filesystem"}}, "v1_16")).has(FindingCode::kHeapBackendManagedMemory));
    CHECK(judge(deployment({{"state.backend", "jobmanager"}}, "v1_15")).has(FindingCode::kHeapBackendManagedMemory));
    CHECK_FALSE(judge(deployment({{"state.backend.type", "filesystem"}}, "v2_0")).has(FindingCode::kHeapBackendManagedMemory));
  }
}

TEST_CASE("A state backend key the declared version ignores is noted and not judged", "[engine][false-alarms]") {
  SECTION("state.backend.type before 1.17") {
    Judged j = judge(deployment({{"state.backend.type", "hashmap"}}, "v1_16"));
    CHECK_FALSE(j.has(FindingCode::kHeapBackendManagedMemory));
    CHECK(j.noted("spec.flinkConfiguration: state.backend.type is ignored: Flink 1.16 reads only state.backend "
                  "(state.backend.type exists from 1.17)"));
    Judged both = judge(deployment({{"state.backend.type", "hashmap"}, {"state.backend", "rocksdb"}}, "v1_16"));
    CHECK(both.noted("the state backend is state.backend: rocksdb"));
    CHECK_FALSE(both.has(FindingCode::kHeapBackendManagedMemory));
  }
  SECTION("two conflicting keys from 1.17: state.backend.type wins") {
    Judged j = judge(deployment({{"state.backend.type", "hashmap"}, {"state.backend", "rocksdb"}}));
    CHECK(j.noted("spec.flinkConfiguration: state.backend: rocksdb is ignored: Flink 1.20 reads "
                  "state.backend.type: hashmap first"));
    CHECK(j.has(FindingCode::kHeapBackendManagedMemory));
  }
  SECTION("the same backend under both keys is no note") {
    Judged j = judge(deployment({{"state.backend.type", "rocksdb"}, {"state.backend", "RocksDB"}}));
    CHECK_FALSE(j.noted("ignored"));
  }
}

TEST_CASE("RocksDB is not warned in BATCH mode unless the batch state backend is turned off",
          "[engine][false-alarms]") {
  Options rocksdb{{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.managed", "false"},
                  {"execution.runtime-mode", "BATCH"}};
  CHECK_FALSE(any_rocksdb(judge(deployment(rocksdb))));
  // Every RocksDB finding, fixed-per-slot included.
  Options fixed{{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.fixed-per-slot", "2g"},
                {"execution.runtime-mode", "batch"}};
  CHECK_FALSE(any_rocksdb(judge(deployment(fixed))));
  Options zero{{"state.backend.type", "rocksdb"}, {"taskmanager.memory.managed.size", "0"},
               {"execution.runtime-mode", "BATCH"}};
  CHECK_FALSE(judge(deployment(zero)).has(FindingCode::kRocksdbZeroManagedMemory));
  SECTION("execution.batch-state-backend.enabled: false") {
    rocksdb["execution.batch-state-backend.enabled"] = "false";
    CHECK(judge(deployment(rocksdb)).has(FindingCode::kRocksdbUnmanagedMemory));
    fixed["execution.batch-state-backend.enabled"] = "false";
    CHECK(judge(deployment(fixed)).has(FindingCode::kRocksdbFixedMemoryUnbudgeted));
  }
  SECTION("sorted inputs off: the batch state backend needs them") {
    rocksdb["execution.sorted-inputs.enabled"] = "false";
    CHECK(judge(deployment(rocksdb)).has(FindingCode::kRocksdbUnmanagedMemory));
  }
  SECTION("streaming and automatic modes keep the warnings") {
    rocksdb["execution.runtime-mode"] = "STREAMING";
    CHECK(judge(deployment(rocksdb)).has(FindingCode::kRocksdbUnmanagedMemory));
    rocksdb["execution.runtime-mode"] = "AUTOMATIC";
    CHECK(judge(deployment(rocksdb)).has(FindingCode::kRocksdbUnmanagedMemory));
  }
}

// `2048m` alone in resources.requests.memory is 2048 MiB to the operator, which alone reads it (no limit,
// so no limit factor in Kubernetes units): no unit warning either.
TEST_CASE("The Flink Kubernetes Operator's basic examples get no warning", "[cli][false-alarms]") {
  const std::string dir = MEMGUARD_TEST_DATA "/manifests/operator-examples";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    CAPTURE(entry.path().filename().string());
    auto run = memguard::testing::run_cli("check --output json -f '" + entry.path().string() + "'");
    CHECK(run.exit_code == 0);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(run.out).get(root) == simdjson::SUCCESS);
    CHECK(root["summary"]["objects"].get_int64().value() == 1);
    // Notes may inform; no finding may warn or deny.
    for (simdjson::dom::element object : root["objects"].get_array()) {
      for (simdjson::dom::element finding : object["findings"].get_array()) {
        FAIL_CHECK("unexpected finding " << std::string_view(finding["code"].get_string().value()));
      }
      bool noted = false;
      for (simdjson::dom::element note : object["notes"].get_array()) {
        noted = noted || std::string_view(note.get_string().value()).find("no state backend configured") !=
                             std::string_view::npos;
      }
      CHECK(noted);
    }
  }
  CHECK(files == 4);
}

TEST_CASE("ForSt outside managed memory is warned with ForSt's own key from Flink 2.0", "[engine][false-alarms]") {
  Judged j = judge(deployment({{"state.backend.type", "forst"}, {"state.backend.forst.memory.managed", "false"}}, "v2_0"));
  const Finding* f = j.get(FindingCode::kRocksdbUnmanagedMemory);
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: state.backend.forst.memory.managed is false"));
  // RocksDB's key says nothing about ForSt.
  CHECK_FALSE(any_rocksdb(judge(deployment({{"state.backend.type", "forst"},
                                            {"state.backend.rocksdb.memory.managed", "false"}}, "v2_0"))));
}

TEST_CASE("Before Flink 1.12 BATCH mode has no batch state backend, so RocksDB is still judged", "[engine][false-alarms]") {
  auto configmap = [](const std::string& version) {
    return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink",)"
           R"("annotations":{"flink-memguard.io/flink-version":")" + version + R"("}},"data":{"flink-conf.yaml":")"
           R"(taskmanager.memory.process.size: 2g\nexecution.runtime-mode: BATCH\nstate.backend: rocksdb\n)"
           R"(state.backend.rocksdb.memory.managed: false\n"}})";
  };
  CHECK(judge(configmap("1.11")).has(FindingCode::kRocksdbUnmanagedMemory));
  CHECK_FALSE(judge(configmap("1.12")).has(FindingCode::kRocksdbUnmanagedMemory));
}

TEST_CASE("No note about an unconfigured backend when there is no managed memory to give", "[engine][false-alarms]") {
  Judged j = judge(deployment({{"taskmanager.memory.managed.size", "0"}}));
  CHECK_FALSE(j.noted("no state backend configured"));
  CHECK(j.findings.empty());
}
