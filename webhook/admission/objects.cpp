// Decoders from simdjson elements to the object value types; every type mismatch is an error that
// names the field, never a crash or a silent default.
#include "webhook/admission/objects.h"

#include <algorithm>
#include <utility>

#include "memmodel/flink_version.h"
#include "memmodel/input_limits.h"
#include "memmodel/java_text.h"

namespace memguard::admission {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::string_view type_name(element_type type) {
  switch (type) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "an unknown value";
}

Unexpected type_error(const Pointer& at, std::string_view expected, element value) {
  return make_error(ErrorCode::kInvalidArgument, field_path(at) + ": expected " + std::string(expected) + ", got " +
                                                     std::string(type_name(value.type())));
}

// Jackson's asText() for a scalar node; nullopt for containers.
std::optional<std::string> scalar_text(element value) {
  switch (value.type()) {
    case element_type::STRING: return std::string(value.get_string().value());
    case element_type::INT64: return std::to_string(value.get_int64().value());
    case element_type::UINT64: return std::to_string(value.get_uint64().value());
    case element_type::DOUBLE: return memmodel::java::double_to_string(value.get_double().value());
    case element_type::BOOL: return value.get_bool().value() ? "true" : "false";
    case element_type::NULL_VALUE: return "null";
    default: return std::nullopt;
  }
}

// Reads an optional member that must be an object; absent or null means "not there".
Expected<std::optional<object>> optional_object(object parent, std::string_view name, const Pointer& at) {
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::optional<object>{};
  if (!value.is_object()) return type_error(at.child(name), "an object", value);
  return std::optional<object>{value.get_object().value()};
}

Expected<std::optional<std::string>> optional_string(object parent, std::string_view name, const Pointer& at) {
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::optional<std::string>{};
  if (!value.is_string()) return type_error(at.child(name), "a string", value);
  return std::optional<std::string>{std::string(value.get_string().value())};
}

// A Jackson String field (resource.memory) or an int-or-string quantity: strings, numbers and
// booleans become text, anything else is an error.
Expected<std::optional<FieldText>> optional_scalar(object parent, std::string_view name, const Pointer& at) {
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::optional<FieldText>{};
  Pointer here = at.child(name);
  if (value.is_object() || value.is_array()) return type_error(here, "a string or a number", value);
  return std::optional<FieldText>{FieldText{*scalar_text(value), value.is_string(), here}};
}

// A map of strings; every value is type-checked, but only keys starting with `kept_prefix` are kept.
Expected<std::map<std::string, std::string, std::less<>>> string_map(object parent, std::string_view name,
                                                                     const Pointer& at,
                                                                     std::string_view kept_prefix = {}) {
  std::map<std::string, std::string, std::less<>> out;
  auto map = optional_object(parent, name, at);
  if (!map) return Unexpected{map.error()};
  if (!map->has_value()) return out;
  for (auto [key, value] : **map) {
    if (!value.is_string()) return type_error(at.child(name).child(key), "a string", value);
    if (key.substr(0, kept_prefix.size()) != kept_prefix) continue;
    out.emplace(std::string(key), std::string(value.get_string().value()));
  }
  return out;
}

// Decodes metadata into `meta` (a default one), where the object holds it: no move of a whole ObjectMeta.
Expected<void> decode_metadata(object root, ObjectMeta& meta) {
  Pointer at{"metadata"};
  auto metadata = optional_object(root, "metadata", {});
  if (!metadata) return Unexpected{metadata.error()};
  if (!metadata->has_value()) return {};
  object m = **metadata;
  auto name = optional_string(m, "name", at);
  if (!name) return Unexpected{name.error()};
  meta.name = name->value_or("");
  auto ns = optional_string(m, "namespace", at);
  if (!ns) return Unexpected{ns.error()};
  meta.namespace_ = ns->value_or("");
  auto labels = string_map(m, "labels", at);
  if (!labels) return Unexpected{labels.error()};
  meta.labels = std::move(*labels);
  auto annotations = string_map(m, "annotations", at, kOwnAnnotationPrefix);
  if (!annotations) return Unexpected{annotations.error()};
  meta.annotations = std::move(*annotations);
  element value;
  meta.has_annotations = m["annotations"].get(value) == simdjson::SUCCESS && value.is_object();
  meta.being_deleted = m["deletionTimestamp"].get(value) == simdjson::SUCCESS && !value.is_null();
  return {};
}

Expected<ObjectMeta> decode_metadata(object root) {
  ObjectMeta meta;
  auto decoded = decode_metadata(root, meta);
  if (!decoded) return Unexpected{decoded.error()};
  return meta;
}

// What flattening may still produce (memmodel/input_limits.h), checked before each key is built, so
// a long prefix over many leaves stops at the budget instead of being copied into every leaf.
struct FlattenBudget {
  size_t entries = 0;
  size_t bytes = 0;
};

Unexpected limit_error(const Pointer& at, const std::string& what) {
  return make_error(ErrorCode::kLimitExceeded, field_path(at) + ": " + what +
                                                   "; flink-memguard does not judge configurations this large "
                                                   "(README: Limits)");
}

Unexpected bytes_error(const FlattenBudget&) {
  return limit_error({"spec", "flinkConfiguration"}, "keys and values flatten to more than " +
                                                         std::to_string(memmodel::kMaxConfigBytes >> 20) +
                                                         " MiB, above the limit");
}

// ConfigObjectNode.asFlatMap: nested keys joined with '.', arrays of scalars ';'-joined.
Expected<void> flatten(object node, const std::string& prefix, const Pointer& at, bool nested,
                       std::vector<FlinkConfigurationEntry>& out, FlattenBudget& budget) {
  // At least one entry per member (a nested object adds more): no regrowth moving every entry.
  out.reserve(out.size() + std::min<size_t>(node.size(), memmodel::kMaxConfigEntries));
  for (auto [raw_key, value] : node) {
    const size_t key_size = prefix.empty() ? raw_key.size() : prefix.size() + 1 + raw_key.size();
    if (key_size > memmodel::kMaxConfigKeyBytes) {
      return limit_error(at, "a key flattens to " + std::to_string(key_size) + " bytes, above the limit of " +
                                 std::to_string(memmodel::kMaxConfigKeyBytes) + " bytes per option key");
    }
    // Every member counts, nested objects too: each costs a copy of its prefix, leaf or not.
    budget.bytes += key_size;
    if (budget.bytes > memmodel::kMaxConfigBytes) return bytes_error(budget);
    std::string key;
    key.reserve(key_size);
    if (!prefix.empty()) key.append(prefix).push_back('.');
    key.append(raw_key);
    Pointer here = at.child(raw_key);
    if (value.is_object()) {
      auto inner = flatten(value.get_object().value(), key, here, true, out, budget);
      if (!inner) return inner;
      continue;
    }
    std::string text;
    if (value.is_array()) {
      bool first = true;
      simdjson::dom::array items = value.get_array().value();
      for (element item : items) {
        auto item_text = scalar_text(item);
        if (!item_text) return type_error(here, "an array of scalars", item);
        if (!first) text.push_back(';');
        text += *item_text;
        first = false;
      }
    } else {
      text = *scalar_text(value);
    }
    if (++budget.entries > memmodel::kMaxConfigEntries) {
      return limit_error({"spec", "flinkConfiguration"}, "more than " + std::to_string(memmodel::kMaxConfigEntries) +
                                                             " options after flattening, above the limit");
    }
    budget.bytes += text.size();
    if (budget.bytes > memmodel::kMaxConfigBytes) return bytes_error(budget);
    out.push_back({std::move(key), std::move(text), std::move(here), nested || value.is_array()});
  }
  return {};
}

Expected<std::vector<MainContainerResources>> decode_pod_template(object parent, const Pointer& at) {
  std::vector<MainContainerResources> out;
  auto tmpl = optional_object(parent, "podTemplate", at);
  if (!tmpl) return Unexpected{tmpl.error()};
  if (!tmpl->has_value()) return out;
  Pointer tmpl_at = at.child("podTemplate");
  auto spec = optional_object(**tmpl, "spec", tmpl_at);
  if (!spec) return Unexpected{spec.error()};
  if (!spec->has_value()) return out;
  Pointer spec_at = tmpl_at.child("spec");
  element containers;
  if ((**spec)["containers"].get(containers) != simdjson::SUCCESS || containers.is_null()) return out;
  if (!containers.is_array()) return type_error(spec_at.child("containers"), "an array", containers);
  size_t index = 0;
  simdjson::dom::array list = containers.get_array().value();
  for (element container : list) {
    Pointer container_at = spec_at.child("containers").child(std::to_string(index++));
    if (!container.is_object()) return type_error(container_at, "an object", container);
    object c = container.get_object().value();
    auto name = optional_string(c, "name", container_at);
    if (!name) return Unexpected{name.error()};
    if (name->value_or("") != "flink-main-container") continue;
    auto resources = optional_object(c, "resources", container_at);
    if (!resources) return Unexpected{resources.error()};
    if (!resources->has_value()) continue;
    MainContainerResources found{container_at, {}};
    for (std::string_view group : {"requests", "limits"}) {
      auto entries = optional_object(**resources, group, container_at.child("resources"));
      if (!entries) return Unexpected{entries.error()};
      if (!entries->has_value()) continue;
      for (std::string_view resource : {"memory", "cpu"}) {
        element v;
        if ((**entries)[resource].get(v) == simdjson::SUCCESS && !v.is_null()) {
          found.entries.push_back(std::string(group) + "." + std::string(resource));
        }
      }
    }
    if (!found.entries.empty()) out.push_back(std::move(found));
  }
  return out;
}

// Members the CRD types strictly, as the operator's Java fields are typed (Resource.memory a
// String, cpu a Double, replicas an Integer): the API server refuses any other JSON type before the
// operator or this webhook could read it, so `memory: 2048` is unreadable, not 2048 bytes.
enum class CrdType { kString, kNumber, kInteger };

Expected<void> crd_typed(object parent, std::string_view name, const Pointer& at, CrdType type) {
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return {};
  switch (type) {
    case CrdType::kString:
      if (!value.is_string()) return type_error(at.child(name), "a string (the CRD's type)", value);
      break;
    case CrdType::kNumber:
      if (!value.is_number()) return type_error(at.child(name), "a number (the CRD's type)", value);
      break;
    case CrdType::kInteger:
      if (!value.is_int64() && !value.is_uint64()) return type_error(at.child(name), "an integer (the CRD's type)", value);
      break;
  }
  return {};
}

// spec.flinkVersion is an enum in the operator's CRD (its Java FlinkVersion: v1_13 to v1_20, then
// v2_0, v2_1, ... as operator releases add them), so the API server refuses any other value before
// the operator or this webhook could read it. A value outside that spelling is unreadable, not the
// default version; a v2_<n> a newer operator lists is accepted (the project targets the newest).
Expected<void> operator_flink_version(const FieldText& version) {
  auto refuse = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      field_path(version.pointer) + ": '" + version.text +
                          "' is not a value of the operator CRD's enum (v1_13 to v1_20, v2_0, v2_1, ...)");
  };
  const std::string& text = version.text;
  if (!version.from_string || text.size() < 4 || text[0] != 'v' || text.find('_') == std::string::npos) return refuse();
  if (text.find('x') != std::string::npos || text.find('X') != std::string::npos) return refuse();
  auto parsed = memmodel::FlinkVersion::parse(text);
  if (!parsed || parsed->patch != 0 || std::count(text.begin(), text.end(), '_') != 1) return refuse();
  if (parsed->major == 1 && (parsed->minor < 13 || parsed->minor > 20)) return refuse();
  // No leading zeros ("v1_020" parses as 1.20 but is no enum constant).
  if (text != "v" + std::to_string(parsed->major) + "_" + std::to_string(parsed->minor)) return refuse();
  return {};
}

// Decodes spec.<name> into `role` (a default one), where the object holds it.
Expected<void> decode_role(object spec, std::string_view name, FlinkDeploymentSpecRole& role) {
  Pointer at{"spec", name};
  auto component = optional_object(spec, name, {"spec"});
  if (!component) return Unexpected{component.error()};
  if (!component->has_value()) return {};
  role.present = true;
  object c = **component;
  if (auto typed = crd_typed(c, "replicas", at, CrdType::kInteger); !typed) return Unexpected{typed.error()};
  auto resource = optional_object(c, "resource", at);
  if (!resource) return Unexpected{resource.error()};
  if (resource->has_value()) {
    Pointer r_at = at.child("resource");
    for (auto [member, type] : {std::pair{"memory", CrdType::kString}, std::pair{"cpu", CrdType::kNumber}}) {
      if (auto typed = crd_typed(**resource, member, r_at, type); !typed) return Unexpected{typed.error()};
    }
    auto memory = optional_scalar(**resource, "memory", r_at);
    if (!memory) return Unexpected{memory.error()};
    role.resources.resource_memory = std::move(*memory);
    auto cpu = optional_scalar(**resource, "cpu", r_at);
    if (!cpu) return Unexpected{cpu.error()};
    role.resources.resource_cpu = std::move(*cpu);
  }
  auto resources = optional_object(c, "resources", at);
  if (!resources) return Unexpected{resources.error()};
  if (resources->has_value()) {
    Pointer rs_at = at.child("resources");
    for (std::string_view group : {"requests", "limits"}) {
      auto entries = optional_object(**resources, group, rs_at);
      if (!entries) return Unexpected{entries.error()};
      if (!entries->has_value()) continue;
      auto memory = optional_scalar(**entries, "memory", rs_at.child(group));
      if (!memory) return Unexpected{memory.error()};
      auto cpu = optional_scalar(**entries, "cpu", rs_at.child(group));
      if (!cpu) return Unexpected{cpu.error()};
      if (group == "requests") {
        role.resources.request_memory = std::move(*memory);
        role.resources.request_cpu = std::move(*cpu);
      } else {
        role.resources.limit_memory = std::move(*memory);
        role.resources.limit_cpu = std::move(*cpu);
      }
    }
  }
  auto pod_template = decode_pod_template(c, at);
  if (!pod_template) return Unexpected{pod_template.error()};
  role.pod_template = std::move(*pod_template);
  return {};
}


Expected<std::vector<std::string>> string_list(object parent, std::string_view name, const Pointer& at) {
  std::vector<std::string> out;
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return out;
  if (!value.is_array()) return type_error(at.child(name), "an array of strings", value);
  size_t index = 0;
  simdjson::dom::array items = value.get_array().value();
  for (element item : items) {
    if (!item.is_string()) return type_error(at.child(name).child(std::to_string(index)), "a string", item);
    out.emplace_back(item.get_string().value());
    ++index;
  }
  return out;
}

// Every element of an optional array member that must hold objects.
Expected<std::vector<std::pair<object, Pointer>>> object_list(object parent, std::string_view name, const Pointer& at) {
  std::vector<std::pair<object, Pointer>> out;
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return out;
  Pointer list_at = at.child(name);
  if (!value.is_array()) return type_error(list_at, "an array", value);
  size_t index = 0;
  simdjson::dom::array items = value.get_array().value();
  for (element item : items) {
    Pointer here = list_at.child(std::to_string(index++));
    if (!item.is_object()) return type_error(here, "an object", item);
    out.emplace_back(item.get_object().value(), std::move(here));
  }
  return out;
}

Expected<ContainerSpec> decode_container(object c, const Pointer& at) {
  ContainerSpec out;
  out.pointer = at;
  auto name = optional_string(c, "name", at);
  if (!name) return Unexpected{name.error()};
  out.name = name->value_or("");
  auto image = optional_string(c, "image", at);
  if (!image) return Unexpected{image.error()};
  out.image = image->value_or("");
  auto command = string_list(c, "command", at);
  if (!command) return Unexpected{command.error()};
  out.command = std::move(*command);
  auto args = string_list(c, "args", at);
  if (!args) return Unexpected{args.error()};
  out.args = std::move(*args);
  auto env = object_list(c, "env", at);
  if (!env) return Unexpected{env.error()};
  for (auto& [e, e_at] : *env) {
    auto env_name = optional_string(e, "name", e_at);
    if (!env_name) return Unexpected{env_name.error()};
    auto value = optional_string(e, "value", e_at);
    if (!value) return Unexpected{value.error()};
    element from;
    bool value_from = e["valueFrom"].get(from) == simdjson::SUCCESS && !from.is_null();
    // A plain env var without value is the empty string; valueFrom is resolved by the kubelet.
    out.env.push_back({env_name->value_or(""), value_from ? std::nullopt : std::optional<std::string>(value->value_or(""))});
  }
  auto mounts = object_list(c, "volumeMounts", at);
  if (!mounts) return Unexpected{mounts.error()};
  for (auto& [m, m_at] : *mounts) {
    VolumeMount mount;
    auto mount_name = optional_string(m, "name", m_at);
    if (!mount_name) return Unexpected{mount_name.error()};
    auto path = optional_string(m, "mountPath", m_at);
    if (!path) return Unexpected{path.error()};
    auto sub_path = optional_string(m, "subPath", m_at);
    if (!sub_path) return Unexpected{sub_path.error()};
    out.volume_mounts.push_back({mount_name->value_or(""), path->value_or(""), sub_path->value_or("")});
  }
  auto resources = optional_object(c, "resources", at);
  if (!resources) return Unexpected{resources.error()};
  if (resources->has_value()) {
    Pointer rs_at = at.child("resources");
    for (std::string_view group : {"requests", "limits"}) {
      auto entries = optional_object(**resources, group, rs_at);
      if (!entries) return Unexpected{entries.error()};
      if (!entries->has_value()) continue;
      auto memory = optional_scalar(**entries, "memory", rs_at.child(group));
      if (!memory) return Unexpected{memory.error()};
      (group == "requests" ? out.request_memory : out.limit_memory) = std::move(*memory);
    }
  }
  return out;
}

}  // namespace

Expected<void> decode_flinkdeployment(element root_element, FlinkDeploymentObject& out) {
  if (!root_element.is_object()) return type_error({"object"}, "an object", root_element);
  object root = root_element.get_object().value();
  if (auto meta = decode_metadata(root, out.metadata); !meta) return meta;
  auto spec_member = optional_object(root, "spec", {});
  if (!spec_member) return Unexpected{spec_member.error()};
  if (!spec_member->has_value()) return {};  // nothing memory-related to judge
  object spec = **spec_member;
  auto version = optional_scalar(spec, "flinkVersion", {"spec"});
  if (!version) return Unexpected{version.error()};
  if (*version) {
    auto readable = operator_flink_version(**version);
    if (!readable) return Unexpected{readable.error()};
  }
  out.flink_version = std::move(*version);
  auto config = optional_object(spec, "flinkConfiguration", {"spec"});
  if (!config) return Unexpected{config.error()};
  if (config->has_value()) {
    out.has_flink_configuration = true;
    FlattenBudget budget;
    auto flat = flatten(**config, "", {"spec", "flinkConfiguration"}, false, out.flink_configuration, budget);
    if (!flat) return Unexpected{flat.error()};
  }
  if (auto jm = decode_role(spec, "jobManager", out.job_manager); !jm) return jm;
  if (auto tm = decode_role(spec, "taskManager", out.task_manager); !tm) return tm;
  auto shared = decode_pod_template(spec, {"spec"});
  if (!shared) return Unexpected{shared.error()};
  out.pod_template = std::move(*shared);
  return {};
}

Expected<FlinkDeploymentObject> decode_flinkdeployment(element root_element) {
  FlinkDeploymentObject out;
  auto decoded = decode_flinkdeployment(root_element, out);
  if (!decoded) return Unexpected{decoded.error()};
  return out;
}

Expected<ConfigMapObject> decode_configmap(element root_element) {
  if (!root_element.is_object()) return type_error({"object"}, "an object", root_element);
  object root = root_element.get_object().value();
  ConfigMapObject out;
  // Fast path first: most ConfigMaps are not Flink's, and only the two data keys can make one so.
  element data;
  if (root["data"].get(data) != simdjson::SUCCESS || data.is_null()) return out;
  if (!data.is_object()) return type_error({"data"}, "an object", data);
  object data_map = data.get_object().value();
  element flink_conf, config_yaml;
  bool has_flink_conf = data_map[kFlinkConfYaml].get(flink_conf) == simdjson::SUCCESS;
  bool has_config_yaml = data_map[kConfigYaml].get(config_yaml) == simdjson::SUCCESS;
  if (!has_flink_conf && !has_config_yaml) return out;
  out.holds_flink_configuration = true;
  if (has_flink_conf) {
    if (!flink_conf.is_string()) return type_error({"data", std::string(kFlinkConfYaml)}, "a string", flink_conf);
    out.flink_conf_yaml = std::string(flink_conf.get_string().value());
  }
  if (has_config_yaml) {
    if (!config_yaml.is_string()) return type_error({"data", std::string(kConfigYaml)}, "a string", config_yaml);
    out.config_yaml = std::string(config_yaml.get_string().value());
  }
  auto meta = decode_metadata(root);
  if (!meta) return Unexpected{meta.error()};
  out.metadata = std::move(*meta);
  return out;
}

bool is_workload_kind(std::string_view api_version, std::string_view kind) {
  if (api_version == "apps/v1") return kind == "Deployment" || kind == "StatefulSet";
  if (api_version == "batch/v1") return kind == "Job";
  return api_version == "v1" && kind == "Pod";
}

std::vector<std::string> mounted_configmaps(const WorkloadObject& workload) {
  std::vector<std::string> out;
  for (const auto& v : workload.configmap_volumes) out.push_back(v.configmap);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Expected<WorkloadObject> decode_workload(element root_element, std::string_view kind) {
  if (!root_element.is_object()) return type_error({"object"}, "an object", root_element);
  object root = root_element.get_object().value();
  WorkloadObject out;
  out.kind = std::string(kind);
  auto meta = decode_metadata(root);
  if (!meta) return Unexpected{meta.error()};
  out.metadata = std::move(*meta);
  element metadata;
  simdjson::dom::array owners;
  if (root["metadata"].get(metadata) == simdjson::SUCCESS && metadata.is_object() &&
      metadata["ownerReferences"].get(owners) == simdjson::SUCCESS) {
    for (element owner : owners) {
      bool controller = false;
      std::string_view owner_kind;
      if (owner["controller"].get(controller) == simdjson::SUCCESS && controller &&
          owner["kind"].get(owner_kind) == simdjson::SUCCESS) {
        out.controller_kind = std::string(owner_kind);
      }
    }
  }
  auto spec_member = optional_object(root, "spec", {});
  if (!spec_member) return Unexpected{spec_member.error()};
  if (!spec_member->has_value()) return out;
  object pod_spec = **spec_member;
  Pointer pod_at{"spec"};
  if (kind == "Pod") {
    out.pod_labels = out.metadata.labels;
    out.pod_annotations = out.metadata.annotations;
  } else {
    auto tmpl = optional_object(pod_spec, "template", pod_at);
    if (!tmpl) return Unexpected{tmpl.error()};
    if (!tmpl->has_value()) return out;
    Pointer tmpl_at{"spec", "template"};
    auto tmpl_meta = optional_object(**tmpl, "metadata", tmpl_at);
    if (!tmpl_meta) return Unexpected{tmpl_meta.error()};
    if (tmpl_meta->has_value()) {
      auto labels = string_map(**tmpl_meta, "labels", tmpl_at.child("metadata"));
      if (!labels) return Unexpected{labels.error()};
      out.pod_labels = std::move(*labels);
      auto annotations = string_map(**tmpl_meta, "annotations", tmpl_at.child("metadata"), kOwnAnnotationPrefix);
      if (!annotations) return Unexpected{annotations.error()};
      out.pod_annotations = std::move(*annotations);
    }
    auto inner = optional_object(**tmpl, "spec", tmpl_at);
    if (!inner) return Unexpected{inner.error()};
    if (!inner->has_value()) return out;
    pod_spec = **inner;
    pod_at = tmpl_at.child("spec");
  }
  auto containers = object_list(pod_spec, "containers", pod_at);
  if (!containers) return Unexpected{containers.error()};
  for (auto& [c, c_at] : *containers) {
    auto container = decode_container(c, c_at);
    if (!container) return Unexpected{container.error()};
    out.containers.push_back(std::move(*container));
  }
  auto volumes = object_list(pod_spec, "volumes", pod_at);
  if (!volumes) return Unexpected{volumes.error()};
  for (auto& [v, v_at] : *volumes) {
    auto configmap = optional_object(v, "configMap", v_at);
    if (!configmap) return Unexpected{configmap.error()};
    if (!configmap->has_value()) continue;
    ConfigMapVolume volume;
    auto volume_name = optional_string(v, "name", v_at);
    if (!volume_name) return Unexpected{volume_name.error()};
    volume.volume_name = volume_name->value_or("");
    Pointer cm_at = v_at.child("configMap");
    auto cm_name = optional_string(**configmap, "name", cm_at);
    if (!cm_name) return Unexpected{cm_name.error()};
    volume.configmap = cm_name->value_or("");
    auto items = object_list(**configmap, "items", cm_at);
    if (!items) return Unexpected{items.error()};
    for (auto& [item, item_at] : *items) {
      auto key = optional_string(item, "key", item_at);
      if (!key) return Unexpected{key.error()};
      auto path = optional_string(item, "path", item_at);
      if (!path) return Unexpected{path.error()};
      volume.items.emplace_back(key->value_or(""), path->value_or(""));
    }
    out.configmap_volumes.push_back(std::move(volume));
  }
  return out;
}

Expected<KubeObject> decode_object(element root_element) {
  if (!root_element.is_object()) return type_error({"object"}, "an object", root_element);
  object root = root_element.get_object().value();
  auto api_version = optional_string(root, "apiVersion", {});
  if (!api_version) return Unexpected{api_version.error()};
  auto kind = optional_string(root, "kind", {});
  if (!kind) return Unexpected{kind.error()};
  std::string av = api_version->value_or(""), k = kind->value_or("");
  if (k == "FlinkDeployment" && av.rfind("flink.apache.org/", 0) == 0) {
    auto decoded = decode_flinkdeployment(root_element);
    if (!decoded) return Unexpected{decoded.error()};
    return KubeObject{std::move(*decoded)};
  }
  if (k == "ConfigMap" && av == "v1") {
    auto decoded = decode_configmap(root_element);
    if (!decoded) return Unexpected{decoded.error()};
    return KubeObject{std::move(*decoded)};
  }
  if (is_workload_kind(av, k)) {
    auto decoded = decode_workload(root_element, k);
    if (!decoded) return Unexpected{decoded.error()};
    return KubeObject{std::move(*decoded)};
  }
  return KubeObject{OtherObject{av, k}};
}

namespace {

// Structural equality of two JSON values: members in order, numbers by value. kube-apiserver
// serializes object and oldObject with the same encoder, so an unchanged part is equal here; a
// difference only in member order counts as a change, which at worst lets a denial through as it
// would for any real change. Stops at the first difference and allocates nothing.
bool same_json(element a, element b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case element_type::OBJECT: {
      object x = a.get_object().value(), y = b.get_object().value();
      auto i = x.begin(), j = y.begin();
      for (; i != x.end() && j != y.end(); ++i, ++j) {
        if (i.key() != j.key() || !same_json(i.value(), j.value())) return false;
      }
      return i == x.end() && j == y.end();
    }
    case element_type::ARRAY: {
      simdjson::dom::array x = a.get_array().value(), y = b.get_array().value();
      auto i = x.begin(), j = y.begin();
      for (; i != x.end() && j != y.end(); ++i, ++j) {
        if (!same_json(*i, *j)) return false;
      }
      return i == x.end() && j == y.end();
    }
    case element_type::STRING: return a.get_string().value() == b.get_string().value();
    case element_type::INT64: return a.get_int64().value() == b.get_int64().value();
    case element_type::UINT64: return a.get_uint64().value() == b.get_uint64().value();
    case element_type::DOUBLE: return a.get_double().value() == b.get_double().value();
    case element_type::BOOL: return a.get_bool().value() == b.get_bool().value();
    case element_type::NULL_VALUE: return true;
  }
  return false;
}

// A member by path; nullopt when a step is missing, null or not an object.
std::optional<element> at_path(element root, std::initializer_list<std::string_view> path) {
  element at = root;
  for (std::string_view name : path) {
    if (!at.is_object() || at.get_object().value()[name].get(at) != simdjson::SUCCESS || at.is_null()) {
      return std::nullopt;
    }
  }
  return at;
}

bool same_part(element now, element before, std::initializer_list<std::string_view> path) {
  auto a = at_path(now, path), b = at_path(before, path);
  if (!a || !b) return !a && !b;
  return same_json(*a, *b);
}

}  // namespace

bool same_memory_inputs(const KubeObject& decoded, element now, element before) {
  if (std::holds_alternative<FlinkDeploymentObject>(decoded)) {
    return at_path(now, {"spec"}) && same_part(now, before, {"spec"});
  }
  if (const auto* cm = std::get_if<ConfigMapObject>(&decoded)) {
    // Only what the engine reads: the two Flink files (not log4j files or other keys of data), the
    // annotations (version, limits) and the label that marks a native-Kubernetes configuration.
    return cm->holds_flink_configuration && same_part(now, before, {"data", "flink-conf.yaml"}) &&
           same_part(now, before, {"data", "config.yaml"}) && same_part(now, before, {"metadata", "annotations"}) &&
           same_part(now, before, {"metadata", "labels", "type"});
  }
  if (const auto* w = std::get_if<WorkloadObject>(&decoded)) {
    if (w->kind == "Pod") return at_path(now, {"spec"}) && same_part(now, before, {"spec"});
    return at_path(now, {"spec", "template", "spec"}) && same_part(now, before, {"spec", "template", "spec"});
  }
  return false;
}

}  // namespace memguard::admission
