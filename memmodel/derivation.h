// Entry points of the memory model: a flat Flink configuration in, every derived size (or a
// structured rejection) out, exactly as the declared Flink version derives it.
//
//   Total Process = Total Flink + JVM Metaspace + JVM Overhead                (common, both roles)
//   TaskManager  Total Flink = Framework Heap + Task Heap + Framework Off-Heap
//                              + Task Off-Heap + Network + Managed
//   JobManager   Total Flink = JVM Heap + Off-Heap
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/expected.h"
#include "memmodel/flink_config.h"
#include "memmodel/flink_version.h"
#include "memmodel/memory_size.h"

namespace memguard::memmodel {

enum class Role { kTaskManager, kJobManager };
// "taskmanager" / "jobmanager" (key prefixes, JSON), and "TaskManager" / "JobManager" (messages).
constexpr std::string_view role_name(Role role) { return role == Role::kTaskManager ? "taskmanager" : "jobmanager"; }
constexpr std::string_view role_title(Role role) { return role == Role::kTaskManager ? "TaskManager" : "JobManager"; }
// The role whose role_name is `name` ("taskmanager", "jobmanager"), or none.
constexpr std::optional<Role> role_named(std::string_view name) {
  if (name == role_name(Role::kTaskManager)) return Role::kTaskManager;
  if (name == role_name(Role::kJobManager)) return Role::kJobManager;
  return std::nullopt;
}

// Where the legacy heap keys (taskmanager.heap.size, jobmanager.heap.mb, ...) go (1.x only, §4.6).
enum class LegacyHeapTarget {
  kDeploymentDefault,  // start scripts: TM -> total Flink memory, JM -> JVM heap
  kProcessTotal,       // active resource managers (native Kubernetes, YARN) -> process size
};

struct DerivationContext {
  FlinkVersion version = kDefaultFlinkVersion;
  LegacyHeapTarget legacy_heap = LegacyHeapTarget::kDeploymentDefault;
  // FLINK_TM_HEAP / FLINK_JM_HEAP as the start scripts would see them (1.x only), if set.
  std::optional<std::string> legacy_heap_env;
  // Native Kubernetes: a TaskManager without taskmanager.cpu.cores takes
  // kubernetes.taskmanager.cpu.amount when it is > 0 (spec §4.5). Off: Flink's generic default.
  bool kubernetes_cpu_fallback = false;
  // Read `external-resources` (1.13+). Off only for searches that probe one size after another:
  // the resources do not depend on any size, so the search reads them once, not per probe.
  bool external_resources = true;
};

// Which of Flink's three derivation paths sized the process (spec §4.1, §5.1), in Flink's order of
// preference: the fine-grained options (TaskManager task heap and managed memory, JobManager heap),
// else the Total Flink size, else the Total Process size.
enum class DerivationPath { kFineGrained, kTotalFlink, kTotalProcess };
// "fine-grained", "total-flink", "total-process" (JSON values).
constexpr std::string_view derivation_path_name(DerivationPath path) {
  return path == DerivationPath::kFineGrained ? "fine-grained"
         : path == DerivationPath::kTotalFlink ? "total-flink"
                                               : "total-process";
}

// How a component got its size, for explanations.
enum class Provenance { kConfigured, kDefault, kDerived };

struct Component {
  MemorySize size;
  Provenance provenance = Provenance::kDerived;
  // The Flink option that configures it ("" for sums): a view of an option's name, which the option
  // tables (config_options.cpp) and the derivations hold as literals, so a derivation copies none.
  std::string_view key;
};

// The common process layer (Flink's JvmMetaspaceAndOverhead).
struct JvmMetaspaceAndOverhead {
  Component metaspace;
  Component overhead;
};

struct TaskManagerMemory {
  Component framework_heap, task_heap, framework_off_heap, task_off_heap, network, managed;
  JvmMetaspaceAndOverhead jvm;
  DerivationPath path = DerivationPath::kTotalProcess;  // the path the derivation took
  double cpu_cores = 1.0;
  int num_slots = 1;
  // External resources with a positive amount (1.13+), in Flink's (HashMap) order.
  std::vector<std::pair<std::string, int64_t>> external_resources;
  // Things Flink only logs (a fraction capped to its range, a fraction not matching a remainder).
  std::vector<std::string> notes;

  MemorySize jvm_heap() const;     // framework heap + task heap
  MemorySize jvm_direct() const;   // framework off-heap + task off-heap + network
  MemorySize flink_total() const;
  MemorySize process_total() const;
};

struct JobManagerMemory {
  Component jvm_heap, off_heap;
  JvmMetaspaceAndOverhead jvm;
  // Flink 1.10's JobManager: the heap (start scripts) is kFineGrained, a container size kTotalProcess.
  DerivationPath path = DerivationPath::kTotalProcess;
  bool direct_memory_limit = false;  // jobmanager.memory.enable-jvm-direct-memory-limit
  std::vector<std::string> notes;    // things Flink only logs (heap below 128 MiB, capping, ...)
  // Flink 1.10's JobManager predates FLIP-116: a heap size (and a container cut-off), JVM flags in
  // whole MiB, no metaspace limit (spec §5.5).
  bool pre_flip116 = false;

  MemorySize jvm_direct() const { return off_heap.size; }  // what -XX:MaxDirectMemorySize would be

  MemorySize flink_total() const;
  MemorySize process_total() const;
};

[[nodiscard]] Expected<TaskManagerMemory> derive_taskmanager(const FlinkConfig& config,
                                                             const DerivationContext& context);
[[nodiscard]] Expected<JobManagerMemory> derive_jobmanager(const FlinkConfig& config,
                                                           const DerivationContext& context);

// The path the role's derivation takes for `config` (after the legacy heap remap), chosen by the
// same selection the derivation runs, so it names the path of a rejected configuration too.
// nullopt: none of the three is configured (that rejection), or the legacy heap cannot be read.
[[nodiscard]] std::optional<DerivationPath> derivation_path(Role role, const FlinkConfig& config,
                                                            const DerivationContext& context);
std::optional<DerivationPath> taskmanager_derivation_path(const FlinkConfig& config, const DerivationContext& context);
std::optional<DerivationPath> jobmanager_derivation_path(const FlinkConfig& config, const DerivationContext& context);

// What Flink hands the JVM and the process (§6): `-Xmx... -Xms... [-XX:MaxDirectMemorySize=...]
// -XX:MaxMetaspaceSize=...`, and the `-D` dynamic properties in Flink's (Java HashMap) order.
std::string jvm_args(const TaskManagerMemory& memory);
std::string jvm_args(const JobManagerMemory& memory);
std::vector<std::pair<std::string, std::string>> dynamic_properties(const TaskManagerMemory& memory,
                                                                    const FlinkVersion& version);
std::vector<std::pair<std::string, std::string>> dynamic_properties(const JobManagerMemory& memory,
                                                                    const FlinkVersion& version);
// The properties rendered as Flink passes them: `-D k=v` joined by spaces (1.10/1.11: every entry
// followed by a space).
std::string dynamic_properties_string(const std::vector<std::pair<std::string, std::string>>& properties,
                                      const FlinkVersion& version);

// Container sizing as Flink's Kubernetes integration does it (§8): request = whole MiB of the
// process size (floor), limit = (int)(request x limit-factor) MiB; factor < 1 is rejected (1.15+).
struct ContainerMemory {
  int64_t request_mib = 0;
  int64_t limit_mib = 0;
  double limit_factor = 1.0;
};
[[nodiscard]] Expected<ContainerMemory> container_memory(Role role, MemorySize process_total,
                                                         const FlinkConfig& config,
                                                         const FlinkVersion& version);

}  // namespace memguard::memmodel
