// The FlinkDeployment builder: the effective configuration exactly as the operator writes it.
#include <catch2/catch.hpp>
#include <deque>
#include <simdjson.h>

#include "webhook/engine/effective_config.h"
#include "webhook/engine/rules.h"

using namespace memguard::engine;
using memguard::admission::decode_flinkdeployment;

namespace {
// The decoded objects stay alive for the whole test run: an EffectiveConfig views its object's
// configuration entries.
EffectiveConfig build(const std::string& spec_json) {
  static std::deque<memguard::admission::FlinkDeploymentObject> objects;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  REQUIRE(parser.parse("{\"metadata\":{\"name\":\"x\"},\"spec\":" + spec_json + "}").get(e) == simdjson::SUCCESS);
  auto fd = decode_flinkdeployment(e);
  REQUIRE(fd);
  return build_flinkdeployment(objects.emplace_back(std::move(*fd)));
}
std::string value(const EffectiveConfig& eff, const std::string& key) {
  const auto* v = eff.config.find(key);
  return v ? v->text : "<unset>";
}
bool has(const EffectiveConfig& eff, FindingCode code) {
  for (const auto& f : eff.findings) {
    if (f.code == code) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("resource.memory overwrites the process size from flinkConfiguration, in Flink-first units",
          "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_18","flinkConfiguration":{"taskmanager.memory.process.size":"1g"},
    "jobManager":{"resource":{"memory":"2g"}},"taskManager":{"resource":{"memory":"2048m"}}})");
  CHECK(value(eff, "taskmanager.memory.process.size") == "2147483648");
  CHECK(value(eff, "jobmanager.memory.process.size") == "2147483648");
  CHECK(eff.context.version.minor == 18);
  CHECK(eff.context.legacy_heap == memguard::memmodel::LegacyHeapTarget::kProcessTotal);
  REQUIRE(eff.roles.size() == 2);
  CHECK(describe(eff.roles[1].process_source) == "spec.taskManager.resource.memory");
}

TEST_CASE("A flinkConfiguration key spelled both flat and nested is noted once", "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{"state.backend.type":"rocksdb",
    "state":{"backend":{"type":"hashmap"}},"taskmanager.numberOfTaskSlots":"2"}})");
  int twice = 0;
  for (const auto& note : eff.notes) twice += note.find("'state.backend.type' is set twice") != std::string::npos;
  CHECK(twice == 1);
  CHECK(eff.notes.size() == 1);
  CHECK(value(eff, "taskmanager.numberOfTaskSlots") == "2");
}

TEST_CASE("A plain duplicate flinkConfiguration key is noted as a duplicate key and not as flat and nested",
          "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{"taskmanager.numberOfTaskSlots":"2",
    "taskmanager.numberOfTaskSlots":"4"}})");
  REQUIRE(eff.notes.size() == 1);
  CHECK(eff.notes[0] == "spec.flinkConfiguration: 'taskmanager.numberOfTaskSlots' is a duplicate key; judged with its "
                        "last value, and tools that read the manifest strictly reject it");
  CHECK(value(eff, "taskmanager.numberOfTaskSlots") == "4");
}

TEST_CASE("Without resource memory, the flinkConfiguration process size stands", "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{"taskmanager.memory.process.size":"3g"},
    "taskManager":{"resource":{"cpu":2}}})");
  CHECK(value(eff, "taskmanager.memory.process.size") == "3g");
  CHECK(describe(eff.roles[1].process_source) == "taskmanager.memory.process.size in spec.flinkConfiguration");
  REQUIRE(eff.roles[1].process_pointer);
  CHECK(eff.roles[1].process_pointer->back() == "taskmanager.memory.process.size");
}

TEST_CASE("resources requests and limits give the process size and the limit factor in Kubernetes units",
          "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"2Gi"},"limits":{"memory":"3Gi"}}},
    "jobManager":{"resource":{"memory":"1g"},"resources":{"limits":{"memory":"2Gi"}}}})");
  CHECK(value(eff, "taskmanager.memory.process.size") == "2147483648");
  CHECK(value(eff, "kubernetes.taskmanager.memory.limit-factor") == "1.5");
  // resources wins over the deprecated resource; with only a limit, the limit is the size and no factor is set.
  CHECK(value(eff, "jobmanager.memory.process.size") == "2147483648");
  CHECK(value(eff, "kubernetes.jobmanager.memory.limit-factor") == "<unset>");
  bool noted = false;
  for (const auto& n : eff.notes) noted |= n.find("spec.jobManager.resource is ignored") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("A memory string the operator cannot read is a rejection naming the field", "[engine][flinkdeployment]") {
  auto eff = build(R"({"taskManager":{"resource":{"memory":"lots"}}})");
  REQUIRE(has(eff, FindingCode::kMemoryConfigRejected));
  CHECK_THAT(eff.findings[0].message(), Catch::Contains("spec.taskManager.resource.memory: 'lots'"));
  auto zero = build(R"({"taskManager":{"resource":{"memory":"0"}}})");
  CHECK(has(zero, FindingCode::kMemoryConfigRejected));
}

TEST_CASE("A missing flinkVersion is judged as the default version, with a note", "[engine][flinkdeployment]") {
  // (An unknown one never gets here: decoding refuses it, as the CRD's enum does.)
  auto missing = build(R"({"taskManager":{}})");
  CHECK(missing.context.version == memguard::memmodel::kDefaultFlinkVersion);
  REQUIRE(missing.notes.size() == 1);
  CHECK(missing.notes[0].find("spec.flinkVersion: not set") == 0);
}

TEST_CASE("Setting an option by patch is refused when a nested spelling makes the winner undefined",
          "[engine][flinkdeployment]") {
  auto flat = build(R"({"flinkConfiguration":{"taskmanager.memory.managed.size":"1g"}})");
  auto replace = set_config_option(flat, "taskmanager.memory.managed.size", "0");
  REQUIRE(replace);
  CHECK(replace->op == memguard::admission::PatchOperation::Op::kReplace);
  auto none = build(R"({"image":"flink"})");
  auto add_map = set_config_option(none, "taskmanager.memory.managed.size", "0");
  REQUIRE(add_map);
  CHECK(add_map->value_json == R"({"taskmanager.memory.managed.size":"0"})");
  auto nested = build(R"({"flinkConfiguration":{"taskmanager":{"memory":{"managed":{"fraction":0.2}}}}})");
  CHECK_FALSE(set_config_option(nested, "taskmanager.memory.managed.size", "0"));
  auto prefix = build(R"({"flinkConfiguration":{"taskmanager.memory.managed.size.extra":"1"}})");
  CHECK_FALSE(set_config_option(prefix, "taskmanager.memory.managed.size", "0"));
}

// Found by the operator oracle (tests/operator-oracle, Flink Kubernetes Operator 1.7.0): without
// resource.memory the operator's DefaultValidator derives the TaskManager from flinkConfiguration
// with Flink's TaskExecutorProcessUtils.processSpecFromConfig, which ignores the legacy heap keys,
// and rejects the FlinkDeployment ("TaskManager resource memory must be defined ..."), although the
// deployed process (legacy heap -> process size) would start.
TEST_CASE("oracle operator 1.7.0: without resource.memory the validator ignores the legacy TaskManager heap key",
          "[engine][flinkdeployment][oracle-regression]") {
  auto legacy = build(R"({"flinkVersion":"v1_14","flinkConfiguration":{"taskmanager.heap.size":"4096 m"},
    "jobManager":{"resource":{"memory":"2048Mi","cpu":1}},"taskManager":{}})");
  REQUIRE(has(legacy, FindingCode::kMemoryConfigRejected));
  const Finding& f = legacy.findings.back();
  CHECK(f.role == memguard::memmodel::Role::kTaskManager);
  CHECK_THAT(f.message(), Catch::Contains("spec.taskManager.resource.memory is not set"));
  CHECK_THAT(f.message(), Catch::Contains("Fix: set spec.taskManager.resource.memory"));
  // The fix works: with resource.memory set, nothing is rejected.
  auto fixed = build(R"({"flinkVersion":"v1_14","flinkConfiguration":{"taskmanager.heap.size":"4096 m"},
    "jobManager":{"resource":{"memory":"2048Mi","cpu":1}},"taskManager":{"resource":{"memory":"2048Mi"}}})");
  CHECK_FALSE(has(fixed, FindingCode::kMemoryConfigRejected));
  // The JobManager's legacy heap key is read as the JVM heap by the validator, so it passes.
  auto jobmanager = build(R"({"flinkVersion":"v1_14","flinkConfiguration":{"jobmanager.heap.size":"1g"},
    "jobManager":{},"taskManager":{"resource":{"memory":"2048Mi"}}})");
  CHECK_FALSE(has(jobmanager, FindingCode::kMemoryConfigRejected));
  // A flinkConfiguration that sizes the TaskManager with today's keys passes as before.
  auto modern = build(R"({"flinkVersion":"v1_17","flinkConfiguration":{"taskmanager.memory.flink.size":"1728m"},
    "jobManager":{"resource":{"memory":"2048Mi"}},"taskManager":{}})");
  CHECK_FALSE(has(modern, FindingCode::kMemoryConfigRejected));
}

namespace {
const Finding* first(const EffectiveConfig& eff, FindingCode code) {
  for (const auto& f : eff.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("A Flink memory unit is rewritten in the Kubernetes binary unit of the same amount",
          "[engine][flinkdeployment]") {
  struct Row {
    const char* text;
    const char* rewritten;
    const char* kubernetes;  // what Kubernetes reads, as the message words it
  };
  auto row = GENERATE(values<Row>({
      {"2048m", "2048Mi", "is 2048 MiB to the Flink operator but 2.048 bytes to Kubernetes"},
      {"2g", "2Gi", "is 2048 MiB to the Flink operator but not a quantity Kubernetes can read"},
      {" 2 G ", "2Gi", "is 2048 MiB to the Flink operator but not a quantity Kubernetes can read"},
      {"0002048mb", "2048Mi", "but not a quantity Kubernetes can read"},
      {"2048 mebibytes", "2048Mi", "but not a quantity Kubernetes can read"},
      {"2097152kb", "2097152Ki", "but not a quantity Kubernetes can read"},
      {"2097152 kibibytes", "2097152Ki", "but not a quantity Kubernetes can read"},
      {"2 gibibytes", "2Gi", "but not a quantity Kubernetes can read"},
      {"2gb", "2Gi", "but not a quantity Kubernetes can read"},
      {"1t", "1Ti", "but not a quantity Kubernetes can read"},
      {"1tb", "1Ti", "but not a quantity Kubernetes can read"},
      {"1 tebibytes", "1Ti", "but not a quantity Kubernetes can read"},
      {"2147483648b", "2147483648", "but not a quantity Kubernetes can read"},
      {"2147483648 bytes", "2147483648", "but not a quantity Kubernetes can read"},
      {" 2147483648 ", "2147483648", "but not a quantity Kubernetes can read"},
      {"2097152k", "2097152Ki", "is 2048 MiB to the Flink operator but 2000 MiB to Kubernetes"},
      {"2G", "2Gi", "is 2048 MiB to the Flink operator but 1907.35 MiB to Kubernetes"},
  }));
  CAPTURE(row.text);
  auto eff = build(std::string(R"({"flinkVersion":"v1_20","jobManager":{"resource":{"memory":")") + row.text +
                   R"("}},"taskManager":{"resource":{"memory":"2048Mi"}}})");
  const Finding* f = first(eff, FindingCode::kAmbiguousMemoryUnit);
  REQUIRE(f != nullptr);
  CHECK(f->role == memguard::memmodel::Role::kJobManager);
  CHECK_THAT(f->message(), Catch::Contains(row.kubernetes));
  CHECK_THAT(f->message(), Catch::EndsWith(std::string("Fix: write '") + row.rewritten + "'."));
  CHECK(f->fix_warning() == std::string("spec.jobManager.resource.memory: rewrote '") + row.text + "' as '" +
                                row.rewritten + "' (" + format_mib(std::stoll(value(eff, "jobmanager.memory.process.size"))) +
                                " for the operator as before, and now the same for Kubernetes)");
  REQUIRE(f->fix.size() == 1);
  CHECK(f->fix[0].value_json == std::string("\"") + row.rewritten + "\"");
  CHECK(f->fix_kind == FixKind::kCorrection);
}

TEST_CASE("A request or limit Kubernetes cannot read leaves the operator no limit factor", "[engine][flinkdeployment]") {
  SECTION("the request") {
    auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"2g"},"limits":{"memory":"3Gi"}}}})");
    const Finding* f = first(eff, FindingCode::kAmbiguousMemoryUnit);
    REQUIRE(f != nullptr);
    CHECK_THAT(f->message(), Catch::StartsWith("TaskManager: spec.taskManager.resources.requests.memory: '2g'"));
    bool quantity = false;
    for (const auto& g : eff.findings) {
      if (g.message().find("the operator computes the memory limit factor from Kubernetes quantities, and '2g' is not "
                           "one, so the deployment fails. Fix: write both as Kubernetes quantities such as 2048Mi.") !=
          std::string::npos) {
        quantity = true;
        CHECK(g.warning() == "spec.taskManager.resources: '2g' is not a Kubernetes quantity; the operator cannot compute "
                             "the limit factor");
      }
    }
    CHECK(quantity);
    CHECK(value(eff, "kubernetes.taskmanager.memory.limit-factor") == "<unset>");
    // The process size still comes from the request, in Flink's units.
    CHECK(value(eff, "taskmanager.memory.process.size") == "2147483648");
  }
  SECTION("the limit") {
    auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"2Gi"},"limits":{"memory":"3g"}}}})");
    bool quantity = false;
    for (const auto& g : eff.findings) quantity |= g.message().find("and '3g' is not one") != std::string::npos;
    CHECK(quantity);
    CHECK(value(eff, "kubernetes.taskmanager.memory.limit-factor") == "<unset>");
  }
  SECTION("alone, a request or limit in Flink units is read only by the operator") {
    auto request = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"2048m"}}}})");
    CHECK(request.findings.empty());
    CHECK(value(request, "taskmanager.memory.process.size") == "2147483648");
    auto limit = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"limits":{"memory":"3g"}}}})");
    CHECK(limit.findings.empty());
    CHECK(value(limit, "taskmanager.memory.process.size") == "3221225472");
  }
}

TEST_CASE("A request equal in text to its limit is rewritten together with it", "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"1500000000"},
    "limits":{"memory":"1500000000"}}}})");
  REQUIRE(eff.roles.size() == 2);
  const RoleInput& tm = eff.roles[1];
  REQUIRE(tm.process_pointer);
  REQUIRE(tm.process_twin_pointer);
  CHECK(memguard::admission::field_path(*tm.process_pointer) == "spec.taskManager.resources.requests.memory");
  CHECK(memguard::admission::field_path(*tm.process_twin_pointer) == "spec.taskManager.resources.limits.memory");
  // A different limit text is no twin.
  // The whole-MiB fix rewrites both, so the limit factor stays 1.
  auto findings = evaluate_role(eff, tm, default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.code == FindingCode::kProcessSizeNotWholeMib; });
  REQUIRE(it != findings.end());
  REQUIRE(it->fix.size() == 2);
  CHECK(it->fix[0].path == *tm.process_pointer);
  CHECK(it->fix[1].path == *tm.process_twin_pointer);
  CHECK(it->fix[0].value_json == "\"1430Mi\"");
  CHECK(it->fix[1].value_json == "\"1430Mi\"");
  auto apart = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"1500000000"},
    "limits":{"memory":"2Gi"}}}})");
  CHECK_FALSE(apart.roles[1].process_twin_pointer);
  // A limit alone is the process size itself, not a twin.
  auto alone = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"limits":{"memory":"1500000000"}}}})");
  REQUIRE(alone.roles[1].process_pointer);
  CHECK(memguard::admission::field_path(*alone.roles[1].process_pointer) == "spec.taskManager.resources.limits.memory");
  CHECK_FALSE(alone.roles[1].process_twin_pointer);
}

TEST_CASE("resources with only cpu still win over resource, which leaves the memory to flinkConfiguration",
          "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{"taskmanager.memory.process.size":"3g"},
    "taskManager":{"resource":{"memory":"2g"},"resources":{"requests":{"cpu":"1"}}}})");
  CHECK(value(eff, "taskmanager.memory.process.size") == "3g");
  bool noted = false;
  for (const auto& n : eff.notes) {
    noted |= n == "spec.taskManager.resource is ignored: spec.taskManager.resources is set and wins";
  }
  CHECK(noted);
  CHECK(eff.findings.empty());  // the ignored '2g' is not judged
}

TEST_CASE("A process size spelled nested in flinkConfiguration has no single field a fix could replace",
          "[engine][flinkdeployment]") {
  auto nested = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{"taskmanager":{"memory":{"process":{"size":"3g"}}}}})");
  REQUIRE(nested.roles.size() == 2);
  CHECK(describe(nested.roles[1].process_source) == "taskmanager.memory.process.size in spec.flinkConfiguration");
  CHECK_FALSE(nested.roles[1].process_pointer);
  // Flat and nested: the operator's winner is undefined, so neither is patched.
  auto both = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{"taskmanager.memory.process.size":"2g",
    "taskmanager":{"memory":{"process":{"size":"3g"}}}}})");
  CHECK_FALSE(both.roles[1].process_pointer);
}

TEST_CASE("Without resource.memory the validator reads the legacy JobManager heap as the JVM heap, next to flink.size",
          "[engine][flinkdeployment][oracle-regression]") {
  // Deployed, the legacy heap becomes the process size (2g = 1g Total Flink + metaspace + overhead); the
  // validator reads it as the JVM heap, which does not fit 1g of Total Flink.
  auto eff = build(R"({"flinkVersion":"v1_18","flinkConfiguration":{"jobmanager.heap.size":"2g",
    "jobmanager.memory.flink.size":"1g"},"jobManager":{},"taskManager":{"resource":{"memory":"2048Mi"}}})");
  const Finding* f = first(eff, FindingCode::kMemoryConfigRejected);
  REQUIRE(f != nullptr);
  CHECK(f->role == memguard::memmodel::Role::kJobManager);
  CHECK_THAT(f->message(), Catch::StartsWith("JobManager: spec.jobManager.resource.memory is not set, and the Flink "
                                             "operator's validator derives the JobManager's memory"));
  CHECK_THAT(f->message(), Catch::Contains("(\"JobManager resource memory must be defined using "
                                           "`spec.jobManager.resource.memory`\")"));
  CHECK(f->warning() == "spec.jobManager.resource.memory: not set and the operator cannot derive the JobManager memory "
                        "from spec.flinkConfiguration; it rejects the FlinkDeployment");
}

TEST_CASE("A limit Flink reads above its request but Kubernetes reads below it gives a factor below 1 named by the "
          "resources", "[engine][flinkdeployment]") {
  // The validator compares 2100m (2100 MiB for Flink) with 2Gi and passes; the factor is 2.1 bytes / 2Gi.
  auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"2Gi"},
    "limits":{"memory":"2100m"}}}})");
  CHECK_FALSE(first(eff, FindingCode::kLimitBelowRequest));
  CHECK(first(eff, FindingCode::kAmbiguousMemoryUnit));
  REQUIRE(eff.roles.size() == 2);
  const RoleInput& tm = eff.roles[1];
  REQUIRE(tm.limit_factor_source);
  auto findings = evaluate_role(eff, tm, default_policy().defaults);
  REQUIRE_FALSE(findings.empty());
  CHECK(findings[0].code == FindingCode::kLimitBelowRequest);
  CHECK_THAT(findings[0].message(),
             Catch::StartsWith("TaskManager: the container memory limit factor from spec.taskManager.resources "
                               "(limits.memory / requests.memory as Kubernetes quantities) is below 1"));
}

TEST_CASE("A size Flink reads past control characters gets no rewrite, only the advice to write a binary quantity",
          "[engine][flinkdeployment]") {
  // Flink trims every character up to the space (Java's String.trim); the rewrite keeps to digits and units.
  for (const char* text : {R"(\u00012g)", R"(2g\u0001)"}) {
    CAPTURE(text);
    auto eff = build(std::string(R"({"flinkVersion":"v1_20","jobManager":{"resource":{"memory":")") + text +
                     R"("}},"taskManager":{"resource":{"memory":"2048Mi"}}})");
    const Finding* f = first(eff, FindingCode::kAmbiguousMemoryUnit);
    REQUIRE(f != nullptr);
    CHECK_THAT(f->message(), Catch::Contains("is 2048 MiB to the Flink operator but not a quantity Kubernetes can read"));
    CHECK_THAT(f->message(), Catch::EndsWith("Fix: write a binary quantity such as 1536Mi."));
    CHECK(f->fix.empty());
    CHECK(f->fix_warning().empty());
  }
}

TEST_CASE("More than ten duplicated flinkConfiguration keys are named ten times and counted beyond",
          "[engine][flinkdeployment][limits]") {
  std::string config;
  for (int i = 0; i < 13; ++i) {
    std::string key = "\"k" + std::to_string(i) + "\"";
    config += (config.empty() ? "" : ",") + key + ":\"1\"," + key + ":\"2\"";
  }
  auto eff = build(R"({"flinkVersion":"v1_20","flinkConfiguration":{)" + config + "}}");
  REQUIRE(eff.notes.size() == 11);
  CHECK(eff.notes[9] == "spec.flinkConfiguration: 'k9' is a duplicate key; judged with its last value, and tools that "
                        "read the manifest strictly reject it");
  CHECK(eff.notes[10] == "spec.flinkConfiguration: 3 more keys are set twice");
  CHECK(value(eff, "k12") == "2");
}

TEST_CASE("Memory and cpu on the shared pod template's flink-main-container are sized by both roles' resources",
          "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","podTemplate":{"spec":{"containers":[{"name":"flink-main-container",
    "resources":{"requests":{"memory":"1Gi","cpu":"1"}}}]}},"jobManager":{"resource":{"memory":"2048Mi"}},
    "taskManager":{"resource":{"memory":"2048Mi"}}})");
  const Finding* f = first(eff, FindingCode::kPodTemplateResourcesOverwritten);
  REQUIRE(f != nullptr);
  CHECK_FALSE(f->role.has_value());
  CHECK(f->message() == "spec.podTemplate.spec.containers[0].resources: requests.memory, requests.cpu on "
                        "flink-main-container have no effect: Flink overwrites memory and cpu "
                        "with the sizes it derives from spec.jobManager/taskManager.resource(s). Fix: remove them and size "
                        "the container through spec.jobManager/taskManager.resource(s).");
}

TEST_CASE("Mixed units rewrite only the side that is not already read alike", "[engine][flinkdeployment]") {
  // 2147483648 is the same bytes for both; 3G is 3 GiB to Flink and 3e9 bytes to Kubernetes.
  auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resources":{"requests":{"memory":"2147483648"},
    "limits":{"memory":"3G"}}}})");
  const Finding* mixed = nullptr;
  for (const auto& f : eff.findings) {
    if (f.code == FindingCode::kAmbiguousMemoryUnit && f.message().find("different unit systems") != std::string::npos) {
      mixed = &f;
    }
  }
  REQUIRE(mixed != nullptr);
  REQUIRE(mixed->fix.size() == 1);
  CHECK(memguard::admission::field_path(mixed->fix[0].path) == "spec.taskManager.resources.limits.memory");
  CHECK(mixed->fix[0].value_json == "\"3Gi\"");
  CHECK_THAT(mixed->fix_warning(), Catch::StartsWith("spec.taskManager.resources: rewrote the memory request and limit "
                                                     "in Kubernetes binary units, so the limit factor is 1.5"));
}

TEST_CASE("A cpu limit alone also makes resources win over resource", "[engine][flinkdeployment]") {
  auto eff = build(R"({"flinkVersion":"v1_20","taskManager":{"resource":{"memory":"2g"},"resources":{"limits":{"cpu":"2"}}}})");
  CHECK(value(eff, "taskmanager.memory.process.size") == "<unset>");
  CHECK(eff.notes.size() == 1);
}

TEST_CASE("Setting an option by patch is refused for a shorter spelling or a duplicate, allowed beside other nesting",
          "[engine][flinkdeployment]") {
  auto shorter = build(R"({"flinkConfiguration":{"taskmanager.memory.managed":"1g"}})");
  CHECK_FALSE(set_config_option(shorter, "taskmanager.memory.managed.size", "0"));
  auto twice = build(R"({"flinkConfiguration":{"taskmanager.memory.managed.size":"1g","taskmanager.memory.managed.size":"2g"}})");
  CHECK_FALSE(set_config_option(twice, "taskmanager.memory.managed.size", "0"));
  auto other_nesting = build(R"({"flinkConfiguration":{"state":{"backend":{"type":"hashmap"}}}})");
  auto add = set_config_option(other_nesting, "taskmanager.memory.managed.size", "0");
  REQUIRE(add);
  CHECK(add->op == memguard::admission::PatchOperation::Op::kAdd);
  CHECK(memguard::admission::field_path(add->path) == "spec.flinkConfiguration.taskmanager.memory.managed.size");
  auto same_root = build(R"({"flinkConfiguration":{"taskmanager":{"numberOfTaskSlots":2}}})");
  CHECK_FALSE(set_config_option(same_root, "taskmanager.memory.managed.size", "0"));
  // A ConfigMap's file is not patched at all.
  memguard::admission::ConfigMapObject cm;
  cm.holds_flink_configuration = true;
  cm.config_yaml = "state.backend.type: hashmap\n";
  CHECK_FALSE(set_config_option(build_configmap(cm), "taskmanager.memory.managed.size", "0"));
}
