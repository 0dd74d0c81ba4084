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

// The state backend the configuration names, per version (spec memory-model §10). kNotConfigured:
// no key this version reads names one, so the job may choose its backend in code (hashmap is only
// Flink's default then, not a fact about the job).
enum class StateBackend { kNotConfigured, kHeap, kRocksdb, kForst, kUnknown };
StateBackend state_backend(const memmodel::FlinkConfig& config, const memmodel::FlinkVersion& version);
// What the declared version ignores among the state backend keys (state.backend.type before 1.17,
// state.backend next to a different state.backend.type), one note each naming the ignored key.
std::vector<std::string> state_backend_notes(const memmodel::FlinkConfig& config, const memmodel::FlinkVersion& version,
                                             const std::string& config_origin);
// BATCH mode with Flink's batch state backend (execution.batch-state-backend.enabled and
// execution.sorted-inputs.enabled, both true by default, 1.12+): keyed state is then kept by the
// batch state backend, not by the configured one, so RocksDB is never opened.
bool batch_state_backend(const memmodel::FlinkConfig& config, const memmodel::FlinkVersion& version);
// execution.runtime-mode is STREAMING (the default); BATCH and AUTOMATIC are not.
bool streaming_mode(const memmodel::FlinkConfig& config);

}  // namespace memguard::engine
