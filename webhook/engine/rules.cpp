// The rules: one function per finding over the derived memory, each writing the message a user needs
// to fix the manifest without our docs (role, consequence, breakdown, smallest fix).
#include "webhook/engine/rules.h"

#include <algorithm>
#include <climits>
#include <cstdio>

namespace memguard::engine {

namespace {

using memmodel::FlinkConfig;
using memmodel::MemorySize;
using memmodel::Role;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.front()))) out.erase(0, 1);
  return out;
}

std::optional<std::string> option(const FlinkConfig& config, std::string_view key) {
  const auto* value = config.find(key);
  if (value == nullptr) return std::nullopt;
  return value->text;
}

std::string title(const RoleInput& in) { return std::string(role_title(in.role)); }

// How to write a size into the field that sets the process size.
std::string size_in_field(const RoleInput& in, int64_t mib) {
  return std::to_string(mib) + (in.process_field_is_kubernetes ? "Mi" : "m");
}

std::string process_key(Role role) { return role_prefix(role) + ".memory.process.size"; }

// The smallest whole-MiB process size above `from_mib` that Flink accepts with everything else
// unchanged, if raising the process size fixes the configuration at all.
std::optional<int64_t> smallest_accepted_process_mib(FlinkConfig config, const memmodel::DerivationContext& context,
                                                     Role role, int64_t from_mib) {
  const std::string key = process_key(role);
  // The first probe reads everything; the later ones skip what no size changes (the external
  // resources: a list of any length in the request, read once instead of once per probe).
  memmodel::DerivationContext probe_context = context;
  auto accepted = [&](int64_t mib) {
    config.set(key, std::to_string(mib) + "m");
    return memmodel::derive_memory(role, config, probe_context).has_value();
  };
  constexpr int64_t kSearchCeilingMib = int64_t{1} << 22;  // 4 TiB: beyond any real container
  // A rejection that not even the ceiling cures (an inverted range, a fraction out of bounds, a
  // size pinned elsewhere, unreadable external resources) has no process-size fix. One probe says
  // so, where doubling up to the ceiling would derive the role, and word Flink's rejection, nine
  // times or more.
  if (from_mib >= kSearchCeilingMib || !accepted(kSearchCeilingMib)) return std::nullopt;
  probe_context.external_resources = false;
  int64_t hi = std::max<int64_t>(from_mib * 2, 1024);
  while (hi < kSearchCeilingMib && !accepted(hi)) hi *= 2;
  hi = std::min(hi, kSearchCeilingMib);  // accepted, probed first
  int64_t lo = from_mib;  // rejected (the configuration as given)
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (accepted(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

Finding make(FindingCode code, Role role) {
  Finding f;
  f.code = code;
  f.role = role;
  return f;
}

// memory-config-rejected: Flink's own error, what it means, and the smallest process size that works.
Finding rule_memory_config_rejected(const EffectiveConfig& eff, const RoleInput& in, const Error& error,
                                    bool search_fix = true) {
  Finding f = make(FindingCode::kMemoryConfigRejected, in.role);
  // Native Kubernetes (the operator): the JobManager's resource manager derives the TaskManager
  // memory from this configuration when it starts (ResourceManagerRuntimeServicesConfiguration ->
  // createDefaultWorkerResourceSpec), so a TaskManager configuration Flink rejects stops the
  // JobManager and no TaskManager pod is ever created. Standalone: each TaskManager derives its own.
  std::string consequence;
  if (in.role == Role::kJobManager) {
    consequence = "the JobManager fails at start and the deployment never comes up";
  } else if (in.flink_sizes_container) {
    consequence = "the JobManager fails at start when its resource manager computes the TaskManager memory "
                  "(its pod crash-loops and the deployment is reported failed), and no TaskManager is ever created";
  } else {
    consequence = "every TaskManager fails at start (crash loop) and the job never runs";
  }
  int64_t current_mib = 0;
  if (auto text = option(eff.config, process_key(in.role))) {
    if (auto size = MemorySize::parse(*text)) current_mib = size->mebibytes();
  }
  std::string fix;
  if (!search_fix) {
    fix = "lower " + in.process_field;
  } else if (auto mib = smallest_accepted_process_mib(eff.config, eff.context, in.role, current_mib)) {
    fix = "set " + in.process_field + " to at least " + size_in_field(in, *mib);
  } else {
    fix = "change the options named above in " + eff.config_origin;
  }
  std::string flink_error = error.message;
  if (!flink_error.empty() && flink_error.back() != '.') flink_error += '.';
  f.message = title(in) + ": Flink rejects this memory configuration, so " + consequence + ": " + flink_error +
              " Fix: " + fix + ".";
  f.warning = title(in) + " memory rejected by Flink (fails at start); " + fix;
  return f;
}

// limit-below-request: Flink refuses a memory limit factor below 1 when it builds the pod.
Finding rule_limit_factor(const EffectiveConfig& eff, const RoleInput& in, const Error& error) {
  Finding f = make(FindingCode::kLimitBelowRequest, in.role);
  std::string source = in.limit_factor_source.empty() ? "the configuration" : in.limit_factor_source;
  f.message = title(in) + ": the container memory limit factor from " + source +
              " is below 1 (limit below request), which Flink refuses when it creates the pod, so the " + title(in) +
              " is never started (" + error.message + "). Fix: make the memory limit at least the request (factor >= 1).";
  f.warning = title(in) + ": memory limit factor below 1 (from " + source + "); Flink refuses to create the pod";
  (void)eff;
  return f;
}

Finding rule_process_exceeds_limit(const EffectiveConfig& eff, const RoleInput& in, const DerivedRole& derived,
                                   int64_t limit_bytes, const std::string& limit_source, const Settings& settings) {
  Finding f = make(FindingCode::kProcessExceedsLimit, in.role);
  int64_t process = derived.process_total().bytes();
  int64_t headroom = settings.limit_headroom.bytes();
  int64_t needed_mib = (process + headroom + kMiB - 1) / kMiB;
  std::string what = headroom > 0 ? "total process memory plus the required headroom of " + format_mib(headroom)
                                  : "total process memory";
  std::string fix = "raise the container memory limit to at least " + std::to_string(needed_mib) + "Mi";
  // Offer the other direction only when Flink accepts it.
  int64_t fitting_mib = (limit_bytes - headroom) / kMiB;
  if (fitting_mib > 0) {
    FlinkConfig lowered = eff.config;
    lowered.set(process_key(in.role), std::to_string(fitting_mib) + "m");
    if (memmodel::derive_memory(in.role, lowered, eff.context)) {
      fix += ", or set " + process_key(in.role) + " to " + std::to_string(fitting_mib) + "m";
    }
  }
  f.message = title(in) + ": " + what + " exceeds the container memory limit " + format_mib(limit_bytes) + " (" +
              limit_source + "): " + breakdown(derived) +
              ". The JVM will use memory the container does not have, and the kernel OOM-kills it (exit 137). Fix: " +
              fix + ".";
  f.warning = title(in) + ": process " + format_mib(process) + " exceeds container limit " + format_mib(limit_bytes) +
              "; " + fix;
  return f;
}

Finding rule_process_not_whole_mib(const EffectiveConfig& eff, const RoleInput& in, const DerivedRole& derived) {
  Finding f = make(FindingCode::kProcessSizeNotWholeMib, in.role);
  int64_t process = derived.process_total().bytes();
  int64_t floor_mib = process / kMiB;
  std::string shortfall = format_mib(process - floor_mib * kMiB);
  f.message = title(in) + ": " + in.process_field + " gives a process size of " + format_mib(process) +
              ", not a whole MiB; Flink sizes the container to " + std::to_string(floor_mib) + "Mi, " + shortfall +
              " less than the JVM plans to use. Fix: set it to " + size_in_field(in, floor_mib) + ".";
  f.warning = in.process_field + ": process size " + format_mib(process) + " is not a whole MiB; the container gets " +
              std::to_string(floor_mib) + "Mi; use " + size_in_field(in, floor_mib);
  if (in.process_pointer && floor_mib > 0) {
    // Rounding down keeps the process inside the container Flink creates; only offer it if Flink
    // still accepts the configuration at the rounded size.
    FlinkConfig rounded = eff.config;
    rounded.set(process_key(in.role), std::to_string(floor_mib) + "m");
    if (memmodel::derive_memory(in.role, rounded, eff.context)) {
      std::string value = size_in_field(in, floor_mib);
      f.fix.push_back(admission::PatchOperation::replace_string(*in.process_pointer, value));
      if (in.process_twin_pointer) f.fix.push_back(admission::PatchOperation::replace_string(*in.process_twin_pointer, value));
      f.fix_kind = FixKind::kCorrection;
      f.fix_warning = in.process_field + ": rounded down to " + value + ", the container size Flink creates";
    }
  }
  return f;
}

struct RocksdbKeys {
  std::string managed, fixed_per_slot, fixed_per_tm;
};
RocksdbKeys rocksdb_keys(StateBackend backend) {
  std::string prefix = backend == StateBackend::kForst ? "state.backend.forst.memory." : "state.backend.rocksdb.memory.";
  return {prefix + "managed", prefix + "fixed-per-slot", prefix + "fixed-per-tm"};
}

std::optional<Finding> rule_rocksdb_unmanaged(const EffectiveConfig& eff, const DerivedRole& derived,
                                              StateBackend backend) {
  auto keys = rocksdb_keys(backend);
  auto managed = option(eff.config, keys.managed);
  if (!managed || lower(*managed) != "false") return std::nullopt;
  // A fixed budget (per slot, or per TaskManager since 1.17) still bounds RocksDB.
  if (eff.config.contains(keys.fixed_per_slot)) return std::nullopt;
  if (eff.context.version.at_least(1, 17)) {
    if (auto per_tm = option(eff.config, keys.fixed_per_tm)) {
      auto size = MemorySize::parse(*per_tm);
      if (size && size->bytes() > 0) return std::nullopt;
    }
  }
  Finding f = make(FindingCode::kRocksdbUnmanagedMemory, Role::kTaskManager);
  f.message = "TaskManager: " + keys.managed + " is false, so RocksDB allocates native memory outside Flink's budget "
              "with no bound; the container (" + breakdown(derived) +
              ") is then exceeded under state growth and OOM-killed. Fix: remove " + keys.managed +
              " (default true) or set " + keys.fixed_per_slot + ".";
  f.warning = eff.config_origin + "." + keys.managed + ": false leaves RocksDB native memory unbounded (OOM kills); "
              "remove it or set " + keys.fixed_per_slot;
  return f;
}

std::optional<Finding> rule_rocksdb_zero_managed(const EffectiveConfig& eff, const DerivedRole& derived,
                                                 StateBackend backend) {
  if (!derived.taskmanager || derived.taskmanager->managed.size.bytes() != 0) return std::nullopt;
  auto keys = rocksdb_keys(backend);
  auto managed = option(eff.config, keys.managed);
  if (managed && lower(*managed) == "false") return std::nullopt;  // RocksDB does not use managed memory then
  if (eff.config.contains(keys.fixed_per_slot)) return std::nullopt;
  Finding f = make(FindingCode::kRocksdbZeroManagedMemory, Role::kTaskManager);
  f.message = "TaskManager: RocksDB takes its memory from managed memory, which is 0 here (" + breakdown(derived) +
              "), so its block cache and write buffers get no budget and state access crawls or fails. Fix: give "
              "managed memory a size (taskmanager.memory.managed.fraction, default 0.4, or "
              "taskmanager.memory.managed.size).";
  f.warning = "TaskManager: RocksDB state backend with 0 managed memory; set taskmanager.memory.managed.fraction or .size";
  return f;
}

std::optional<Finding> rule_heap_backend_managed(const EffectiveConfig& eff, const RoleInput& in,
                                                 const DerivedRole& derived) {
  if (!derived.taskmanager || derived.taskmanager->managed.size.bytes() == 0) return std::nullopt;
  const auto& tm = *derived.taskmanager;
  Finding f = make(FindingCode::kHeapBackendManagedMemory, Role::kTaskManager);
  std::string managed = format_mib(tm.managed.size.bytes());
  f.message = "TaskManager: the heap (hashmap) state backend in streaming mode does not use managed memory, so " +
              managed + " of the container stay unused (" + breakdown(derived) +
              "). Fix: set taskmanager.memory.managed.size: 0 to give it to the task heap (unless the job runs "
              "Python UDFs, which use managed memory).";
  f.warning = "TaskManager: heap state backend in streaming mode leaves " + managed +
              " managed memory unused; set taskmanager.memory.managed.size: 0";
  auto patch = set_config_option(eff, "taskmanager.memory.managed.size", "0");
  if (patch) {
    FlinkConfig tuned = eff.config;
    tuned.set("taskmanager.memory.managed.size", "0");
    auto after = memmodel::derive_memory(Role::kTaskManager, tuned, eff.context);
    // Only when Flink accepts the tuned configuration and the process does not grow.
    if (after && after->process_total() <= derived.process_total()) {
      f.fix.push_back(*patch);
      f.fix_kind = FixKind::kTuning;
      f.fix_warning = "spec.flinkConfiguration.taskmanager.memory.managed.size: set to 0 (heap state backend in "
                      "streaming mode); " + managed + " move to the task heap";
    }
  }
  (void)in;
  return f;
}

std::optional<Finding> rule_jvm_overhead(const EffectiveConfig& eff, const RoleInput& in, const DerivedRole& derived,
                                         const Settings& settings) {
  if (derived.overhead() >= settings.jvm_overhead_minimum) return std::nullopt;
  Finding f = make(FindingCode::kJvmOverheadBelowDefault, in.role);
  std::string key = role_prefix(in.role) + ".memory.jvm-overhead.min";
  std::string minimum = format_mib(settings.jvm_overhead_minimum.bytes());
  f.message = title(in) + ": JVM overhead is " + format_mib(derived.overhead().bytes()) + ", below " + minimum +
              " (Flink's default minimum): thread stacks, code cache, GC and native libraries have little room, a "
              "common cause of OOM kills (" + breakdown(derived) + "). Fix: remove the lower " + key +
              " or raise the process size.";
  f.warning = title(in) + ": JVM overhead " + format_mib(derived.overhead().bytes()) + " is below " + minimum +
              " (Flink's default minimum); raise " + key + " in " + eff.config_origin;
  return f;
}

}  // namespace

std::string breakdown(const DerivedRole& d) {
  std::string out = "total process " + format_mib(d.process_total().bytes()) + " = total Flink " +
                    format_mib(d.flink_total().bytes()) + " + JVM metaspace " + format_mib(d.metaspace().bytes()) +
                    " + JVM overhead " + format_mib(d.overhead().bytes());
  bool first = true;
  for (const memmodel::ComponentRow& row : d.components()) {
    if (row.kind != memmodel::ComponentRow::Kind::kFlinkPart) continue;
    out += first ? " (total Flink = " : " + ";
    first = false;
    out.append(row.phrase).append(" ").append(format_mib(row.size.bytes()));
  }
  if (!first) out += ")";
  return out;
}

StateBackend state_backend(const FlinkConfig& config, const memmodel::FlinkVersion& version) {
  std::optional<std::string> value;
  // 1.17+ reads state.backend.type and falls back to the deprecated state.backend; before, only state.backend.
  if (version.at_least(1, 17)) value = option(config, "state.backend.type");
  if (!value) value = option(config, "state.backend");
  if (!value) return StateBackend::kHeap;  // unset: hashmap (MemoryStateBackend before 1.13, also on the heap)
  std::string name = lower(*value);
  if (name == "hashmap") return StateBackend::kHeap;
  if (name == "jobmanager" || name == "filesystem") {
    return version.at_least(2, 0) ? StateBackend::kUnknown : StateBackend::kHeap;
  }
  if (name == "rocksdb") return StateBackend::kRocksdb;
  if (name == "forst" && version.at_least(2, 0)) return StateBackend::kForst;
  if (name.find("rocksdb") != std::string::npos) return StateBackend::kRocksdb;  // a factory class name
  return StateBackend::kUnknown;
}

bool streaming_mode(const FlinkConfig& config) {
  auto mode = option(config, "execution.runtime-mode");
  return !mode || lower(*mode) == "streaming";
}

std::vector<Finding> evaluate_role(const EffectiveConfig& eff, const RoleInput& in, const Settings& settings) {
  return evaluate_role(eff, in, memmodel::derive_memory(in.role, eff.config, eff.context), settings);
}

std::vector<Finding> evaluate_role(const EffectiveConfig& eff, const RoleInput& in, const Expected<DerivedRole>& derived,
                                   const Settings& settings) {
  std::vector<Finding> out;
  if (!derived) {
    out.push_back(rule_memory_config_rejected(eff, in, derived.error()));
    return out;
  }

  // The container: sized by Flink (native Kubernetes, the operator), or declared for it.
  std::optional<int64_t> limit_bytes;
  std::string limit_source;
  std::optional<memmodel::ContainerMemory> flink_sized;  // described only if a finding quotes it
  if (in.declared_limit_bytes) {
    limit_bytes = in.declared_limit_bytes;
    limit_source = in.declared_limit_source;
  } else if (in.flink_sizes_container) {
    auto container = memmodel::container_memory(in.role, derived->process_total(), eff.config, eff.context.version);
    if (!container && derived->process_total().mebibytes() > INT32_MAX) {
      // Flink's checked int cast of the MiB count fails before any factor is looked at.
      out.push_back(rule_memory_config_rejected(eff, in, container.error(), false));
      return out;
    }
    if (!container) {
      bool already = std::any_of(eff.findings.begin(), eff.findings.end(), [&](const Finding& f) {
        return f.code == FindingCode::kLimitBelowRequest && f.role == in.role;
      });
      if (!already) out.push_back(rule_limit_factor(eff, in, container.error()));
    } else {
      limit_bytes = container->limit_mib * kMiB;
      flink_sized = *container;
    }
    if (derived->process_total().bytes() % kMiB != 0) out.push_back(rule_process_not_whole_mib(eff, in, *derived));
  }
  if (limit_bytes) {
    // Compare the whole MiB of the process: a container cut to the floor MiB by Flink is the
    // not-whole-MiB finding, not this one.
    int64_t process_floor = derived->process_total().bytes() / kMiB * kMiB;
    if (process_floor + settings.limit_headroom.bytes() > *limit_bytes) {
      if (flink_sized) {
        char factor[32];
        std::snprintf(factor, sizeof factor, "%g", flink_sized->limit_factor);
        limit_source = "the limit Flink sets: " + std::to_string(flink_sized->request_mib) + "Mi x limit factor " + factor;
      }
      out.push_back(rule_process_exceeds_limit(eff, in, *derived, *limit_bytes, limit_source, settings));
    }
  }

  if (in.role == Role::kTaskManager) {
    StateBackend backend = state_backend(eff.config, eff.context.version);
    if (backend == StateBackend::kRocksdb || backend == StateBackend::kForst) {
      if (auto f = rule_rocksdb_unmanaged(eff, *derived, backend)) out.push_back(std::move(*f));
      if (auto f = rule_rocksdb_zero_managed(eff, *derived, backend)) out.push_back(std::move(*f));
    } else if (backend == StateBackend::kHeap && streaming_mode(eff.config)) {
      if (auto f = rule_heap_backend_managed(eff, in, *derived)) out.push_back(std::move(*f));
    }
  }
  if (auto f = rule_jvm_overhead(eff, in, *derived, settings)) out.push_back(std::move(*f));
  return out;
}

}  // namespace memguard::engine
