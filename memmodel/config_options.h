// Typed, lazily validated reads of Flink options (spec §3): an option is found under its own key,
// else under its deprecated/fallback keys in declaration order, else it takes its default; the
// value is only parsed (and can only fail) when a derivation path actually reads it.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "memmodel/flink_config.h"
#include "memmodel/flink_version.h"
#include "memmodel/memory_size.h"

namespace memguard::memmodel {

// A Flink ConfigOption's name: its key and the deprecated/fallback keys Flink still honours.
struct OptionName {
  std::string_view key;
  std::array<std::string_view, 2> fallback_keys{};
};

template <class T>
struct Option {
  OptionName name;
  std::optional<T> default_value;  // nullopt: Flink declares no default
};

using MemoryOption = Option<MemorySize>;
using FloatOption = Option<float>;
using DoubleOption = Option<double>;
using IntOption = Option<int>;
using BoolOption = Option<bool>;

// Every TaskManager option the derivation reads, with the defaults of `version` (spec §4.1, §7).
struct TaskManagerOptions {
  MemoryOption process_size, flink_size, framework_heap, task_heap, framework_off_heap, task_off_heap,
      managed_size, network_min, network_max, segment_size, jvm_metaspace, jvm_overhead_min, jvm_overhead_max;
  FloatOption managed_fraction, network_fraction, jvm_overhead_fraction;
  IntOption network_buffers, num_slots;
  DoubleOption cpu_cores, kubernetes_cpu;
  // Legacy heap keys (1.10-1.20 only).
  MemoryOption legacy_heap;
  IntOption legacy_heap_mb;
};
TaskManagerOptions taskmanager_options(const FlinkVersion& version);

// Every JobManager option the derivation reads (spec §5.1).
struct JobManagerOptions {
  MemoryOption process_size, flink_size, heap, off_heap, jvm_metaspace, jvm_overhead_min, jvm_overhead_max;
  FloatOption jvm_overhead_fraction;
  BoolOption direct_memory_limit;
  MemoryOption legacy_heap;  // 1.11-1.20
  IntOption legacy_heap_mb;
};
JobManagerOptions jobmanager_options(const FlinkVersion& version);

// Where an option's value came from.
struct OptionLookup {
  const ConfigValue* value = nullptr;  // null: not configured
  std::string_view key;                // the key found (or the option's own key)
};

class ConfigReader {
 public:
  explicit ConfigReader(const FlinkConfig& config) : config_(config) {}

  const FlinkConfig& config() const { return config_; }
  OptionLookup lookup(const OptionName& name) const;
  bool contains(const OptionName& name) const { return lookup(name).value != nullptr; }
  template <class T>
  bool contains(const Option<T>& option) const { return contains(option.name); }

  [[nodiscard]] Expected<MemorySize> read(const MemoryOption& option) const;
  [[nodiscard]] Expected<float> read(const FloatOption& option) const;
  [[nodiscard]] Expected<double> read(const DoubleOption& option) const;
  [[nodiscard]] Expected<int> read(const IntOption& option) const;
  [[nodiscard]] Expected<bool> read(const BoolOption& option) const;

 private:
  const FlinkConfig& config_;
};

// ConfigurationUtils.convertToFloat for one raw value: a YAML float (double) is narrowed only if it
// is 0 or within float range; anything else goes through Float.parseFloat.
[[nodiscard]] Expected<float> convert_to_float(const ConfigValue& value);

}  // namespace memguard::memmodel
