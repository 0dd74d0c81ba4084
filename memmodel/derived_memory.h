// Either role's derived memory as rows: each component with its name, size, Flink key and
// provenance, in Flink's order, so that tables, JSON, breakdowns and tests list components by
// iterating instead of switching on the role (a new component is added here once).
#pragma once

#include <array>
#include <cstddef>
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

// Rows without a heap allocation: a role has at most 6 Flink parts, 2 JVM parts and 4 sums.
class ComponentRows {
 public:
  static constexpr size_t kCapacity = 12;
  void push_back(const ComponentRow& row) { rows_[size_++] = row; }
  const ComponentRow* begin() const { return rows_.data(); }
  const ComponentRow* end() const { return rows_.data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const ComponentRow& back() const { return rows_[size_ - 1]; }

 private:
  std::array<ComponentRow, kCapacity> rows_{};
  size_t size_ = 0;
};

// The derived memory of one role; exactly one of taskmanager / jobmanager is set.
struct DerivedMemory {
  Role role = Role::kTaskManager;
  std::optional<TaskManagerMemory> taskmanager;
  std::optional<JobManagerMemory> jobmanager;

  // The parts of Total Flink memory, then JVM metaspace and overhead (kFlinkPart, kJvmPart).
  ComponentRows components() const;
  // The members of Flink's reference vectors in their order: the components and the sums
  // (jvmHeap, jvmDirect, flinkTotal, processTotal) between them.
  ComponentRows vector_rows() const;

  MemorySize flink_total() const;
  MemorySize process_total() const;
  DerivationPath path() const;  // the path the derivation took
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
