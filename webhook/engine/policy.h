// The policy: what each finding does (deny / warn / off), whether /mutate may patch, thresholds,
// excluded namespaces and per-namespace overrides. Parsed from YAML into a value; the embedded
// default (kEmbeddedPolicyYaml) applies when no file is given.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.h"
#include "memmodel/memory_size.h"
#include "webhook/engine/finding.h"

namespace memguard::engine {

enum class Action { kDeny, kWarn, kOff };
std::string_view action_name(Action action);

// The settings that apply to one object (the defaults with its namespace's overrides applied).
struct Settings {
  std::array<Action, kFindingCodeCount> actions{};
  bool mutations = true;  // /mutate may apply safe corrections (units, whole MiB)
  bool tuning = false;    // /mutate may also tune memory (managed memory 0 for heap backends)
  // jvm-overhead-below-default fires below this (Flink's own default minimum, 192m).
  memmodel::MemorySize jvm_overhead_minimum = memmodel::MemorySize::of_mebibytes(192);
  // process-exceeds-limit fires when the container limit leaves less than this above the process.
  memmodel::MemorySize limit_headroom = memmodel::MemorySize::of_bytes(0);

  Action action(FindingCode code) const { return actions[static_cast<size_t>(code)]; }
};

// A partial layer (a namespace's overrides): only what it sets.
struct SettingsOverride {
  std::map<FindingCode, Action> actions;
  std::optional<bool> mutations, tuning;
  std::optional<memmodel::MemorySize> jvm_overhead_minimum, limit_headroom;
};

struct Policy {
  Settings defaults;
  std::vector<std::string> excluded_namespaces;  // exact names, or prefixes ending in '*'
  // Overrides by namespace: exact names, or prefixes ending in '*'; every match applies, the least
  // specific first (shorter prefixes, then longer, then the exact name).
  std::map<std::string, SettingsOverride, std::less<>> namespaces;
  bool honour_skip_annotation = true;  // flink-memguard.io/skip: "true" opts an object out

  bool excluded(std::string_view namespace_) const;
  Settings settings_for(std::string_view namespace_) const;
};

// The annotations objects may carry.
inline constexpr std::string_view kSkipAnnotation = "flink-memguard.io/skip";
inline constexpr std::string_view kFlinkVersionAnnotation = "flink-memguard.io/flink-version";
inline constexpr std::string_view kJobManagerLimitAnnotation = "flink-memguard.io/jobmanager-memory-limit";
inline constexpr std::string_view kTaskManagerLimitAnnotation = "flink-memguard.io/taskmanager-memory-limit";

// The default policy, as a document (README shows the same text).
extern const std::string_view kEmbeddedPolicyYaml;

// Parses a policy file. Unknown top-level keys, finding codes, actions or settings are errors that
// name the offender; missing entries keep the embedded defaults.
[[nodiscard]] Expected<Policy> parse_policy(std::string_view yaml_text);

// The embedded default, parsed once.
const Policy& default_policy();

}  // namespace memguard::engine
