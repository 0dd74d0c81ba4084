// Derivation of one role for the memory command, and the vector-format JSON members it shares
// with --batch (field names as in shared/vectors).
#include "webhook/cli/memory_report.h"

#include "memmodel/java_text.h"
#include "webhook/cli/memory_rows.h"

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

std::vector<std::string> sized_from_keys(Role role, std::optional<DerivationPath> path, const FlinkConfig& config,
                                         const FlinkVersion& version) {
  std::vector<std::string> keys;
  if (!path) return keys;
  const std::string prefix(role_name(role));
  auto add_if_set = [&](const std::string& key) {
    if (config.contains(key)) keys.push_back(key);
  };
  if (role == Role::kJobManager && !version.at_least(1, 11)) {
    add_if_set("jobmanager.heap.size");
    if (keys.empty()) add_if_set("jobmanager.heap.mb");
    return keys;
  }
  if (*path == DerivationPath::kFineGrained) {
    if (role == Role::kTaskManager) {
      keys = {"taskmanager.memory.task.heap.size", "taskmanager.memory.managed.size"};
    } else {
      keys = {"jobmanager.memory.heap.size"};
    }
  }
  const std::string flink_key = prefix + ".memory.flink.size";
  const std::string process_key = prefix + ".memory.process.size";
  add_if_set(flink_key);
  add_if_set(process_key);
  // The path's own total without its key set: a legacy heap key stands for it (1.x).
  const bool total_missing = (*path == DerivationPath::kTotalFlink && !config.contains(flink_key)) ||
                             (*path == DerivationPath::kTotalProcess && !config.contains(process_key)) ||
                             (*path == DerivationPath::kFineGrained && role == Role::kJobManager &&
                              !config.contains("jobmanager.memory.heap.size"));
  if (total_missing) {
    if (config.contains(prefix + ".heap.size")) {
      keys.push_back(prefix + ".heap.size");
    } else if (config.contains(prefix + ".heap.mb")) {
      keys.push_back(prefix + ".heap.mb");
    } else {
      keys.push_back(std::string(role == Role::kTaskManager ? "FLINK_TM_HEAP" : "FLINK_JM_HEAP"));
    }
  }
  return keys;
}

void explain_role(RoleReport& report, const FlinkConfig& config, const DerivationContext& context) {
  report.derivation = derivation_path(report.role, config, context);
  report.sized_from = sized_from_keys(report.role, report.derivation, config, context.version);
  if (report.derivation_rejected()) report.smallest_accepted = smallest_accepted_size(report.role, config, context);
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

namespace {

std::string role_prefix_key(Role role, std::string_view suffix) {
  return std::string(role_name(role)) + std::string(suffix);
}

}  // namespace

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kIllegalConfiguration: return "illegal-configuration";
    case ErrorCode::kOverflow: return "overflow";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kLimitExceeded: return "limit-exceeded";
    case ErrorCode::kFirstModuleCode: break;
  }
  return "other";
}

void write_role_members(json::Writer& w, const RoleReport& r, const FlinkConfig& config, const FlinkVersion& version) {
  w.member("ok", r.ok());
  if (r.error) w.member("error", r.error->message);
  w.key("derivationPath");
  if (r.derivation) {
    w.string(derivation_path_name(*r.derivation));
  } else {
    w.null();
  }
  w.key("sizedFrom").begin_array();
  for (const std::string& key : r.sized_from) w.string(key);
  w.end_array();
  if (r.error) {
    w.key("rejection").begin_object();
    w.member("reason", error_code_name(r.error->code)).member("message", r.error->message);
    w.key("smallestAccepted");
    if (r.smallest_accepted) {
      w.begin_object()
          .member("key", r.smallest_accepted->key)
          .member("bytes", r.smallest_accepted->size.bytes())
          .end_object();
    } else {
      w.null();
    }
    w.end_object();
  }
  if (r.taskmanager || r.jobmanager) {
    write_vector_members(w, r);
    w.member("dynamicConfigsString", dynamic_properties_string(r.dynamic, version));
    w.key("sources").begin_object();
    for (const ComponentRow& c : r.components()) {
      w.key(c.field).begin_object().member("provenance", provenance_name(c.provenance)).member("key", c.key).end_object();
    }
    // The totals too: configured when their key is set, derived otherwise (the diagram's rows).
    const RoleRows rows = memory_rows(r, config);
    w.key("flinkTotal").begin_object().member("provenance", rows.flink_total.provenance);
    w.member("key", role_prefix_key(r.role, ".memory.flink.size")).end_object();
    w.key("processTotal").begin_object().member("provenance", rows.process_total.provenance);
    w.member("key", role_prefix_key(r.role, ".memory.process.size")).end_object();
    w.end_object();
    w.key("jvmFlags").begin_array();
    for (const JvmFlag& f : rows.flags) w.begin_object().member("flag", f.flag).member("bytes", f.bytes).end_object();
    w.end_array();
    if (r.jobmanager) w.member("jvmDirectMemoryLimit", r.jobmanager->direct_memory_limit);
    w.key("notes").begin_array();
    for (const std::string& note : r.notes()) w.string(note);
    w.end_array();
  }
  if (r.container) {
    w.key("kubernetes").begin_object();
    w.member("memoryRequest", std::to_string(r.container->request_mib) + "Mi");
    w.member("memoryLimit", std::to_string(r.container->limit_mib) + "Mi");
    w.key("limitFactor").number(r.container->limit_factor);
    w.end_object();
  }
}

}  // namespace memguard::cli
