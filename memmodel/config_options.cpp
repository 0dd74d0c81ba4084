// Flink's option table for the memory model and its typed reads (spec §3, §4.1, §5.1, §7).
#include "memmodel/config_options.h"

#include <cmath>
#include <limits>

#include "memmodel/java_text.h"

namespace memguard::memmodel {

namespace {

constexpr MemorySize mib(int64_t n) { return MemorySize::of_mebibytes(n); }

Unexpected unreadable(const OptionLookup& found, std::string_view type, std::string_view reason, std::string_view fix) {
  // The value is quoted so that the user sees what Flink would reject. The memory-model options
  // hold no secrets, but every read goes through here: a sensitive key never has its value (nor
  // the parser's reason, which may quote it) in a message.
  if (is_sensitive_key(found.key)) {
    return make_error(ErrorCode::kIllegalConfiguration,
                      "cannot read " + std::string(type) + " from '" + std::string(found.key) +
                          "' (its value is not shown: the key may hold a secret); " + std::string(fix));
  }
  const std::string& shown = found.value->text;
  return make_error(ErrorCode::kIllegalConfiguration,
                    "cannot read " + std::string(type) + " from '" + std::string(found.key) + "' (value '" + shown +
                        "'): " + std::string(reason) + "; " + std::string(fix));
}

Unexpected missing(const OptionName& name) {
  return make_error(ErrorCode::kInternal, "option '" + std::string(name.key) + "' has no value and no default");
}

}  // namespace

TaskManagerOptions taskmanager_options(const FlinkVersion& v) {
  TaskManagerOptions o;
  o.process_size = {{"taskmanager.memory.process.size"}, std::nullopt};
  o.flink_size = {{"taskmanager.memory.flink.size"}, std::nullopt};
  o.framework_heap = {{"taskmanager.memory.framework.heap.size"}, mib(128)};
  o.task_heap = {{"taskmanager.memory.task.heap.size"}, std::nullopt};
  o.framework_off_heap = {{"taskmanager.memory.framework.off-heap.size"}, mib(128)};
  o.task_off_heap = {{"taskmanager.memory.task.off-heap.size"}, MemorySize::of_bytes(0)};
  o.managed_size = {{"taskmanager.memory.managed.size", {"taskmanager.memory.size"}}, std::nullopt};
  o.managed_fraction = {{"taskmanager.memory.managed.fraction"}, 0.4f};
  o.network_min = {{"taskmanager.memory.network.min", {"taskmanager.network.memory.min"}}, mib(64)};
  // FLINK-30472: unbounded network memory from 1.17 on.
  o.network_max = {{"taskmanager.memory.network.max", {"taskmanager.network.memory.max"}},
                   v.at_least(1, 17) ? MemorySize::of_bytes(MemorySize::kMaxBytes) : mib(1024)};
  o.network_fraction = {{"taskmanager.memory.network.fraction", {"taskmanager.network.memory.fraction"}}, 0.1f};
  o.network_buffers = {{"taskmanager.network.numberOfBuffers"}, 2048};
  o.segment_size = {{"taskmanager.memory.segment-size"}, MemorySize::of_bytes(32 * 1024)};
  // FLINK-16406: metaspace 96m -> 256m in 1.10.1.
  o.jvm_metaspace = {{"taskmanager.memory.jvm-metaspace.size"}, v.at_least(1, 10, 1) ? mib(256) : mib(96)};
  o.jvm_overhead_min = {{"taskmanager.memory.jvm-overhead.min"}, mib(192)};
  o.jvm_overhead_max = {{"taskmanager.memory.jvm-overhead.max"}, mib(1024)};
  o.jvm_overhead_fraction = {{"taskmanager.memory.jvm-overhead.fraction"}, 0.1f};
  o.num_slots = {{"taskmanager.numberOfTaskSlots"}, 1};
  o.cpu_cores = {{"taskmanager.cpu.cores"}, std::nullopt};
  o.kubernetes_cpu = v.at_least(1, 17)
                         ? DoubleOption{{"kubernetes.taskmanager.cpu.amount", {"kubernetes.taskmanager.cpu"}}, -1.0}
                         : DoubleOption{{"kubernetes.taskmanager.cpu"}, -1.0};
  o.legacy_heap = {{"taskmanager.heap.size"}, std::nullopt};
  o.legacy_heap_mb = {{"taskmanager.heap.mb"}, std::nullopt};
  return o;
}

JobManagerOptions jobmanager_options(const FlinkVersion&) {
  JobManagerOptions o;
  o.process_size = {{"jobmanager.memory.process.size"}, std::nullopt};
  o.flink_size = {{"jobmanager.memory.flink.size"}, std::nullopt};
  o.heap = {{"jobmanager.memory.heap.size"}, std::nullopt};
  o.off_heap = {{"jobmanager.memory.off-heap.size"}, mib(128)};
  o.jvm_metaspace = {{"jobmanager.memory.jvm-metaspace.size"}, mib(256)};
  o.jvm_overhead_min = {{"jobmanager.memory.jvm-overhead.min"}, mib(192)};
  o.jvm_overhead_max = {{"jobmanager.memory.jvm-overhead.max"}, mib(1024)};
  o.jvm_overhead_fraction = {{"jobmanager.memory.jvm-overhead.fraction"}, 0.1f};
  o.direct_memory_limit = {{"jobmanager.memory.enable-jvm-direct-memory-limit"}, false};
  o.legacy_heap = {{"jobmanager.heap.size"}, std::nullopt};
  o.legacy_heap_mb = {{"jobmanager.heap.mb"}, std::nullopt};
  return o;
}

OptionLookup ConfigReader::lookup(const OptionName& name) const {
  if (const ConfigValue* v = config_.find(name.key)) return {v, name.key};
  for (std::string_view fallback : name.fallback_keys) {
    if (fallback.empty()) continue;
    if (const ConfigValue* v = config_.find(fallback)) return {v, fallback};
  }
  return {nullptr, name.key};
}

Expected<MemorySize> ConfigReader::read(const MemoryOption& option) const {
  const OptionLookup found = lookup(option.name);
  if (found.value == nullptr) {
    if (option.default_value) return *option.default_value;
    return missing(option.name);
  }
  auto size = MemorySize::parse(found.value->text);
  if (!size) {
    return unreadable(found, "a memory size", size.error().message,
                      "write a whole number with a binary unit, for example 1728m or 2g");
  }
  return size;
}

Expected<float> convert_to_float(const ConfigValue& value) {
  if (value.kind == ValueKind::kFloat) {
    auto d = java::parse_double(value.text);
    if (!d) {
      // YAML's own spellings of the special values.
      if (value.text == ".nan" || value.text == ".NaN" || value.text == ".NAN") d = std::numeric_limits<double>::quiet_NaN();
      else if (value.text == ".inf" || value.text == "+.inf" || value.text == ".Inf" || value.text == ".INF")
        d = std::numeric_limits<double>::infinity();
      else if (value.text == "-.inf" || value.text == "-.Inf" || value.text == "-.INF")
        d = -std::numeric_limits<double>::infinity();
      else
        return make_error(ErrorCode::kInvalidArgument, "'" + value.text + "' is not a valid float");
    }
    const double x = *d;
    const double lo = std::numeric_limits<float>::denorm_min();
    const double hi = std::numeric_limits<float>::max();
    if (x == 0.0 || (x >= lo && x <= hi) || (x >= -hi && x <= -lo)) return static_cast<float>(x);
    return make_error(ErrorCode::kInvalidArgument,
                      "the YAML number " + value.text + " overflows or underflows the float type");
  }
  return java::parse_float(value.text);
}

Expected<float> ConfigReader::read(const FloatOption& option) const {
  const OptionLookup found = lookup(option.name);
  if (found.value == nullptr) {
    if (option.default_value) return *option.default_value;
    return missing(option.name);
  }
  auto f = convert_to_float(*found.value);
  if (!f) return unreadable(found, "a fraction", f.error().message, "write a decimal number such as 0.1");
  return f;
}

Expected<double> ConfigReader::read(const DoubleOption& option) const {
  const OptionLookup found = lookup(option.name);
  if (found.value == nullptr) {
    if (option.default_value) return *option.default_value;
    return missing(option.name);
  }
  auto d = java::parse_double(found.value->text);
  if (!d && found.value->kind == ValueKind::kFloat) {
    if (found.value->text == ".nan") d = std::numeric_limits<double>::quiet_NaN();
    else if (found.value->text == ".inf") d = std::numeric_limits<double>::infinity();
    else if (found.value->text == "-.inf") d = -std::numeric_limits<double>::infinity();
  }
  if (!d) return unreadable(found, "a number", d.error().message, "write a decimal number such as 2.0");
  return d;
}

Expected<int> ConfigReader::read(const IntOption& option) const {
  const OptionLookup found = lookup(option.name);
  if (found.value == nullptr) {
    if (option.default_value) return *option.default_value;
    return missing(option.name);
  }
  auto i = java::parse_int(found.value->text);
  if (!i) {
    return unreadable(found, "an integer", i.error().message,
                      "write a whole number between -2147483648 and 2147483647 without units or spaces");
  }
  return static_cast<int>(*i);
}

Expected<bool> ConfigReader::read(const BoolOption& option) const {
  const OptionLookup found = lookup(option.name);
  if (found.value == nullptr) {
    if (option.default_value) return *option.default_value;
    return missing(option.name);
  }
  // ConfigurationUtils.convertToBoolean: exactly "true"/"false", any case, no trimming.
  std::string upper = found.value->text;
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper == "TRUE") return true;
  if (upper == "FALSE") return false;
  return unreadable(found, "a boolean", "only true or false are accepted", "write true or false");
}

}  // namespace memguard::memmodel
