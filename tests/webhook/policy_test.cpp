// Policy parsing: the embedded default, overrides, and errors that name what is wrong.
#include <catch2/catch.hpp>

#include "webhook/engine/policy.h"

using namespace memguard::engine;

TEST_CASE("The embedded policy sets every finding: deny for what breaks, warn for the rest", "[engine][policy]") {
  const Policy& p = default_policy();
  CHECK(p.defaults.action(FindingCode::kMemoryConfigRejected) == Action::kDeny);
  CHECK(p.defaults.action(FindingCode::kConfigFileInvalid) == Action::kDeny);
  CHECK(p.defaults.action(FindingCode::kProcessExceedsLimit) == Action::kDeny);
  CHECK(p.defaults.action(FindingCode::kLimitBelowRequest) == Action::kDeny);
  for (FindingCode code : {FindingCode::kPodTemplateResourcesOverwritten, FindingCode::kAmbiguousMemoryUnit,
                           FindingCode::kProcessSizeNotWholeMib, FindingCode::kRocksdbUnmanagedMemory,
                           FindingCode::kRocksdbZeroManagedMemory, FindingCode::kHeapBackendManagedMemory,
                           FindingCode::kJvmOverheadBelowDefault, FindingCode::kWorkloadNoMemoryLimit,
                           FindingCode::kMemoryRequestBelowProcess, FindingCode::kFlinkSizeInContainer,
                           FindingCode::kBatchManagedMemoryTooSmall, FindingCode::kRocksdbFixedMemoryUnbudgeted}) {
    CAPTURE(finding_code_name(code));
    CHECK(p.defaults.action(code) == Action::kWarn);
  }
  // The two lists above name every code: a finding added later must be given its default here too.
  CHECK(4 + 12 == kFindingCodeCount);
  CHECK(p.defaults.mutations);
  CHECK_FALSE(p.defaults.tuning);
  CHECK(p.defaults.jvm_overhead_minimum.bytes() == 192 << 20);
  CHECK(p.excluded("kube-system"));
  CHECK_FALSE(p.excluded("analytics"));
  // Every code is named in the embedded document, so no finding silently falls back to the blank base.
  for (FindingCode code : kAllFindingCodes) {
    CHECK_THAT(std::string(kEmbeddedPolicyYaml), Catch::Contains(std::string(finding_code_name(code)) + ":"));
  }
}

TEST_CASE("Finding codes round-trip through their names", "[engine][policy]") {
  for (FindingCode code : kAllFindingCodes) CHECK(parse_finding_code(finding_code_name(code)) == code);
  CHECK_FALSE(parse_finding_code("process-too-big"));
}

TEST_CASE("A policy file overrides only what it names", "[engine][policy]") {
  auto p = parse_policy(R"(
findings:
  ambiguous-memory-unit: deny
  jvm-overhead-below-default: off
mutations:
  corrections: false
  tuning: true
thresholds:
  jvm-overhead-minimum: 256m
  limit-headroom: 100m
excluded-namespaces: [flink-memguard, "team-*"]
namespaces:
  sandbox:
    findings:
      memory-config-rejected: warn
    mutations:
      tuning: false
)");
  REQUIRE(p);
  CHECK(p->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);
  CHECK(p->defaults.action(FindingCode::kJvmOverheadBelowDefault) == Action::kOff);
  CHECK(p->defaults.action(FindingCode::kMemoryConfigRejected) == Action::kDeny);
  CHECK_FALSE(p->defaults.mutations);
  CHECK(p->defaults.tuning);
  CHECK(p->defaults.jvm_overhead_minimum.bytes() == 256 << 20);
  CHECK(p->defaults.limit_headroom.bytes() == 100 << 20);
  CHECK(p->excluded("team-a"));
  CHECK(p->excluded("flink-memguard"));
  CHECK_FALSE(p->excluded("kube-system"));  // the list is replaced, not merged
  Settings sandbox = p->settings_for("sandbox");
  CHECK(sandbox.action(FindingCode::kMemoryConfigRejected) == Action::kWarn);
  CHECK(sandbox.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);  // inherited
  CHECK_FALSE(sandbox.tuning);
  CHECK(p->settings_for("elsewhere").tuning);
}

TEST_CASE("Namespace overrides take the prefix syntax of excluded-namespaces and the most specific wins",
          "[engine][policy]") {
  auto p = parse_policy(R"(
excluded-namespaces: ["team-*"]
namespaces:
  "team-*":
    findings: {memory-config-rejected: warn, jvm-overhead-below-default: off}
  "team-data-*":
    findings: {memory-config-rejected: off}
  team-data-prod:
    findings: {memory-config-rejected: deny}
)");
  REQUIRE(p);
  // The same pattern matches the same namespaces in both places.
  for (const char* ns : {"team-a", "team-", "team-data-x"}) {
    CAPTURE(ns);
    CHECK(p->excluded(ns));
    CHECK(p->settings_for(ns).action(FindingCode::kJvmOverheadBelowDefault) == Action::kOff);
  }
  CHECK_FALSE(p->excluded("team"));
  CHECK(p->settings_for("team").action(FindingCode::kJvmOverheadBelowDefault) == Action::kWarn);
  CHECK(p->settings_for("team-a").action(FindingCode::kMemoryConfigRejected) == Action::kWarn);
  // A longer prefix overrides a shorter one; an exact name overrides both; what it leaves is inherited.
  CHECK(p->settings_for("team-data-x").action(FindingCode::kMemoryConfigRejected) == Action::kOff);
  Settings prod = p->settings_for("team-data-prod");
  CHECK(prod.action(FindingCode::kMemoryConfigRejected) == Action::kDeny);
  CHECK(prod.action(FindingCode::kJvmOverheadBelowDefault) == Action::kOff);
}

TEST_CASE("An empty policy file is the default policy", "[engine][policy]") {
  auto p = parse_policy("");
  REQUIRE(p);
  CHECK(p->defaults.action(FindingCode::kProcessExceedsLimit) == Action::kDeny);
}

TEST_CASE("Policy errors name the offending key, code or value", "[engine][policy]") {
  auto error_of = [](const char* text) {
    auto p = parse_policy(text);
    REQUIRE_FALSE(p);
    return p.error().message;
  };
  CHECK_THAT(error_of("findings:\n  process-too-big: deny\n"), Catch::Contains("unknown finding code 'process-too-big'"));
  CHECK_THAT(error_of("findings:\n  process-exceeds-limit: block\n"), Catch::Contains("unknown action 'block'"));
  CHECK_THAT(error_of("rules: {}\n"), Catch::Contains("unknown key 'rules'"));
  CHECK_THAT(error_of("mutations:\n  everything: true\n"), Catch::Contains("unknown key 'everything'"));
  CHECK_THAT(error_of("mutations:\n  tuning: maybe\n"), Catch::Contains("expected true or false"));
  CHECK_THAT(error_of("thresholds:\n  limit-headroom: lots\n"), Catch::Contains("not a memory size"));
  CHECK_THAT(error_of("namespaces:\n  a:\n    colour: red\n"), Catch::Contains("unknown key 'colour'"));
  CHECK_THAT(error_of("excluded-namespaces: kube-system\n"), Catch::Contains("expected a list"));
  CHECK_THAT(error_of("findings: [a, b\n"), Catch::Contains("invalid YAML"));
  CHECK_THAT(error_of("- a\n- b\n"), Catch::Contains("expected a map"));
}

TEST_CASE("Policy errors name the section and line of a value of the wrong shape", "[engine][policy]") {
  auto error_of = [](const char* text) {
    auto p = parse_policy(text);
    REQUIRE_FALSE(p);
    return p.error().message;
  };
  CHECK(error_of("findings: [a]\n") == "policy: findings: expected a map of finding code to action");
  CHECK(error_of("mutations: [a]\n") == "policy: mutations: expected a map");
  CHECK(error_of("thresholds: 5\n") == "policy: thresholds: expected a map");
  CHECK_THAT(error_of("thresholds:\n  minimum: 1g\n"),
             Catch::Contains("thresholds: unknown key 'minimum' (expected jvm-overhead-minimum, limit-headroom)"));
  CHECK(error_of("honour-skip-annotation: yes\n") == "policy: honour-skip-annotation: expected true or false, got 'yes'");
  CHECK(error_of("excluded-namespaces: [[a]]\n") == "policy: excluded-namespaces: expected a single value (line 1)");
  CHECK(error_of("findings:\n  process-exceeds-limit: [deny]\n") ==
        "policy: findings.process-exceeds-limit: expected a single value (line 2)");
  CHECK(error_of("namespaces: [a]\n") == "policy: namespaces: expected a map of namespace to overrides");
  CHECK(error_of("namespaces:\n  team-a: 5\n") == "policy: namespaces.team-a: expected a map");
  CHECK(error_of("namespaces:\n  team-a:\n    thresholds:\n      limit-headroom: [1g]\n") ==
        "policy: namespaces.team-a.thresholds.limit-headroom: expected a single value (line 4)");
  // An empty namespaces section is no overrides at all.
  auto empty = parse_policy("namespaces:\n");
  REQUIRE(empty);
  CHECK(empty->namespaces.empty());
}

TEST_CASE("Every action has its name, and a namespace can set each switch and threshold", "[engine][policy]") {
  CHECK(action_name(Action::kDeny) == "deny");
  CHECK(action_name(Action::kWarn) == "warn");
  CHECK(action_name(Action::kOff) == "off");
  auto p = parse_policy(R"(
excluded-namespaces: []
honour-skip-annotation: false
namespaces:
  strict:
    findings: {ambiguous-memory-unit: deny}
    mutations: {corrections: false, tuning: true}
    thresholds: {jvm-overhead-minimum: 256m, limit-headroom: 64m}
  "*":
    thresholds: {limit-headroom: 16m}
)");
  REQUIRE(p);
  CHECK(p->excluded_namespaces.empty());
  CHECK_FALSE(p->excluded("kube-system"));
  CHECK_FALSE(p->honour_skip_annotation);
  Settings strict = p->settings_for("strict");
  CHECK(strict.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);
  CHECK_FALSE(strict.mutations);
  CHECK(strict.tuning);
  CHECK(strict.jvm_overhead_minimum.bytes() == 256 << 20);
  CHECK(strict.limit_headroom.bytes() == 64 << 20);  // the exact name over the catch-all
  Settings other = p->settings_for("other");
  CHECK(other.action(FindingCode::kAmbiguousMemoryUnit) == Action::kWarn);
  CHECK(other.mutations);
  CHECK_FALSE(other.tuning);
  CHECK(other.jvm_overhead_minimum.bytes() == 192 << 20);
  CHECK(other.limit_headroom.bytes() == 16 << 20);
}

TEST_CASE("Policy errors inside a namespace name the namespace's section", "[engine][policy]") {
  auto error_of = [](const char* text) {
    auto p = parse_policy(text);
    REQUIRE_FALSE(p);
    return p.error().message;
  };
  CHECK(error_of("namespaces:\n  a:\n    findings: [x]\n") ==
        "policy: namespaces.a.findings: expected a map of finding code to action");
  CHECK(error_of("namespaces:\n  a:\n    findings: {process-too-big: deny}\n") ==
        "policy: namespaces.a.findings: unknown finding code 'process-too-big'");
  CHECK(error_of("namespaces:\n  a:\n    findings: {process-exceeds-limit: block}\n") ==
        "policy: namespaces.a.findings.process-exceeds-limit: unknown action 'block' (expected deny, warn or off)");
  CHECK(error_of("namespaces:\n  a:\n    mutations: 5\n") == "policy: namespaces.a.mutations: expected a map");
  CHECK(error_of("namespaces:\n  a:\n    mutations: {corrections: [true]}\n") ==
        "policy: namespaces.a.mutations.corrections: expected a single value (line 3)");
  CHECK(error_of("namespaces:\n  a:\n    mutations: {all: true}\n") ==
        "policy: namespaces.a.mutations: unknown key 'all' (expected corrections, tuning)");
  CHECK(error_of("namespaces:\n  a:\n    thresholds: [1g]\n") == "policy: namespaces.a.thresholds: expected a map");
  CHECK_THAT(error_of("namespaces:\n  a:\n    thresholds: {limit-headroom: lots}\n"),
             Catch::StartsWith("policy: namespaces.a.thresholds.limit-headroom: not a memory size: "));
  CHECK(error_of("namespaces:\n  a:\n    thresholds: {minimum: 1g}\n") ==
        "policy: namespaces.a.thresholds: unknown key 'minimum' (expected jvm-overhead-minimum, limit-headroom)");
  CHECK(error_of("honour-skip-annotation: [true]\n") == "policy: honour-skip-annotation: expected a single value (line 1)");
  CHECK(error_of("excluded-namespaces: [a, {b: c}]\n") == "policy: excluded-namespaces: expected a single value (line 1)");
}

TEST_CASE("A policy whose keys are not text, or past the size limits, is refused with a reason", "[engine][policy]") {
  auto error_of = [](const std::string& text) {
    auto p = parse_policy(text);
    REQUIRE_FALSE(p);
    return p.error().message;
  };
  // A key yaml-cpp cannot read as a string.
  CHECK_THAT(error_of("? [a, b]\n: c\n"), Catch::StartsWith("policy: invalid structure: "));
  CHECK_THAT(error_of("findings:\n  ? [a]\n  : deny\n"), Catch::StartsWith("policy: invalid structure: "));
  CHECK_THAT(error_of("namespaces:\n  ? [a]\n  : {}\n"), Catch::StartsWith("policy: invalid structure: "));
  // A scalar past a megabyte is refused before yaml-cpp builds anything.
  std::string huge = "excluded-namespaces: [" + std::string(size_t{2} << 20, 'a') + "]\n";
  std::string refused = error_of(huge);
  CHECK_THAT(refused, Catch::StartsWith("policy: "));
  CHECK_THAT(refused, !Catch::Contains("invalid structure"));
}

TEST_CASE("An empty namespace pattern matches only the empty namespace, a lone '*' every namespace", "[engine][policy]") {
  auto p = parse_policy(R"(
excluded-namespaces: [""]
namespaces:
  "":
    findings: {process-exceeds-limit: warn}
  "*":
    findings: {jvm-overhead-below-default: off}
)");
  REQUIRE(p);
  CHECK(p->excluded(""));
  CHECK_FALSE(p->excluded("flink"));
  CHECK(p->settings_for("").action(FindingCode::kProcessExceedsLimit) == Action::kWarn);
  CHECK(p->settings_for("").action(FindingCode::kJvmOverheadBelowDefault) == Action::kOff);
  CHECK(p->settings_for("flink").action(FindingCode::kProcessExceedsLimit) == Action::kDeny);
  CHECK(p->settings_for("flink").action(FindingCode::kJvmOverheadBelowDefault) == Action::kOff);
}
