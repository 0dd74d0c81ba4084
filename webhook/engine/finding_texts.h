// The findings' words, in one home apart from the rules that decide them. A rule judges and returns
// typed facts (one struct per finding below); text() turns those facts into parts (subject, problem,
// consequence, fix), and render() writes both the denial message and the kubectl warning from the
// parts, only where a text is needed. Where a value comes from is a Source, written by describe(); breakdowns come from the
// derived memory's component rows.
//
// Adding a finding: a FindingCode (finding.h, finding.cpp), a facts struct and its text() here and
// in finding_texts.cpp (with its fix's edits as FindingParts::suggested), the rule (rules.cpp), its
// default action (policy.cpp) and its row in README's findings table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "memmodel/derived_memory.h"
#include "webhook/engine/finding.h"

namespace memguard::engine {

// Where a value is set, as data: one formatter (describe) words it for every message.
struct Source {
  enum class Kind {
    kField,           // a manifest field that holds a Kubernetes quantity: "spec.taskManager.resource.memory"
    kOption,          // a Flink option in a place: "taskmanager.memory.process.size in data.config.yaml"
    kDynamicProperty, // "-Dtaskmanager.memory.process.size in the args of container flink"
    kAnnotation,      // "annotation flink-memguard.io/taskmanager-memory-limit: 4Gi"
    kContainerLimit,  // "resources.limits.memory: 4Gi of container flink"
    kResourcesRatio,  // "spec.taskManager.resources (limits.memory / requests.memory as Kubernetes quantities)"
    kFlinkSetLimit,   // "the limit Flink sets: 1600Mi x limit factor 1.5"
  };
  Kind kind = Kind::kField;
  std::string name;   // the field, option, annotation or resources path; the request for kFlinkSetLimit
  std::string where;  // the place of an option, the container; the limit factor for kFlinkSetLimit
  std::string value;  // the annotation's or limit's text

  static Source field(std::string path) { return {Kind::kField, std::move(path), {}, {}}; }
  static Source option(std::string key, std::string where) { return {Kind::kOption, std::move(key), std::move(where), {}}; }
  static Source dynamic_property(std::string key, std::string container) {
    return {Kind::kDynamicProperty, std::move(key), std::move(container), {}};
  }
  static Source annotation(std::string name, std::string value) { return {Kind::kAnnotation, std::move(name), {}, std::move(value)}; }
  static Source container_limit(std::string value, std::string container) {
    return {Kind::kContainerLimit, "resources.limits.memory", std::move(container), std::move(value)};
  }
  static Source resources_ratio(std::string base) { return {Kind::kResourcesRatio, std::move(base), {}, {}}; }
  static Source flink_set_limit(int64_t request_mib, double factor);
};
std::string describe(const Source& source);
// How a size is written into the place that sets it: "2048Mi" in a Kubernetes field, "2048m" in a Flink option.
std::string size_in(const Source& source, int64_t mib);

// How a suggested edit reads in a fix: "set kubernetes.taskmanager.memory.limit-factor: 1.125 in
// spec.flinkConfiguration", "set spec.taskManager.resource.memory: 2304Mi", "remove k from data.config.yaml".
std::string describe(const SuggestedEdit& edit);
std::string describe(const SuggestedFix& fix);  // the edits joined by " and "

// "total process 4096 MiB = total Flink 3456 MiB + JVM metaspace 256 MiB + JVM overhead 384 MiB
// (total Flink = framework heap 128 MiB + ...)", from the derived memory's component rows.
std::string breakdown(const memmodel::DerivedMemory& derived);

// "<scope><subject>: <problem><consequence> Fix: <fix>."
std::string render_message(const FindingParts& parts);
// "<scope><subject>: <brief>; <brief fix>"
std::string render_warning(const FindingParts& parts);
// "<scope><applied>", "" when nothing was applied.
std::string render_fix_warning(const FindingParts& parts);

// The finding for `parts`; in_scope() places it in a container of a workload (and drops its fix and
// suggested edits, which may point into another object: callers keep those of their own object).
Finding make_finding(FindingCode code, std::optional<memmodel::Role> role, FindingParts parts);
void in_scope(Finding& finding, const std::string& scope);

// ---- The facts each rule returns, one struct per finding (and per way a code arises) ----
namespace facts {

using memmodel::DerivedMemory;
using memmodel::Role;

// memory-config-rejected: Flink's derivation or container sizing fails.
struct RejectedByFlink {
  static constexpr FindingCode kCode = FindingCode::kMemoryConfigRejected;
  Role role;
  std::string flink_error;
  Source process;                      // where the process size is set
  // Native Kubernetes: the JobManager's resource manager derives the TaskManager memory when it
  // starts, so a TaskManager configuration Flink rejects stops the JobManager.
  bool flink_sizes_container = false;
  enum class Fix { kLowerProcess, kRaiseProcessTo, kChangeOptions } fix = Fix::kChangeOptions;
  int64_t accepted_process_mib = 0;    // kRaiseProcessTo
  std::string config_origin{};         // kChangeOptions
  std::vector<std::string> options{};  // kChangeOptions: the role's memory options that are set
  // kRaiseProcessTo as edits: the process size, and a memory limit it would pass (empty: none we can write).
  SuggestedFix raise{};
  // The process size Flink names by its key was written there from `process` (a FlinkDeployment's
  // resource.memory): Flink's error is worded with both.
  bool process_key_from_field = false;
};
// memory-config-rejected: the operator cannot read a memory field.
struct FieldNotAMemorySize {
  static constexpr FindingCode kCode = FindingCode::kMemoryConfigRejected;
  Role role;
  std::string path, text, why;
};
// memory-config-rejected: without resource.memory the operator's validator derives the role from
// spec.flinkConfiguration without mapping the legacy heap keys, and that derivation fails.
struct ValidatorCannotDerive {
  static constexpr FindingCode kCode = FindingCode::kMemoryConfigRejected;
  Role role;
  std::string base;         // "spec.taskManager"
  std::string flink_error;  // why the validator's derivation fails
};
// limit-below-request: a memory limit factor below 1 (or one Flink cannot read as a number).
struct LimitFactorBelowOne {
  static constexpr FindingCode kCode = FindingCode::kLimitBelowRequest;
  Role role;
  std::optional<Source> factor;  // nullopt: the configuration
  std::string flink_error;
  bool unreadable = false;       // not a number at all: Flink fails reading it, not comparing it with 1
};
// limit-below-request: resources.limits.memory below resources.requests.memory.
struct LimitBelowRequest {
  static constexpr FindingCode kCode = FindingCode::kLimitBelowRequest;
  Role role;
  std::string base, limit_path, limit_text, request_path, request_text;
  int64_t limit_bytes = 0, request_bytes = 0;
};
struct ProcessExceedsLimit {
  static constexpr FindingCode kCode = FindingCode::kProcessExceedsLimit;
  Role role;
  const DerivedMemory* derived = nullptr;
  int64_t limit_bytes = 0, headroom_bytes = 0;
  Source limit;
  std::optional<int64_t> accepted_lower_process_mib{};  // a process size inside the limit that Flink accepts
  std::optional<Source> process_set_by{};             // named where the process size comes from several places
  // Sized by *.memory.flink.size (kept as it is, no process size inside the limit works): the process
  // size inside the limit that Flink accepts once flink.size is removed, as the tuning guide advises.
  std::optional<int64_t> process_instead_of_flink_size_mib{};
  // The file whose options set the process size (nullopt: FLINK_PROPERTIES or -D win over any file edit).
  std::optional<std::string> options_file{};
  // The limit declared for the container (annotation, resources.limits.memory), as the field to raise.
  std::optional<admission::Pointer> declared_limit_field{};
  // A container Flink sizes (native Kubernetes, the operator): its limit is (int)(request x limit factor)
  // MiB, so only headroom can be missing, lowering the process lowers the limit with it, and the fix is
  // the factor (or the operator's resources.limits.memory, from which it computes the factor).
  bool flink_sized = false;
  std::string version{};                        // flink_sized before 1.15: the limit is the request
  std::optional<SuggestedEdit> raise_limit{};   // checked as Flink computes the limit
  int64_t raised_limit_mib = 0;
};
struct ProcessSizeNotWholeMib {
  static constexpr FindingCode kCode = FindingCode::kProcessSizeNotWholeMib;
  Role role;
  Source process;
  int64_t process_bytes = 0;
  bool patched = false;  // the fix rounds it down
  // No process size configured: `process` names the options Flink derives it from (sizing_keys),
  // and the fix configures the process size here instead of them (nullopt: Flink rejects that).
  std::vector<std::string> sizing_keys{};
  std::optional<Source> process_size_instead{};
};
struct RocksdbUnmanagedMemory {
  static constexpr FindingCode kCode = FindingCode::kRocksdbUnmanagedMemory;
  static constexpr Role role = Role::kTaskManager;
  const DerivedMemory* derived = nullptr;
  std::string managed_key, fixed_per_slot_key, config_origin;
};
struct RocksdbZeroManagedMemory {
  static constexpr FindingCode kCode = FindingCode::kRocksdbZeroManagedMemory;
  static constexpr Role role = Role::kTaskManager;
  const DerivedMemory* derived = nullptr;
};
struct HeapBackendManagedMemory {
  static constexpr FindingCode kCode = FindingCode::kHeapBackendManagedMemory;
  static constexpr Role role = Role::kTaskManager;
  const DerivedMemory* derived = nullptr;
  bool patched = false;  // the tuning fix sets the managed size to 0
  std::string backend_setting{};  // where the configuration names it: "state.backend.type: hashmap"
};
struct JvmOverheadBelowDefault {
  static constexpr FindingCode kCode = FindingCode::kJvmOverheadBelowDefault;
  Role role;
  const DerivedMemory* derived = nullptr;
  int64_t minimum_bytes = 0;
  std::string config_origin;
};
// ambiguous-memory-unit: Flink and Kubernetes read one field differently.
struct AmbiguousFieldUnit {
  static constexpr FindingCode kCode = FindingCode::kAmbiguousMemoryUnit;
  Role role;
  std::string path, text;
  int64_t flink_bytes = 0;
  std::string kubernetes_reading;        // "" : Kubernetes cannot read it
  std::optional<std::string> unambiguous; // the same amount, read alike by both (the patch writes it)
};
// ambiguous-memory-unit: a request or limit that is no Kubernetes quantity, so no limit factor.
struct NotAKubernetesQuantity {
  static constexpr FindingCode kCode = FindingCode::kAmbiguousMemoryUnit;
  Role role;
  std::string base, text;
};
// ambiguous-memory-unit: request and limit in different unit systems, so the factor is not the ratio.
struct MixedUnitSystems {
  static constexpr FindingCode kCode = FindingCode::kAmbiguousMemoryUnit;
  Role role;
  std::string base, request_text, limit_text;
  int64_t request_bytes = 0;
  double kubernetes_factor = 0, flink_ratio = 0;
  bool patched = false;
};
struct PodTemplateResourcesOverwritten {
  static constexpr FindingCode kCode = FindingCode::kPodTemplateResourcesOverwritten;
  std::optional<Role> role;  // nullopt: the shared pod template
  std::string path, entries, sized_by;
};
struct ConfigFileInvalid {
  static constexpr FindingCode kCode = FindingCode::kConfigFileInvalid;
  static constexpr std::optional<Role> role = std::nullopt;
  std::string config_origin, flink_error;
};
// config-file-invalid: the ConfigMap lacks the one file this Flink version reads.
struct ConfigFileNotRead {
  static constexpr FindingCode kCode = FindingCode::kConfigFileInvalid;
  static constexpr std::optional<Role> role = std::nullopt;
  std::string version;
  std::string_view file_read;  // admission::kConfigYaml or kFlinkConfYaml
};
struct WorkloadNoMemoryLimit {
  static constexpr FindingCode kCode = FindingCode::kWorkloadNoMemoryLimit;
  Role role;
  const DerivedMemory* derived = nullptr;
};
struct MemoryRequestBelowProcess {
  static constexpr FindingCode kCode = FindingCode::kMemoryRequestBelowProcess;
  Role role;
  const DerivedMemory* derived = nullptr;
  int64_t request_bytes = 0;
  std::string request_text;
};

// One change to a Flink option that a fix asks for: set `key` to `value`, or remove it (no value).
// Fixes given as edits are applied by the tests as written, and the object reviewed again.
struct OptionEdit {
  std::string key;
  std::optional<std::string> value;
};
// "remove a and set b: 0.4"
std::string describe(const std::vector<OptionEdit>& edits);

// flink-size-in-container: a container Flink sizes (native Kubernetes, the operator) whose role is
// sized by *.memory.flink.size alone; Flink adds metaspace and overhead and requests that container.
struct FlinkSizeInContainer {
  static constexpr FindingCode kCode = FindingCode::kFlinkSizeInContainer;
  Role role;
  const DerivedMemory* derived = nullptr;
  std::string flink_size_key, process_key;
  std::string config_origin;                 // where the options live
  std::optional<std::string> process_field{};  // a FlinkDeployment's resource.memory field
  std::optional<int64_t> process_mib{};      // what to configure instead (Flink accepts it without flink.size)
};
// batch-managed-memory-too-small: BATCH mode, and a slot's managed memory holds fewer pages than a
// hash join needs (0 for none at all).
struct BatchManagedMemoryTooSmall {
  static constexpr FindingCode kCode = FindingCode::kBatchManagedMemoryTooSmall;
  static constexpr Role role = Role::kTaskManager;
  const DerivedMemory* derived = nullptr;
  int slots = 1;
  int64_t page_bytes = 0, per_slot_bytes = 0, needed_per_slot_bytes = 0;
  std::string config_origin;
  std::vector<OptionEdit> fix{};  // empty: no option change alone works (the process size must grow)
  int64_t managed_after_fix_bytes = 0;
};
// rocksdb-fixed-memory-unbudgeted: RocksDB's fixed-per-slot (or fixed-per-tm) memory, which Flink
// allocates outside managed memory and every other component, above the task off-heap memory.
struct RocksdbFixedMemoryUnbudgeted {
  static constexpr FindingCode kCode = FindingCode::kRocksdbFixedMemoryUnbudgeted;
  static constexpr Role role = Role::kTaskManager;
  const DerivedMemory* derived = nullptr;
  std::string fixed_key{}, fixed_text{};
  bool per_slot = true;
  int slots = 1;
  int64_t fixed_total_bytes = 0, task_off_heap_bytes = 0;
  std::string config_origin;
  std::vector<OptionEdit> fix{};               // back to managed memory
  int64_t managed_per_slot_bytes = 0;          // what RocksDB then gets per slot
  std::optional<std::vector<OptionEdit>> reserve{};  // or: reserve the fixed memory in task off-heap
};

}  // namespace facts

FindingParts text(const facts::RejectedByFlink& f);
FindingParts text(const facts::FieldNotAMemorySize& f);
FindingParts text(const facts::ValidatorCannotDerive& f);
FindingParts text(const facts::LimitFactorBelowOne& f);
FindingParts text(const facts::LimitBelowRequest& f);
FindingParts text(const facts::ProcessExceedsLimit& f);
FindingParts text(const facts::ProcessSizeNotWholeMib& f);
FindingParts text(const facts::RocksdbUnmanagedMemory& f);
FindingParts text(const facts::RocksdbZeroManagedMemory& f);
FindingParts text(const facts::HeapBackendManagedMemory& f);
FindingParts text(const facts::JvmOverheadBelowDefault& f);
FindingParts text(const facts::AmbiguousFieldUnit& f);
FindingParts text(const facts::NotAKubernetesQuantity& f);
FindingParts text(const facts::MixedUnitSystems& f);
FindingParts text(const facts::PodTemplateResourcesOverwritten& f);
FindingParts text(const facts::ConfigFileInvalid& f);
FindingParts text(const facts::ConfigFileNotRead& f);
FindingParts text(const facts::WorkloadNoMemoryLimit& f);
FindingParts text(const facts::MemoryRequestBelowProcess& f);
FindingParts text(const facts::FlinkSizeInContainer& f);
FindingParts text(const facts::BatchManagedMemoryTooSmall& f);
FindingParts text(const facts::RocksdbFixedMemoryUnbudgeted& f);

// The finding for one rule's facts: its code, its role, its words.
template <class Facts>
Finding make_finding(const Facts& facts) {
  return make_finding(Facts::kCode, facts.role, text(facts));
}

// What Flink only logs about a derivation (a fraction capped to its range, a JobManager heap below
// 128 MiB), as admission warnings: "TaskManager: <note>".
std::vector<std::string> derivation_notes(const memmodel::DerivedMemory& derived);

// An object the decoders cannot read (`error` names the field and the type it has): /validate's
// in-band 400, /mutate's warning (it lets the object through unchanged) and the audit reason.
std::string unreadable_object_error(std::string_view error);
std::string unreadable_object_mutate_warning(std::string_view error);
std::string unreadable_object_reason(std::string_view error);

}  // namespace memguard::engine
