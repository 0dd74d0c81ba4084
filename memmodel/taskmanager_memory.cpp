// TaskManager memory (FLIP-49, spec §4): path selection (fine-grained, total Flink, total process),
// the Flink-memory derivations, legacy network buffers (<= 1.20), legacy heap keys, cpu and slots.
#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_set>

#include "memmodel/breakdown.h"
#include "memmodel/derivation.h"
#include "memmodel/java_text.h"
#include "memmodel/process_memory.h"

namespace memguard::memmodel {

namespace {

// The six Total Flink components while they are being derived.
struct FlinkParts {
  Component framework_heap, task_heap, framework_off_heap, task_off_heap, network, managed;
  std::array<const Component*, 6> components() const {
    return {&framework_heap, &task_heap, &framework_off_heap, &task_off_heap, &network, &managed};
  }
};

// The TaskManager strategy of the process layer (Flink's TaskExecutorFlinkMemoryUtils).
class TaskManagerDerivation {
 public:
  using Parts = FlinkParts;

  TaskManagerDerivation(const ConfigReader& reader, const FlinkVersion& version, const TaskManagerOptions& options,
                        std::vector<std::string>& notes)
      : r_(reader), v_(version), o_(options), notes_(notes) {}

  bool has_fine_grained() const { return r_.contains(o_.task_heap) && r_.contains(o_.managed_size); }

  // Legacy number-of-buffers mode (1.10-1.20): numberOfBuffers set, no network min/max/fraction.
  bool legacy_network() const {
    return !v_.at_least(2, 0) && r_.contains(o_.network_buffers) && !r_.contains(o_.network_min) &&
           !r_.contains(o_.network_max) && !r_.contains(o_.network_fraction);
  }

  Expected<MemorySize> legacy_network_size() const {
    auto buffers = r_.read(o_.network_buffers);
    if (!buffers) return Unexpected{buffers.error()};
    auto page = r_.read(o_.segment_size);
    if (!page) return Unexpected{page.error()};
    const int64_t p = page->bytes();
    const std::string key(o_.segment_size.name.key);
    if (p > std::numeric_limits<int32_t>::max()) {
      return illegal_configuration(key + " = " + page->to_human() + " does not fit a 32-bit page size; use a power of two such as 32kb");
    }
    if (p < 4096) return illegal_configuration(key + " = " + std::to_string(p) + " bytes is below the minimum page size of 4096 bytes; use a power of two such as 32kb");
    if ((p & (p - 1)) != 0) return illegal_configuration(key + " = " + std::to_string(p) + " bytes is not a power of two; use for example 32kb");
    const int64_t bytes = static_cast<int64_t>(*buffers) * p;
    if (bytes < 0) {
      return illegal_configuration(std::string(o_.network_buffers.name.key) + " = " + std::to_string(*buffers) +
                    " is negative; set a positive number of buffers or configure taskmanager.memory.network.* instead");
    }
    return MemorySize::of_bytes(bytes);
  }

  Expected<RangeFraction> network_range() const {
    return read_range_fraction(r_, o_.network_min, o_.network_max, o_.network_fraction, "Network Memory");
  }

  // Common components read with their defaults.
  Expected<FlinkParts> fixed_parts() const {
    FlinkParts p;
    auto fh = read_component(r_, o_.framework_heap);
    if (!fh) return Unexpected{fh.error()};
    auto fo = read_component(r_, o_.framework_off_heap);
    if (!fo) return Unexpected{fo.error()};
    auto to = read_component(r_, o_.task_off_heap);
    if (!to) return Unexpected{to.error()};
    p.framework_heap = *fh;
    p.framework_off_heap = *fo;
    p.task_off_heap = *to;
    return p;
  }

  // MANAGED(F): the configured size, else the managed fraction of Total Flink.
  Expected<Component> managed(MemorySize flink_total) const {
    if (r_.contains(o_.managed_size)) return read_component(r_, o_.managed_size);
    auto range = read_range_fraction(r_, MemoryOption{{"(no minimum)"}, MemorySize::of_bytes(0)},
                                     MemoryOption{{"(no maximum)"}, MemorySize::of_bytes(MemorySize::kMaxBytes)},
                                     o_.managed_fraction, "Managed Memory");
    if (!range) return Unexpected{range.error()};
    auto size = derive_with_fraction(flink_total, *range);
    if (!size) return Unexpected{size.error()};
    return Component{*size, Provenance::kDerived, o_.managed_fraction.name.key};
  }

  // NETWORK-CHECK: a network size that is the remainder of Total Flink must fit the configuration.
  Expected<void> check_network_remainder(MemorySize network, MemorySize flink_total, const FlinkParts& p) const {
    const std::string why =
        " When Total Flink Memory and Task Heap and/or Managed Memory are configured, Network Memory is what "
        "remains of Total Flink Memory after the other components: " +
        describe_sum({{"Total Flink Memory", flink_total, ""}}) + " minus " + others(p) + ". ";
    if (legacy_network()) {
      auto legacy = legacy_network_size();
      if (!legacy) return Unexpected{legacy.error()};
      if (*legacy != network) {
        return illegal_configuration("the derived Network Memory " + describe(Part{"", network, ""}) +
                      " differs from the legacy network buffer size " +
                      describe(Part{"numberOfBuffers x segment-size", *legacy, o_.network_buffers.name.key}) + "." +
                      why + "Adjust the configured sizes, or replace " + std::string(o_.network_buffers.name.key) +
                      " by taskmanager.memory.network.min/max");
      }
      return {};
    }
    auto range = network_range();
    if (!range) return Unexpected{range.error()};
    if (network > range->max() || network < range->min()) {
      return illegal_configuration("the derived Network Memory " + network.to_human() + " (" + std::to_string(network.bytes()) +
                    " bytes) is not in the configured Network Memory range [" + range->min().to_human() + ", " +
                    range->max().to_human() + "] (" + std::string(r_.lookup(o_.network_min.name).key) + ", " +
                    std::string(r_.lookup(o_.network_max.name).key) + ")." + why +
                    "Change the configured sizes so that the remainder fits the range, or widen the range");
    }
    if (r_.contains(o_.network_fraction)) {
      if (auto expected = flink_total.multiply(range->fraction()); expected && *expected != network) {
        notes_.push_back("Network Memory is the remainder " + network.to_human() + ", not the configured fraction " +
                         java::float_to_string(static_cast<float>(range->fraction())) + " of Total Flink Memory (" +
                         expected->to_human() + "); Flink only logs this");
      }
    }
    return {};
  }

  // The network size when it is not a remainder: legacy buffers, or fraction/inverse fraction.
  Expected<Component> network_from_options(MemorySize base, bool inverse) const {
    if (legacy_network()) {
      auto size = legacy_network_size();
      if (!size) return Unexpected{size.error()};
      return Component{*size, Provenance::kDerived, o_.network_buffers.name.key};
    }
    auto range = network_range();
    if (!range) return Unexpected{range.error()};
    auto size = inverse ? derive_with_inverse_fraction(base, *range) : derive_with_fraction(base, *range);
    if (!size) return Unexpected{size.error()};
    volatile double f = range->fraction();
    if (auto raw = base.multiply(inverse ? f / (1.0 - f) : f)) note_capping(notes_, "Network Memory", *raw, *size, *range);
    return Component{*size, Provenance::kDerived, r_.lookup(o_.network_fraction.name).key};
  }

  // The configured parts whose remainder of Total Flink is Network Memory, as a sum.
  static std::string configured_without_network(const FlinkParts& p) {
    return describe_sum({{"Framework Heap", p.framework_heap.size, p.framework_heap.key},
                         {"Framework Off-Heap", p.framework_off_heap.size, p.framework_off_heap.key},
                         {"Task Heap", p.task_heap.size, p.task_heap.key},
                         {"Task Off-Heap", p.task_off_heap.size, p.task_off_heap.key},
                         {"Managed Memory", p.managed.size, p.managed.key}});
  }

  std::string others(const FlinkParts& p) const {
    return describe({{"Framework Heap", p.framework_heap.size, p.framework_heap.key},
                     {"Framework Off-Heap", p.framework_off_heap.size, p.framework_off_heap.key},
                     {"Task Heap", p.task_heap.size, p.task_heap.key},
                     {"Task Off-Heap", p.task_off_heap.size, p.task_off_heap.key},
                     {"Managed Memory", p.managed.size, p.managed.key}});
  }

  // FLINK-FROM-TOTAL(F): Total Flink is known (configured, or derived from the process size).
  Expected<FlinkParts> derive_from_total_flink(MemorySize flink_total) const {
    auto parts = fixed_parts();
    if (!parts) return parts;
    FlinkParts& p = *parts;
    if (r_.contains(o_.task_heap)) {
      auto th = read_component(r_, o_.task_heap);
      if (!th) return Unexpected{th.error()};
      p.task_heap = *th;
      auto mg = managed(flink_total);
      if (!mg) return Unexpected{mg.error()};
      p.managed = *mg;
      auto without_network = checked_sum({p.framework_heap.size, p.framework_off_heap.size, p.task_heap.size,
                                          p.task_off_heap.size, p.managed.size});
      if (!without_network || *without_network > flink_total) {
        return illegal_configuration("the sum of the configured " +
                      configured_without_network(p) +
                      " exceeds " + describe(Part{"Total Flink Memory", flink_total, total_flink_source()}) +
                      "; reduce these components or increase the total");
      }
      const MemorySize network = MemorySize::of_bytes(flink_total.bytes() - without_network->bytes());
      if (auto ok = check_network_remainder(network, flink_total, p); !ok) return Unexpected{ok.error()};
      p.network = Component{network, Provenance::kDerived, "taskmanager.memory.network.min/max"};
    } else {
      auto mg = managed(flink_total);
      if (!mg) return Unexpected{mg.error()};
      p.managed = *mg;
      auto n = network_from_options(flink_total, false);
      if (!n) return Unexpected{n.error()};
      p.network = *n;
      auto without_heap = checked_sum({p.framework_heap.size, p.framework_off_heap.size, p.task_off_heap.size,
                                       p.managed.size, p.network.size});
      if (!without_heap || *without_heap > flink_total) {
        return illegal_configuration("the sum of " +
                      describe_sum({{"Framework Heap", p.framework_heap.size, p.framework_heap.key},
                                    {"Framework Off-Heap", p.framework_off_heap.size, p.framework_off_heap.key},
                                    {"Task Off-Heap", p.task_off_heap.size, p.task_off_heap.key},
                                    {"Managed Memory", p.managed.size, p.managed.key},
                                    {"Network Memory", p.network.size, p.network.key}}) +
                      " exceeds " + describe(Part{"Total Flink Memory", flink_total, total_flink_source()}) +
                      ", leaving nothing for Task Heap; increase the total or reduce these components "
                      "(for example the managed or network fraction)");
      }
      p.task_heap = Component{MemorySize::of_bytes(flink_total.bytes() - without_heap->bytes()), Provenance::kDerived,
                              o_.task_heap.name.key};
    }
    return parts;
  }

  // FLINK-FROM-FINE-GRAINED: task heap and managed memory are configured.
  Expected<FlinkParts> derive_from_fine_grained() const {
    auto th = read_component(r_, o_.task_heap);
    if (!th) return Unexpected{th.error()};
    auto mg = read_component(r_, o_.managed_size);
    if (!mg) return Unexpected{mg.error()};
    auto parts = fixed_parts();
    if (!parts) return parts;
    FlinkParts& p = *parts;
    p.task_heap = *th;
    p.managed = *mg;
    auto without_network = checked_sum({p.framework_heap.size, p.framework_off_heap.size, p.task_heap.size,
                                        p.task_off_heap.size, p.managed.size});
    if (!without_network) return Unexpected{without_network.error()};
    if (r_.contains(o_.flink_size)) {
      auto flink_total = r_.read(o_.flink_size);
      if (!flink_total) return Unexpected{flink_total.error()};
      if (*without_network > *flink_total) {
        return illegal_configuration("the sum of the configured " +
                      configured_without_network(p) +
                      " exceeds the configured " +
                      describe(Part{"Total Flink Memory", *flink_total, o_.flink_size.name.key}) +
                      "; reduce these components or increase the total");
      }
      const MemorySize network = MemorySize::of_bytes(flink_total->bytes() - without_network->bytes());
      if (auto ok = check_network_remainder(network, *flink_total, p); !ok) return Unexpected{ok.error()};
      p.network = Component{network, Provenance::kDerived, "taskmanager.memory.network.min/max"};
    } else {
      auto n = network_from_options(*without_network, true);
      if (!n) return Unexpected{n.error()};
      p.network = *n;
    }
    return parts;
  }

  std::string_view total_flink_source() const {
    return r_.contains(o_.flink_size) ? o_.flink_size.name.key : std::string_view("derived from the process size");
  }

 private:
  const ConfigReader& r_;
  FlinkVersion v_;
  const TaskManagerOptions& o_;
  std::vector<std::string>& notes_;
};

// CPU resources keep 8 decimals, rounded down (1.14+, BigDecimal scale 8).
double round_cpu_down(double cpu) {
  java::Decimal d = java::shortest_decimal(cpu);
  const int keep = d.point + 8;  // digits before the point plus 8 decimals
  if (keep >= static_cast<int>(d.digits.size())) return cpu;
  if (keep <= 0) return 0.0;
  const std::string text = d.digits.substr(0, static_cast<size_t>(keep)) + "e" + std::to_string(d.point - keep);
  return std::strtod(text.c_str(), nullptr);
}

// external-resources: a ';'-separated list (or a YAML list) of names, "none" for none. The names
// are views into the value's text: a 3 MiB list of one-letter names must not become a million
// strings.
std::vector<std::string_view> external_resource_names(const ConfigValue& value) {
  std::string_view text = value.text;
  char separator = ';';
  if (value.kind == ValueKind::kList && text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    separator = ',';
  }
  std::vector<std::string_view> names;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view name = java::trim(text.substr(start, end - start));
    if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'') && name.back() == name.front())
      name = name.substr(1, name.size() - 2);
    if (!name.empty()) names.push_back(name);
    start = end + 1;
  }
  return names;
}

Expected<std::vector<std::pair<std::string, int64_t>>> read_external_resources(const FlinkConfig& config) {
  std::vector<std::pair<std::string, int64_t>> resources;
  const ConfigValue* list = config.find("external-resources");
  if (list == nullptr || list->text == "none") return resources;
  // Flink de-duplicates the names in a LinkedHashSet: first occurrence wins, order kept. Hashed
  // here too, so a list of n names costs O(n), not O(n^2).
  // The views point into the configuration's text, which outlives them; nothing is moved.
  std::vector<std::string_view> names;
  {
    std::unordered_set<std::string_view> seen;
    for (std::string_view name : external_resource_names(*list)) {
      if (seen.insert(name).second) names.push_back(name);
    }
  }
  for (std::string_view name : names) {
    const std::string key = "external-resource." + std::string(name) + ".amount";
    const ConfigValue* amount = config.find(key);
    if (amount == nullptr) continue;  // Flink logs a warning and ignores the resource
    auto value = java::parse_long(amount->text);
    if (!value) {
      // A resource named like a secret ("external-resource.api-key.amount") keeps its value out.
      const std::string shown = is_sensitive_key(key) ? "" : " = '" + amount->text + "'";
      return illegal_configuration("cannot read " + key + shown + " as a whole number; write the amount, e.g. 1");
    }
    if (*value > 0) resources.emplace_back(std::string(name), *value);
  }
  std::vector<std::string> keys;
  for (const auto& r : resources) keys.push_back(r.first);
  std::vector<std::pair<std::string, int64_t>> ordered;
  for (size_t i : java::hash_map_order(keys)) ordered.push_back(resources[i]);
  return ordered;
}

}  // namespace

Expected<TaskManagerMemory> derive_taskmanager(const FlinkConfig& config, const DerivationContext& context) {
  const FlinkVersion& version = context.version;
  const TaskManagerOptions options = taskmanager_options(version);
  const ProcessMemoryOptions process_options = process_memory_options(options);
  TaskManagerMemory result;
  auto role_failed = [&process_options](const Error& e) { return Unexpected{role_failure(process_options.role, e)}; };

  auto mapped = map_legacy_heap(config, context, process_options, result.notes);
  if (!mapped) return role_failed(mapped.error());
  const ConfigReader reader(*mapped ? **mapped : config);
  const TaskManagerDerivation derivation(reader, version, options, result.notes);
  auto process = derive_process_memory(reader, process_options, derivation, version, result.notes);
  if (!process) return role_failed(process.error());
  const FlinkParts& parts = process->flink;
  result.framework_heap = parts.framework_heap;
  result.task_heap = parts.task_heap;
  result.framework_off_heap = parts.framework_off_heap;
  result.task_off_heap = parts.task_off_heap;
  result.network = parts.network;
  result.managed = parts.managed;
  result.jvm = process->jvm;
  result.path = process->path;

  // CPU cores (§4.5): explicit, else the deployment's fallback, else the number of slots.
  double cpu = 0;
  if (reader.contains(options.cpu_cores)) {
    auto c = reader.read(options.cpu_cores);
    if (!c) return role_failed(c.error());
    cpu = *c;
  } else {
    double fallback = -1.0;
    if (context.kubernetes_cpu_fallback) {
      auto k = reader.read(options.kubernetes_cpu);
      if (!k) return role_failed(k.error());
      fallback = *k;
    }
    if (fallback > 0.0) {
      cpu = fallback;
    } else {
      auto slots = reader.read(options.num_slots);
      if (!slots) return role_failed(slots.error());
      cpu = *slots;
    }
  }
  if (!(cpu > 0) || std::isinf(cpu)) {
    return role_failed(Error{ErrorCode::kIllegalConfiguration,
                      "TaskManagers need a positive, finite number of CPU cores, but " +
                          std::string(reader.contains(options.cpu_cores) ? options.cpu_cores.name.key
                                                                         : options.num_slots.name.key) +
                          " gives " + java::double_to_string(cpu) + "; set taskmanager.cpu.cores to e.g. 1.0"});
  }
  result.cpu_cores = version.at_least(1, 14) ? round_cpu_down(cpu) : cpu;
  auto slots = reader.read(options.num_slots);
  if (!slots) return role_failed(slots.error());
  result.num_slots = *slots;
  if (version.at_least(1, 13) && context.external_resources) {
    auto resources = read_external_resources(reader.config());
    if (!resources) return role_failed(resources.error());
    result.external_resources = std::move(*resources);
  }
  return result;
}

std::optional<DerivationPath> taskmanager_derivation_path(const FlinkConfig& config, const DerivationContext& context) {
  const TaskManagerOptions options = taskmanager_options(context.version);
  const ProcessMemoryOptions process_options = process_memory_options(options);
  std::vector<std::string> notes;
  auto mapped = map_legacy_heap(config, context, process_options, notes);
  if (!mapped) return std::nullopt;
  const ConfigReader reader(*mapped ? **mapped : config);
  return select_path(reader, process_options, TaskManagerDerivation(reader, context.version, options, notes));
}

MemorySize TaskManagerMemory::jvm_heap() const { return MemorySize::of_bytes(framework_heap.size.bytes() + task_heap.size.bytes()); }
MemorySize TaskManagerMemory::jvm_direct() const {
  return MemorySize::of_bytes(framework_off_heap.size.bytes() + task_off_heap.size.bytes() + network.size.bytes());
}
MemorySize TaskManagerMemory::flink_total() const {
  return MemorySize::of_bytes(jvm_heap().bytes() + jvm_direct().bytes() + managed.size.bytes());
}
MemorySize TaskManagerMemory::process_total() const {
  return MemorySize::of_bytes(flink_total().bytes() + jvm.metaspace.size.bytes() + jvm.overhead.size.bytes());
}

}  // namespace memguard::memmodel
