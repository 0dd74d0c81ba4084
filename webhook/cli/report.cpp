// Judging a set of objects against each other with the webhook's decide(), and printing the result.
#include "webhook/cli/report.h"

#include <algorithm>
#include <optional>

#include <simdjson.h>

#include "webhook/admission/review.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/effective_config.h"
#include "webhook/json/json_writer.h"

namespace memguard::cli {

namespace {

std::string member_text(simdjson::dom::element root, std::string_view path) {
  std::string_view value;
  if (root.at_pointer(path).get(value) != simdjson::SUCCESS) return "";
  return std::string(value);
}

// A default Flink version, set where the engine already reads one (the annotation, spec.flinkVersion).
void default_version(admission::KubeObject& object, const std::string& version) {
  auto apply = [&](admission::ObjectMeta& meta) {
    meta.annotations.emplace(std::string(engine::kFlinkVersionAnnotation), version);
  };
  if (auto* cm = std::get_if<admission::ConfigMapObject>(&object)) apply(cm->metadata);
  if (auto* w = std::get_if<admission::WorkloadObject>(&object)) {
    if (w->pod_annotations.count(engine::kFlinkVersionAnnotation) == 0) apply(w->metadata);
  }
  if (auto* fd = std::get_if<admission::FlinkDeploymentObject>(&object)) {
    if (!fd->flink_version) fd->flink_version = admission::FieldText{version, true, {"spec", "flinkVersion"}};
  }
}

// The options that size memory (`*.memory.*`, legacy `*.heap.*`, the limit factors) in the
// configuration the engine builds for a FlinkDeployment; secrets never, whatever their name.
std::vector<std::pair<std::string, std::string>> effective_memory_configuration(const admission::KubeObject& object) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto* deployment = std::get_if<admission::FlinkDeploymentObject>(&object);
  if (!deployment) return out;
  engine::EffectiveConfig effective = engine::build_flinkdeployment(*deployment);
  for (const auto& [key, value] : effective.config.entries()) {
    bool memory = key.find(".memory.") != std::string::npos || key.find(".heap.") != std::string::npos ||
                  key.ends_with(".heap.mb");
    if (memory && !memmodel::is_sensitive_key(key)) out.emplace_back(key, value.text);
  }
  return out;
}

}  // namespace

Report judge_objects(const std::vector<ManifestObject>& manifests, const JudgeOptions& options) {
  Report report;
  // Decode everything first: the counterparts of one object are the others.
  std::vector<std::optional<admission::KubeObject>> objects;
  engine::StaticCounterparts counterparts;
  simdjson::dom::parser parser;
  for (const auto& m : manifests) {
    JudgedObject j;
    j.source = m.source;
    if (!m.error.empty()) {
      j.decision = admission::ReviewDecision::kErrored;
      j.error = m.error;
      report.objects.push_back(std::move(j));
      objects.emplace_back();
      continue;
    }
    simdjson::dom::element root;
    if (parser.parse(m.json).get(root) != simdjson::SUCCESS) {
      j.decision = admission::ReviewDecision::kErrored;
      j.error = "not JSON";
      report.objects.push_back(std::move(j));
      objects.emplace_back();
      continue;
    }
    j.api_version = member_text(root, "/apiVersion");
    j.kind = member_text(root, "/kind");
    j.name = member_text(root, "/metadata/name");
    j.namespace_ = member_text(root, "/metadata/namespace");
    if (j.namespace_.empty()) j.namespace_ = options.default_namespace;
    auto decoded = admission::decode_object(root);
    if (!decoded) {
      j.decision = admission::ReviewDecision::kErrored;
      j.error = decoded.error().message + " (the API server would reject this object)";
      report.objects.push_back(std::move(j));
      objects.emplace_back();
      continue;
    }
    if (!options.flink_version.empty()) default_version(*decoded, options.flink_version);
    j.effective_memory_configuration = effective_memory_configuration(*decoded);
    counterparts.add(*decoded, options.default_namespace);
    objects.emplace_back(std::move(*decoded));
    report.objects.push_back(std::move(j));
  }

  for (size_t i = 0; i < report.objects.size(); ++i) {
    JudgedObject& j = report.objects[i];
    if (!objects[i]) {
      ++report.unreadable;
      continue;
    }
    admission::AdmissionRequest request;
    request.uid = "flink-memguard-report";
    request.operation = "CREATE";
    request.name = j.name;
    request.namespace_ = j.namespace_;
    auto slash = j.api_version.find('/');
    request.kind.group = slash == std::string::npos ? "" : j.api_version.substr(0, slash);
    request.kind.version = slash == std::string::npos ? j.api_version : j.api_version.substr(slash + 1);
    request.kind.kind = j.kind;
    request.object = std::move(*objects[i]);
    engine::Decision d = engine::decide(request, admission::Mode::kValidate, options.policy, &counterparts);
    j.decision = d.outcome;
    j.findings = std::move(d.findings);
    j.notes = std::move(d.notes);
    if (d.outcome != engine::Decision::Outcome::kSkipped) ++report.judged;
    if (d.outcome == engine::Decision::Outcome::kErrored) {
      j.error = d.message;
      ++report.unreadable;
    }
    if (d.outcome == engine::Decision::Outcome::kDenied) ++report.denied;
    bool warns = std::any_of(j.findings.begin(), j.findings.end(),
                             [](const engine::ReportedFinding& f) { return f.action == engine::Action::kWarn; });
    if (warns) ++report.warned;
  }
  return report;
}

std::string report_text(const Report& report) {
  std::string out;
  for (const auto& j : report.objects) {
    if (j.decision == admission::ReviewDecision::kSkipped) continue;
    if (j.kind.empty()) {
      out += j.source + ": " + std::string(admission::decision_name(j.decision)) + "\n";  // a file or document that could not be read
    } else {
      std::string who = j.kind + " " + (j.namespace_.empty() ? "" : j.namespace_ + "/") + j.name;
      out += j.source + " " + who + ": " + std::string(admission::decision_name(j.decision)) + "\n";
    }
    if (!j.error.empty()) out += "  error: " + j.error + "\n";
    for (const auto& f : j.findings) {
      out += "  " + std::string(engine::action_name(f.action)) + " " + std::string(engine::finding_code_name(f.code)) +
             ": " + f.message + "\n";
    }
    for (const auto& n : j.notes) out += "  note: " + n + "\n";
  }
  for (const auto& s : report.skipped) out += s.source + ": skipped: " + s.reason + "\n";
  out += std::to_string(report.objects.size()) + " object(s) read, " + std::to_string(report.judged) + " judged: " +
         std::to_string(report.denied) + " denied, " + std::to_string(report.warned) + " with warnings, " +
         std::to_string(report.unreadable) + " unreadable";
  if (!report.skipped.empty()) out += ", " + std::to_string(report.skipped.size()) + " document(s) skipped";
  out += "\n";
  return out;
}

std::string report_json(const Report& report) {
  json::Writer w;
  w.begin_object().key("objects").begin_array();
  for (const auto& j : report.objects) {
    if (j.decision == admission::ReviewDecision::kSkipped) continue;
    w.begin_object()
        .member("source", j.source)
        .member("apiVersion", j.api_version)
        .member("kind", j.kind)
        .member("namespace", j.namespace_)
        .member("name", j.name)
        .member("decision", admission::decision_name(j.decision));
    if (!j.error.empty()) w.member("error", j.error);
    w.key("findings").begin_array();
    for (const auto& f : j.findings) {
      w.begin_object().member("code", engine::finding_code_name(f.code)).member("action", engine::action_name(f.action));
      if (f.role) w.member("role", memmodel::role_name(*f.role));
      w.member("message", f.message).end_object();
    }
    w.end_array().key("notes").begin_array();
    for (const auto& n : j.notes) w.string(n);
    w.end_array();
    if (j.kind == "FlinkDeployment" && j.error.empty()) {
      w.key("effectiveConfiguration").begin_object();
      for (const auto& [key, value] : j.effective_memory_configuration) w.member(key, value);
      w.end_object();
    }
    w.end_object();
  }
  w.end_array().key("skipped").begin_array();
  for (const auto& s : report.skipped) w.begin_object().member("source", s.source).member("reason", s.reason).end_object();
  w.end_array()
      .key("summary")
      .begin_object()
      .member("objects", static_cast<int64_t>(report.objects.size()))
      .member("judged", static_cast<int64_t>(report.judged))
      .member("denied", static_cast<int64_t>(report.denied))
      .member("warned", static_cast<int64_t>(report.warned))
      .member("unreadable", static_cast<int64_t>(report.unreadable))
      .member("skipped", static_cast<int64_t>(report.skipped.size()))
      .member("exitCode", report.exit_code())
      .end_object()
      .end_object();
  return w.take() + "\n";
}

}  // namespace memguard::cli
