// Every finding's words: the parts of each, and the one renderer of denial and warning.
#include "webhook/engine/finding_texts.h"

#include <charconv>
#include <cstdio>

#include "webhook/engine/effective_config.h"

namespace memguard::engine {

namespace {

using memmodel::Role;

std::string title(std::optional<Role> role) { return role ? std::string(memmodel::role_title(*role)) : std::string(); }

std::string shortest_double(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  return std::string(buf, end);
}

std::string needed_mib(int64_t bytes) { return std::to_string((bytes + kMiB - 1) / kMiB) + "Mi"; }

}  // namespace

Source Source::flink_set_limit(int64_t request_mib, double factor) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", factor);
  return {Kind::kFlinkSetLimit, std::to_string(request_mib) + "Mi", text, {}};
}

std::string describe(const Source& s) {
  switch (s.kind) {
    case Source::Kind::kField: return s.name;
    case Source::Kind::kOption: return s.name + " in " + s.where;
    case Source::Kind::kDynamicProperty: return "-D" + s.name + " in the args of container " + s.where;
    case Source::Kind::kAnnotation: return "annotation " + s.name + ": " + s.value;
    case Source::Kind::kContainerLimit: return s.name + ": " + s.value + " of container " + s.where;
    case Source::Kind::kResourcesRatio:
      return s.name + " (limits.memory / requests.memory as Kubernetes quantities)";
    case Source::Kind::kFlinkSetLimit: return "the limit Flink sets: " + s.name + " x limit factor " + s.where;
  }
  return s.name;
}

std::string size_in(const Source& source, int64_t mib) {
  return std::to_string(mib) + (source.kind == Source::Kind::kField ? "Mi" : "m");
}

std::string describe(const SuggestedEdit& e) {
  if (e.kind == SuggestedEdit::Kind::kField) {
    return e.value ? "set " + admission::field_path(e.pointer) + ": " + *e.value : "remove " + admission::field_path(e.pointer);
  }
  return e.value ? "set " + e.key + ": " + *e.value + " in " + e.file : "remove " + e.key + " from " + e.file;
}

std::string describe(const SuggestedFix& fix) {
  std::string out;
  for (const auto& e : fix) out += (out.empty() ? "" : " and ") + describe(e);
  return out;
}

std::string breakdown(const memmodel::DerivedMemory& d) {
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

std::string render_message(const FindingParts& p) {
  std::string out = p.scope;
  if (!p.subject.empty()) out.append(p.subject).append(": ");
  out.append(p.problem).append(p.consequence);
  if (!p.fix.empty()) out.append(" Fix: ").append(p.fix).append(".");
  return out;
}

std::string render_warning(const FindingParts& p) {
  const std::string& subject = p.brief_subject ? *p.brief_subject : p.subject;
  const std::string& fix = p.brief_fix ? *p.brief_fix : p.fix;
  std::string out = p.scope;
  if (!subject.empty()) out.append(subject).append(": ");
  out.append(p.brief);
  if (!fix.empty()) out.append("; ").append(fix);
  return out;
}

std::string render_fix_warning(const FindingParts& p) { return p.applied.empty() ? std::string() : p.scope + p.applied; }

std::string Finding::message() const { return render_message(parts); }
std::string Finding::warning() const { return render_warning(parts); }
std::string Finding::fix_warning() const { return render_fix_warning(parts); }

Finding make_finding(FindingCode code, std::optional<Role> role, FindingParts parts) {
  Finding f;
  f.code = code;
  f.role = role;
  f.parts = std::move(parts);
  f.suggested = std::move(f.parts.suggested);
  f.parts.suggested.clear();
  return f;
}

void in_scope(Finding& f, const std::string& scope) {
  f.parts.scope = scope + f.parts.scope;
  // Fixes point into a ConfigMap or FlinkDeployment; on a workload they would patch the wrong object.
  f.fix.clear();
  f.fix_kind = FixKind::kNone;
  f.suggested.clear();
}

std::vector<std::string> derivation_notes(const memmodel::DerivedMemory& derived) {
  std::vector<std::string> out;
  for (const auto& note : derived.notes()) out.push_back(title(derived.role) + ": " + note);
  return out;
}

// ---- One text per finding ----

FindingParts text(const facts::RejectedByFlink& f) {
  FindingParts p;
  p.subject = title(f.role);
  // Native Kubernetes (the operator): the JobManager's resource manager derives the TaskManager
  // memory from this configuration when it starts (ResourceManagerRuntimeServicesConfiguration ->
  // createDefaultWorkerResourceSpec), so a TaskManager configuration Flink rejects stops the
  // JobManager and no TaskManager pod is ever created. Standalone: each TaskManager derives its own.
  std::string consequence;
  if (f.role == Role::kJobManager) {
    consequence = "the JobManager fails at start and the deployment never comes up";
  } else if (f.flink_sizes_container) {
    consequence = "the JobManager fails at start when its resource manager computes the TaskManager memory "
                  "(its pod crash-loops and the deployment is reported failed), and no TaskManager is ever created";
  } else {
    consequence = "every TaskManager fails at start (crash loop) and the job never runs";
  }
  std::string flink_error = f.flink_error;
  if (!flink_error.empty() && flink_error.back() != '.') flink_error += '.';
  if (f.process_key_from_field) {
    // Flink names the process size by its key ("configured Total Process Memory (jobmanager.memory.
    // process.size)", "increase jobmanager.memory.process.size"); the user wrote resource.memory.
    const std::string key = role_prefix(f.role) + ".memory.process.size";
    const std::string field = describe(f.process);
    std::string out;
    size_t from = 0;
    for (size_t at = flink_error.find(key); at != std::string::npos; at = flink_error.find(key, from)) {
      size_t end = at + key.size();
      bool in_parentheses = at > 0 && flink_error[at - 1] == '(' && end < flink_error.size() && flink_error[end] == ')';
      out.append(flink_error, from, end - from).append(in_parentheses ? ", from " + field : " (from " + field + ")");
      from = end;
    }
    flink_error = out.append(flink_error, from, std::string::npos);
  }
  p.problem = "Flink rejects this memory configuration";
  p.consequence = ", so " + consequence + ": " + flink_error;
  std::string options;
  for (const auto& o : f.options) options += (options.empty() ? "" : ", ") + o;
  switch (f.fix) {
    case facts::RejectedByFlink::Fix::kLowerProcess: p.fix = "lower " + describe(f.process); break;
    case facts::RejectedByFlink::Fix::kRaiseProcessTo:
      p.fix = "set " + describe(f.process) + " to at least " + size_in(f.process, f.accepted_process_mib);
      // The process size's own edit is the sentence above; the rest (a limit it must stay under) follow.
      for (size_t i = 1; i < f.raise.size(); ++i) p.fix += " and " + describe(f.raise[i]);
      if (!f.raise.empty()) p.suggested.push_back(f.raise);
      break;
    case facts::RejectedByFlink::Fix::kChangeOptions:
      // The warning has no Flink error above it: the options are named in both.
      p.fix = options.empty() ? "change the memory options in " + f.config_origin + " so that Flink accepts them"
                              : "change " + options + " in " + f.config_origin + " so that Flink accepts them";
      break;
  }
  p.brief_subject = "";
  p.brief = p.subject + " memory rejected by Flink (fails at start)";
  return p;
}

FindingParts text(const facts::FieldNotAMemorySize& f) {
  FindingParts p;
  p.subject = title(f.role) + ": " + f.path;
  p.problem = "'" + f.text + "' is not a memory size the Flink operator accepts (" + f.why + ")";
  p.consequence = ", so the operator rejects the FlinkDeployment and deploys nothing.";
  p.fix = "write a size such as 2048Mi or 2Gi";
  p.brief_subject = f.path;
  p.brief = "'" + f.text + "' is not a memory size the operator accepts";
  p.brief_fix = "write e.g. 2048Mi";
  return p;
}

FindingParts text(const facts::ValidatorCannotDerive& f) {
  FindingParts p;
  const std::string role = title(f.role), field = f.base + ".resource.memory";
  p.subject = role;
  p.problem = field + " is not set, and the Flink operator's validator derives the " + role +
              "'s memory from spec.flinkConfiguration without mapping the legacy heap keys: " + f.flink_error;
  p.consequence = ". It rejects the FlinkDeployment (\"" + role + " resource memory must be defined using `" + field +
                  "`\") and deploys nothing.";
  p.fix = "set " + field + " (for example 2048Mi)";
  p.brief_subject = field;
  p.brief = "not set and the operator cannot derive the " + role +
            " memory from spec.flinkConfiguration; it rejects the FlinkDeployment";
  p.brief_fix = "";
  return p;
}

FindingParts text(const facts::LimitFactorBelowOne& f) {
  FindingParts p;
  std::string source = f.factor ? describe(*f.factor) : "the configuration";
  p.subject = title(f.role);
  p.problem = "the container memory limit factor from " + source +
              (f.unreadable ? " is not a number Flink can read" : " is below 1 (limit below request)");
  p.consequence = ", which Flink refuses when it creates the pod, so the " + title(f.role) + " is never started (" +
                  f.flink_error + ").";
  p.fix = f.unreadable ? "write the factor as a decimal number of at least 1, such as 1.0"
                       : "make the memory limit at least the request (factor >= 1)";
  p.brief = (f.unreadable ? "memory limit factor not a number (from " : "memory limit factor below 1 (from ") + source +
            "); Flink refuses to create the pod";
  p.brief_fix = "";
  return p;
}

FindingParts text(const facts::LimitBelowRequest& f) {
  FindingParts p;
  p.subject = title(f.role) + ": " + f.base + ".resources";
  p.problem = "memory limit '" + f.limit_text + "' (" + format_mib(f.limit_bytes) + ") is below the request '" +
              f.request_text + "' (" + format_mib(f.request_bytes) + ")";
  p.consequence = "; the Flink operator rejects this (request must not exceed its limit) and deploys nothing.";
  p.fix = "set " + f.limit_path + " to at least " + needed_mib(f.request_bytes) + ", or lower " + f.request_path;
  p.brief_subject = f.limit_path;
  p.brief = "'" + f.limit_text + "' is below the request '" + f.request_text + "'; the operator rejects it";
  p.brief_fix = "";
  return p;
}

FindingParts text(const facts::ProcessExceedsLimit& f) {
  FindingParts p;
  int64_t process = f.derived->process_total().bytes();
  const std::string prefix = role_prefix(f.role);
  p.subject = title(f.role);
  std::string what = f.headroom_bytes > 0
                         ? "total process memory plus the required headroom of " + format_mib(f.headroom_bytes)
                         : "total process memory";
  p.problem = what + " exceeds the container memory limit " + format_mib(f.limit_bytes) + " (" + describe(f.limit) +
              "): " + breakdown(*f.derived);
  if (process / kMiB * kMiB <= f.limit_bytes) {
    // Only the policy's headroom is missing: the JVM has every byte it plans to use.
    p.consequence = ". The process fits the limit, but this policy (thresholds.limit-headroom) requires " +
                    format_mib(f.headroom_bytes) + " of room above it, for native memory Flink does not account for.";
  } else {
    p.consequence = ". The JVM will use memory the container does not have, and the kernel OOM-kills it (exit 137).";
  }
  if (f.flink_sized) {
    // Flink derives the limit from the process size: lowering the process lowers the limit with it.
    std::string factor_key = "kubernetes." + prefix + ".memory.limit-factor";
    if (f.raise_limit) {
      p.fix = describe(*f.raise_limit) + " (Flink then sets the limit to " + std::to_string(f.raised_limit_mib) + "Mi)";
      p.suggested.push_back({*f.raise_limit});
      p.brief_fix = describe(*f.raise_limit);
    } else if (!f.version.empty()) {
      p.fix = "Flink " + f.version + " sets the container memory limit to the request (" + factor_key +
              " exists from Flink 1.15), so no setting gives headroom: run Flink 1.15 or later and set " + factor_key +
              ", or lower thresholds.limit-headroom for this namespace";
      p.brief_fix = "no limit factor before Flink 1.15: upgrade, or lower thresholds.limit-headroom";
    } else {
      p.fix = "raise " + factor_key + " until the limit is at least " + needed_mib(process / kMiB * kMiB + f.headroom_bytes);
      p.brief_fix = p.fix;
    }
    p.brief = "process " + format_mib(process) + " exceeds container limit " + format_mib(f.limit_bytes);
    return p;
  }
  std::string needed = needed_mib(process + f.headroom_bytes);
  p.fix = "raise the container memory limit to at least " + needed;
  if (f.declared_limit_field) p.suggested.push_back({SuggestedEdit::field(*f.declared_limit_field, needed)});
  if (f.accepted_lower_process_mib) {
    std::string size = std::to_string(*f.accepted_lower_process_mib) + "m";
    p.fix += ", or set " + prefix + ".memory.process.size to " + size;
    if (f.options_file) p.suggested.push_back({SuggestedEdit::option(prefix + ".memory.process.size", *f.options_file, size)});
  } else if (f.process_instead_of_flink_size_mib) {
    // The tuning guide: in containers configure the total process memory, not total Flink memory.
    std::string size = std::to_string(*f.process_instead_of_flink_size_mib) + "m";
    p.fix += ", or configure " + prefix + ".memory.process.size: " + size + " instead of " + prefix + ".memory.flink.size";
    if (f.options_file) {
      p.suggested.push_back({SuggestedEdit::option(prefix + ".memory.flink.size", *f.options_file, std::nullopt),
                             SuggestedEdit::option(prefix + ".memory.process.size", *f.options_file, size)});
    }
  }
  p.brief = "process " + format_mib(process) + " exceeds container limit " + format_mib(f.limit_bytes);
  p.brief_fix = p.fix;
  if (f.process_set_by) p.fix += ". The process size is set by " + describe(*f.process_set_by);
  return p;
}

FindingParts text(const facts::ProcessSizeNotWholeMib& f) {
  FindingParts p;
  int64_t floor_mib = f.process_bytes / kMiB;
  std::string field = describe(f.process);
  p.subject = title(f.role);
  p.problem = field + " gives a process size of " + format_mib(f.process_bytes) + ", not a whole MiB";
  p.consequence = "; Flink sizes the container to " + std::to_string(floor_mib) + "Mi, " +
                  format_mib(f.process_bytes - floor_mib * kMiB) + " less than the JVM plans to use.";
  p.fix = "set it to " + size_in(f.process, floor_mib);
  p.brief_subject = field;
  p.brief = "process size " + format_mib(f.process_bytes) + " is not a whole MiB; the container gets " +
            std::to_string(floor_mib) + "Mi";
  p.brief_fix = "use " + size_in(f.process, floor_mib);
  if (!f.sizing_keys.empty()) {
    // Derived from other options: configure the process size (the container size) instead of them.
    std::string keys;
    for (const auto& key : f.sizing_keys) keys += (keys.empty() ? "" : " and ") + key;
    if (f.process_size_instead) {
      const Source& to = *f.process_size_instead;
      std::string size = size_in(to, floor_mib);
      if (to.kind == Source::Kind::kField) {
        p.fix = "set " + to.name + ": " + size + " and remove " + keys + " from " + f.process.where;
        p.brief_fix = "set " + to.name + ": " + size + " and remove " + keys;
      } else {
        p.fix = "replace " + keys + " with " + to.name + ": " + size + " in " + f.process.where;
        p.brief_fix = "write " + to.name + ": " + size + " instead";
      }
    } else {
      p.fix = "configure the process size (" + role_prefix(f.role) + ".memory.process.size) instead of " + keys +
              ", as a whole MiB";
      p.brief_fix = "configure the process size instead";
    }
  }
  if (f.patched) p.applied = field + ": rounded down to " + size_in(f.process, floor_mib) + ", the container size Flink creates";
  return p;
}

FindingParts text(const facts::RocksdbUnmanagedMemory& f) {
  FindingParts p;
  p.subject = "TaskManager";
  p.problem = f.managed_key + " is false, so RocksDB allocates native memory outside Flink's budget with no bound";
  p.consequence = "; the container (" + breakdown(*f.derived) + ") is then exceeded under state growth and OOM-killed.";
  // Not fixed-per-slot: Flink allocates that outside every budget too (rocksdb-fixed-memory-unbudgeted).
  p.fix = "remove " + f.managed_key + " (default true: RocksDB then stays within managed memory)";
  p.brief_subject = f.config_origin + "." + f.managed_key;
  p.brief = "false leaves RocksDB native memory unbounded (OOM kills)";
  p.brief_fix = "remove it";
  return p;
}

FindingParts text(const facts::RocksdbZeroManagedMemory& f) {
  FindingParts p;
  p.subject = "TaskManager";
  p.problem = "RocksDB takes its memory from managed memory, which is 0 here (" + breakdown(*f.derived) + ")";
  p.consequence = ", so its block cache and write buffers get no budget and state access crawls or fails.";
  p.fix = "give managed memory a size (taskmanager.memory.managed.fraction, default 0.4, or "
          "taskmanager.memory.managed.size)";
  p.brief = "RocksDB state backend with 0 managed memory";
  p.brief_fix = "set taskmanager.memory.managed.fraction or .size";
  return p;
}

FindingParts text(const facts::HeapBackendManagedMemory& f) {
  FindingParts p;
  std::string managed = format_mib(f.derived->taskmanager->managed.size.bytes());
  p.subject = "TaskManager";
  p.problem = "the heap state backend (" + f.backend_setting + ") in streaming mode does not use managed memory";
  p.consequence = ", so " + managed + " of the container stay unused (" + breakdown(*f.derived) + ").";
  p.fix = "set taskmanager.memory.managed.size: 0 to give it to the task heap (unless the job runs Python UDFs, "
          "which use managed memory)";
  p.brief = "heap state backend in streaming mode leaves " + managed + " managed memory unused";
  p.brief_fix = "set taskmanager.memory.managed.size: 0";
  if (f.patched) {
    p.applied = "spec.flinkConfiguration.taskmanager.memory.managed.size: set to 0 (heap state backend in streaming "
                "mode); " + managed + " move to the task heap";
  }
  return p;
}

FindingParts text(const facts::JvmOverheadBelowDefault& f) {
  FindingParts p;
  std::string key = role_prefix(f.role) + ".memory.jvm-overhead.min";
  std::string overhead = format_mib(f.derived->overhead().bytes());
  std::string minimum = format_mib(f.minimum_bytes);
  p.subject = title(f.role);
  p.problem = "JVM overhead is " + overhead + ", below " + minimum + " (Flink's default minimum)";
  p.consequence = ": thread stacks, code cache, GC and native libraries have little room, a common cause of OOM "
                  "kills (" + breakdown(*f.derived) + ").";
  p.fix = "remove the lower " + key + " or raise the process size";
  p.brief = "JVM overhead " + overhead + " is below " + minimum + " (Flink's default minimum)";
  p.brief_fix = "raise " + key + " in " + f.config_origin;
  return p;
}

FindingParts text(const facts::AmbiguousFieldUnit& f) {
  FindingParts p;
  std::string flink = format_mib(f.flink_bytes);
  std::string k8s_part = f.kubernetes_reading.empty() ? "not a quantity Kubernetes can read"
                                                      : f.kubernetes_reading + " to Kubernetes";
  p.subject = title(f.role) + ": " + f.path;
  p.problem = "'" + f.text + "' is " + flink + " to the Flink operator but " + k8s_part;
  p.consequence = "; tools and people reading it as a Kubernetes quantity get a different size.";
  p.fix = f.unambiguous ? "write '" + *f.unambiguous + "'" : "write a binary quantity such as 1536Mi";
  p.brief_subject = f.path;
  p.brief = p.problem;
  if (f.unambiguous) {
    p.applied = f.path + ": rewrote '" + f.text + "' as '" + *f.unambiguous + "' (" + flink +
                " for the operator as before, and now the same for Kubernetes)";
  }
  return p;
}

FindingParts text(const facts::NotAKubernetesQuantity& f) {
  FindingParts p;
  p.subject = title(f.role) + ": " + f.base + ".resources";
  p.problem = "the operator computes the memory limit factor from Kubernetes quantities, and '" + f.text + "' is not one";
  p.consequence = ", so the deployment fails.";
  p.fix = "write both as Kubernetes quantities such as 2048Mi";
  p.brief_subject = f.base + ".resources";
  p.brief = "'" + f.text + "' is not a Kubernetes quantity; the operator cannot compute the limit factor";
  p.brief_fix = "";
  return p;
}

FindingParts text(const facts::MixedUnitSystems& f) {
  FindingParts p;
  std::string factor = shortest_double(f.kubernetes_factor), ratio = shortest_double(f.flink_ratio);
  p.subject = title(f.role) + ": " + f.base + ".resources";
  p.problem = "request '" + f.request_text + "' and limit '" + f.limit_text + "' use different unit systems";
  p.consequence = ": the operator sizes the process from Flink units (" + format_mib(f.request_bytes) +
                  ") but computes the limit factor from Kubernetes units (" + factor + " instead of " + ratio + ").";
  p.fix = "write both with Kubernetes binary suffixes (Mi, Gi)";
  p.brief_subject = f.base + ".resources";
  p.brief = "request '" + f.request_text + "' and limit '" + f.limit_text + "' mix units; limit factor becomes " +
            factor + ", not " + ratio;
  p.brief_fix = "";
  if (f.patched) {
    p.applied = f.base + ".resources: rewrote the memory request and limit in Kubernetes binary units, so the limit "
                "factor is " + ratio;
  }
  return p;
}

FindingParts text(const facts::PodTemplateResourcesOverwritten& f) {
  FindingParts p;
  p.subject = f.role ? title(f.role) + ": " + f.path : f.path;
  p.problem = f.entries + " on flink-main-container have no effect";
  p.consequence = ": Flink overwrites memory and cpu with the sizes it derives from " + f.sized_by + ".";
  p.fix = "remove them and size the container through " + f.sized_by;
  p.brief_subject = f.path;
  p.brief = f.entries + " of flink-main-container are overwritten by Flink";
  p.brief_fix = "set " + f.sized_by + " instead";
  return p;
}

FindingParts text(const facts::ConfigFileInvalid& f) {
  FindingParts p;
  p.subject = f.config_origin;
  p.problem = "Flink cannot load this file (" + f.flink_error + ")";
  p.consequence = ", so every Flink process using it fails at start. Fix the file.";
  p.brief = p.problem + p.consequence;
  return p;
}

FindingParts text(const facts::ConfigFileNotRead& f) {
  FindingParts p;
  p.subject = "data";
  if (f.file_read == admission::kConfigYaml) {
    p.problem = "Flink " + f.version + " reads only config.yaml, and this ConfigMap has only flink-conf.yaml";
    p.consequence = ", so Flink fails at start (config file does not exist).";
    p.fix = "rename the key to config.yaml (bin/migrate-config-file.sh converts the format)";
  } else {
    p.problem = "Flink " + f.version + " reads only flink-conf.yaml, and this ConfigMap has only config.yaml";
    p.consequence = ", so Flink fails at start.";
    p.fix = "use the key flink-conf.yaml with flat 'key: value' lines";
  }
  // Short enough to be its own warning.
  p.brief = p.problem + p.consequence + " Fix: " + p.fix + ".";
  p.brief_fix = "";
  return p;
}

FindingParts text(const facts::WorkloadNoMemoryLimit& f) {
  FindingParts p;
  std::string needed = needed_mib(f.derived->process_total().bytes());
  p.subject = title(f.role);
  p.problem = "the container has no memory limit, so nothing bounds it";
  p.consequence = ": the pod competes for the node's memory and the node's OOM killer chooses among pods (" +
                  breakdown(*f.derived) + ").";
  p.fix = "set resources.limits.memory to at least " + needed;
  p.brief = "no memory limit";
  return p;
}

FindingParts text(const facts::MemoryRequestBelowProcess& f) {
  FindingParts p;
  int64_t process = f.derived->process_total().bytes();
  std::string needed = needed_mib(process);
  p.subject = title(f.role);
  p.problem = "the memory request " + format_mib(f.request_bytes) + " (resources.requests.memory: " + f.request_text +
              ") is below the process size (" + breakdown(*f.derived) + ")";
  p.consequence = ", so the scheduler overcommits the node and this pod is among the first evicted or OOM-killed "
                  "under memory pressure.";
  p.fix = "set resources.requests.memory to " + needed;
  p.brief = "memory request " + format_mib(f.request_bytes) + " below process " + format_mib(process);
  return p;
}

// Option edits as suggested edits of the file they live in.
static SuggestedFix suggested_options(const std::vector<facts::OptionEdit>& edits, const std::string& file) {
  SuggestedFix out;
  for (const auto& e : edits) out.push_back(SuggestedEdit::option(e.key, file, e.value));
  return out;
}

std::string facts::describe(const std::vector<OptionEdit>& edits) {
  std::string out;
  for (const auto& e : edits) {
    if (!out.empty()) out += " and ";
    out += e.value ? "set " + e.key + ": " + *e.value : "remove " + e.key;
  }
  return out;
}

FindingParts text(const facts::FlinkSizeInContainer& f) {
  FindingParts p;
  std::string process = format_mib(f.derived->process_total().bytes());
  p.subject = title(f.role);
  p.problem = f.flink_size_key + " sizes the " + title(f.role) + " and no process size is configured, so Flink adds "
              "JVM metaspace and overhead and requests a container of the derived total process memory (" +
              breakdown(*f.derived) + ")";
  p.consequence = ". Flink's memory tuning guide recommends configuring the total process memory in containers: it is "
                  "the container size, so what you write is what the pod gets.";
  if (f.process_mib && f.process_field) {
    p.fix = "set " + *f.process_field + ": " + std::to_string(*f.process_mib) + "Mi (the container Flink requests now) "
            "and remove " + f.flink_size_key + " from " + f.config_origin;
    admission::Pointer field{"spec", f.role == Role::kJobManager ? "jobManager" : "taskManager", "resource", "memory"};
    p.suggested.push_back({SuggestedEdit::field(field, std::to_string(*f.process_mib) + "Mi"),
                           SuggestedEdit::option(f.flink_size_key, f.config_origin, std::nullopt)});
  } else if (f.process_mib) {
    p.fix = "replace " + f.flink_size_key + " with " + f.process_key + ": " + std::to_string(*f.process_mib) +
            "m (the container Flink requests now) in " + f.config_origin;
    p.suggested.push_back({SuggestedEdit::option(f.flink_size_key, f.config_origin, std::nullopt),
                           SuggestedEdit::option(f.process_key, f.config_origin, std::to_string(*f.process_mib) + "m")});
  } else {
    p.fix = "configure " + (f.process_field ? *f.process_field : f.process_key) + " instead of " + f.flink_size_key;
  }
  p.brief = f.flink_size_key + " sizes the container (" + process + ") instead of the process size";
  if (f.process_mib) {
    p.brief_fix = f.process_field ? "set " + *f.process_field + ": " + std::to_string(*f.process_mib) + "Mi and remove " +
                                        f.flink_size_key
                                  : "write " + f.process_key + ": " + std::to_string(*f.process_mib) + "m instead";
  }
  return p;
}

FindingParts text(const facts::BatchManagedMemoryTooSmall& f) {
  FindingParts p;
  std::string page = std::to_string(f.page_bytes);
  std::string slots = std::to_string(f.slots) + (f.slots == 1 ? " slot" : " slots");
  p.subject = "TaskManager";
  if (f.per_slot_bytes == 0) {
    p.problem = "execution.runtime-mode is BATCH and managed memory is 0 (" + breakdown(*f.derived) + ")";
    p.consequence = ", but batch sort and hash operators run on managed memory only: a sort fails with \"Too little "
                    "memory provided to sorter to perform task. Required are at least 12 pages. Current page size is " +
                    page + " bytes.\", and a hash join or aggregation needs at least 33 pages (\"Hash Join needs at "
                    "least 33 memory segments.\").";
  } else {
    p.problem = "execution.runtime-mode is BATCH and each of the " + slots + " gets " + format_mib(f.per_slot_bytes) +
                " of managed memory (" + std::to_string(f.per_slot_bytes / f.page_bytes) + " pages of " + page +
                " bytes)";
    p.consequence = ", fewer than the 33 pages a hash join needs (\"Hash Join needs at least 33 memory segments.\"), "
                    "and every operator sharing the slot gets only its share of that, so batch joins and sorts fail "
                    "or spill nearly everything.";
  }
  if (!f.fix.empty()) {
    p.suggested.push_back(suggested_options(f.fix, f.config_origin));
    p.fix = describe(f.fix) + " in " + f.config_origin + " (managed memory " + format_mib(f.managed_after_fix_bytes) +
            ", " + format_mib(f.managed_after_fix_bytes / f.slots) + " per slot)";
  } else {
    p.fix = "give each slot at least " + format_mib(f.needed_per_slot_bytes) + " of managed memory "
            "(taskmanager.memory.managed.size, or .fraction) and raise the process size with it";
  }
  p.brief_fix = f.fix.empty() ? "give each slot at least " + format_mib(f.needed_per_slot_bytes) + " of managed memory"
                              : describe(f.fix);
  p.brief = f.per_slot_bytes == 0 ? "BATCH mode with 0 managed memory: sorts and hash joins fail"
                                  : "BATCH mode with " + format_mib(f.per_slot_bytes) +
                                        " managed memory per slot, below a hash join's 33 pages";
  return p;
}

FindingParts text(const facts::RocksdbFixedMemoryUnbudgeted& f) {
  FindingParts p;
  std::string total = format_mib(f.fixed_total_bytes);
  std::string amount = f.per_slot ? f.fixed_key + ": " + f.fixed_text + " x " + std::to_string(f.slots) +
                                        (f.slots == 1 ? " slot" : " slots") + " = " + total
                                  : f.fixed_key + ": " + f.fixed_text;
  p.subject = "TaskManager";
  p.problem = "RocksDB gets " + amount + " of native memory, which Flink allocates as an external shared resource "
              "outside managed memory and outside every other part of the process size; only task off-heap (" +
              format_mib(f.task_off_heap_bytes) + ") leaves room for it (" + breakdown(*f.derived) + ")";
  p.consequence = ", so under state growth the process exceeds its container and is OOM-killed (exit 137).";
  std::string reserve = f.reserve ? describe(*f.reserve) + " (Flink then counts it in the process size)"
                                  : "raise taskmanager.memory.task.off-heap.size by " + total + " and the process size "
                                    "with it";
  if (!f.fix.empty()) p.suggested.push_back(suggested_options(f.fix, f.config_origin));
  if (f.reserve) p.suggested.push_back(suggested_options(*f.reserve, f.config_origin));
  if (!f.fix.empty()) {
    p.fix = describe(f.fix) + " in " + f.config_origin + " (RocksDB then stays within managed memory, " +
            format_mib(f.managed_per_slot_bytes) + " per slot, as Flink's tuning guide recommends), or reserve it: " +
            reserve;
    p.brief_fix = describe(f.fix);
  } else {
    p.fix = "reserve it: " + reserve;
    p.brief_fix = "reserve it in taskmanager.memory.task.off-heap.size";
  }
  p.brief = "RocksDB fixed memory " + total + " is outside Flink's budget (task off-heap " +
            format_mib(f.task_off_heap_bytes) + ")";
  return p;
}

std::string unreadable_object_error(std::string_view error) {
  return std::string(error) + " (flink-memguard cannot read this object)";
}

std::string unreadable_object_mutate_warning(std::string_view error) {
  return std::string(error) + " (flink-memguard cannot read this object, so /mutate changes nothing)";
}

std::string unreadable_object_reason(std::string_view error) {
  return "object not readable: " + std::string(error);
}

}  // namespace memguard::engine
