// Step two of the engine: derive each role's memory as Flink will, size its container, and run one
// rule per finding over the result. Pure functions; the rules return facts, finding_texts words them.
#pragma once

#include <optional>
#include <vector>

#include "memmodel/derivation.h"
#include "memmodel/derived_memory.h"
#include "webhook/engine/effective_config.h"
#include "webhook/engine/finding.h"
#include "webhook/engine/finding_texts.h"
#include "webhook/engine/policy.h"

namespace memguard::engine {

// What Flink derives for one role: its components as rows, and the totals of the process layer.
using DerivedRole = memmodel::DerivedMemory;

// All findings for one role of `effective` under `settings` (thresholds; actions are applied later).
// What Flink only logs about the derivation (finding_texts.h: derivation_notes) goes to `notes`, if given.
std::vector<Finding> evaluate_role(const EffectiveConfig& effective, const RoleInput& input, const Settings& settings,
                                   std::vector<std::string>* notes = nullptr);
// The same over a derivation the caller already has (a failed one is the memory-config-rejected finding),
// so a caller that also uses the derived memory derives it once.
std::vector<Finding> evaluate_role(const EffectiveConfig& effective, const RoleInput& input,
                                   const Expected<DerivedRole>& derived, const Settings& settings,
                                   std::vector<std::string>* notes = nullptr);

// The state backend Flink will use, per version (spec memory-model §10).
enum class StateBackend { kHeap, kRocksdb, kForst, kUnknown };
StateBackend state_backend(const memmodel::FlinkConfig& config, const memmodel::FlinkVersion& version);
// execution.runtime-mode is STREAMING (the default); BATCH and AUTOMATIC are not.
bool streaming_mode(const memmodel::FlinkConfig& config);

}  // namespace memguard::engine
