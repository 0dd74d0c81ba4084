// The process layer shared by both roles (Flink's ProcessMemoryUtils): range fractions, fraction
// and inverse-fraction derivation with min/max capping, and JVM metaspace/overhead derived either
// from Total Flink memory or from Total Process memory (spec §1.4, §1.5, §4.3).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memmodel/config_options.h"
#include "memmodel/derivation.h"
#include "support/expected.h"
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

// A role's option keys as data (Flink's ProcessMemoryOptions): what the process layer reads and names
// for either role, so that the path dispatch, the legacy heap remap and the messages exist once.
// A view: the options are the role's (TaskManagerOptions, JobManagerOptions), which must outlive it;
// a derivation builds it many times in a search, so it refers to them instead of copying them.
struct ProcessMemoryOptions {
  std::string_view role;  // role_title: "TaskManager" / "JobManager", for messages
  const MemoryOption &process_size, &flink_size, &metaspace, &overhead_min, &overhead_max;
  const FloatOption& overhead_fraction;
  // Legacy heap keys (1.x): read from `legacy_heap_env`, else the keys; they stand for
  // `legacy_heap_target` under the start scripts and for the process size under active resource managers.
  const MemoryOption& legacy_heap;
  const IntOption& legacy_heap_mb;
  std::string_view legacy_heap_env;
  const MemoryOption& legacy_heap_target;
  // The fine-grained options in the "must be configured" rejection, and a process size to suggest.
  std::string_view fine_grained;
  std::string_view example_process_size;
};
ProcessMemoryOptions process_memory_options(const TaskManagerOptions& options);
ProcessMemoryOptions process_memory_options(const JobManagerOptions& options);

// Reads min, max and fraction and builds the range (E3/E4).
[[nodiscard]] Expected<RangeFraction> read_range_fraction(const ConfigReader& reader, const MemoryOption& min,
                                                          const MemoryOption& max, const FloatOption& fraction,
                                                          std::string_view what);

// A component read from its option, with its provenance.
[[nodiscard]] Expected<Component> read_component(const ConfigReader& reader, const MemoryOption& option);

// JVM metaspace and overhead when Total Flink memory is known (paths FG and TF): overhead is the
// remainder of a configured process size, else the inverse fraction of Flink + metaspace.
[[nodiscard]] Expected<JvmMetaspaceAndOverhead> jvm_from_flink(const ConfigReader& reader, const ProcessMemoryOptions& options,
                                                               MemorySize flink_total, const FlinkVersion& version,
                                                               std::vector<std::string>& notes);
// JVM metaspace and overhead from a configured process size (path TP): overhead is the fraction
// of the process size.
[[nodiscard]] Expected<JvmMetaspaceAndOverhead> jvm_from_process(const ConfigReader& reader, const ProcessMemoryOptions& options,
                                                                 MemorySize process_total,
                                                                 std::vector<std::string>& notes);

// Adds sizes as Flink does when it builds a spec: an overflow is an error, not a wrap.
[[nodiscard]] Expected<MemorySize> checked_sum(std::initializer_list<MemorySize> sizes);

// kIllegalConfiguration with `message`: what Flink throws as IllegalConfigurationException.
[[nodiscard]] Unexpected illegal_configuration(std::string message);

// "TaskManager memory configuration failed: <message>": every rejection of a role, worded once.
Error role_failure(std::string_view role, const Error& error);

// The legacy heap remap (1.x, MemoryBackwardsCompatibilityUtils): when the legacy heap is set and its
// target option is not, a copy of `config` with the target set (and a note); nullopt otherwise.
[[nodiscard]] Expected<std::optional<FlinkConfig>> map_legacy_heap(const FlinkConfig& config,
                                                                   const DerivationContext& context,
                                                                   const ProcessMemoryOptions& options,
                                                                   std::vector<std::string>& notes);

// A role's Flink memory components and the process layer's metaspace and overhead.
template <class FlinkParts>
struct ProcessParts {
  FlinkParts flink;
  JvmMetaspaceAndOverhead jvm;
  DerivationPath path = DerivationPath::kTotalProcess;
};

// Flink's order of the three paths: fine-grained options, else the Total Flink size, else the Total
// Process size; nullopt when none is configured. derive_process_memory dispatches on exactly this.
template <class Strategy>
std::optional<DerivationPath> select_path(const ConfigReader& reader, const ProcessMemoryOptions& o,
                                          const Strategy& strategy) {
  if (strategy.has_fine_grained()) return DerivationPath::kFineGrained;
  if (reader.contains(o.flink_size)) return DerivationPath::kTotalFlink;
  if (reader.contains(o.process_size)) return DerivationPath::kTotalProcess;
  return std::nullopt;
}

// Flink's ProcessMemoryUtils.memoryProcessSpecFromConfig over a role strategy with Flink's two entry
// points: the fine-grained options when the role has them, else Total Flink memory (configured, or
// what the process size leaves after metaspace and overhead); then the process total is added up once
// more, as Flink does, so an overflow rejects. `Strategy` provides `Parts` (with `components()`, the
// Flink parts), `has_fine_grained()`, `derive_from_fine_grained()` and
// `derive_from_total_flink(MemorySize)`. Errors are unprefixed; the role wraps them in role_failure.
template <class Strategy>
[[nodiscard]] Expected<ProcessParts<typename Strategy::Parts>> derive_process_memory(
    const ConfigReader& reader, const ProcessMemoryOptions& o, const Strategy& strategy, const FlinkVersion& version,
    std::vector<std::string>& notes) {
  ProcessParts<typename Strategy::Parts> out;
  auto flink_total_of = [](const typename Strategy::Parts& parts) -> Expected<MemorySize> {
    MemorySize total;
    for (const Component* c : parts.components()) {
      auto next = total.add(c->size);
      if (!next) return next;
      total = *next;
    }
    return total;
  };
  const std::optional<DerivationPath> path = select_path(reader, o, strategy);
  if (path) out.path = *path;
  if (path == DerivationPath::kFineGrained) {
    auto parts = strategy.derive_from_fine_grained();
    if (!parts) return Unexpected{parts.error()};
    out.flink = std::move(*parts);
    auto flink_total = flink_total_of(out.flink);
    if (!flink_total) return Unexpected{flink_total.error()};
    auto jvm = jvm_from_flink(reader, o, *flink_total, version, notes);
    if (!jvm) return Unexpected{jvm.error()};
    out.jvm = std::move(*jvm);
  } else if (path == DerivationPath::kTotalFlink) {
    auto flink_total = reader.read(o.flink_size);
    if (!flink_total) return Unexpected{flink_total.error()};
    auto parts = strategy.derive_from_total_flink(*flink_total);
    if (!parts) return Unexpected{parts.error()};
    out.flink = std::move(*parts);
    auto jvm = jvm_from_flink(reader, o, *flink_total, version, notes);
    if (!jvm) return Unexpected{jvm.error()};
    out.jvm = std::move(*jvm);
  } else if (path == DerivationPath::kTotalProcess) {
    auto process_total = reader.read(o.process_size);
    if (!process_total) return Unexpected{process_total.error()};
    auto jvm = jvm_from_process(reader, o, *process_total, notes);
    if (!jvm) return Unexpected{jvm.error()};
    out.jvm = std::move(*jvm);
    const MemorySize flink_total = MemorySize::of_bytes(process_total->bytes() - out.jvm.metaspace.size.bytes() -
                                                        out.jvm.overhead.size.bytes());
    auto parts = strategy.derive_from_total_flink(flink_total);
    if (!parts) return Unexpected{parts.error()};
    out.flink = std::move(*parts);
  } else {
    return make_error(ErrorCode::kIllegalConfiguration,
                      "either " + std::string(o.fine_grained) + ", or the Total Flink Memory size (" +
                          std::string(o.flink_size.name.key) + "), or the Total Process Memory size (" +
                          std::string(o.process_size.name.key) + ") must be configured; for containers set " +
                          std::string(o.process_size.name.key) + " (for example " +
                          std::string(o.example_process_size) + ")");
  }
  auto flink_total = flink_total_of(out.flink);
  if (!flink_total) return Unexpected{flink_total.error()};
  auto process = checked_sum({*flink_total, out.jvm.metaspace.size, out.jvm.overhead.size});
  if (!process) return Unexpected{process.error()};
  return out;
}

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
