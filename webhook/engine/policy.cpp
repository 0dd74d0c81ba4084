// Policy parsing (yaml-cpp) into plain values, with errors that name the offending key.
#include "webhook/engine/policy.h"

#include <algorithm>
#include <yaml-cpp/yaml.h>

#include "memmodel/yaml_limits.h"

namespace memguard::engine {

const std::string_view kEmbeddedPolicyYaml = R"(# flink-memguard policy: the embedded default.
findings:
  memory-config-rejected: deny
  config-file-invalid: deny
  process-exceeds-limit: deny
  limit-below-request: deny
  pod-template-resources-overwritten: warn
  ambiguous-memory-unit: warn
  process-size-not-whole-mib: warn
  rocksdb-unmanaged-memory: warn
  rocksdb-zero-managed-memory: warn
  heap-backend-managed-memory: warn
  jvm-overhead-below-default: warn
  workload-no-memory-limit: warn
  memory-request-below-process: warn
  flink-size-in-container: warn
  batch-managed-memory-too-small: warn
  rocksdb-fixed-memory-unbudgeted: warn
mutations:
  corrections: true   # /mutate rewrites ambiguous memory units and rounds process sizes to whole MiB
  tuning: false       # /mutate also sets managed memory to 0 for heap state backends in streaming mode
thresholds:
  jvm-overhead-minimum: 192m   # Flink's default jvm-overhead.min
  limit-headroom: 0m           # required room between the process size and the container limit
excluded-namespaces: [kube-system]
honour-skip-annotation: true
namespaces: {}
)";

std::string_view action_name(Action action) {
  switch (action) {
    case Action::kDeny: return "deny";
    case Action::kWarn: return "warn";
    case Action::kOff: return "off";
  }
  return "off";
}

namespace {

Unexpected policy_error(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, "policy: " + where + ": " + what);
}

std::string node_location(const YAML::Node& node) {
  auto mark = node.Mark();
  if (mark.line < 0) return "";
  return " (line " + std::to_string(mark.line + 1) + ")";
}

Expected<std::string> scalar(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) return policy_error(where, "expected a single value" + node_location(node));
  return node.Scalar();
}

Expected<bool> boolean(const YAML::Node& node, const std::string& where) {
  auto text = scalar(node, where);
  if (!text) return Unexpected{text.error()};
  if (*text == "true") return true;
  if (*text == "false") return false;
  return policy_error(where, "expected true or false, got '" + *text + "'");
}

Expected<Action> parse_action(const YAML::Node& node, const std::string& where) {
  auto text = scalar(node, where);
  if (!text) return Unexpected{text.error()};
  if (*text == "deny") return Action::kDeny;
  if (*text == "warn") return Action::kWarn;
  if (*text == "off") return Action::kOff;
  return policy_error(where, "unknown action '" + *text + "' (expected deny, warn or off)");
}

Expected<memmodel::MemorySize> memory(const YAML::Node& node, const std::string& where) {
  auto text = scalar(node, where);
  if (!text) return Unexpected{text.error()};
  auto size = memmodel::MemorySize::parse(*text);
  if (!size) return policy_error(where, "not a memory size: " + size.error().message);
  return *size;
}

// Reads the `findings`, `mutations` and `thresholds` sections shared by the top level and namespaces.
Expected<void> parse_section(const std::string& key, const YAML::Node& value, const std::string& where,
                             SettingsOverride& out) {
  if (key == "findings") {
    if (!value.IsMap()) return policy_error(where + "findings", "expected a map of finding code to action");
    for (const auto& entry : value) {
      std::string name = entry.first.as<std::string>();
      auto code = parse_finding_code(name);
      if (!code) return policy_error(where + "findings", "unknown finding code '" + name + "'");
      auto action = parse_action(entry.second, where + "findings." + name);
      if (!action) return Unexpected{action.error()};
      out.actions[*code] = *action;
    }
    return {};
  }
  if (key == "mutations") {
    if (!value.IsMap()) return policy_error(where + "mutations", "expected a map");
    for (const auto& entry : value) {
      std::string name = entry.first.as<std::string>();
      auto flag = boolean(entry.second, where + "mutations." + name);
      if (!flag) return Unexpected{flag.error()};
      if (name == "corrections") out.mutations = *flag;
      else if (name == "tuning") out.tuning = *flag;
      else return policy_error(where + "mutations", "unknown key '" + name + "' (expected corrections, tuning)");
    }
    return {};
  }
  if (key == "thresholds") {
    if (!value.IsMap()) return policy_error(where + "thresholds", "expected a map");
    for (const auto& entry : value) {
      std::string name = entry.first.as<std::string>();
      auto size = memory(entry.second, where + "thresholds." + name);
      if (!size) return Unexpected{size.error()};
      if (name == "jvm-overhead-minimum") out.jvm_overhead_minimum = *size;
      else if (name == "limit-headroom") out.limit_headroom = *size;
      else return policy_error(where + "thresholds", "unknown key '" + name + "' (expected jvm-overhead-minimum, limit-headroom)");
    }
    return {};
  }
  return policy_error(where.empty() ? "top level" : where.substr(0, where.size() - 1), "unknown key '" + key + "'");
}

void apply(const SettingsOverride& layer, Settings& settings) {
  for (const auto& [code, action] : layer.actions) settings.actions[static_cast<size_t>(code)] = action;
  if (layer.mutations) settings.mutations = *layer.mutations;
  if (layer.tuning) settings.tuning = *layer.tuning;
  if (layer.jvm_overhead_minimum) settings.jvm_overhead_minimum = *layer.jvm_overhead_minimum;
  if (layer.limit_headroom) settings.limit_headroom = *layer.limit_headroom;
}

// A policy is a few dozen nodes; these bound what an alias bomb in one can cost (its sections
// nest three levels, so repeated aliases multiply) before yaml-cpp builds or we walk anything.
constexpr memmodel::YamlLimits kPolicyYamlLimits{.max_nodes = 100'000, .max_scalar_bytes = 1024 * 1024,
                                                 .max_depth = 64};

Expected<Policy> parse_onto(Policy policy, std::string_view yaml_text) {
  if (auto bounded = memmodel::check_yaml_limits(yaml_text, kPolicyYamlLimits); !bounded) {
    return make_error(ErrorCode::kInvalidArgument, "policy: " + bounded.error().message);
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return policy_error("invalid YAML", e.what());
  }
  if (root.IsNull()) return policy;  // an empty file: the defaults
  if (!root.IsMap()) return policy_error("top level", "expected a map");
  try {
    SettingsOverride top;
    for (const auto& entry : root) {
      std::string key = entry.first.as<std::string>();
      const YAML::Node& value = entry.second;
      if (key == "excluded-namespaces") {
        if (!value.IsSequence()) return policy_error("excluded-namespaces", "expected a list of namespaces");
        policy.excluded_namespaces.clear();
        for (const auto& item : value) {
          auto ns = scalar(item, "excluded-namespaces");
          if (!ns) return Unexpected{ns.error()};
          policy.excluded_namespaces.push_back(*ns);
        }
      } else if (key == "honour-skip-annotation") {
        auto flag = boolean(value, key);
        if (!flag) return Unexpected{flag.error()};
        policy.honour_skip_annotation = *flag;
      } else if (key == "namespaces") {
        if (value.IsNull()) continue;
        if (!value.IsMap()) return policy_error("namespaces", "expected a map of namespace to overrides");
        for (const auto& ns_entry : value) {
          std::string ns = ns_entry.first.as<std::string>();
          if (!ns_entry.second.IsMap()) return policy_error("namespaces." + ns, "expected a map");
          SettingsOverride layer;
          for (const auto& section : ns_entry.second) {
            auto parsed = parse_section(section.first.as<std::string>(), section.second, "namespaces." + ns + ".", layer);
            if (!parsed) return Unexpected{parsed.error()};
          }
          policy.namespaces.insert_or_assign(ns, std::move(layer));
        }
      } else {
        auto parsed = parse_section(key, value, "", top);
        if (!parsed) return Unexpected{parsed.error()};
      }
    }
    apply(top, policy.defaults);
  } catch (const YAML::Exception& e) {
    return policy_error("invalid structure", e.what());
  }
  return policy;
}

}  // namespace

namespace {

// An exact name, or a prefix ending in '*' ("team-*" matches "team-a" and "team-").
bool namespace_matches(std::string_view pattern, std::string_view namespace_) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return namespace_.substr(0, pattern.size()) == pattern;
  }
  return pattern == namespace_;
}

}  // namespace

bool Policy::excluded(std::string_view namespace_) const {
  return std::any_of(excluded_namespaces.begin(), excluded_namespaces.end(),
                     [&](const std::string& pattern) { return namespace_matches(pattern, namespace_); });
}

Settings Policy::settings_for(std::string_view namespace_) const {
  Settings settings = defaults;
  // Every matching entry, the least specific first: prefixes by length, then the exact name.
  std::vector<const std::pair<const std::string, SettingsOverride>*> matching;
  for (const auto& entry : namespaces) {
    if (namespace_matches(entry.first, namespace_)) matching.push_back(&entry);
  }
  auto specificity = [](const std::string& pattern) {
    bool prefix = !pattern.empty() && pattern.back() == '*';
    return prefix ? pattern.size() - 1 : std::string::npos;
  };
  std::stable_sort(matching.begin(), matching.end(),
                   [&](const auto* a, const auto* b) { return specificity(a->first) < specificity(b->first); });
  for (const auto* entry : matching) apply(entry->second, settings);
  return settings;
}

const Policy& default_policy() {
  // The embedded document lists every finding (a test checks it), so the blank base never shows.
  static const Policy policy = [] {
    auto parsed = parse_onto(Policy{}, kEmbeddedPolicyYaml);
    return parsed ? std::move(*parsed) : Policy{};
  }();
  return policy;
}

Expected<Policy> parse_policy(std::string_view yaml_text) { return parse_onto(default_policy(), yaml_text); }

}  // namespace memguard::engine
