// The smallest size of the configured total that Flink accepts, for a configuration it rejects:
// what to set instead, found by asking the derivation itself (no second model of the rules).
#pragma once

#include <optional>
#include <string>

#include "memmodel/derivation.h"
#include "memmodel/flink_config.h"
#include "memmodel/memory_size.h"

namespace memguard::memmodel {

struct AcceptedSize {
  std::string key;  // the option to set: "<role>.memory.process.size" or "<role>.memory.flink.size"
  MemorySize size;  // whole MiB
};

// For a configuration the role's derivation rejects: the smallest whole-MiB value of the configured
// total that it accepts, everything else unchanged. The total varied is the process size when it is
// set (or the path is total-process), else the Total Flink size when that is set (or the path is
// total-flink); a configuration with neither has no total to vary. The search tries the powers of two
// from 1 MiB to 16 TiB and the total the derivation gives with the varied key removed, takes the
// smallest accepted of those and bisects below it, so the result is accepted and 1 MiB less is
// not. nullopt: the configuration is accepted, no candidate is accepted (the rejection does not
// depend on the total, such as a fraction out of range), or Flink 1.10's JobManager (no such keys).
// Pure; about 60 derivations.
[[nodiscard]] std::optional<AcceptedSize> smallest_accepted_size(Role role, const FlinkConfig& config,
                                                                 const DerivationContext& context);

}  // namespace memguard::memmodel
