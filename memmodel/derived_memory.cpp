// The derived memory of either role as rows (see derived_memory.h).
#include "memmodel/derived_memory.h"

namespace memguard::memmodel {

namespace {

using Kind = ComponentRow::Kind;

ComponentRow row(Kind kind, std::string_view name, std::string_view field, std::string_view phrase,
                 const Component& c) {
  return ComponentRow{kind, name, field, phrase, c.size, c.key, c.provenance};
}

ComponentRow sum(std::string_view name, std::string_view field, std::string_view phrase, MemorySize size) {
  return ComponentRow{Kind::kSum, name, field, phrase, size, {}, Provenance::kDerived};
}

}  // namespace

ComponentRows DerivedMemory::components() const {
  ComponentRows rows;
  const JvmMetaspaceAndOverhead* jvm = nullptr;
  if (taskmanager) {
    const TaskManagerMemory& m = *taskmanager;
    rows.push_back(row(Kind::kFlinkPart, "Framework Heap", "frameworkHeap", "framework heap", m.framework_heap));
    rows.push_back(row(Kind::kFlinkPart, "Task Heap", "taskHeap", "task heap", m.task_heap));
    rows.push_back(
        row(Kind::kFlinkPart, "Framework Off-Heap", "frameworkOffHeap", "framework off-heap", m.framework_off_heap));
    rows.push_back(row(Kind::kFlinkPart, "Task Off-Heap", "taskOffHeap", "task off-heap", m.task_off_heap));
    rows.push_back(row(Kind::kFlinkPart, "Network", "network", "network", m.network));
    rows.push_back(row(Kind::kFlinkPart, "Managed", "managed", "managed", m.managed));
    jvm = &m.jvm;
  } else if (jobmanager) {
    const JobManagerMemory& m = *jobmanager;
    rows.push_back(row(Kind::kFlinkPart, "JVM Heap", "jvmHeap", "JVM heap", m.jvm_heap));
    rows.push_back(row(Kind::kFlinkPart, "Off-Heap", "offHeap", "off-heap", m.off_heap));
    jvm = &m.jvm;
  } else {
    return rows;
  }
  rows.push_back(row(Kind::kJvmPart, "JVM Metaspace", "jvmMetaspace", "JVM metaspace", jvm->metaspace));
  rows.push_back(row(Kind::kJvmPart, "JVM Overhead", "jvmOverhead", "JVM overhead", jvm->overhead));
  return rows;
}

ComponentRows DerivedMemory::vector_rows() const {
  ComponentRows rows;
  for (const ComponentRow& r : components()) {
    if (r.kind == Kind::kJvmPart && rows.back().kind == Kind::kFlinkPart) {
      // After the Flink parts: the JVM's heap (a sum for the TaskManager) and direct memory, and the total.
      if (taskmanager) rows.push_back(sum("JVM Heap", "jvmHeap", "JVM heap", taskmanager->jvm_heap()));
      rows.push_back(sum("JVM Direct", "jvmDirect", "JVM direct",
                         taskmanager ? taskmanager->jvm_direct() : jobmanager->jvm_direct()));
      rows.push_back(sum("Total Flink Memory", "flinkTotal", "total Flink", flink_total()));
    }
    rows.push_back(r);
  }
  if (!rows.empty()) rows.push_back(sum("Total Process Memory", "processTotal", "total process", process_total()));
  return rows;
}

MemorySize DerivedMemory::flink_total() const {
  return taskmanager ? taskmanager->flink_total() : jobmanager ? jobmanager->flink_total() : MemorySize();
}
MemorySize DerivedMemory::process_total() const {
  return taskmanager ? taskmanager->process_total() : jobmanager ? jobmanager->process_total() : MemorySize();
}
MemorySize DerivedMemory::metaspace() const {
  return taskmanager ? taskmanager->jvm.metaspace.size : jobmanager ? jobmanager->jvm.metaspace.size : MemorySize();
}
MemorySize DerivedMemory::overhead() const {
  return taskmanager ? taskmanager->jvm.overhead.size : jobmanager ? jobmanager->jvm.overhead.size : MemorySize();
}
const std::vector<std::string>& DerivedMemory::notes() const {
  static const std::vector<std::string> kNone;
  return taskmanager ? taskmanager->notes : jobmanager ? jobmanager->notes : kNone;
}
std::string DerivedMemory::jvm_flags() const {
  return taskmanager ? memmodel::jvm_args(*taskmanager) : jobmanager ? memmodel::jvm_args(*jobmanager) : "";
}
std::vector<std::pair<std::string, std::string>> DerivedMemory::dynamic_properties(const FlinkVersion& version) const {
  if (taskmanager) return memmodel::dynamic_properties(*taskmanager, version);
  if (jobmanager) return memmodel::dynamic_properties(*jobmanager, version);
  return {};
}

Expected<DerivedMemory> derive_memory(Role role, const FlinkConfig& config, const DerivationContext& context) {
  DerivedMemory out;
  out.role = role;
  if (role == Role::kTaskManager) {
    auto m = derive_taskmanager(config, context);
    if (!m) return Unexpected{m.error()};
    out.taskmanager = std::move(*m);
  } else {
    auto m = derive_jobmanager(config, context);
    if (!m) return Unexpected{m.error()};
    out.jobmanager = std::move(*m);
  }
  return out;
}

std::optional<DerivationPath> derivation_path(Role role, const FlinkConfig& config, const DerivationContext& context) {
  return role == Role::kTaskManager ? taskmanager_derivation_path(config, context)
                                    : jobmanager_derivation_path(config, context);
}

DerivationPath DerivedMemory::path() const {
  return taskmanager ? taskmanager->path : jobmanager ? jobmanager->path : DerivationPath::kTotalProcess;
}

}  // namespace memguard::memmodel
