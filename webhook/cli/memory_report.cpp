// Derivation of one role for the memory command, and the vector-format JSON members it shares
// with --batch (field names as in shared/vectors).
#include "webhook/cli/memory_report.h"

#include "memmodel/java_text.h"

namespace memguard::cli {

using namespace memguard::memmodel;

RoleReport derive_role(Role role, const FlinkConfig& config, const DerivationContext& context) {
  RoleReport report;
  report.role = role;
  auto memory = derive_memory(role, config, context);
  if (!memory) {
    report.error = memory.error();
    return report;
  }
  report.jvm_args = memory->jvm_flags();
  report.dynamic = memory->dynamic_properties(context.version);
  static_cast<DerivedMemory&>(report) = std::move(*memory);
  auto container = container_memory(role, report.process_total(), config, context.version);
  if (!container) {
    report.error = container.error();
    return report;
  }
  report.container = *container;
  return report;
}

void write_vector_members(json::Writer& w, const RoleReport& r) {
  w.key("components").begin_object();
  for (const ComponentRow& row : r.vector_rows()) w.member(row.field, row.size.bytes());
  if (r.taskmanager) {
    // Java's Double.toString form ("1.0", "1.0E7") is valid JSON and reads like Flink's output.
    w.key("cpuCores").raw(java::double_to_string(r.taskmanager->cpu_cores));
    w.member("numSlots", r.taskmanager->num_slots);
  }
  w.end_object();
  w.member("jvmArgs", r.jvm_args);
  w.key("dynamicConfigs").begin_object();
  for (const auto& [key, value] : r.dynamic) w.member(key, value);
  w.end_object();
}

}  // namespace memguard::cli
