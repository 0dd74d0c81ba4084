// The rules: one judgement per finding over the derived memory, each returning the finding's facts
// (finding_texts.h words them: role, consequence, breakdown, smallest fix).
#include "webhook/engine/rules.h"

#include <algorithm>
#include <climits>
#include <cstdio>

#include "memmodel/config_options.h"
#include "memmodel/quantity.h"
#include "support/ascii_text.h"
#include "webhook/engine/finding_texts.h"

namespace memguard::engine {

namespace {

using memmodel::FlinkConfig;
using memmodel::MemorySize;
using memmodel::Role;

// An option's word as the rules compare it: without surrounding white space, in lower case.
std::string lower_trimmed(std::string_view text) { return ascii::lower(ascii::trim(text)); }

std::optional<std::string> option(const FlinkConfig& config, std::string_view key) {
  const auto* value = config.find(key);
  if (value == nullptr) return std::nullopt;
  return value->text;
}

bool batch_mode(const FlinkConfig& config) {
  auto mode = option(config, "execution.runtime-mode");
  return mode && lower_trimmed(*mode) == "batch";
}

// The key this version reads the state backend from, and its value (nullopt: none set).
std::optional<std::pair<std::string, std::string>> backend_option(const FlinkConfig& config,
                                                                  const memmodel::FlinkVersion& version) {
  // 1.17+ reads state.backend.type and falls back to the deprecated state.backend
  // (StateBackendOptions.STATE_BACKEND withDeprecatedKeys); before, only state.backend exists.
  if (version.at_least(1, 17)) {
    if (auto value = option(config, "state.backend.type")) return std::pair{std::string("state.backend.type"), *value};
  }
  if (auto value = option(config, "state.backend")) return std::pair{std::string("state.backend"), *value};
  return std::nullopt;
}

std::string process_key(Role role) { return role_prefix(role) + ".memory.process.size"; }
std::string flink_size_key(Role role) { return role_prefix(role) + ".memory.flink.size"; }

// Flink accepts `mib` as the process size once *.memory.flink.size is removed (the tuning guide's
// advice for containers).
bool accepted_without_flink_size(FlinkConfig config, const memmodel::DerivationContext& context, Role role,
                                 int64_t mib) {
  config.erase(flink_size_key(role));
  config.set(process_key(role), std::to_string(mib) + "m");
  return memmodel::derive_memory(role, config, context).has_value();
}

FlinkConfig with_edits(FlinkConfig config, const std::vector<facts::OptionEdit>& edits) {
  for (const auto& e : edits) {
    if (e.value) config.set(e.key, *e.value);
    else config.erase(e.key);
  }
  return config;
}

// Divides before rounding up: `bytes + kMiB - 1` overflows for the saturated sums a fixed RocksDB
// budget can reach (UBSan caught INT64_MAX + 1 MiB).
std::string ceil_mib_option(int64_t bytes) { return std::to_string(bytes / kMiB + (bytes % kMiB > 0 ? 1 : 0)) + "m"; }

// Acceptance is not monotonic in the process size when fine-grained components are pinned (a
// TaskManager's task heap and managed sizes, a JobManager's heap): the network memory (or the JVM
// overhead) takes what they leave and must stay within its min/max, so only a window of sizes works
// and the ceiling is rejected. Walk up in steps of 1/16 for its first accepted size, then bisect to
// its lower edge. The window is that range wide (1g - 64m by default for network, 1g - 192m for
// overhead), so the steps cannot jump over it below ~13 GiB. The walk skips the external resources
// (read once, by the final check).
std::optional<int64_t> accepted_window_start(FlinkConfig config, const memmodel::DerivationContext& context, Role role,
                                             int64_t from_mib, int64_t ceiling_mib) {
  const std::string key = process_key(role);
  memmodel::DerivationContext probe_context = context;
  probe_context.external_resources = false;
  auto accepted = [&](int64_t mib, const memmodel::DerivationContext& ctx) {
    config.set(key, std::to_string(mib) + "m");
    return memmodel::derive_memory(role, config, ctx).has_value();
  };
  int64_t lo = std::max<int64_t>(from_mib, 1);
  for (int64_t mib = lo + std::max<int64_t>(lo / 16, 1); mib < ceiling_mib; mib += std::max<int64_t>(mib / 16, 1)) {
    if (!accepted(mib, probe_context)) {
      lo = mib;
      continue;
    }
    int64_t hi = mib;
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      if (accepted(mid, probe_context)) hi = mid;
      else lo = mid;
    }
    if (!accepted(hi, context)) return std::nullopt;
    return hi;
  }
  return std::nullopt;
}

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
  if (from_mib >= kSearchCeilingMib) return std::nullopt;
  if (!accepted(kSearchCeilingMib)) {
    // Only pinned sizes make a window; any other rejection at the ceiling is one no size cures, and
    // is answered without the walk's hundred-odd derivations.
    bool pinned = role == Role::kTaskManager ? config.contains("taskmanager.memory.task.heap.size") &&
                                                   config.contains("taskmanager.memory.managed.size")
                                             : config.contains("jobmanager.memory.heap.size");
    if (!pinned) return std::nullopt;
    return accepted_window_start(config, context, role, from_mib, kSearchCeilingMib);
  }
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

// The edits that set the process size to `mib` where it is set: a FlinkDeployment's resource.memory
// (or resources.requests.memory, with its limit when the limit would fall below it), a file's option.
// Empty where no edit of ours reaches it (FLINK_PROPERTIES, -D arguments, a nested option).
SuggestedFix raise_process_edits(const EffectiveConfig& eff, const RoleInput& in, int64_t mib) {
  SuggestedFix out;
  if (in.process_source.kind == Source::Kind::kField) {
    std::string value = std::to_string(mib) + "Mi";
    admission::Pointer field = in.process_pointer ? *in.process_pointer
                                                  : admission::Pointer{"spec", in.role == Role::kJobManager ? "jobManager"
                                                                                                            : "taskManager",
                                                                       "resource", "memory"};
    out.push_back(SuggestedEdit::field(field, value));
    if (in.process_twin_pointer) {
      out.push_back(SuggestedEdit::field(*in.process_twin_pointer, value));
    } else if (in.limit_field_pointer && in.limit_field_bytes < mib * kMiB) {
      out.push_back(SuggestedEdit::field(*in.limit_field_pointer, value));
    }
  } else if (in.process_source.kind == Source::Kind::kOption && in.process_source.where == eff.config_origin) {
    out.push_back(SuggestedEdit::option(in.process_source.name, eff.config_origin, std::to_string(mib) + "m"));
  }
  return out;
}

// memory-config-rejected: Flink's own error, and the smallest process size that works.
Finding rule_memory_config_rejected(const EffectiveConfig& eff, const RoleInput& in, const Error& error,
                                    bool search_fix = true) {
  facts::RejectedByFlink f{.role = in.role, .flink_error = error.message, .process = in.process_source,
                          .flink_sizes_container = in.flink_sizes_container};
  f.process_key_from_field = in.process_source.kind == Source::Kind::kField && eff.config.contains(process_key(in.role));
  int64_t current_mib = 0;
  if (auto text = option(eff.config, process_key(in.role))) {
    if (auto size = MemorySize::parse(*text)) current_mib = size->mebibytes();
  }
  if (!search_fix) {
    f.fix = facts::RejectedByFlink::Fix::kLowerProcess;
  } else if (auto mib = smallest_accepted_process_mib(eff.config, eff.context, in.role, current_mib)) {
    f.fix = facts::RejectedByFlink::Fix::kRaiseProcessTo;
    f.accepted_process_mib = *mib;
    f.raise = raise_process_edits(eff, in, *mib);
  } else {
    f.fix = facts::RejectedByFlink::Fix::kChangeOptions;
    f.config_origin = eff.config_origin;
    // Named, so the warning (which has no Flink error above it) says what to change.
    const std::string memory = role_prefix(in.role) + ".memory.", heap = role_prefix(in.role) + ".heap.";
    for (const auto& [key, value] : eff.config.entries()) {
      // The process size a field sets (resource.memory) is that field's, named as the fix's source.
      if (key == process_key(in.role) && in.process_source.kind == Source::Kind::kField) continue;
      if (key.rfind(memory, 0) == 0 || key.rfind(heap, 0) == 0) f.options.push_back(key);
    }
  }
  return make_finding(f);
}

// limit-below-request: Flink refuses a memory limit factor below 1 when it builds the pod, and fails
// on one it cannot read as a number there too; the words say which.
Finding rule_limit_factor(const EffectiveConfig& eff, const RoleInput& in, const Error& error) {
  const std::string key = "kubernetes." + role_prefix(in.role) + ".memory.limit-factor";
  const bool unreadable = !memmodel::ConfigReader(eff.config).read(memmodel::DoubleOption{{key}, 1.0}).has_value();
  return make_finding(facts::LimitFactorBelowOne{in.role, in.limit_factor_source, error.message, unreadable});
}

// The smallest limit factor, in thousandths, whose limit Flink computes as at least `needed_mib`:
// (int)(request x factor) MiB, checked with Flink's own arithmetic (memmodel::container_memory).
std::optional<std::pair<std::string, int64_t>> limit_factor_for(const EffectiveConfig& eff, Role role,
                                                                const DerivedRole& derived, int64_t needed_mib) {
  const std::string key = "kubernetes." + role_prefix(role) + ".memory.limit-factor";
  int64_t request_mib = derived.process_total().mebibytes();
  if (request_mib <= 0) return std::nullopt;
  int64_t thousandths = (needed_mib * 1000 + request_mib - 1) / request_mib;
  for (int step = 0; step < 8; ++step, ++thousandths) {
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(thousandths / 1000),
                  static_cast<long long>(thousandths % 1000));
    std::string value = text;
    while (value.back() == '0') value.pop_back();
    if (value.back() == '.') value.pop_back();
    FlinkConfig config = eff.config;
    config.set(key, value);
    auto container = memmodel::container_memory(role, derived.process_total(), config, eff.context.version);
    if (container && container->limit_mib >= needed_mib) return std::pair{value, container->limit_mib};
  }
  return std::nullopt;
}

// A FlinkDeployment's resources.limits.memory that makes the operator's factor (limit / request, in
// Kubernetes quantities) give a limit of at least `needed_mib`.
std::optional<std::pair<std::string, int64_t>> limit_field_for(const EffectiveConfig& eff, const RoleInput& in,
                                                               const DerivedRole& derived, int64_t needed_mib) {
  const std::string key = "kubernetes." + role_prefix(in.role) + ".memory.limit-factor";
  if (in.request_kubernetes_milli <= 0) return std::nullopt;
  for (int64_t mib = needed_mib; mib < needed_mib + 8; ++mib) {
    double factor = static_cast<double>(mib * kMiB) * 1000.0 / static_cast<double>(in.request_kubernetes_milli);
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", factor);
    FlinkConfig config = eff.config;
    config.set(key, text);
    auto container = memmodel::container_memory(in.role, derived.process_total(), config, eff.context.version);
    if (container && container->limit_mib >= needed_mib) return std::pair{std::to_string(mib) + "Mi", container->limit_mib};
  }
  return std::nullopt;
}

Finding rule_process_exceeds_limit(const EffectiveConfig& eff, const RoleInput& in, const DerivedRole& derived,
                                   int64_t limit_bytes, Source limit_source, const Settings& settings,
                                   bool flink_sized) {
  facts::ProcessExceedsLimit f{.role = in.role, .derived = &derived, .limit_bytes = limit_bytes,
                               .headroom_bytes = settings.limit_headroom.bytes(), .limit = std::move(limit_source)};
  if (flink_sized) {
    // Only the headroom can be missing (the limit is at least the request); the factor gives it.
    f.flink_sized = true;
    int64_t needed_mib = (derived.process_total().bytes() / kMiB * kMiB + f.headroom_bytes + kMiB - 1) / kMiB;
    if (!eff.context.version.at_least(1, 15)) {
      f.version = eff.context.version.to_string();
    } else if (in.limit_field_pointer) {
      if (auto limit = limit_field_for(eff, in, derived, needed_mib)) {
        f.raise_limit = SuggestedEdit::field(*in.limit_field_pointer, limit->first);
        f.raised_limit_mib = limit->second;
      }
    } else if (auto factor = limit_factor_for(eff, in.role, derived, needed_mib)) {
      f.raise_limit = SuggestedEdit::option("kubernetes." + role_prefix(in.role) + ".memory.limit-factor",
                                            eff.config_origin, factor->first);
      f.raised_limit_mib = factor->second;
    }
    return make_finding(f);
  }
  f.declared_limit_field = in.declared_limit_pointer;
  // Offer the other direction only when Flink accepts it.
  int64_t fitting_mib = (limit_bytes - f.headroom_bytes) / kMiB;
  if (fitting_mib > 0) {
    FlinkConfig lowered = eff.config;
    lowered.set(process_key(in.role), std::to_string(fitting_mib) + "m");
    if (memmodel::derive_memory(in.role, lowered, eff.context)) {
      f.accepted_lower_process_mib = fitting_mib;
    } else if (eff.config.contains(flink_size_key(in.role)) &&
               accepted_without_flink_size(eff.config, eff.context, in.role, fitting_mib)) {
      f.process_instead_of_flink_size_mib = fitting_mib;
    }
  }
  // A file edit sets the process size unless FLINK_PROPERTIES or -D arguments override it.
  if (in.process_source.kind == Source::Kind::kOption && in.process_source.where == eff.config_origin) {
    f.options_file = eff.config_origin;
  }
  // Standalone sizes come from three places; say which one set this container's process size.
  if (in.process_source_named && eff.config.contains(process_key(in.role))) f.process_set_by = in.process_source;
  return make_finding(f);
}

// The options Flink derived the process size from when none is configured (Flink's order: the
// fine-grained components, then *.memory.flink.size; the operator maps the legacy heap key onto the
// process size), or none when a process size is configured and `in.process_source` names it.
std::vector<std::string> process_sizing_keys(const EffectiveConfig& eff, Role role) {
  if (eff.config.contains(process_key(role))) return {};
  if (eff.config.contains(flink_size_key(role))) return {flink_size_key(role)};
  const std::string prefix = role_prefix(role);
  std::vector<std::string> candidates =
      role == Role::kTaskManager
          ? std::vector<std::string>{"taskmanager.memory.task.heap.size", "taskmanager.memory.managed.size"}
          : std::vector<std::string>{"jobmanager.memory.heap.size"};
  std::vector<std::string> keys;
  for (const auto& key : candidates) {
    if (eff.config.contains(key)) keys.push_back(key);
  }
  if (keys.empty()) {
    for (const std::string& key : {prefix + ".heap.size", prefix + ".heap.mb"}) {
      if (eff.config.contains(key)) keys.push_back(key);
    }
  }
  return keys;
}

Finding rule_process_not_whole_mib(const EffectiveConfig& eff, const RoleInput& in, const DerivedRole& derived) {
  facts::ProcessSizeNotWholeMib f{.role = in.role, .process = in.process_source,
                                  .process_bytes = derived.process_total().bytes()};
  int64_t floor_mib = f.process_bytes / kMiB;
  if (auto keys = process_sizing_keys(eff, in.role); !keys.empty()) {
    // No process size is configured: the fix configures one (what the container gets now) instead.
    std::string names;
    for (const auto& key : keys) names += (names.empty() ? "" : " and ") + key;
    f.process = Source::option(names, eff.config_origin);
    f.sizing_keys = keys;
    FlinkConfig instead = eff.config;
    for (const auto& key : keys) instead.erase(key);
    instead.set(process_key(in.role), std::to_string(floor_mib) + "m");
    if (floor_mib > 0 && memmodel::derive_memory(in.role, instead, eff.context)) {
      f.process_size_instead = eff.config_patchable ? in.process_source : Source::option(process_key(in.role), eff.config_origin);
    }
    return make_finding(f);
  }
  std::vector<admission::PatchOperation> fix;
  if (in.process_pointer && floor_mib > 0) {
    // Rounding down keeps the process inside the container Flink creates; only offer it if Flink
    // still accepts the configuration at the rounded size.
    FlinkConfig rounded = eff.config;
    rounded.set(process_key(in.role), std::to_string(floor_mib) + "m");
    if (memmodel::derive_memory(in.role, rounded, eff.context)) {
      std::string value = size_in(in.process_source, floor_mib);
      fix.push_back(admission::PatchOperation::replace_string(*in.process_pointer, value));
      if (in.process_twin_pointer) fix.push_back(admission::PatchOperation::replace_string(*in.process_twin_pointer, value));
      f.patched = true;
    }
  }
  Finding finding = make_finding(f);
  if (f.patched) {
    finding.fix = std::move(fix);
    finding.fix_kind = FixKind::kCorrection;
  }
  return finding;
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
  if (!managed || lower_trimmed(*managed) != "false") return std::nullopt;
  // A fixed budget (per slot, or per TaskManager since 1.17) still bounds RocksDB.
  if (eff.config.contains(keys.fixed_per_slot)) return std::nullopt;
  if (eff.context.version.at_least(1, 17)) {
    if (auto per_tm = option(eff.config, keys.fixed_per_tm)) {
      auto size = MemorySize::parse(*per_tm);
      if (size && size->bytes() > 0) return std::nullopt;
    }
  }
  return make_finding(facts::RocksdbUnmanagedMemory{&derived, keys.managed, keys.fixed_per_slot, eff.config_origin});
}

std::optional<Finding> rule_rocksdb_zero_managed(const EffectiveConfig& eff, const DerivedRole& derived,
                                                 StateBackend backend) {
  if (!derived.taskmanager || derived.taskmanager->managed.size.bytes() != 0) return std::nullopt;
  auto keys = rocksdb_keys(backend);
  auto managed = option(eff.config, keys.managed);
  if (managed && lower_trimmed(*managed) == "false") return std::nullopt;  // RocksDB does not use managed memory then
  if (eff.config.contains(keys.fixed_per_slot)) return std::nullopt;
  return make_finding(facts::RocksdbZeroManagedMemory{&derived});
}

// Only where the configuration itself names a heap backend (state_backend: kHeap), never Flink's default.
std::optional<Finding> rule_heap_backend_managed(const EffectiveConfig& eff, const DerivedRole& derived) {
  if (!derived.taskmanager || derived.taskmanager->managed.size.bytes() == 0) return std::nullopt;
  facts::HeapBackendManagedMemory f{&derived};
  if (auto configured = backend_option(eff.config, eff.context.version)) {
    f.backend_setting = configured->first + ": " + configured->second;
  }
  auto patch = set_config_option(eff, "taskmanager.memory.managed.size", "0");
  if (patch) {
    FlinkConfig tuned = eff.config;
    tuned.set("taskmanager.memory.managed.size", "0");
    auto after = memmodel::derive_memory(Role::kTaskManager, tuned, eff.context);
    // Only when Flink accepts the tuned configuration and the process does not grow.
    f.patched = after && after->process_total() <= derived.process_total();
  }
  Finding finding = make_finding(f);
  if (f.patched) {
    finding.fix.push_back(*patch);
    finding.fix_kind = FixKind::kTuning;
  }
  return finding;
}

// No state backend configured: the job may set one in code, so heap-backend-managed-memory, which
// speaks of what the configuration says, does not apply. Noted once, in streaming mode, when managed
// memory would be left unused if the job kept Flink's default (hashmap).
std::optional<std::string> no_backend_note(StateBackend backend, const EffectiveConfig& eff,
                                           const DerivedRole& derived) {
  if (backend != StateBackend::kNotConfigured || !derived.taskmanager || !streaming_mode(eff.config)) return std::nullopt;
  int64_t managed = derived.taskmanager->managed.size.bytes();
  if (managed == 0) return std::nullopt;
  return "TaskManager: no state backend configured; if the job keeps heap state (hashmap, Flink's default), "
         "taskmanager.memory.managed.size: 0 gives its " + format_mib(managed) + " of managed memory to the task heap";
}

std::optional<Finding> rule_jvm_overhead(const EffectiveConfig& eff, const RoleInput& in, const DerivedRole& derived,
                                         const Settings& settings) {
  if (derived.overhead() >= settings.jvm_overhead_minimum) return std::nullopt;
  return make_finding(facts::JvmOverheadBelowDefault{in.role, &derived, settings.jvm_overhead_minimum.bytes(),
                                                     eff.config_origin});
}

// Flink's tuning guide, "Configure memory for containers": configure the total process memory; with
// total Flink memory, Flink adds the JVM parts and requests a container of the derived size. Judged
// where Flink sizes the container (the operator, native Kubernetes); a standalone container's limit
// is judged by process-exceeds-limit, whose fix names the process size instead.
std::optional<Finding> rule_flink_size_in_container(const EffectiveConfig& eff, const RoleInput& in,
                                                    const DerivedRole& derived) {
  if (!in.flink_sizes_container || in.declared_limit_bytes) return std::nullopt;
  if (!eff.config.contains(flink_size_key(in.role)) || eff.config.contains(process_key(in.role))) return std::nullopt;
  facts::FlinkSizeInContainer f{.role = in.role, .derived = &derived, .flink_size_key = flink_size_key(in.role),
                                .process_key = process_key(in.role), .config_origin = eff.config_origin};
  // The operator writes spec.<role>.resource.memory to the process size (FlinkConfigBuilder).
  if (eff.config_patchable) {
    f.process_field = std::string(in.role == Role::kJobManager ? "spec.jobManager" : "spec.taskManager") +
                      ".resource.memory";
  }
  // The container Flink requests now: the floor MiB of the derived process size.
  int64_t mib = derived.process_total().bytes() / kMiB;
  if (mib > 0 && accepted_without_flink_size(eff.config, eff.context, in.role, mib)) f.process_mib = mib;
  return make_finding(f);
}

// The fewest pages a batch operator runs with: a hash join's 33 (MIN_NUM_MEMORY_SEGMENTS of
// BaseHybridHashTable and MutableHashTable); a sort needs 12 (ExternalSorterBuilder: 2 write + 10 sort).
constexpr int64_t kHashJoinMinPages = 33;

// taskmanager.memory.segment-size, the managed memory page size (default 32 KiB).
int64_t page_bytes(const FlinkConfig& config) {
  if (auto text = option(config, "taskmanager.memory.segment-size")) {
    if (auto size = MemorySize::parse(*text); size && size->bytes() > 0) return size->bytes();
  }
  return 32 * 1024;
}

// Edits that give managed memory Flink's default again (managed.fraction 0.4 of total Flink memory):
// an explicit size (or its deprecated key) removed, a configured fraction reset.
std::vector<facts::OptionEdit> default_managed_edits(const FlinkConfig& config) {
  std::vector<facts::OptionEdit> edits;
  for (const char* key : {"taskmanager.memory.managed.size", "taskmanager.memory.size"}) {
    if (config.contains(key)) edits.push_back({key, std::nullopt});
  }
  if (config.contains("taskmanager.memory.managed.fraction")) edits.push_back({"taskmanager.memory.managed.fraction", "0.4"});
  return edits;
}

// Flink's tuning guide, "Configure memory for batch jobs": batch operators run on managed memory.
// Below a hash join's minimum per slot (0 included), they fail with Flink's own errors.
std::optional<Finding> rule_batch_managed(const EffectiveConfig& eff, const DerivedRole& derived) {
  if (!derived.taskmanager || !batch_mode(eff.config)) return std::nullopt;
  const auto& tm = *derived.taskmanager;
  int slots = std::max(tm.num_slots, 1);
  int64_t page = page_bytes(eff.config);
  int64_t needed = kHashJoinMinPages * page;
  int64_t per_slot = tm.managed.size.bytes() / slots;
  if (per_slot >= needed) return std::nullopt;
  facts::BatchManagedMemoryTooSmall f{.derived = &derived, .slots = slots, .page_bytes = page,
                                      .per_slot_bytes = per_slot, .needed_per_slot_bytes = needed,
                                      .config_origin = eff.config_origin};
  // First Flink's default managed memory, then the minimum as an explicit size; offered only if Flink
  // accepts it and every slot then has what a hash join needs.
  std::vector<std::vector<facts::OptionEdit>> candidates;
  if (auto defaults = default_managed_edits(eff.config); !defaults.empty()) candidates.push_back(std::move(defaults));
  candidates.push_back({{"taskmanager.memory.managed.size", ceil_mib_option(needed * slots)}});
  for (auto& edits : candidates) {
    auto after = memmodel::derive_memory(Role::kTaskManager, with_edits(eff.config, edits), eff.context);
    if (!after || after->taskmanager->managed.size.bytes() / slots < needed) continue;
    f.fix = std::move(edits);
    f.managed_after_fix_bytes = after->taskmanager->managed.size.bytes();
    break;
  }
  return make_finding(f);
}

// Flink's tuning guide, "RocksDB state backend", and the state backend docs' expert mode: with
// fixed-per-slot (or, managed off, fixed-per-tm since 1.17) Flink allocates RocksDB's cache and
// write buffers through MemoryManager.getExternalSharedMemoryResource (RocksDBSharedResourcesFactory
// SLOT_SHARED_UNMANAGED / TM_SHARED_UNMANAGED): not from managed memory, and in no other component
// of the process size, so "users need to ensure on their own that enough memory is available outside
// the JVM". Task off-heap is the component that reserves native memory for tasks: compare with it.
std::optional<Finding> rule_rocksdb_fixed(const EffectiveConfig& eff, const DerivedRole& derived,
                                          StateBackend backend) {
  if (!derived.taskmanager) return std::nullopt;
  const auto& tm = *derived.taskmanager;
  auto keys = rocksdb_keys(backend);
  auto managed = option(eff.config, keys.managed);
  bool managed_off = managed && lower_trimmed(*managed) == "false";
  facts::RocksdbFixedMemoryUnbudgeted f{.derived = &derived, .slots = std::max(tm.num_slots, 1),
                                        .config_origin = eff.config_origin};
  if (auto per_slot = option(eff.config, keys.fixed_per_slot)) {
    auto size = MemorySize::parse(*per_slot);
    if (!size || size->bytes() <= 0) return std::nullopt;
    f.fixed_key = keys.fixed_per_slot;
    f.fixed_text = *per_slot;
    f.per_slot = true;
    f.fixed_total_bytes = size->bytes() > INT64_MAX / f.slots ? INT64_MAX : size->bytes() * f.slots;
  } else if (managed_off && eff.context.version.at_least(1, 17)) {
    auto per_tm = option(eff.config, keys.fixed_per_tm);
    if (!per_tm) return std::nullopt;
    auto size = MemorySize::parse(*per_tm);
    if (!size || size->bytes() <= 0) return std::nullopt;
    f.fixed_key = keys.fixed_per_tm;
    f.fixed_text = *per_tm;
    f.per_slot = false;
    f.fixed_total_bytes = size->bytes();
  } else {
    return std::nullopt;
  }
  f.task_off_heap_bytes = tm.task_off_heap.size.bytes();
  if (f.fixed_total_bytes <= f.task_off_heap_bytes) return std::nullopt;

  // Back to managed memory: the fixed budgets and managed: false removed, and managed memory given
  // Flink's default size if it is 0 (RocksDB would have none).
  std::vector<facts::OptionEdit> edits;
  for (const auto& key : {keys.fixed_per_slot, keys.fixed_per_tm, keys.managed}) {
    if (key == keys.managed ? managed_off : eff.config.contains(key)) edits.push_back({key, std::nullopt});
  }
  if (tm.managed.size.bytes() == 0) {
    for (auto& e : default_managed_edits(eff.config)) edits.push_back(std::move(e));
  }
  auto after = memmodel::derive_memory(Role::kTaskManager, with_edits(eff.config, edits), eff.context);
  if (after && after->taskmanager->managed.size.bytes() > 0) {
    f.fix = std::move(edits);
    f.managed_per_slot_bytes = after->taskmanager->managed.size.bytes() / f.slots;
  }
  // Or keep the fixed budget and reserve it in task off-heap, if Flink accepts that as configured.
  int64_t reserved = f.fixed_total_bytes > INT64_MAX - f.task_off_heap_bytes ? INT64_MAX
                                                                            : f.fixed_total_bytes + f.task_off_heap_bytes;
  std::vector<facts::OptionEdit> reserve{{"taskmanager.memory.task.off-heap.size", ceil_mib_option(reserved)}};
  if (reserved < INT64_MAX && memmodel::derive_memory(Role::kTaskManager, with_edits(eff.config, reserve), eff.context)) {
    f.reserve = std::move(reserve);
  }
  return make_finding(f);
}

// A workload's own container: a limit must bound it (the process-exceeds-limit rule judges the limit).
std::optional<Finding> rule_workload_no_limit(const RoleInput& in, const DerivedRole& derived) {
  if (!in.workload_container || in.declared_limit_bytes) return std::nullopt;
  return make_finding(facts::WorkloadNoMemoryLimit{in.role, &derived});
}

// A request below the process, reported beside a limit below it too: every finding at once, so that
// fixing one does not reveal the next.
std::optional<Finding> rule_request_below_process(const RoleInput& in, const DerivedRole& derived) {
  if (!in.workload_container || !in.container_request) return std::nullopt;
  auto request = memmodel::Quantity::parse(*in.container_request);
  int64_t process = derived.process_total().bytes();
  if (!request || request->ceil_value >= process / kMiB * kMiB) return std::nullopt;
  return make_finding(facts::MemoryRequestBelowProcess{in.role, &derived, request->ceil_value, *in.container_request});
}

}  // namespace

StateBackend state_backend(const FlinkConfig& config, const memmodel::FlinkVersion& version) {
  auto configured = backend_option(config, version);
  if (!configured) return StateBackend::kNotConfigured;
  std::string name = lower_trimmed(configured->second);
  if (name == "hashmap") return StateBackend::kHeap;
  // MemoryStateBackend and FsStateBackend keep state on the heap too; Flink 2.0 no longer knows them.
  if (name == "jobmanager" || name == "filesystem") {
    return version.at_least(2, 0) ? StateBackend::kUnknown : StateBackend::kHeap;
  }
  if (name == "rocksdb") return StateBackend::kRocksdb;
  if (name == "forst" && version.at_least(2, 0)) return StateBackend::kForst;
  if (name.find("rocksdb") != std::string::npos) return StateBackend::kRocksdb;  // a factory class name
  return StateBackend::kUnknown;
}

std::vector<std::string> state_backend_notes(const FlinkConfig& config, const memmodel::FlinkVersion& version,
                                             const std::string& config_origin) {
  std::vector<std::string> out;
  auto type = option(config, "state.backend.type");
  auto legacy = option(config, "state.backend");
  if (type && !version.at_least(1, 17)) {
    out.push_back(config_origin + ": state.backend.type is ignored: Flink " + version.to_string() +
                  " reads only state.backend (state.backend.type exists from 1.17)" +
                  (legacy ? "; the state backend is state.backend: " + *legacy : std::string()));
  } else if (type && legacy && lower_trimmed(*type) != lower_trimmed(*legacy)) {
    out.push_back(config_origin + ": state.backend: " + *legacy + " is ignored: Flink " + version.to_string() +
                  " reads state.backend.type: " + *type + " first (state.backend is its deprecated fallback)");
  }
  return out;
}

bool batch_state_backend(const FlinkConfig& config, const memmodel::FlinkVersion& version) {
  if (!version.at_least(1, 12) || !batch_mode(config)) return false;
  for (const char* key : {"execution.batch-state-backend.enabled", "execution.sorted-inputs.enabled"}) {
    auto value = option(config, key);
    if (value && lower_trimmed(*value) == "false") return false;
  }
  return true;
}

bool streaming_mode(const FlinkConfig& config) {
  auto mode = option(config, "execution.runtime-mode");
  return !mode || lower_trimmed(*mode) == "streaming";
}

std::vector<Finding> evaluate_role(const EffectiveConfig& eff, const RoleInput& in, const Settings& settings,
                                   std::vector<std::string>* notes) {
  return evaluate_role(eff, in, memmodel::derive_memory(in.role, eff.config, eff.context), settings, notes);
}

std::vector<Finding> evaluate_role(const EffectiveConfig& eff, const RoleInput& in, const Expected<DerivedRole>& derived,
                                   const Settings& settings, std::vector<std::string>* notes) {
  std::vector<Finding> out;
  if (!derived) {
    out.push_back(rule_memory_config_rejected(eff, in, derived.error()));
    return out;
  }
  if (notes != nullptr) {
    for (auto& note : derivation_notes(*derived)) notes->push_back(std::move(note));
  }

  // The container: sized by Flink (native Kubernetes, the operator), or declared for it.
  std::optional<int64_t> limit_bytes;
  std::optional<memmodel::ContainerMemory> flink_sized;  // worded only if a finding quotes it
  if (in.declared_limit_bytes) {
    limit_bytes = in.declared_limit_bytes;
  } else if (in.flink_sizes_container) {
    auto container = memmodel::container_memory(in.role, derived->process_total(), eff.config, eff.context.version);
    if (!container && derived->process_total().mebibytes() > INT32_MAX) {
      // Flink's checked int cast of the MiB count fails before any factor is looked at.
      out.push_back(rule_memory_config_rejected(eff, in, container.error(), false));
      return out;
    }
    if (!container) {
      // The builder already found the request/limit pair behind the factor below 1.
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
      Source limit_source = flink_sized ? Source::flink_set_limit(flink_sized->request_mib, flink_sized->limit_factor)
                                        : in.declared_limit_source;
      out.push_back(rule_process_exceeds_limit(eff, in, *derived, *limit_bytes, std::move(limit_source), settings,
                                               flink_sized.has_value()));
    }
  }

  if (in.role == Role::kTaskManager) {
    StateBackend backend = state_backend(eff.config, eff.context.version);
    if (notes != nullptr) {
      for (auto& note : state_backend_notes(eff.config, eff.context.version, eff.config_origin)) {
        notes->push_back(std::move(note));
      }
      if (auto note = no_backend_note(backend, eff, *derived)) notes->push_back(std::move(*note));
    }
    // In BATCH mode keyed state lives in the batch state backend: RocksDB is never opened.
    bool rocksdb_used = !batch_state_backend(eff.config, eff.context.version);
    if (rocksdb_used && (backend == StateBackend::kRocksdb || backend == StateBackend::kForst)) {
      if (auto f = rule_rocksdb_unmanaged(eff, *derived, backend)) out.push_back(std::move(*f));
      if (auto f = rule_rocksdb_zero_managed(eff, *derived, backend)) out.push_back(std::move(*f));
      if (auto f = rule_rocksdb_fixed(eff, *derived, backend)) out.push_back(std::move(*f));
    } else if (backend == StateBackend::kHeap && streaming_mode(eff.config)) {
      if (auto f = rule_heap_backend_managed(eff, *derived)) out.push_back(std::move(*f));
    }
  }
  if (in.role == Role::kTaskManager) {
    if (auto f = rule_batch_managed(eff, *derived)) out.push_back(std::move(*f));
  }
  if (auto f = rule_flink_size_in_container(eff, in, *derived)) out.push_back(std::move(*f));
  if (auto f = rule_jvm_overhead(eff, in, *derived, settings)) out.push_back(std::move(*f));
  if (auto f = rule_workload_no_limit(in, *derived)) out.push_back(std::move(*f));
  if (auto f = rule_request_below_process(in, *derived)) out.push_back(std::move(*f));
  return out;
}

}  // namespace memguard::engine
