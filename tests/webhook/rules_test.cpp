// Rules over derived memory: state backend per version, runtime mode, the breakdown text, and the
// thresholds that move a finding.
#include <catch2/catch.hpp>

#include "webhook/engine/rules.h"

using namespace memguard::engine;
using memguard::memmodel::FlinkConfig;
using memguard::memmodel::FlinkVersion;
using memguard::memmodel::MemorySize;
using memguard::memmodel::Role;

TEST_CASE("The state backend follows each version's key and default", "[engine][rules]") {
  FlinkVersion v1_16{1, 16, 0}, v1_20{1, 20, 0}, v2_0{2, 0, 0};
  // Nothing configured is not hashmap: the job may choose its backend in code.
  CHECK(state_backend(FlinkConfig{}, v1_20) == StateBackend::kNotConfigured);
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "hashmap"}}, v1_20) == StateBackend::kHeap);
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "RocksDB"}}, v1_20) == StateBackend::kRocksdb);
  // Before 1.17 only state.backend exists; state.backend.type is an unknown key.
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "rocksdb"}}, v1_16) == StateBackend::kNotConfigured);
  CHECK(state_backend(FlinkConfig{{"state.backend", "rocksdb"}}, v1_16) == StateBackend::kRocksdb);
  // The deprecated key still works as a fallback, but the new key wins.
  CHECK(state_backend(FlinkConfig{{"state.backend", "rocksdb"}}, v1_20) == StateBackend::kRocksdb);
  CHECK(state_backend(FlinkConfig{{"state.backend", "rocksdb"}, {"state.backend.type", "hashmap"}}, v1_20) ==
        StateBackend::kHeap);
  CHECK(state_backend(FlinkConfig{{"state.backend", "filesystem"}}, v1_16) == StateBackend::kHeap);
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "filesystem"}}, v2_0) == StateBackend::kUnknown);
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "forst"}}, v2_0) == StateBackend::kForst);
  // ForSt arrived with Flink 2.0: 1.x does not know the name.
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "forst"}}, v1_20) == StateBackend::kUnknown);
  CHECK(state_backend(FlinkConfig{{"state.backend.type",
                                   "org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackendFactory"}},
                      v1_20) == StateBackend::kRocksdb);
  CHECK(state_backend(FlinkConfig{{"state.backend.type", "com.example.MyBackend"}}, v1_20) == StateBackend::kUnknown);
}

TEST_CASE("Streaming is the default runtime mode, batch and automatic are not streaming", "[engine][rules]") {
  CHECK(streaming_mode(FlinkConfig{}));
  CHECK(streaming_mode(FlinkConfig{{"execution.runtime-mode", "STREAMING"}}));
  CHECK_FALSE(streaming_mode(FlinkConfig{{"execution.runtime-mode", "batch"}}));
  CHECK_FALSE(streaming_mode(FlinkConfig{{"execution.runtime-mode", "AUTOMATIC"}}));
}

TEST_CASE("The breakdown lists the process layer and each role's components", "[engine][rules]") {
  auto tm = derive_memory(Role::kTaskManager, FlinkConfig{{"taskmanager.memory.process.size", "1728m"}}, {});
  REQUIRE(tm);
  CHECK(breakdown(*tm) ==
        "total process 1728 MiB = total Flink 1280 MiB + JVM metaspace 256 MiB + JVM overhead 192 MiB (total Flink = "
        "framework heap 128 MiB + task heap 384 MiB + framework off-heap 128 MiB + task off-heap 0 MiB + network 128 MiB "
        "+ managed 512 MiB)");
  auto jm = derive_memory(Role::kJobManager, FlinkConfig{{"jobmanager.memory.process.size", "1600m"}}, {});
  REQUIRE(jm);
  // Flink's documented JobManager default: 1600m gives a 1024 MiB heap (overhead 160 MiB raised to its 192 MiB minimum).
  CHECK(breakdown(*jm) == "total process 1600 MiB = total Flink 1152 MiB + JVM metaspace 256 MiB + JVM overhead 192 MiB "
                          "(total Flink = JVM heap 1024 MiB + off-heap 128 MiB)");
}

namespace {
// A standalone JobManager of 1600m in data.config.yaml, its container limit declared by annotation.
struct Judged {
  EffectiveConfig eff;
  RoleInput in;
};
Judged jobmanager_limited_to(int64_t limit_mib, const std::string& annotation) {
  Judged j;
  j.eff.config = FlinkConfig{{"jobmanager.memory.process.size", "1600m"}};
  j.eff.config_origin = "data.config.yaml";
  j.in.role = Role::kJobManager;
  j.in.process_source = Source::option("jobmanager.memory.process.size", "data.config.yaml");
  j.in.declared_limit_bytes = limit_mib << 20;
  j.in.declared_limit_source = Source::annotation("flink-memguard.io/jobmanager-memory-limit", annotation);
  j.in.flink_sizes_container = false;
  return j;
}
}  // namespace

TEST_CASE("Thresholds move findings: overhead minimum and limit headroom", "[engine][rules]") {
  const Judged j = jobmanager_limited_to(1700, "1700Mi");
  const EffectiveConfig& eff = j.eff;
  const RoleInput& in = j.in;
  Settings settings = default_policy().defaults;
  auto codes = [&](const Settings& s) {
    std::vector<FindingCode> out;
    for (const auto& f : evaluate_role(eff, in, s)) out.push_back(f.code);
    return out;
  };
  CHECK(codes(settings).empty());
  Settings strict = settings;
  strict.jvm_overhead_minimum = MemorySize::of_mebibytes(300);  // the JM overhead is 192 MiB
  CHECK(codes(strict) == std::vector<FindingCode>{FindingCode::kJvmOverheadBelowDefault});
  Settings headroom = settings;
  headroom.limit_headroom = MemorySize::of_mebibytes(128);  // 1600 + 128 > 1700
  auto findings = evaluate_role(eff, in, headroom);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].code == FindingCode::kProcessExceedsLimit);
  CHECK_THAT(findings[0].message(), Catch::Contains("plus the required headroom of 128 MiB"));
  CHECK_THAT(findings[0].message(), Catch::Contains("at least 1728Mi"));
}

TEST_CASE("A limit Flink sets is quoted with the request and factor it comes from", "[engine][rules]") {
  EffectiveConfig eff;
  eff.config = FlinkConfig{{"jobmanager.memory.process.size", "1600m"},
                           {"kubernetes.jobmanager.memory.limit-factor", "1.5"}};
  eff.config_origin = "spec.flinkConfiguration";
  RoleInput in;
  in.role = Role::kJobManager;
  in.process_source = Source::option("jobmanager.memory.process.size", "spec.flinkConfiguration");
  in.flink_sizes_container = true;
  Settings settings = default_policy().defaults;
  CHECK(evaluate_role(eff, in, settings).empty());  // 1600Mi inside a 2400Mi limit
  settings.limit_headroom = MemorySize::of_mebibytes(1024);  // 1600 + 1024 > 2400
  auto findings = evaluate_role(eff, in, settings);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].code == FindingCode::kProcessExceedsLimit);
  CHECK_THAT(findings[0].message(), Catch::Contains("the limit Flink sets: 1600Mi x limit factor 1.5"));
}

TEST_CASE("Rounding the process size down to whole MiB is not a limit violation", "[engine][rules]") {
  EffectiveConfig eff;
  // 1500000000 bytes = 1430.51 MiB; the container Flink creates is 1430Mi.
  eff.config = FlinkConfig{{"taskmanager.memory.process.size", "1500000000"}};
  eff.config_origin = "spec.flinkConfiguration";
  RoleInput in;
  in.role = Role::kTaskManager;
  in.process_source = Source::field("spec.taskManager.resource.memory");
  auto findings = evaluate_role(eff, in, default_policy().defaults);
  std::vector<FindingCode> codes;
  for (const auto& f : findings) codes.push_back(f.code);
  CHECK(std::find(codes.begin(), codes.end(), FindingCode::kProcessExceedsLimit) == codes.end());
  CHECK(std::find(codes.begin(), codes.end(), FindingCode::kProcessSizeNotWholeMib) != codes.end());
}

TEST_CASE("A TaskManager memory configuration Flink rejects stops the JobManager in native mode, each TaskManager in standalone",
          "[engine][rules]") {
  // Native Kubernetes (the operator): the JobManager's resource manager derives the TaskManager
  // spec when it starts, before any TaskManager pod exists.
  EffectiveConfig eff;
  eff.config = FlinkConfig{{"taskmanager.memory.process.size", "1g"}, {"taskmanager.memory.managed.size", "2g"}};
  eff.config_origin = "spec.flinkConfiguration";
  RoleInput in;
  in.role = Role::kTaskManager;
  in.process_source = Source::field("spec.taskManager.resource.memory");
  in.flink_sizes_container = true;
  auto native = evaluate_role(eff, in, default_policy().defaults);
  REQUIRE(native.size() == 1);
  CHECK(native[0].code == FindingCode::kMemoryConfigRejected);
  CHECK_THAT(native[0].message(), Catch::Contains("the JobManager fails at start when its resource manager computes "
                                                "the TaskManager memory"));
  CHECK_THAT(native[0].message(), Catch::Contains("no TaskManager is ever created"));
  CHECK_THAT(native[0].message(), !Catch::Contains("every TaskManager fails at start"));

  in.flink_sizes_container = false;  // standalone: each TaskManager derives its own memory at start
  auto standalone = evaluate_role(eff, in, default_policy().defaults);
  REQUIRE(standalone.size() == 1);
  CHECK_THAT(standalone[0].message(), Catch::Contains("every TaskManager fails at start (crash loop)"));
}

TEST_CASE("A limit factor below 1 from nowhere we can name is the configuration's, and reported once per role",
          "[engine][rules]") {
  EffectiveConfig eff;
  eff.config = FlinkConfig{{"taskmanager.memory.process.size", "1728m"},
                           {"kubernetes.taskmanager.memory.limit-factor", "0.5"}};
  eff.config_origin = "data.config.yaml";
  RoleInput in;
  in.role = Role::kTaskManager;
  in.process_source = Source::option("taskmanager.memory.process.size", "data.config.yaml");
  in.flink_sizes_container = true;
  auto findings = evaluate_role(eff, in, default_policy().defaults);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].code == FindingCode::kLimitBelowRequest);
  CHECK(findings[0].message() ==
        "TaskManager: the container memory limit factor from the configuration is below 1 (limit below request), which "
        "Flink refuses when it creates the pod, so the TaskManager is never started (kubernetes.taskmanager.memory."
        "limit-factor = 0.5 should be greater or equal to 1 (the memory limit may not be below the request); remove it "
        "or set 1.0 or more). Fix: make the memory limit at least the request (factor >= 1).");
  CHECK(findings[0].warning() ==
        "TaskManager: memory limit factor below 1 (from the configuration); Flink refuses to create the pod");
  // The builder's request/limit finding for another role does not stand for this one; for this role it does.
  facts::LimitBelowRequest jm{Role::kJobManager, "spec.jobManager", "spec.jobManager.resources.limits.memory", "1Gi",
                              "spec.jobManager.resources.requests.memory", "2Gi", int64_t{1} << 30, int64_t{2} << 30};
  eff.findings.push_back(make_finding(jm));
  CHECK(evaluate_role(eff, in, default_policy().defaults).size() == 1);
  facts::LimitBelowRequest tm = jm;
  tm.role = Role::kTaskManager;
  eff.findings.push_back(make_finding(tm));
  CHECK(evaluate_role(eff, in, default_policy().defaults).empty());
}

TEST_CASE("A process too large for any container Flink creates is told to lower the size", "[engine][rules]") {
  // 4,000,000 GiB is more MiB than Flink's int holds: Flink fails computing the container before any factor.
  EffectiveConfig eff;
  eff.config_origin = "spec.flinkConfiguration";
  RoleInput in;
  in.flink_sizes_container = true;
  SECTION("a TaskManager sized by a field stops the JobManager's resource manager") {
    eff.config = FlinkConfig{{"taskmanager.memory.process.size", "4000000g"}};
    in.role = Role::kTaskManager;
    in.process_source = Source::field("spec.taskManager.resource.memory");
    auto findings = evaluate_role(eff, in, default_policy().defaults);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].code == FindingCode::kMemoryConfigRejected);
    CHECK_THAT(findings[0].message(), Catch::Contains("the JobManager fails at start when its resource manager computes "
                                                      "the TaskManager memory"));
    CHECK_THAT(findings[0].message(), Catch::Contains("too large for a container (more than 2^31-1 MiB)"));
    CHECK_THAT(findings[0].message(), Catch::EndsWith("Fix: lower spec.taskManager.resource.memory."));
    CHECK(findings[0].suggested.empty());
  }
  SECTION("a JobManager sized by an option never comes up") {
    eff.config = FlinkConfig{{"jobmanager.memory.process.size", "4000000g"}};
    in.role = Role::kJobManager;
    in.process_source = Source::option("jobmanager.memory.process.size", "spec.flinkConfiguration");
    auto findings = evaluate_role(eff, in, default_policy().defaults);
    REQUIRE(findings.size() == 1);
    CHECK_THAT(findings[0].message(), Catch::Contains("so the JobManager fails at start and the deployment never comes up"));
    CHECK_THAT(findings[0].message(),
               Catch::EndsWith("Fix: lower jobmanager.memory.process.size in spec.flinkConfiguration."));
    CHECK(findings[0].warning() == "JobManager memory rejected by Flink (fails at start); lower "
                                   "jobmanager.memory.process.size in spec.flinkConfiguration");
  }
}

TEST_CASE("A limit factor Flink cannot read as a number is said to be one, not to be below 1", "[engine][rules]") {
  EffectiveConfig eff;
  eff.config = FlinkConfig{{"taskmanager.memory.process.size", "1728m"},
                           {"kubernetes.taskmanager.memory.limit-factor", "abc"}};
  eff.config_origin = "spec.flinkConfiguration";
  RoleInput in;
  in.role = Role::kTaskManager;
  in.process_source = Source::field("spec.taskManager.resource.memory");
  in.limit_factor_source = Source::option("kubernetes.taskmanager.memory.limit-factor", "spec.flinkConfiguration");
  auto findings = evaluate_role(eff, in, default_policy().defaults);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].code == FindingCode::kLimitBelowRequest);
  CHECK_THAT(findings[0].message(),
             Catch::StartsWith("TaskManager: the container memory limit factor from kubernetes.taskmanager.memory."
                               "limit-factor in spec.flinkConfiguration is not a number Flink can read, which Flink "
                               "refuses when it creates the pod, so the TaskManager is never started (cannot read a "
                               "number from 'kubernetes.taskmanager.memory.limit-factor' (value 'abc')"));
  CHECK_THAT(findings[0].message(), !Catch::Contains("below 1"));
  CHECK_THAT(findings[0].message(),
             Catch::EndsWith("Fix: write the factor as a decimal number of at least 1, such as 1.0."));
  CHECK(findings[0].warning() == "TaskManager: memory limit factor not a number (from kubernetes.taskmanager.memory."
                                 "limit-factor in spec.flinkConfiguration); Flink refuses to create the pod");
}

TEST_CASE("A process over its limit by more than the headroom is worded as an OOM kill with the headroom named",
          "[engine][rules]") {
  const Judged j = jobmanager_limited_to(1024, "1Gi");
  const EffectiveConfig& eff = j.eff;
  const RoleInput& in = j.in;
  Settings settings = default_policy().defaults;
  settings.limit_headroom = MemorySize::of_mebibytes(64);
  auto findings = evaluate_role(eff, in, settings);
  REQUIRE(findings.size() == 1);
  CHECK_THAT(findings[0].message(), Catch::Contains("total process memory plus the required headroom of 64 MiB exceeds the "
                                                    "container memory limit 1024 MiB"));
  CHECK_THAT(findings[0].message(), Catch::Contains("The JVM will use memory the container does not have, and the kernel "
                                                    "OOM-kills it (exit 137)."));
  CHECK_THAT(findings[0].message(), Catch::Contains("raise the container memory limit to at least 1664Mi, or set "
                                                    "jobmanager.memory.process.size to 960m"));
  // No field declares the limit here: only the file's process size is an edit.
  REQUIRE(findings[0].suggested.size() == 1);
  CHECK(findings[0].suggested[0] == SuggestedFix{SuggestedEdit::option("jobmanager.memory.process.size",
                                                                       "data.config.yaml", "960m")});
}

TEST_CASE("An unreadable or zero managed page size is Flink's default of 32 KiB", "[engine][rules]") {
  EffectiveConfig eff;
  eff.config_origin = "data.config.yaml";
  RoleInput in;
  in.role = Role::kTaskManager;
  in.process_source = Source::option("taskmanager.memory.process.size", "data.config.yaml");
  in.flink_sizes_container = false;
  for (const char* segment : {"lots", "0"}) {
    CAPTURE(segment);
    eff.config = FlinkConfig{{"taskmanager.memory.process.size", "1728m"}, {"execution.runtime-mode", "BATCH"},
                             {"taskmanager.memory.managed.size", "0"}, {"taskmanager.memory.segment-size", segment}};
    auto findings = evaluate_role(eff, in, default_policy().defaults);
    auto it = std::find_if(findings.begin(), findings.end(),
                           [](const Finding& f) { return f.code == FindingCode::kBatchManagedMemoryTooSmall; });
    REQUIRE(it != findings.end());
    CHECK_THAT(it->message(), Catch::Contains("Current page size is 32768 bytes."));
  }
}
