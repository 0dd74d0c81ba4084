// The process layer shared by both roles (Flink's ProcessMemoryUtils): range fractions, fraction
// and inverse-fraction derivation with min/max capping, and JVM metaspace/overhead derived either
// from Total Flink memory or from Total Process memory (spec §1.4, §1.5, §4.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memmodel/config_options.h"
#include "memmodel/derivation.h"
#include "memmodel/expected.h"
#include "memmodel/memory_size.h"

namespace memguard::memmodel {

// A [min, max] range with a fraction in [0, 1), validated on creation as Flink's RangeFraction is.
class RangeFraction {
 public:
  // `what` names the component ("Network Memory") and the keys, for the rejection message.
  [[nodiscard]] static Expected<RangeFraction> create(MemorySize min, MemorySize max, double fraction,
                                                      std::string_view what);
  MemorySize min() const { return min_; }
  MemorySize max() const { return max_; }
  double fraction() const { return fraction_; }

 private:
  RangeFraction(MemorySize min, MemorySize max, double fraction) : min_(min), max_(max), fraction_(fraction) {}
  MemorySize min_, max_;
  double fraction_;
};

// capToMinMax: above max -> max, else below min -> min.
MemorySize cap_to_min_max(MemorySize value, const RangeFraction& range);
// base x fraction (exact decimal product, truncated), capped.
[[nodiscard]] Expected<MemorySize> derive_with_fraction(MemorySize base, const RangeFraction& range);
// base x f/(1-f) (f/(1-f) in IEEE double first), capped: the share that makes the result a
// fraction f of (base + result).
[[nodiscard]] Expected<MemorySize> derive_with_inverse_fraction(MemorySize base, const RangeFraction& range);

// The options of the JVM part of the process, per role.
struct JvmOptions {
  std::string_view role;  // "TaskManager" / "JobManager", for messages
  MemoryOption process_size, flink_size, metaspace, overhead_min, overhead_max;
  FloatOption overhead_fraction;
};
JvmOptions jvm_options(const TaskManagerOptions& options);
JvmOptions jvm_options(const JobManagerOptions& options);

// Reads min, max and fraction and builds the range (E3/E4).
[[nodiscard]] Expected<RangeFraction> read_range_fraction(const ConfigReader& reader, const MemoryOption& min,
                                                          const MemoryOption& max, const FloatOption& fraction,
                                                          std::string_view what);

// A component read from its option, with its provenance.
[[nodiscard]] Expected<Component> read_component(const ConfigReader& reader, const MemoryOption& option);

// JVM metaspace and overhead when Total Flink memory is known (paths FG and TF): overhead is the
// remainder of a configured process size, else the inverse fraction of Flink + metaspace.
[[nodiscard]] Expected<JvmMetaspaceAndOverhead> jvm_from_flink(const ConfigReader& reader, const JvmOptions& options,
                                                               MemorySize flink_total, const FlinkVersion& version,
                                                               std::vector<std::string>& notes);
// JVM metaspace and overhead from a configured process size (path TP): overhead is the fraction
// of the process size.
[[nodiscard]] Expected<JvmMetaspaceAndOverhead> jvm_from_process(const ConfigReader& reader, const JvmOptions& options,
                                                                 MemorySize process_total,
                                                                 std::vector<std::string>& notes);

// A note when a fraction-derived value was pulled into its [min, max] range.
void note_capping(std::vector<std::string>& notes, std::string_view what, MemorySize raw, MemorySize capped,
                  const RangeFraction& range);

}  // namespace memguard::memmodel

namespace memguard::memmodel {

// MemoryBackwardsCompatibilityUtils (1.10-1.20): the legacy heap value from the environment
// variable (if set and not blank), else `heap`, else `heap_mb` (MiB); nullopt when none is set.
[[nodiscard]] Expected<std::optional<MemorySize>> read_legacy_heap(const ConfigReader& reader,
                                                                   const MemoryOption& heap,
                                                                   const IntOption& heap_mb,
                                                                   const std::optional<std::string>& env_value,
                                                                   std::string_view env_name);

}  // namespace memguard::memmodel
