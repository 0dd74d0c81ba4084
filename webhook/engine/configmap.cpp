// ConfigMap -> effective Flink configuration: the file Flink would load from data (flink-conf.yaml or
// config.yaml, chosen as the declared Flink version chooses), and the container limits that the file
// (process size x limit factor, native Kubernetes) or our annotations declare.
#include "memmodel/quantity.h"
#include "webhook/engine/effective_config.h"
#include "webhook/engine/policy.h"

namespace memguard::engine {

namespace {

using memmodel::Role;

bool configures_role(const memmodel::FlinkConfig& config, Role role) {
  std::string memory = role_prefix(role) + ".memory.";
  std::string heap = role_prefix(role) + ".heap.";
  for (const auto& [key, value] : config.entries()) {
    if (key.rfind(memory, 0) == 0 || key.rfind(heap, 0) == 0) return true;
  }
  return false;
}

}  // namespace

EffectiveConfig build_configmap(const admission::ConfigMapObject& object) {
  EffectiveConfig eff;
  const auto& annotations = object.metadata.annotations;

  if (auto it = annotations.find(kFlinkVersionAnnotation); it != annotations.end()) {
    auto version = memmodel::FlinkVersion::parse(it->second);
    if (version) {
      eff.context.version = *version;
    } else {
      eff.notes.push_back("metadata.annotations." + std::string(kFlinkVersionAnnotation) + ": '" + it->second +
                          "' is not a Flink version; judged as Flink " + memmodel::kDefaultFlinkVersion.to_string());
    }
  }
  const auto& version = eff.context.version;

  // Which file Flink loads (spec §9.1): <= 1.18 only flink-conf.yaml; 1.19-1.20 flink-conf.yaml when
  // present, else config.yaml; 2.x only config.yaml.
  bool has_legacy = object.flink_conf_yaml.has_value(), has_standard = object.config_yaml.has_value();
  std::string_view chosen;
  if (version.at_least(2, 0)) {
    if (!has_standard) {
      eff.findings.push_back(make_finding(facts::ConfigFileNotRead{version.to_string(), admission::kConfigYaml}));
      return eff;
    }
    chosen = admission::kConfigYaml;
    if (has_legacy) eff.notes.push_back("data.flink-conf.yaml: ignored, Flink 2.x reads only config.yaml");
  } else if (version.at_least(1, 19)) {
    chosen = has_legacy ? admission::kFlinkConfYaml : admission::kConfigYaml;
    if (has_legacy && has_standard) {
      eff.notes.push_back("data: both flink-conf.yaml and config.yaml are present; Flink " + version.to_string() +
                          " loads flink-conf.yaml and ignores config.yaml");
    }
  } else {
    if (!has_legacy) {
      eff.findings.push_back(make_finding(facts::ConfigFileNotRead{version.to_string(), admission::kFlinkConfYaml}));
      return eff;
    }
    chosen = admission::kFlinkConfYaml;
    if (has_standard) eff.notes.push_back("data.config.yaml: ignored, Flink " + version.to_string() + " reads only flink-conf.yaml");
  }
  eff.config_origin = "data." + std::string(chosen);
  const std::string& text = chosen == admission::kConfigYaml ? *object.config_yaml : *object.flink_conf_yaml;
  auto parsed = memmodel::parse_config_file(text, memmodel::config_file_format_for(chosen));
  if (!parsed && parsed.error().code == ErrorCode::kLimitExceeded) {
    // Our budget, not Flink's: Flink may well load it, so it is neither judged nor blamed.
    eff.notes.push_back(eff.config_origin + ": not judged: " + parsed.error().message + "; allowed without checking");
    eff.over_limit = true;
    return eff;
  }
  if (!parsed) {
    eff.findings.push_back(make_finding(facts::ConfigFileInvalid{eff.config_origin, parsed.error().message}));
    return eff;
  }
  eff.config = std::move(parsed->config);
  // What Flink ignores, by line number and never with the content (which may hold a secret); a few
  // lines are named, so a file of bad lines cannot make a response of megabytes.
  constexpr size_t kNamedLines = 3;
  auto lines = memmodel::ignored_lines(*parsed);
  for (size_t i = 0; i < lines.size() && i < kNamedLines; ++i) eff.notes.push_back(eff.config_origin + ": " + lines[i]);
  if (lines.size() > kNamedLines) {
    size_t named_skipped = kNamedLines - (parsed->key_behind_byte_order_mark ? 1 : 0);
    eff.notes.push_back(eff.config_origin + ": " + std::to_string(parsed->skipped_line_count - named_skipped) +
                        " more line(s) are not 'key: value' and are skipped by Flink");
  }

  // Native Kubernetes (the client's flink-config-<cluster-id>): legacy heap keys map onto the process
  // size. Otherwise these are the start scripts' files (standalone).
  auto type = object.metadata.labels.find("type");
  bool native = type != object.metadata.labels.end() && type->second == "flink-native-kubernetes";
  eff.context.legacy_heap = native ? memmodel::LegacyHeapTarget::kProcessTotal
                                   : memmodel::LegacyHeapTarget::kDeploymentDefault;

  for (Role role : {Role::kJobManager, Role::kTaskManager}) {
    std::string_view annotation = role == Role::kJobManager ? kJobManagerLimitAnnotation : kTaskManagerLimitAnnotation;
    RoleInput in;
    in.role = role;
    std::string process_key = role_prefix(role) + ".memory.process.size";
    in.process_source = Source::option(process_key, eff.config_origin);
    if (auto it = annotations.find(annotation); it != annotations.end()) {
      auto quantity = memmodel::Quantity::parse(it->second);
      if (quantity && quantity->ceil_value > 0) {
        in.declared_limit_bytes = quantity->ceil_value;
        in.declared_limit_source = Source::annotation(std::string(annotation), it->second);
        in.declared_limit_pointer = admission::Pointer{"metadata", "annotations", annotation};
      } else {
        eff.notes.push_back("metadata.annotations." + std::string(annotation) + ": '" + it->second +
                            "' is not a positive Kubernetes quantity; ignored");
      }
    }
    // A role this file says nothing about (the operator's default config, a TaskManager-only file)
    // is sized elsewhere; judging it would only repeat Flink's "configure a size" error.
    if (!in.declared_limit_bytes && !configures_role(eff.config, role)) continue;
    in.flink_sizes_container = !in.declared_limit_bytes && (native || eff.config.contains(process_key));
    std::string factor_key = "kubernetes." + role_prefix(role) + ".memory.limit-factor";
    if (eff.config.contains(factor_key)) in.limit_factor_source = Source::option(factor_key, eff.config_origin);
    eff.roles.push_back(std::move(in));
  }
  return eff;
}

}  // namespace memguard::engine
