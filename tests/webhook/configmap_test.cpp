// The ConfigMap builder: which file Flink loads per version, the roles the file sizes, and the
// container limits that annotations declare.
#include <catch2/catch.hpp>

#include "webhook/engine/effective_config.h"
#include "webhook/engine/policy.h"

using namespace memguard::engine;
using memguard::admission::ConfigMapObject;

namespace {
ConfigMapObject configmap(std::optional<std::string> legacy, std::optional<std::string> standard,
                          std::map<std::string, std::string, std::less<>> annotations = {},
                          std::map<std::string, std::string, std::less<>> labels = {}) {
  ConfigMapObject cm;
  cm.holds_flink_configuration = true;
  cm.flink_conf_yaml = std::move(legacy);
  cm.config_yaml = std::move(standard);
  cm.metadata.annotations = std::move(annotations);
  cm.metadata.labels = std::move(labels);
  return cm;
}
}  // namespace

TEST_CASE("The file Flink loads follows the declared version", "[engine][configmap]") {
  std::string legacy = "taskmanager.memory.process.size: 1728m\n", standard = "taskmanager.memory.process.size: 2g\n";
  auto v120 = build_configmap(configmap(legacy, standard));
  CHECK(v120.config_origin == "data.flink-conf.yaml");
  auto v20 = build_configmap(configmap(legacy, standard, {{std::string(kFlinkVersionAnnotation), "2.0"}}));
  CHECK(v20.config_origin == "data.config.yaml");
  CHECK(v20.config.find("taskmanager.memory.process.size")->text == "2g");
  auto only_standard = build_configmap(configmap(std::nullopt, standard));
  CHECK(only_standard.config_origin == "data.config.yaml");
}

TEST_CASE("A file the declared version cannot read at all is config-file-invalid", "[engine][configmap]") {
  auto v2_legacy = build_configmap(configmap("a: b\n", std::nullopt, {{std::string(kFlinkVersionAnnotation), "2.1"}}));
  REQUIRE(v2_legacy.findings.size() == 1);
  CHECK(v2_legacy.findings[0].code == FindingCode::kConfigFileInvalid);
  CHECK_THAT(v2_legacy.findings[0].message(), Catch::Contains("reads only config.yaml"));
  auto v118_standard = build_configmap(configmap(std::nullopt, "a: b\n", {{std::string(kFlinkVersionAnnotation), "1.18"}}));
  REQUIRE(v118_standard.findings.size() == 1);
  CHECK_THAT(v118_standard.findings[0].message(), Catch::Contains("reads only flink-conf.yaml"));
}

TEST_CASE("Only roles the file sizes (or an annotation limits) are judged", "[engine][configmap]") {
  auto tm_only = build_configmap(configmap(std::nullopt, "taskmanager.memory.process.size: 1728m\n"));
  REQUIRE(tm_only.roles.size() == 1);
  CHECK(tm_only.roles[0].role == memguard::memmodel::Role::kTaskManager);
  CHECK(tm_only.roles[0].flink_sizes_container);  // a process size: the native container follows it
  auto operator_defaults = build_configmap(configmap("kubernetes.operator.reconcile.interval: 15 s\n", std::nullopt));
  CHECK(operator_defaults.roles.empty());
  auto annotated = build_configmap(configmap(std::nullopt, "parallelism.default: 2\n",
                                             {{std::string(kJobManagerLimitAnnotation), "2Gi"}}));
  REQUIRE(annotated.roles.size() == 1);
  CHECK(annotated.roles[0].declared_limit_bytes == int64_t{2} << 30);
  CHECK_FALSE(annotated.roles[0].flink_sizes_container);
}

TEST_CASE("Bad annotations are noted and ignored, never fatal", "[engine][configmap]") {
  auto eff = build_configmap(configmap(std::nullopt, "taskmanager.memory.process.size: 1728m\n",
                                       {{std::string(kTaskManagerLimitAnnotation), "plenty"},
                                        {std::string(kFlinkVersionAnnotation), "one-point-twenty"}}));
  CHECK(eff.notes.size() == 2);
  CHECK(eff.context.version == memguard::memmodel::kDefaultFlinkVersion);
  REQUIRE(eff.roles.size() == 1);
  CHECK_FALSE(eff.roles[0].declared_limit_bytes);
}

TEST_CASE("Native ConfigMaps map legacy heap keys onto the process size, standalone ones do not",
          "[engine][configmap]") {
  auto native = build_configmap(configmap(std::nullopt, "taskmanager.heap.size: 2g\n", {}, {{"type", "flink-native-kubernetes"}}));
  CHECK(native.context.legacy_heap == memguard::memmodel::LegacyHeapTarget::kProcessTotal);
  auto standalone = build_configmap(configmap(std::nullopt, "taskmanager.heap.size: 2g\n"));
  CHECK(standalone.context.legacy_heap == memguard::memmodel::LegacyHeapTarget::kDeploymentDefault);
}

TEST_CASE("Skipped legacy lines are named by line number and counted beyond three but never quoted",
          "[engine][configmap]") {
  auto eff = build_configmap(configmap("s3.secret-key:do-not-log-me\ntaskmanager.memory.process.size: 1728m\n", std::nullopt));
  REQUIRE(eff.notes.size() == 1);
  CHECK(eff.notes[0] == "data.flink-conf.yaml: line 1: not a key-value pair (missing space after ':'?)");
  auto many = build_configmap(configmap("a:1\nb: 2\nc:3\nd:4\ne:5\nf:6\n", std::nullopt));
  CHECK(many.notes == std::vector<std::string>{
                          "data.flink-conf.yaml: line 1: not a key-value pair (missing space after ':'?)",
                          "data.flink-conf.yaml: line 3: not a key-value pair (missing space after ':'?)",
                          "data.flink-conf.yaml: line 4: not a key-value pair (missing space after ':'?)",
                          "data.flink-conf.yaml: 2 more line(s) are not 'key: value' and are skipped by Flink"});
}

TEST_CASE("A byte order mark that hides the first key from Flink is noted with the key", "[engine][configmap]") {
  auto eff = build_configmap(
      configmap("\xEF\xBB\xBFtaskmanager.memory.process.size: 1728m\njobmanager.memory.process.size: 1600m\n", std::nullopt));
  REQUIRE(eff.notes.size() == 1);
  CHECK(eff.notes[0] == "data.flink-conf.yaml: line 1: starts with a UTF-8 byte order mark, which Flink's reader keeps "
                        "as part of the first key, so Flink does not read taskmanager.memory.process.size (save the "
                        "file without the mark)");
  // As Flink: the option is not set.
  CHECK_FALSE(eff.config.contains("taskmanager.memory.process.size"));
}

TEST_CASE("With both files present, the note names the file the declared version ignores", "[engine][configmap]") {
  std::string legacy = "taskmanager.memory.process.size: 1728m\n", standard = "taskmanager.memory.process.size: 2g\n";
  auto notes_for = [&](const char* version) {
    auto eff = build_configmap(configmap(legacy, standard, {{std::string(kFlinkVersionAnnotation), version}}));
    return eff.notes;
  };
  CHECK(notes_for("1.18") ==
        std::vector<std::string>{"data.config.yaml: ignored, Flink 1.18 reads only flink-conf.yaml"});
  CHECK(notes_for("1.19") == std::vector<std::string>{"data: both flink-conf.yaml and config.yaml are present; Flink "
                                                      "1.19 loads flink-conf.yaml and ignores config.yaml"});
  CHECK(notes_for("2.0") == std::vector<std::string>{"data.flink-conf.yaml: ignored, Flink 2.x reads only config.yaml"});
  // One file each: nothing to note.
  CHECK(build_configmap(configmap(legacy, std::nullopt, {{std::string(kFlinkVersionAnnotation), "1.18"}})).notes.empty());
  CHECK(build_configmap(configmap(std::nullopt, standard, {{std::string(kFlinkVersionAnnotation), "2.0"}})).notes.empty());
}

TEST_CASE("A role's limit comes from its own annotation, and Flink sizes a native container without one",
          "[engine][configmap]") {
  auto eff = build_configmap(configmap(std::nullopt,
                                       "jobmanager.memory.process.size: 1600m\ntaskmanager.memory.flink.size: 1280m\n"
                                       "kubernetes.taskmanager.memory.limit-factor: 1.5\n",
                                       {{std::string(kJobManagerLimitAnnotation), "2Gi"}},
                                       {{"type", "flink-native-kubernetes"}}));
  REQUIRE(eff.roles.size() == 2);
  const RoleInput& jm = eff.roles[0];
  CHECK(jm.role == memguard::memmodel::Role::kJobManager);
  CHECK(jm.declared_limit_bytes == int64_t{2} << 30);
  CHECK(describe(jm.declared_limit_source) == "annotation flink-memguard.io/jobmanager-memory-limit: 2Gi");
  CHECK_FALSE(jm.flink_sizes_container);
  CHECK_FALSE(jm.limit_factor_source);
  const RoleInput& tm = eff.roles[1];
  CHECK_FALSE(tm.declared_limit_bytes);
  CHECK(tm.flink_sizes_container);  // native, though sized by flink.size
  REQUIRE(tm.limit_factor_source);
  CHECK(describe(*tm.limit_factor_source) == "kubernetes.taskmanager.memory.limit-factor in data.config.yaml");
  // Standalone, a role sized without a process size and without an annotation has no container we know.
  auto standalone = build_configmap(configmap(std::nullopt, "taskmanager.memory.flink.size: 1280m\n"));
  REQUIRE(standalone.roles.size() == 1);
  CHECK_FALSE(standalone.roles[0].flink_sizes_container);
}
