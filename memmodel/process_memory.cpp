// ProcessMemoryUtils for both roles (see process_memory.h).
#include "memmodel/process_memory.h"

#include "memmodel/breakdown.h"
#include "memmodel/java_text.h"

namespace memguard::memmodel {

Unexpected illegal_configuration(std::string message) {
  return make_error(ErrorCode::kIllegalConfiguration, std::move(message));
}

Expected<RangeFraction> RangeFraction::create(MemorySize min, MemorySize max, double fraction, std::string_view what) {
  if (min > max) {
    return illegal_configuration("inconsistently configured " + std::string(what) + ": the minimum (" + min.to_human() + ", " +
                  std::to_string(min.bytes()) + " bytes) is larger than the maximum (" + max.to_human() + ", " +
                  std::to_string(max.bytes()) + " bytes); make the minimum at most the maximum");
  }
  if (!(fraction >= 0 && fraction < 1)) {
    return illegal_configuration("inconsistently configured " + std::string(what) + ": the fraction " +
                  java::float_to_string(static_cast<float>(fraction)) +
                  " must be at least 0 and less than 1; use for example 0.1");
  }
  return RangeFraction(min, max, fraction);
}

MemorySize cap_to_min_max(MemorySize value, const RangeFraction& range) {
  if (value > range.max()) return range.max();
  if (value < range.min()) return range.min();
  return value;
}

Expected<MemorySize> derive_with_fraction(MemorySize base, const RangeFraction& range) {
  auto relative = base.multiply(range.fraction());
  if (!relative) return relative;
  return cap_to_min_max(*relative, range);
}

Expected<MemorySize> derive_with_inverse_fraction(MemorySize base, const RangeFraction& range) {
  // Evaluated in IEEE double exactly as Java does (volatile keeps x87/FMA contraction out).
  volatile double f = range.fraction();
  const double inverse = f / (1.0 - f);
  auto relative = base.multiply(inverse);
  if (!relative) return relative;
  return cap_to_min_max(*relative, range);
}

void note_capping(std::vector<std::string>& notes, std::string_view what, MemorySize raw, MemorySize capped,
                  const RangeFraction& range) {
  if (raw == capped) return;
  // Fraction options are Floats in Flink: printed as written ("0.1"), not as the widened double.
  notes.push_back(std::string(what) + " from its fraction " + java::float_to_string(static_cast<float>(range.fraction())) +
                  " would be " + raw.to_human() + " (" + std::to_string(raw.bytes()) + " bytes); Flink uses the " +
                  (capped == range.max() ? "maximum " : "minimum ") + capped.to_human() + " (" +
                  std::to_string(capped.bytes()) + " bytes) instead");
}

Expected<MemorySize> checked_sum(std::initializer_list<MemorySize> sizes) {
  MemorySize total;
  for (MemorySize s : sizes) {
    auto next = total.add(s);
    if (!next) return next;
    total = *next;
  }
  return total;
}

Error role_failure(std::string_view role, const Error& error) {
  constexpr std::string_view kFailed = " memory configuration failed: ";
  std::string message;
  message.reserve(role.size() + kFailed.size() + error.message.size());
  message.append(role).append(kFailed).append(error.message);
  return Error{error.code, std::move(message)};
}

Expected<std::optional<FlinkConfig>> map_legacy_heap(const FlinkConfig& config, const DerivationContext& context,
                                                     const ProcessMemoryOptions& o, std::vector<std::string>& notes) {
  if (context.version.at_least(2, 0)) return std::optional<FlinkConfig>();
  const MemoryOption& target =
      context.legacy_heap == LegacyHeapTarget::kProcessTotal ? o.process_size : o.legacy_heap_target;
  const ConfigReader plain(config);
  if (plain.contains(target)) return std::optional<FlinkConfig>();
  auto legacy = read_legacy_heap(plain, o.legacy_heap, o.legacy_heap_mb, context.legacy_heap_env, o.legacy_heap_env);
  if (!legacy) return Unexpected{legacy.error()};
  if (!*legacy) return std::optional<FlinkConfig>();
  std::optional<FlinkConfig> mapped = config;
  mapped->set(std::string(target.name.key), std::to_string((*legacy)->bytes()) + "b");
  notes.push_back("the legacy " + std::string(o.role) + " heap size (" + (*legacy)->to_human() + ") is used as " +
                  std::string(target.name.key));
  return mapped;
}

ProcessMemoryOptions process_memory_options(const TaskManagerOptions& o) {
  return {role_title(Role::kTaskManager), o.process_size, o.flink_size, o.jvm_metaspace, o.jvm_overhead_min, o.jvm_overhead_max,
          o.jvm_overhead_fraction, o.legacy_heap, o.legacy_heap_mb, "FLINK_TM_HEAP", o.flink_size,
          "the fine-grained memory (taskmanager.memory.task.heap.size and taskmanager.memory.managed.size)", "1728m"};
}

ProcessMemoryOptions process_memory_options(const JobManagerOptions& o) {
  return {role_title(Role::kJobManager), o.process_size, o.flink_size, o.jvm_metaspace, o.jvm_overhead_min, o.jvm_overhead_max,
          o.jvm_overhead_fraction, o.legacy_heap, o.legacy_heap_mb, "FLINK_JM_HEAP", o.heap,
          "the JVM heap (jobmanager.memory.heap.size)", "1600m"};
}

Expected<RangeFraction> read_range_fraction(const ConfigReader& reader, const MemoryOption& min,
                                            const MemoryOption& max, const FloatOption& fraction,
                                            std::string_view what) {
  auto lo = reader.read(min);
  if (!lo) return Unexpected{lo.error()};
  auto hi = reader.read(max);
  if (!hi) return Unexpected{hi.error()};
  auto f = reader.read(fraction);
  if (!f) return Unexpected{f.error()};
  auto range = RangeFraction::create(*lo, *hi, static_cast<double>(*f), what);
  if (range) return range;
  // Only a rejection pays for naming the keys.
  const std::string described = std::string(what) + " (" + std::string(reader.lookup(min.name).key) + ", " +
                                std::string(reader.lookup(max.name).key) + ", " +
                                std::string(reader.lookup(fraction.name).key) + ")";
  return RangeFraction::create(*lo, *hi, static_cast<double>(*f), described);
}

Expected<Component> read_component(const ConfigReader& reader, const MemoryOption& option) {
  const OptionLookup found = reader.lookup(option.name);
  auto size = reader.read(option);
  if (!size) return Unexpected{size.error()};
  return Component{*size, found.value != nullptr ? Provenance::kConfigured : Provenance::kDefault, found.key};
}

Expected<JvmMetaspaceAndOverhead> jvm_from_flink(const ConfigReader& reader, const ProcessMemoryOptions& o,
                                                 MemorySize flink_total, const FlinkVersion& version,
                                                 std::vector<std::string>& notes) {
  auto metaspace = read_component(reader, o.metaspace);
  if (!metaspace) return Unexpected{metaspace.error()};
  auto flink_and_metaspace = flink_total.add(metaspace->size);
  if (!flink_and_metaspace) return Unexpected{flink_and_metaspace.error()};
  const std::string_view overhead_key = o.overhead_fraction.name.key.substr(0, o.overhead_fraction.name.key.rfind('.'));
  if (reader.contains(o.process_size)) {
    auto process = reader.read(o.process_size);
    if (!process) return Unexpected{process.error()};
    if (*process < *flink_and_metaspace) {
      // 1.10 has no explicit check; its negative MemorySize fails the same configurations (E9/E16).
      (void)version;
      return illegal_configuration("the configured Total Process Memory " + describe(Part{"", *process, o.process_size.name.key}) +
                    " is less than the sum of the derived Total Flink Memory and the JVM Metaspace: " +
                    describe_sum({{"Total Flink Memory", flink_total, ""},
                                  {"JVM Metaspace", metaspace->size, metaspace->key}}) +
                    "; increase " + std::string(o.process_size.name.key) +
                    " or reduce the configured memory components");
    }
    const MemorySize overhead = MemorySize::of_bytes(process->bytes() - flink_and_metaspace->bytes());
    auto range = read_range_fraction(reader, o.overhead_min, o.overhead_max, o.overhead_fraction, "JVM Overhead");
    if (!range) return Unexpected{range.error()};
    if (overhead > range->max() || overhead < range->min()) {
      return illegal_configuration("the derived JVM Overhead " + overhead.to_human() + " (" + std::to_string(overhead.bytes()) +
                    " bytes) is not in the configured JVM Overhead range [" + range->min().to_human() + ", " +
                    range->max().to_human() + "] (" + std::string(o.overhead_min.name.key) + ", " +
                    std::string(o.overhead_max.name.key) + "). With " + std::string(o.process_size.name.key) +
                    " set, JVM Overhead is what remains of " +
                    describe(Part{"Total Process Memory", *process, o.process_size.name.key}) + " after " +
                    describe_sum({{"Total Flink Memory", flink_total, ""},
                                  {"JVM Metaspace", metaspace->size, metaspace->key}}) +
                    "; adjust the process size, the Flink components or the JVM Overhead range so that they agree");
    }
    return JvmMetaspaceAndOverhead{*metaspace, Component{overhead, Provenance::kDerived, overhead_key}};
  }
  auto range = read_range_fraction(reader, o.overhead_min, o.overhead_max, o.overhead_fraction, "JVM Overhead");
  if (!range) return Unexpected{range.error()};
  auto overhead = derive_with_inverse_fraction(*flink_and_metaspace, *range);
  if (!overhead) return Unexpected{overhead.error()};
  if (auto raw = flink_and_metaspace->multiply(range->fraction() / (1.0 - range->fraction()))) {
    note_capping(notes, "JVM Overhead", *raw, *overhead, *range);
  }
  return JvmMetaspaceAndOverhead{*metaspace, Component{*overhead, Provenance::kDerived, overhead_key}};
}

Expected<JvmMetaspaceAndOverhead> jvm_from_process(const ConfigReader& reader, const ProcessMemoryOptions& o,
                                                   MemorySize process_total, std::vector<std::string>& notes) {
  auto metaspace = read_component(reader, o.metaspace);
  if (!metaspace) return Unexpected{metaspace.error()};
  auto range = read_range_fraction(reader, o.overhead_min, o.overhead_max, o.overhead_fraction, "JVM Overhead");
  if (!range) return Unexpected{range.error()};
  auto overhead = derive_with_fraction(process_total, *range);
  if (!overhead) return Unexpected{overhead.error()};
  if (auto raw = process_total.multiply(range->fraction())) note_capping(notes, "JVM Overhead", *raw, *overhead, *range);
  const std::string_view overhead_key = o.overhead_fraction.name.key.substr(0, o.overhead_fraction.name.key.rfind('.'));
  auto jvm_total = metaspace->size.add(*overhead);
  if (!jvm_total || *jvm_total > process_total) {
    return illegal_configuration("the sum of " +
                  describe({{"JVM Metaspace", metaspace->size, metaspace->key},
                            {"JVM Overhead", *overhead, o.overhead_fraction.name.key}}) +
                  " exceeds the configured " + describe(Part{"Total Process Memory", process_total,
                                                             o.process_size.name.key}) +
                  "; increase " + std::string(o.process_size.name.key) + " or reduce " +
                  std::string(metaspace->key) + " / " + std::string(o.overhead_max.name.key));
  }
  return JvmMetaspaceAndOverhead{*metaspace, Component{*overhead, Provenance::kDerived, overhead_key}};
}

}  // namespace memguard::memmodel

namespace memguard::memmodel {

Expected<std::optional<MemorySize>> read_legacy_heap(const ConfigReader& reader, const MemoryOption& heap,
                                                     const IntOption& heap_mb,
                                                     const std::optional<std::string>& env_value,
                                                     std::string_view env_name) {
  auto blank = [](const std::string& s) {
    for (char c : s) {
      if (!(c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'))) return false;
    }
    return true;
  };
  if (env_value && !blank(*env_value)) {
    auto size = MemorySize::parse(*env_value);
    if (!size) {
      return make_error(ErrorCode::kIllegalConfiguration, "cannot read the memory size from environment variable " +
                                                              std::string(env_name) + ": " + size.error().message);
    }
    return std::optional<MemorySize>(*size);
  }
  if (reader.contains(heap)) {
    auto size = reader.read(heap);
    if (!size) return Unexpected{size.error()};
    return std::optional<MemorySize>(*size);
  }
  if (reader.contains(heap_mb)) {
    auto mb = reader.read(heap_mb);
    if (!mb) return Unexpected{mb.error()};
    if (*mb < 0) {
      return make_error(ErrorCode::kIllegalConfiguration,
                        "the legacy heap size " + std::string(heap_mb.name.key) + " = " + std::to_string(*mb) +
                            " (MB) must not be negative; set a positive number of MiB or remove the key");
    }
    return std::optional<MemorySize>(MemorySize::of_bytes(static_cast<int64_t>(*mb) << 20));
  }
  return std::optional<MemorySize>();
}

}  // namespace memguard::memmodel
