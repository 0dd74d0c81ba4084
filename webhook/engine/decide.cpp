// The decision: which requests are judged at all, then findings -> policy actions -> deny / warn /
// patch. Dry runs take exactly the same path (nothing here looks at request.dryRun).
#include "webhook/engine/decide.h"

#include <algorithm>
#include <set>

#include "webhook/engine/effective_config.h"
#include "webhook/engine/rules.h"
#include "webhook/engine/workload.h"

namespace memguard::engine {

namespace {

const admission::ObjectMeta* metadata_of(const admission::KubeObject& object) {
  if (const auto* fd = std::get_if<admission::FlinkDeploymentObject>(&object)) return &fd->metadata;
  if (const auto* cm = std::get_if<admission::ConfigMapObject>(&object)) return &cm->metadata;
  if (const auto* w = std::get_if<admission::WorkloadObject>(&object)) return &w->metadata;
  return nullptr;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

bool fix_allowed(const Finding& f, const Settings& settings) {
  if (f.fix.empty()) return false;
  if (f.fix_kind == FixKind::kCorrection) return settings.mutations;
  if (f.fix_kind == FixKind::kTuning) return settings.tuning;
  return false;
}

// The objects the gate lets pass unjudged, one row each: whether the row applies, and the reason
// written to the audit annotation ("" : none, the object is simply none of our business).
struct Gated {
  const admission::KubeObject& object;
  const admission::ObjectMeta& meta;
  const Policy& policy;
  std::string_view namespace_;
};
struct GateRow {
  bool (*applies)(const Gated&);
  std::string (*reason)(const Gated&);  // nullptr: no reason worth recording
};

bool configmap_without_flink(const Gated& g) {
  const auto* cm = std::get_if<admission::ConfigMapObject>(&g.object);
  return cm != nullptr && !cm->holds_flink_configuration;
}
// High-availability ConfigMaps are rewritten constantly for leader election; never in their way.
bool high_availability_configmap(const Gated& g) {
  if (!std::holds_alternative<admission::ConfigMapObject>(g.object)) return false;
  auto type = g.meta.labels.find("configmap-type");
  return type != g.meta.labels.end() && type->second == "high-availability";
}
// Workloads that run no Flink with a mounted configuration are none of our business (and cost no lookup).
bool workload_without_flink(const Gated& g) {
  const auto* w = std::get_if<admission::WorkloadObject>(&g.object);
  return w != nullptr && flink_containers(*w).empty();
}
bool namespace_excluded(const Gated& g) { return g.policy.excluded(g.namespace_); }
std::string namespace_excluded_reason(const Gated& g) {
  return "namespace " + std::string(g.namespace_) + " is excluded by policy";
}
bool opted_out(const Gated& g) {
  if (!g.policy.honour_skip_annotation) return false;
  auto opt_out = g.meta.annotations.find(kSkipAnnotation);
  return opt_out != g.meta.annotations.end() && opt_out->second == "true";
}
std::string opted_out_reason(const Gated&) { return "object annotation " + std::string(kSkipAnnotation) + "=true"; }
// An object being deleted only waits for finalizers to go; blocking that leaves it stuck.
bool being_deleted(const Gated& g) { return g.meta.being_deleted; }

constexpr GateRow kGate[] = {
    {configmap_without_flink, nullptr},
    {high_availability_configmap, nullptr},
    {workload_without_flink, nullptr},
    {namespace_excluded, namespace_excluded_reason},
    {opted_out, opted_out_reason},
    {being_deleted, nullptr},
};

// The first row that lets the object pass unjudged, as its reason; nullopt: judge it.
std::optional<std::string> gate(const Gated& g) {
  for (const GateRow& row : kGate) {
    if (row.applies(g)) return row.reason != nullptr ? row.reason(g) : std::string();
  }
  return std::nullopt;
}

}  // namespace

std::string_view outcome_name(Decision::Outcome outcome) {
  switch (outcome) {
    case Decision::Outcome::kAllowed: return "allowed";
    case Decision::Outcome::kDenied: return "denied";
    case Decision::Outcome::kPatched: return "patched";
    case Decision::Outcome::kErrored: return "errored";
    case Decision::Outcome::kSkipped: return "skipped";
  }
  return "errored";
}

std::vector<Finding> findings_for(const admission::KubeObject& object, const Settings& settings,
                                  std::vector<std::string>* notes) {
  return findings_for(object, settings, notes, nullptr, "");
}

std::vector<Finding> findings_for(const admission::KubeObject& object, const Settings& settings,
                                  std::vector<std::string>* notes, const Counterparts* counterparts,
                                  std::string_view namespace_) {
  if (const auto* w = std::get_if<admission::WorkloadObject>(&object)) {
    return workload_findings(*w, namespace_.empty() ? std::string_view(w->metadata.namespace_) : namespace_,
                             counterparts, settings, notes);
  }
  EffectiveConfig effective;
  if (const auto* fd = std::get_if<admission::FlinkDeploymentObject>(&object)) {
    effective = build_flinkdeployment(*fd);
  } else if (const auto* cm = std::get_if<admission::ConfigMapObject>(&object)) {
    if (!cm->holds_flink_configuration) return {};
    effective = build_configmap(*cm);
  } else {
    return {};
  }
  std::vector<Finding> findings = std::move(effective.findings);
  std::vector<std::string> derivation_notes;
  for (const auto& role : effective.roles) {
    auto more = evaluate_role(effective, role, settings, &derivation_notes);
    for (auto& f : more) findings.push_back(std::move(f));
  }
  if (notes != nullptr) {
    for (auto& n : effective.notes) notes->push_back(std::move(n));
    for (auto& n : derivation_notes) notes->push_back(std::move(n));
  }
  const auto* cm = std::get_if<admission::ConfigMapObject>(&object);
  if (cm != nullptr && counterparts != nullptr) {
    std::string_view ns = namespace_.empty() ? std::string_view(cm->metadata.namespace_) : namespace_;
    for (auto& f : configmap_workload_findings(*cm, ns, *counterparts, settings, notes)) {
      // The file's own problems (rejected memory, state backend, overhead) are already reported
      // once for the ConfigMap itself; what concerns each container's limit is reported per workload.
      bool per_container = f.code == FindingCode::kProcessExceedsLimit || f.code == FindingCode::kWorkloadNoMemoryLimit ||
                           f.code == FindingCode::kMemoryRequestBelowProcess;
      bool repeated = !per_container && std::any_of(findings.begin(), findings.end(), [&](const Finding& own) {
        return own.code == f.code && own.role == f.role;
      });
      if (f.code == FindingCode::kConfigFileInvalid || repeated) continue;
      findings.push_back(std::move(f));
    }
  }
  return findings;
}

Decision decide(const admission::AdmissionRequest& request, admission::Mode mode, const Policy& policy) {
  return decide(request, mode, policy, nullptr);
}

Decision decide(const admission::AdmissionRequest& request, admission::Mode mode, const Policy& policy,
                const Counterparts* counterparts) {
  Decision d;
  auto skip = [&](std::string reason) {
    d.outcome = Decision::Outcome::kSkipped;
    if (!reason.empty()) d.audit_annotations.emplace_back("skipped", std::move(reason));
    return d;
  };
  // Only writes of the main resource are judged: deletions, connects and status/scale updates pass.
  if (request.operation != "CREATE" && request.operation != "UPDATE") return skip("");
  if (!request.sub_resource.empty()) return skip("");
  if (request.object_error) {
    d.outcome = Decision::Outcome::kErrored;
    d.error_code = 400;
    d.message = *request.object_error + " (flink-memguard cannot read this object)";
    return d;
  }
  if (!request.object || std::holds_alternative<admission::OtherObject>(*request.object)) return skip("");
  const admission::KubeObject& object = *request.object;
  const admission::ObjectMeta& meta = *metadata_of(object);
  std::string_view request_namespace = request.namespace_.empty() ? meta.namespace_ : request.namespace_;
  if (auto reason = gate(Gated{object, meta, policy, request_namespace})) return skip(std::move(*reason));
  std::string namespace_(request_namespace);

  Settings settings = policy.settings_for(namespace_);
  std::vector<std::string> notes;
  std::vector<Finding> findings = findings_for(object, settings, &notes, counterparts, namespace_);
  // A whole-MiB fix also settles the unit of the same field, so it claims the field first (an order
  // of references: a finding carries its words, which need not move).
  std::vector<const Finding*> order;
  order.reserve(findings.size());
  for (const auto& f : findings) order.push_back(&f);
  std::stable_partition(order.begin(), order.end(),
                        [](const Finding* f) { return f->code == FindingCode::kProcessSizeNotWholeMib; });

  // An UPDATE that leaves everything we read unchanged (the operator adding a finalizer, a label
  // edit) is not denied for problems the object already had: that would wedge the object.
  const bool unchanged = request.operation == "UPDATE" && request.memory_inputs_unchanged;

  std::vector<std::string> denials;
  std::set<std::string> patched_paths;
  for (const Finding* finding : order) {
    const Finding& f = *finding;
    Action action = settings.action(f.code);
    if (action == Action::kOff) continue;
    d.finding_codes.emplace_back(finding_code_name(f.code));
    d.findings.push_back({f.code, action, f.role, f.message()});
    if (mode == admission::Mode::kMutate) {
      bool conflict = std::any_of(f.fix.begin(), f.fix.end(), [&](const admission::PatchOperation& op) {
        return patched_paths.count(op.path.encoded()) != 0;
      });
      if (fix_allowed(f, settings)) {
        if (conflict) continue;  // an earlier fix already rewrote this field
        for (const auto& op : f.fix) {
          patched_paths.insert(op.path.encoded());
          d.patch.push_back(op);
        }
        d.warnings.push_back(f.fix_warning());
        continue;
      }
      // Denials are /validate's to give, on the object as it is after every mutation.
      if (action == Action::kWarn) d.warnings.push_back(f.warning());
      continue;
    }
    if (action == Action::kDeny && !unchanged) {
      denials.push_back(d.findings.back().message);
    } else if (action == Action::kDeny) {
      d.warnings.push_back("not denied, unchanged by this update: " + f.warning());
    } else {
      d.warnings.push_back(f.warning());
    }
  }
  d.notes = notes;
  for (auto& n : notes) d.warnings.push_back(std::move(n));
  if (!d.finding_codes.empty()) {
    // Each code once, in the order first reported (finding_codes keeps one per finding, for metrics).
    std::vector<std::string> codes;
    for (const auto& code : d.finding_codes) {
      if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
    }
    d.audit_annotations.emplace_back("findings", join(codes, ","));
  }
  if (unchanged && mode == admission::Mode::kValidate) {
    bool had_denial = std::any_of(findings.begin(), findings.end(),
                                  [&](const Finding& f) { return settings.action(f.code) == Action::kDeny; });
    if (had_denial) d.audit_annotations.emplace_back("not-denied", "memory settings unchanged by this update");
  }
  if (!denials.empty()) {
    d.outcome = Decision::Outcome::kDenied;
    d.message = join(denials, "\n");
  } else if (!d.patch.empty()) {
    d.outcome = Decision::Outcome::kPatched;
  } else {
    d.outcome = Decision::Outcome::kAllowed;
  }
  return d;
}

}  // namespace memguard::engine
