// Either role's derived memory as rows: each component with its name, size, Flink key and
// provenance, in Flink's order, so that tables, JSON, breakdowns and tests list components by
// iterating instead of switching on the role (a new component is added here once).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memmodel/derivation.h"

namespace memguard::memmodel {

// One row of the derived memory.
struct ComponentRow {
  enum class Kind { kFlinkPart, kJvmPart, kSum };
  Kind kind = Kind::kFlinkPart;
  std::string_view name;    // as tables show it: "Framework Heap", "Network", "JVM Metaspace"
  std::string_view field;   // the vectors' and JSON member name: "frameworkHeap"
  std::string_view phrase;  // in a breakdown sentence: "framework heap", "JVM heap"
  MemorySize size;
  std::string_view key;     // the Flink option that sets it (a view into the derived memory)
  Provenance provenance = Provenance::kDerived;
};

// The derived memory of one role; exactly one of taskmanager / jobmanager is set.
struct DerivedMemory {
  Role role = Role::kTaskManager;
  std::optional<TaskManagerMemory> taskmanager;
  std::optional<JobManagerMemory> jobmanager;

  // The parts of Total Flink memory, then JVM metaspace and overhead (kFlinkPart, kJvmPart).
  std::vector<ComponentRow> components() const;
  // The members of Flink's reference vectors in their order: the components and the sums
  // (jvmHeap, jvmDirect, flinkTotal, processTotal) between them.
  std::vector<ComponentRow> vector_rows() const;

  MemorySize flink_total() const;
  MemorySize process_total() const;
  MemorySize metaspace() const;
  MemorySize overhead() const;
  const std::vector<std::string>& notes() const;
  std::string jvm_flags() const;  // jvm_args() of the role: -Xmx ... -XX:MaxMetaspaceSize=...
  std::vector<std::pair<std::string, std::string>> dynamic_properties(const FlinkVersion& version) const;
};

// derive_taskmanager or derive_jobmanager, by role.
[[nodiscard]] Expected<DerivedMemory> derive_memory(Role role, const FlinkConfig& config,
                                                    const DerivationContext& context);

}  // namespace memguard::memmodel
