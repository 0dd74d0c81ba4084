// `flink-memguard check`: the webhook's decisions for manifests on disk (CI, pre-commit). Every
// object is judged as a CREATE under the policy by the same decide() the webhook runs, with
// ConfigMaps and workloads resolved against each other within the given files.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <simdjson.h>

#include "webhook/admission/review.h"
#include "webhook/cli/commands.h"
#include "webhook/cli/manifests.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/decide.h"
#include "webhook/engine/policy.h"
#include "webhook/json/json_writer.h"

namespace memguard::cli {

namespace {

constexpr const char* kUsage =
    "usage: flink-memguard check -f FILE_OR_DIR... [--policy FILE] [--output text|json]\n"
    "                            [--flink-version X.Y] [--namespace NS]\n"
    "\n"
    "Judges Kubernetes manifests (multi-document YAML or JSON, kind: List, directories walked for\n"
    "*.yaml, *.yml, *.json) as the admission webhook would judge their creation: FlinkDeployments,\n"
    "Flink ConfigMaps, and Deployments, StatefulSets, Jobs and Pods running Flink, with ConfigMaps\n"
    "and workloads resolved against each other within the given files.\n"
    "Exit status: 0 nothing would be denied, 1 something would be denied, 2 unreadable input or bad usage.\n"
    "\n"
    "  -f FILE_OR_DIR       manifests to read (repeatable; '-' reads stdin)\n"
    "  --policy FILE        decision policy (default: the embedded policy)\n"
    "  --output text|json   report format (default text)\n"
    "  --flink-version X.Y  the Flink version for objects that do not declare one (as the\n"
    "                       flink-memguard.io/flink-version annotation would)\n"
    "  --namespace NS       namespace of objects without metadata.namespace (default: default)\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "flink-memguard check: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

struct Judged {
  std::string source, api_version, kind, namespace_, name;
  std::string decision;  // allowed, denied, errored, skipped
  std::string error;
  std::vector<engine::ReportedFinding> findings;
  std::vector<std::string> notes;
};

std::string member_text(simdjson::dom::element root, std::string_view path) {
  std::string_view value;
  if (root.at_pointer(path).get(value) != simdjson::SUCCESS) return "";
  return std::string(value);
}

// --flink-version for objects that say nothing: set as the annotation the engine already reads.
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

void print_text(const std::vector<Judged>& judged, size_t denied, size_t warned, size_t errors) {
  size_t shown = 0;
  for (const auto& j : judged) {
    if (j.decision == "skipped") continue;
    ++shown;
    std::string who = j.kind + " " + (j.namespace_.empty() ? "" : j.namespace_ + "/") + j.name;
    std::printf("%s %s: %s\n", j.source.c_str(), who.c_str(), j.decision.c_str());
    if (!j.error.empty()) std::printf("  error: %s\n", j.error.c_str());
    for (const auto& f : j.findings) {
      std::printf("  %s %.*s: %s\n", std::string(engine::action_name(f.action)).c_str(),
                  static_cast<int>(engine::finding_code_name(f.code).size()), engine::finding_code_name(f.code).data(),
                  f.message.c_str());
    }
    for (const auto& n : j.notes) std::printf("  note: %s\n", n.c_str());
  }
  std::printf("%zu object(s) read, %zu judged: %zu denied, %zu with warnings, %zu unreadable\n", judged.size(), shown,
              denied, warned, errors);
}

void print_json(const std::vector<Judged>& judged, size_t denied, size_t warned, size_t errors, int exit_code) {
  json::Writer w;
  w.begin_object().key("objects").begin_array();
  size_t shown = 0;
  for (const auto& j : judged) {
    if (j.decision == "skipped") continue;
    ++shown;
    w.begin_object()
        .member("source", j.source)
        .member("apiVersion", j.api_version)
        .member("kind", j.kind)
        .member("namespace", j.namespace_)
        .member("name", j.name)
        .member("decision", j.decision);
    if (!j.error.empty()) w.member("error", j.error);
    w.key("findings").begin_array();
    for (const auto& f : j.findings) {
      w.begin_object().member("code", engine::finding_code_name(f.code)).member("action", engine::action_name(f.action));
      if (f.role) w.member("role", memmodel::role_name(*f.role));
      w.member("message", f.message).end_object();
    }
    w.end_array().key("notes").begin_array();
    for (const auto& n : j.notes) w.string(n);
    w.end_array().end_object();
  }
  w.end_array().key("summary").begin_object()
      .member("objects", static_cast<int64_t>(judged.size()))
      .member("judged", static_cast<int64_t>(shown))
      .member("denied", static_cast<int64_t>(denied))
      .member("warned", static_cast<int64_t>(warned))
      .member("unreadable", static_cast<int64_t>(errors))
      .member("exitCode", exit_code)
      .end_object().end_object();
  std::printf("%s\n", w.str().c_str());
}

}  // namespace

int check_command(Args args) {
  std::vector<std::string> paths;
  std::string policy_file, output = "text", flink_version, default_namespace = "default";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if ((a == "-f" || a == "--filename") && has_value) {
      paths.emplace_back(args[++i]);
    } else if (a == "--policy" && has_value) {
      policy_file = std::string(args[++i]);
    } else if (a == "--output" && has_value) {
      output = std::string(args[++i]);
      if (output != "text" && output != "json") return usage_error("--output must be text or json");
    } else if (a == "--flink-version" && has_value) {
      flink_version = std::string(args[++i]);
      auto parsed = memmodel::FlinkVersion::parse(flink_version);
      if (!parsed) return usage_error("--flink-version: " + parsed.error().message);
      flink_version = parsed->to_string();
    } else if (a == "--namespace" && has_value) {
      default_namespace = std::string(args[++i]);
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'");
    }
  }
  if (paths.empty()) return usage_error("no manifests given (-f FILE_OR_DIR)");

  engine::Policy policy = engine::default_policy();
  if (!policy_file.empty()) {
    std::ifstream in(policy_file, std::ios::binary);
    if (!in) return usage_error("cannot open policy file " + policy_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = engine::parse_policy(text);
    if (!parsed) {
      std::fprintf(stderr, "flink-memguard check: %s: %s\n", policy_file.c_str(), parsed.error().message.c_str());
      return 2;
    }
    policy = std::move(*parsed);
  }

  auto manifests = load_manifests(paths);
  if (!manifests) {
    std::fprintf(stderr, "flink-memguard check: %s\n", manifests.error().message.c_str());
    return 2;
  }

  // Decode everything first: the counterparts of one object are the others.
  std::vector<Judged> judged;
  std::vector<std::optional<admission::KubeObject>> objects;
  engine::StaticCounterparts counterparts;
  simdjson::dom::parser parser;
  for (const auto& m : *manifests) {
    Judged j;
    j.source = m.source;
    simdjson::dom::element root;
    if (parser.parse(m.json).get(root) != simdjson::SUCCESS) {
      j.decision = "errored";
      j.error = "internal error: the converted manifest is not JSON";
      judged.push_back(std::move(j));
      objects.emplace_back();
      continue;
    }
    j.api_version = member_text(root, "/apiVersion");
    j.kind = member_text(root, "/kind");
    j.name = member_text(root, "/metadata/name");
    j.namespace_ = member_text(root, "/metadata/namespace");
    if (j.namespace_.empty()) j.namespace_ = default_namespace;
    auto decoded = admission::decode_object(root);
    if (!decoded) {
      j.decision = "errored";
      j.error = decoded.error().message + " (the API server would reject this object)";
      judged.push_back(std::move(j));
      objects.emplace_back();
      continue;
    }
    if (!flink_version.empty()) default_version(*decoded, flink_version);
    counterparts.add(*decoded, default_namespace);
    objects.emplace_back(std::move(*decoded));
    judged.push_back(std::move(j));
  }

  size_t denied = 0, warned = 0, errors = 0;
  for (size_t i = 0; i < judged.size(); ++i) {
    Judged& j = judged[i];
    if (!objects[i]) {
      ++errors;
      continue;
    }
    admission::AdmissionRequest request;
    request.uid = "flink-memguard-check";
    request.operation = "CREATE";
    request.name = j.name;
    request.namespace_ = j.namespace_;
    auto slash = j.api_version.find('/');
    request.kind.group = slash == std::string::npos ? "" : j.api_version.substr(0, slash);
    request.kind.version = slash == std::string::npos ? j.api_version : j.api_version.substr(slash + 1);
    request.kind.kind = j.kind;
    request.object = std::move(*objects[i]);
    engine::Decision d = engine::decide(request, admission::Mode::kValidate, policy, &counterparts);
    j.decision = std::string(engine::outcome_name(d.outcome));
    j.findings = std::move(d.findings);
    j.notes = std::move(d.notes);
    if (d.outcome == engine::Decision::Outcome::kErrored) {
      j.error = d.message;
      ++errors;
    }
    if (d.outcome == engine::Decision::Outcome::kDenied) ++denied;
    bool warns = std::any_of(j.findings.begin(), j.findings.end(),
                             [](const engine::ReportedFinding& f) { return f.action == engine::Action::kWarn; });
    if (warns) ++warned;
  }

  int exit_code = errors > 0 ? 2 : denied > 0 ? 1 : 0;
  if (output == "json") print_json(judged, denied, warned, errors, exit_code);
  else print_text(judged, denied, warned, errors);
  return exit_code;
}

}  // namespace memguard::cli
