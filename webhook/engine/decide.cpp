// The decision: which requests are judged at all, then findings -> policy actions -> deny / warn /
// patch. Dry runs take exactly the same path (nothing here looks at request.dryRun).
#include "webhook/engine/decide.h"

#include <algorithm>
#include <set>

#include "webhook/engine/effective_config.h"
#include "webhook/engine/rules.h"
#include "webhook/engine/update_rule.h"
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
std::optional<std::string> gate_row(const Gated& g) {
  for (const GateRow& row : kGate) {
    if (row.applies(g)) return row.reason != nullptr ? row.reason(g) : std::string();
  }
  return std::nullopt;
}

Decision skipped(std::string reason) {
  Decision d;
  d.outcome = Decision::Outcome::kSkipped;
  if (!reason.empty()) d.audit_annotations.emplace_back("skipped", std::move(reason));
  return d;
}

// The namespace a request is judged in: the request's, else the object's own.
std::string_view namespace_of(const admission::AdmissionRequest& request, const admission::ObjectMeta& meta) {
  return request.namespace_.empty() ? std::string_view(meta.namespace_) : std::string_view(request.namespace_);
}

// The gate: the answer for a request that is not judged (skipped, or an object we cannot read);
// nullopt: judge it. Only writes of the main resource are judged: deletions, connects and
// status/scale updates pass. An object we cannot read is /validate's to reject; /mutate, which
// never denies, lets it through unchanged and says why (the API server's schema check, which runs
// between the two, usually rejects it first with its own words).
std::optional<Decision> gate(const admission::AdmissionRequest& request, admission::Mode mode, const Policy& policy) {
  if (request.operation != "CREATE" && request.operation != "UPDATE") return skipped("");
  if (!request.sub_resource.empty()) return skipped("");
  if (request.object_error) {
    if (mode == admission::Mode::kMutate) {
      Decision d = skipped(unreadable_object_reason(*request.object_error));
      d.warnings.push_back(unreadable_object_mutate_warning(*request.object_error));
      return d;
    }
    Decision d;
    d.outcome = Decision::Outcome::kErrored;
    d.error_code = 400;
    d.message = unreadable_object_error(*request.object_error);
    return d;
  }
  if (!request.object || std::holds_alternative<admission::OtherObject>(*request.object)) return skipped("");
  const admission::ObjectMeta& meta = *metadata_of(*request.object);
  if (auto reason = gate_row(Gated{*request.object, meta, policy, namespace_of(request, meta)})) {
    return skipped(std::move(*reason));
  }
  return std::nullopt;
}

// Reports a finding the policy does not turn off, as logs, metrics and (kReport) the reports list it.
void report(const Finding& f, Action action, Detail detail, Decision& d) {
  d.finding_codes.emplace_back(finding_code_name(f.code));
  if (detail == Detail::kReport) d.findings.push_back({f.code, action, f.role, f.message()});
}

// /validate: a deny finding denies (with its full message) unless this request did not cause it
// (update_rule.h: memory inputs unchanged, present before the update, or outside this object), when
// it only warns and says why; a warn finding warns.
void validate_finding(const admission::AdmissionRequest& request, const Finding& f, Action action, bool unchanged,
                      Detail detail, FindingsBefore& before, std::string& not_denied, Decision& d) {
  if (action != Action::kDeny) {
    d.warnings.push_back(f.warning());
    return;
  }
  if (auto because = not_denied_because(request, f, unchanged, before)) {
    d.warnings.push_back(*because + ": " + f.warning());
    if (!unchanged) not_denied = *because;
    return;
  }
  if (!d.message.empty()) d.message += '\n';
  d.message += detail == Detail::kReport ? d.findings.back().message : f.message();  // report() rendered it
  d.outcome = Decision::Outcome::kDenied;
}

// /mutate: a fix the policy allows is applied and explained, unless an earlier fix already rewrote
// one of its fields; otherwise a warn finding warns. Denials are /validate's to give, on the object
// as it is after every mutation.
void mutate_finding(const Finding& f, Action action, const Settings& settings, std::set<std::string>& patched_paths,
                    Decision& d) {
  if (fix_allowed(f, settings)) {
    bool conflict = std::any_of(f.fix.begin(), f.fix.end(), [&](const admission::PatchOperation& op) {
      return patched_paths.count(op.path.encoded()) != 0;
    });
    if (conflict) return;
    for (const auto& op : f.fix) {
      patched_paths.insert(op.path.encoded());
      d.patch.push_back(op);
    }
    d.warnings.push_back(f.fix_warning());
    d.outcome = Decision::Outcome::kPatched;
    return;
  }
  if (action == Action::kWarn) d.warnings.push_back(f.warning());
}

}  // namespace

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
                const Counterparts* counterparts, Detail detail) {
  if (auto unjudged = gate(request, mode, policy)) return std::move(*unjudged);
  const admission::KubeObject& object = *request.object;
  std::string namespace_(namespace_of(request, *metadata_of(object)));

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

  Decision d;
  std::set<std::string> patched_paths;
  FindingsBefore before(request, settings, counterparts, namespace_);  // update_rule.h
  std::string not_denied;
  bool spared_denial = false;
  for (const Finding* f : order) {
    Action action = settings.action(f->code);
    if (action == Action::kOff) continue;
    report(*f, action, detail, d);
    if (mode == admission::Mode::kMutate) {
      mutate_finding(*f, action, settings, patched_paths, d);
    } else {
      validate_finding(request, *f, action, unchanged, detail, before, not_denied, d);
      spared_denial = spared_denial || (unchanged && action == Action::kDeny);
    }
  }
  if (detail == Detail::kReport) d.notes = notes;
  for (auto& n : notes) d.warnings.push_back(std::move(n));
  if (!d.finding_codes.empty()) {
    // Each code once, in the order first reported (finding_codes keeps one per finding, for metrics).
    std::vector<std::string> codes;
    for (const auto& code : d.finding_codes) {
      if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
    }
    d.audit_annotations.emplace_back("findings", join(codes, ","));
  }
  if (spared_denial) d.audit_annotations.emplace_back("not-denied", "memory settings unchanged by this update");
  if (!not_denied.empty()) d.audit_annotations.emplace_back("not-denied", not_denied);
  return d;
}

}  // namespace memguard::engine
