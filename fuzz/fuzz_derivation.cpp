// Structured fuzzer for the memory model: bytes -> a small Flink config of memory keys with fuzzed
// values, a version and a deployment context; derives both roles and aborts when a successful
// derivation breaks the model's invariants (components add up exactly, configured totals are kept,
// ranges hold, the JVM flags and -D properties say the same, and a process started with those -D
// properties derives the same memory again).
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "memmodel/config_options.h"
#include "memmodel/derivation.h"
#include "memmodel/derived_memory.h"
#include "memmodel/java_text.h"
#include "memmodel/memory_size.h"
#include "memmodel/process_memory.h"

namespace {

using namespace memguard::memmodel;  // NOLINT: a fuzz target, not a header

constexpr std::array<FlinkVersion, 16> kVersions{{{1, 10, 0}, {1, 10, 1}, {1, 11, 0}, {1, 12, 0}, {1, 12, 2},
                                                  {1, 13, 0}, {1, 14, 0}, {1, 15, 0}, {1, 16, 0}, {1, 17, 0},
                                                  {1, 18, 0}, {1, 19, 0}, {1, 20, 0}, {1, 20, 1}, {2, 0, 0},
                                                  {2, 1, 0}}};

// Every key the derivations read (own and fallback keys), so that most fuzzed entries matter.
constexpr std::array<std::string_view, 48> kKeys{
    "taskmanager.memory.process.size",          "taskmanager.memory.flink.size",
    "taskmanager.memory.framework.heap.size",   "taskmanager.memory.task.heap.size",
    "taskmanager.memory.framework.off-heap.size", "taskmanager.memory.task.off-heap.size",
    "taskmanager.memory.managed.size",          "taskmanager.memory.size",
    "taskmanager.memory.managed.fraction",      "taskmanager.memory.network.min",
    "taskmanager.network.memory.min",           "taskmanager.memory.network.max",
    "taskmanager.network.memory.max",           "taskmanager.memory.network.fraction",
    "taskmanager.network.memory.fraction",      "taskmanager.network.numberOfBuffers",
    "taskmanager.memory.segment-size",          "taskmanager.memory.jvm-metaspace.size",
    "taskmanager.memory.jvm-overhead.min",      "taskmanager.memory.jvm-overhead.max",
    "taskmanager.memory.jvm-overhead.fraction", "taskmanager.numberOfTaskSlots",
    "taskmanager.cpu.cores",                    "kubernetes.taskmanager.cpu.amount",
    "kubernetes.taskmanager.cpu",               "taskmanager.heap.size",
    "taskmanager.heap.mb",                      "external-resources",
    "external-resource.gpu.amount",             "external-resource.fpga.amount",
    "kubernetes.taskmanager.memory.limit-factor", "jobmanager.memory.process.size",
    "jobmanager.memory.flink.size",             "jobmanager.memory.heap.size",
    "jobmanager.memory.off-heap.size",          "jobmanager.memory.jvm-metaspace.size",
    "jobmanager.memory.jvm-overhead.min",       "jobmanager.memory.jvm-overhead.max",
    "jobmanager.memory.jvm-overhead.fraction",  "jobmanager.memory.enable-jvm-direct-memory-limit",
    "jobmanager.heap.size",                     "jobmanager.heap.mb",
    "kubernetes.jobmanager.memory.limit-factor", "containerized.heap-cutoff-ratio",
    "containerized.heap-cutoff-min",            "yarn.heap-cutoff-ratio",
    "taskmanager.memory.network.min",           "jobmanager.memory.process.size",
};

constexpr std::array<std::string_view, 12> kUnits{"", "b", "k", "kb", "m", "mb", "g", "gb", "t", " m", "MB", "bytes"};
constexpr std::array<double, 14> kFractions{0.0, 0.1, 0.4, 0.5, 0.25, 0.9, 0.99, 1.0, 1.5, -0.1, 1e-9, 0.3, 0.7, 2.0};

std::string fuzzed_size(FuzzedDataProvider& in) {
  int64_t number = 0;
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: number = in.ConsumeIntegralInRange<int64_t>(0, 4096); break;           // MiB-scale sizes
    case 1: number = in.ConsumeIntegralInRange<int64_t>(0, int64_t{1} << 34); break;  // byte-scale sizes
    case 2: number = in.ConsumeIntegral<int64_t>(); break;                          // anything, negative too
    default: number = int64_t{1} << in.ConsumeIntegralInRange(0, 62); break;       // powers of two
  }
  return std::to_string(number) + std::string(kUnits[in.ConsumeIntegralInRange<size_t>(0, kUnits.size() - 1)]);
}

std::string fuzzed_fraction(FuzzedDataProvider& in) {
  const double f = in.ConsumeBool() ? kFractions[in.ConsumeIntegralInRange<size_t>(0, kFractions.size() - 1)]
                                    : in.ConsumeFloatingPoint<double>();
  return in.ConsumeBool() ? java::double_to_string(f) : java::double_to_string(static_cast<double>(static_cast<float>(f)));
}

ConfigValue fuzzed_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
    case 1: return ConfigValue::string(fuzzed_size(in));
    case 2: {
      // A fraction, a float in config.yaml or a string in flink-conf.yaml.
      return ConfigValue{in.ConsumeBool() ? ValueKind::kFloat : ValueKind::kString, fuzzed_fraction(in)};
    }
    case 3: {
      const auto n = in.ConsumeIntegralInRange<int64_t>(-3, 1 << 20);
      return ConfigValue{in.ConsumeBool() ? ValueKind::kInteger : ValueKind::kString, std::to_string(n)};
    }
    default: return ConfigValue::string(in.ConsumeRandomLengthString(24));
  }
}

// Parses "-Xmx123 -Xms123 -XX:MaxDirectMemorySize=5 ..." for one flag's value.
std::optional<std::string> flag(const std::string& args, std::string_view name) {
  const std::string needle = std::string(name);
  size_t at = 0;
  while ((at = args.find(needle, at)) != std::string::npos) {
    if (at == 0 || args[at - 1] == ' ') {
      const size_t start = at + needle.size();
      return args.substr(start, args.find(' ', start) - start);
    }
    at += needle.size();
  }
  return std::nullopt;
}

int64_t checked_sum(std::initializer_list<MemorySize> sizes) {
  int64_t total = 0;
  for (MemorySize s : sizes) {
    FUZZ_CHECK(s.bytes() >= 0, "negative component: " + std::to_string(s.bytes()));
    FUZZ_CHECK(!__builtin_add_overflow(total, s.bytes(), &total), "components overflow 64 bits");
  }
  return total;
}

// The configured value of `key` as a size, when the config holds one that parses.
std::optional<MemorySize> configured(const FlinkConfig& config, std::string_view key) {
  const ConfigValue* value = config.find(key);
  if (value == nullptr) return std::nullopt;
  auto size = MemorySize::parse(value->text);
  if (!size) return std::nullopt;
  return *size;
}

bool has_legacy_heap(const FlinkConfig& config, const DerivationContext& context, std::string_view role) {
  return context.legacy_heap_env.has_value() || config.contains(std::string(role) + ".heap.size") ||
         config.contains(std::string(role) + ".heap.mb");
}

// What a process started with `-D k=v ...` sees: the config with the properties applied, after
// the shell dropped the double quotes around values.
FlinkConfig with_dynamic_properties(const FlinkConfig& config,
                                    const std::vector<std::pair<std::string, std::string>>& properties) {
  FlinkConfig overrides;
  for (const auto& [key, value] : properties) {
    std::string v = value;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    overrides.set(key, v);
  }
  FlinkConfig merged = config;
  merged.merge(overrides);
  return merged;
}

// `legacy`: a legacy heap key or FLINK_*_HEAP configures a component the config does not name.
void check_component(const ComponentRow& c, const FlinkConfig& config, bool legacy) {
  FUZZ_CHECK(c.size.bytes() >= 0);
  if (c.provenance == Provenance::kConfigured && !(legacy && !config.contains(c.key))) {
    // A configured component is exactly what its key says.
    auto value = configured(config, c.key);
    FUZZ_CHECK(value.has_value() && *value == c.size,
               "configured " + std::string(c.key) + " = " +
                   (config.find(c.key) ? config.find(c.key)->text : "(absent)") + ", derived " +
                   std::to_string(c.size.bytes()));
  }
}

// Either role: each component as configured (unless `components_as_configured` is off), Total
// Flink = the Flink parts, Total Process = Total Flink + the JVM parts (metaspace, overhead).
void check_rows(const DerivedMemory& d, const FlinkConfig& config, bool legacy, bool components_as_configured) {
  int64_t flink = 0;
  int64_t jvm = 0;
  for (const ComponentRow& c : d.components()) {
    if (components_as_configured) check_component(c, config, legacy);
    int64_t& total = c.kind == ComponentRow::Kind::kFlinkPart ? flink : jvm;
    total = checked_sum({MemorySize::of_bytes(total), c.size});
  }
  FUZZ_CHECK(flink == d.flink_total().bytes());
  FUZZ_CHECK(checked_sum({MemorySize::of_bytes(flink), MemorySize::of_bytes(jvm)}) == d.process_total().bytes());
}

void check_in_range(MemorySize size, const RangeFraction& range, const std::string& what) {
  FUZZ_CHECK(size >= range.min() && size <= range.max(), what + " = " + std::to_string(size.bytes()) + " outside [" +
                                                             std::to_string(range.min().bytes()) + ", " +
                                                             std::to_string(range.max().bytes()) + "]");
}

void check_container(Role role, MemorySize process, const FlinkConfig& config, const FlinkVersion& version) {
  auto container = container_memory(role, process, config, version);
  if (!container) return;
  FUZZ_CHECK(container->request_mib == process.mebibytes());
  FUZZ_CHECK(container->limit_mib >= container->request_mib && container->limit_factor >= 1.0);
  if (!version.at_least(1, 15)) FUZZ_CHECK(container->limit_mib == container->request_mib);
}

void check_taskmanager(const FlinkConfig& config, const DerivationContext& context, bool rederive) {
  auto derived = derive_memory(Role::kTaskManager, config, context);
  if (!derived) {
    FUZZ_CHECK(derived.error().code != memguard::ErrorCode::kInternal, derived.error().message);
    return;
  }
  const TaskManagerMemory& m = *derived->taskmanager;
  const bool legacy = has_legacy_heap(config, context, "taskmanager");
  check_rows(*derived, config, legacy, true);
  FUZZ_CHECK(m.jvm_heap().bytes() == checked_sum({m.framework_heap.size, m.task_heap.size}));
  FUZZ_CHECK(m.jvm_direct().bytes() == checked_sum({m.framework_off_heap.size, m.task_off_heap.size, m.network.size}));

  // Configured totals are kept exactly, whichever path derived the rest.
  if (auto total = configured(config, "taskmanager.memory.flink.size")) {
    FUZZ_CHECK(m.flink_total() == *total, "flink.size");
  }
  if (auto total = configured(config, "taskmanager.memory.process.size"); total && !legacy) {
    FUZZ_CHECK(m.process_total() == *total, "process.size");
  }
  // Overhead and network stay within their ranges (when the range is readable: it was read).
  const TaskManagerOptions o = taskmanager_options(context.version);
  const ConfigReader reader(config);
  if (auto range = read_range_fraction(reader, o.jvm_overhead_min, o.jvm_overhead_max, o.jvm_overhead_fraction, "o")) {
    check_in_range(m.jvm.overhead.size, *range, "JVM Overhead");
  }
  const bool legacy_network = !context.version.at_least(2, 0) && reader.contains(o.network_buffers) &&
                              !reader.contains(o.network_min) && !reader.contains(o.network_max) &&
                              !reader.contains(o.network_fraction);
  if (!legacy_network) {
    if (auto range = read_range_fraction(reader, o.network_min, o.network_max, o.network_fraction, "n")) {
      check_in_range(m.network.size, *range, "Network Memory");
    }
  }
  // Flink checks the double (> 0), then keeps 8 decimals rounded down: 1e-9 cores pass as 0.
  FUZZ_CHECK(m.cpu_cores >= 0 && std::isfinite(m.cpu_cores));

  // The JVM flags carry the same sizes.
  const std::string args = jvm_args(m);
  FUZZ_CHECK(flag(args, "-Xmx") == std::to_string(m.jvm_heap().bytes()), args);
  FUZZ_CHECK(flag(args, "-Xms") == std::to_string(m.jvm_heap().bytes()), args);
  FUZZ_CHECK(flag(args, "-XX:MaxDirectMemorySize=") == std::to_string(m.jvm_direct().bytes()), args);
  FUZZ_CHECK(flag(args, "-XX:MaxMetaspaceSize=") == std::to_string(m.jvm.metaspace.size.bytes()), args);

  // A TaskManager started with the -D properties derives the same memory (Flink relies on it).
  const auto properties = dynamic_properties(m, context.version);
  FUZZ_CHECK(!dynamic_properties_string(properties, context.version).empty());
  check_container(Role::kTaskManager, m.process_total(), config, context.version);
  // ...and writes taskmanager.cpu.cores=0.0 into the -D properties, which its own TaskManager
  // then refuses: no agreement to check there.
  if (!rederive || m.cpu_cores == 0) return;
  const FlinkConfig started = with_dynamic_properties(config, properties);
  auto again = derive_taskmanager(started, context);
  // Flink's MemorySize.multiply throws ArithmeticException when the JVM overhead's inverse fraction
  // of an exabyte-sized total overflows, and it does so for the -D properties it wrote itself: the
  // model failing the same way there is agreement, not a bug.
  if (!again && again.error().code == memguard::ErrorCode::kOverflow) return;
  FUZZ_CHECK(again.has_value(), "re-derivation from -D failed: " + (again ? std::string() : again.error().message));
  const TaskManagerMemory& n = *again;
  FUZZ_CHECK(n.framework_heap.size == m.framework_heap.size && n.task_heap.size == m.task_heap.size &&
                 n.framework_off_heap.size == m.framework_off_heap.size &&
                 n.task_off_heap.size == m.task_off_heap.size && n.network.size == m.network.size &&
                 n.managed.size == m.managed.size && n.jvm.metaspace.size == m.jvm.metaspace.size &&
                 n.jvm.overhead.size == m.jvm.overhead.size,
             "re-derivation from -D differs: " + jvm_args(n) + " vs " + jvm_args(m));
  FUZZ_CHECK(n.cpu_cores == m.cpu_cores && n.num_slots == m.num_slots,
             java::double_to_string(n.cpu_cores) + " vs " + java::double_to_string(m.cpu_cores));
}

void check_jobmanager(const FlinkConfig& config, const DerivationContext& context, bool rederive) {
  auto derived = derive_memory(Role::kJobManager, config, context);
  if (!derived) {
    FUZZ_CHECK(derived.error().code != memguard::ErrorCode::kInternal, derived.error().message);
    return;
  }
  const JobManagerMemory& m = *derived->jobmanager;
  // Flink 1.10's JobManager heap is whole MiB of jobmanager.heap.size/.mb, minus any cut-off.
  if (m.pre_flip116) FUZZ_CHECK(m.jvm_heap.size.bytes() % (1 << 20) == 0);
  const bool legacy = has_legacy_heap(config, context, "jobmanager");
  check_rows(*derived, config, legacy, !m.pre_flip116);
  check_container(Role::kJobManager, m.process_total(), config, context.version);
  const std::string args = jvm_args(m);
  if (m.pre_flip116) {
    FUZZ_CHECK(flag(args, "-Xmx") == std::to_string(m.jvm_heap.size.mebibytes()) + "m", args);
    return;
  }
  if (auto total = configured(config, "jobmanager.memory.flink.size"); total && !legacy) {
    FUZZ_CHECK(m.flink_total() == *total, "flink.size");
  }
  if (auto total = configured(config, "jobmanager.memory.process.size"); total && !legacy) {
    FUZZ_CHECK(m.process_total() == *total, "process.size");
  }
  const JobManagerOptions o = jobmanager_options(context.version);
  if (auto range = read_range_fraction(ConfigReader(config), o.jvm_overhead_min, o.jvm_overhead_max,
                                       o.jvm_overhead_fraction, "o")) {
    check_in_range(m.jvm.overhead.size, *range, "JVM Overhead");
  }
  FUZZ_CHECK(flag(args, "-Xmx") == std::to_string(m.jvm_heap.size.bytes()), args);
  FUZZ_CHECK(flag(args, "-XX:MaxMetaspaceSize=") == std::to_string(m.jvm.metaspace.size.bytes()), args);
  FUZZ_CHECK(flag(args, "-XX:MaxDirectMemorySize=") ==
                 (m.direct_memory_limit ? std::optional<std::string>(std::to_string(m.off_heap.size.bytes()))
                                        : std::nullopt),
             args);

  const auto properties = dynamic_properties(m, context.version);
  if (!rederive || properties.empty()) return;
  auto again = derive_jobmanager(with_dynamic_properties(config, properties), context);
  // Flink's MemorySize.multiply throws ArithmeticException when the JVM overhead's inverse fraction
  // of an exabyte-sized total overflows, and it does so for the -D properties it wrote itself: the
  // model failing the same way there is agreement, not a bug.
  if (!again && again.error().code == memguard::ErrorCode::kOverflow) return;
  FUZZ_CHECK(again.has_value(), "re-derivation from -D failed: " + (again ? std::string() : again.error().message));
  FUZZ_CHECK(again->jvm_heap.size == m.jvm_heap.size && again->off_heap.size == m.off_heap.size &&
                 again->jvm.metaspace.size == m.jvm.metaspace.size && again->jvm.overhead.size == m.jvm.overhead.size,
             "re-derivation from -D differs: " + jvm_args(*again) + " vs " + args);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  DerivationContext context;
  context.version = kVersions[in.ConsumeIntegralInRange<size_t>(0, kVersions.size() - 1)];
  context.legacy_heap = in.ConsumeBool() ? LegacyHeapTarget::kProcessTotal : LegacyHeapTarget::kDeploymentDefault;
  context.kubernetes_cpu_fallback = in.ConsumeBool();
  if (in.ConsumeIntegralInRange(0, 7) == 0) context.legacy_heap_env = fuzzed_size(in);

  FlinkConfig config;
  const int entries = in.ConsumeIntegralInRange(0, 10);
  for (int i = 0; i < entries && in.remaining_bytes() > 0; ++i) {
    const std::string key(kKeys[in.ConsumeIntegralInRange<size_t>(0, kKeys.size() - 1)]);
    config.set(key, fuzzed_value(in));
  }
  check_taskmanager(config, context, /*rederive=*/true);
  check_jobmanager(config, context, /*rederive=*/true);
  return 0;
}
