// Derivation of one role for the memory command, and the vector-format JSON members it shares
// with --batch (field names as in shared/vectors).
#include "webhook/cli/memory_report.h"

#include "memmodel/java_text.h"

namespace memguard::cli {

using namespace memguard::memmodel;

RoleReport derive_role(Role role, const FlinkConfig& config, const DerivationContext& context) {
  RoleReport report;
  report.role = role;
  MemorySize process_total;
  if (role == Role::kTaskManager) {
    auto m = derive_taskmanager(config, context);
    if (!m) {
      report.error = m.error();
      return report;
    }
    report.jvm_args = jvm_args(*m);
    report.dynamic = dynamic_properties(*m, context.version);
    process_total = m->process_total();
    report.taskmanager = std::move(*m);
  } else {
    auto m = derive_jobmanager(config, context);
    if (!m) {
      report.error = m.error();
      return report;
    }
    report.jvm_args = jvm_args(*m);
    report.dynamic = dynamic_properties(*m, context.version);
    process_total = m->process_total();
    report.jobmanager = std::move(*m);
  }
  auto container = container_memory(role, process_total, config, context.version);
  if (!container) {
    report.error = container.error();
    return report;
  }
  report.container = *container;
  return report;
}

void write_vector_members(json::Writer& w, const RoleReport& r) {
  w.key("components").begin_object();
  if (r.taskmanager) {
    const TaskManagerMemory& m = *r.taskmanager;
    w.member("frameworkHeap", m.framework_heap.size.bytes())
        .member("taskHeap", m.task_heap.size.bytes())
        .member("frameworkOffHeap", m.framework_off_heap.size.bytes())
        .member("taskOffHeap", m.task_off_heap.size.bytes())
        .member("network", m.network.size.bytes())
        .member("managed", m.managed.size.bytes())
        .member("jvmHeap", m.jvm_heap().bytes())
        .member("jvmDirect", m.jvm_direct().bytes())
        .member("flinkTotal", m.flink_total().bytes())
        .member("jvmMetaspace", m.jvm.metaspace.size.bytes())
        .member("jvmOverhead", m.jvm.overhead.size.bytes())
        .member("processTotal", m.process_total().bytes());
    // Java's Double.toString form ("1.0", "1.0E7") is valid JSON and reads like Flink's output.
    w.key("cpuCores").raw(java::double_to_string(m.cpu_cores));
    w.member("numSlots", m.num_slots);
  } else if (r.jobmanager) {
    const JobManagerMemory& m = *r.jobmanager;
    w.member("jvmHeap", m.jvm_heap.size.bytes())
        .member("offHeap", m.off_heap.size.bytes())
        .member("jvmDirect", m.jvm_direct().bytes())
        .member("flinkTotal", m.flink_total().bytes())
        .member("jvmMetaspace", m.jvm.metaspace.size.bytes())
        .member("jvmOverhead", m.jvm.overhead.size.bytes())
        .member("processTotal", m.process_total().bytes());
  }
  w.end_object();
  w.member("jvmArgs", r.jvm_args);
  w.key("dynamicConfigs").begin_object();
  for (const auto& [key, value] : r.dynamic) w.member(key, value);
  w.end_object();
}

}  // namespace memguard::cli
