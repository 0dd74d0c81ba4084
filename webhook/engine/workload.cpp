// Standalone workloads -> effective Flink configuration per container, and their findings. The
// file choice and parsing are build_configmap's (the ConfigMap as this container sees it); the
// rules are evaluate_role's with the container's own memory limit declared for the role.
#include "webhook/engine/workload.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "memmodel/input_limits.h"
#include "support/ascii_text.h"
#include "memmodel/quantity.h"
#include "webhook/engine/rules.h"

namespace memguard::engine {

namespace {

using admission::ConfigMapObject;
using admission::ContainerSpec;
using admission::WorkloadObject;
using memmodel::Role;

// Tokens of command + args; an element such as `bash -c "kubernetes-taskmanager.sh -Dk=v"` is split
// on whitespace so the role word and -D options inside a shell line are seen too.
std::vector<std::string> tokens(const ContainerSpec& c) {
  std::vector<std::string> out;
  auto split = [&](const std::string& element) {
    size_t i = 0;
    while (i < element.size()) {
      while (i < element.size() && ascii::is_space(element[i])) ++i;
      size_t start = i;
      while (i < element.size() && !ascii::is_space(element[i])) ++i;
      if (i > start) {
        std::string token = element.substr(start, i - start);
        // Shell quoting around a whole word ('-Dk=v', "taskmanager").
        if (token.size() >= 2 && (token.front() == '\'' || token.front() == '"') && token.back() == token.front()) {
          token = token.substr(1, token.size() - 2);
        }
        out.push_back(std::move(token));
      }
    }
  };
  for (const auto& e : c.command) split(e);
  for (const auto& e : c.args) split(e);
  return out;
}

std::optional<Role> role_word(std::string_view token) {
  std::string_view base = token.substr(token.rfind('/') == std::string_view::npos ? 0 : token.rfind('/') + 1);
  if (base == "jobmanager" || base == "standalone-job" || base == "jobmanager.sh" || base == "standalone-job.sh" ||
      base == "kubernetes-jobmanager.sh") {
    return Role::kJobManager;
  }
  if (base == "taskmanager" || base == "taskmanager.sh" || base == "kubernetes-taskmanager.sh") return Role::kTaskManager;
  return std::nullopt;
}

const std::string* env_value(const ContainerSpec& c, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& e : c.env) {
    // The last definition wins, as in Kubernetes: a later valueFrom hides an earlier value (we cannot read it).
    if (e.name == name) found = e.value ? &*e.value : nullptr;
  }
  return found;
}

bool env_from_source(const ContainerSpec& c, std::string_view name) {
  bool from = false;
  for (const auto& e : c.env) {
    if (e.name == name) from = !e.value.has_value();
  }
  return from;
}

std::string strip_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string conf_dir(const ContainerSpec& c) {
  const std::string* dir = env_value(c, "FLINK_CONF_DIR");
  return strip_slashes(dir != nullptr && !dir->empty() ? *dir : std::string(kDefaultFlinkConfDir));
}

// A workload's ConfigMap volumes by name and each one's items by path, hashed, so that matching m
// mounts against v volumes of k items costs O(m + v + k), not O(m x v) or O(m x k). The first
// volume of a name, and the first item of a path, win, as a search front to back finds them.
class VolumeIndex {
 public:
  explicit VolumeIndex(const WorkloadObject& workload) {
    volumes_.reserve(workload.configmap_volumes.size());
    for (const auto& v : workload.configmap_volumes) volumes_.emplace(v.volume_name, &v);
  }

  const admission::ConfigMapVolume* volume(std::string_view name) const {
    auto it = volumes_.find(name);
    return it == volumes_.end() ? nullptr : it->second;
  }

  // The key `volume` serves at `path` (a path inside the volume), if any.
  std::optional<std::string> key_at(const admission::ConfigMapVolume& volume, std::string_view path) {
    if (volume.items.empty()) return std::string(path);
    auto [paths, fresh] = items_.try_emplace(&volume);
    if (fresh) {
      for (const auto& [key, item_path] : volume.items) paths->second.emplace(item_path, &key);
    }
    auto it = paths->second.find(path);
    if (it == paths->second.end()) return std::nullopt;
    return *it->second;
  }

 private:
  std::unordered_map<std::string_view, const admission::ConfigMapVolume*> volumes_;
  std::unordered_map<const admission::ConfigMapVolume*, std::unordered_map<std::string_view, const std::string*>> items_;
};

std::string containers_cap_note(size_t unjudged) {
  return std::to_string(unjudged) + " more Flink container(s) not judged: flink-memguard judges at most " +
         std::to_string(kMaxJudgedContainers) + " per review (README: Limits); allowed without checking";
}

std::string describe(const WorkloadObject& w) {
  std::string out = w.kind + " ";
  if (!w.metadata.namespace_.empty()) out += w.metadata.namespace_ + "/";
  return out + w.metadata.name;
}

std::vector<Finding> container_findings(const WorkloadObject& w, const FlinkContainer& fc, const ConfigMapObject& cm,
                                        const Settings& settings, std::vector<std::string>* notes) {
  const ContainerSpec& c = w.containers[fc.index];
  EffectiveConfig eff = build_workload_container(w, fc, cm);
  std::vector<Finding> out = std::move(eff.findings);
  std::vector<std::string> derivation_notes;
  for (const auto& role : eff.roles) {
    for (auto& f : evaluate_role(eff, role, settings, &derivation_notes)) out.push_back(std::move(f));
  }
  if (notes != nullptr) {
    for (auto& n : eff.notes) notes->push_back("container " + c.name + ": " + n);
    for (auto& n : derivation_notes) notes->push_back("container " + c.name + ": " + n);
  }
  return out;
}

}  // namespace

std::optional<std::pair<Role, std::string>> detect_role(const ContainerSpec& container, const WorkloadObject& workload) {
  for (const auto& token : tokens(container)) {
    if (auto role = role_word(token)) return std::pair{*role, std::string("args")};
  }
  bool jm = container.name.find("jobmanager") != std::string::npos;
  bool tm = container.name.find("taskmanager") != std::string::npos;
  if (jm != tm) return std::pair{jm ? Role::kJobManager : Role::kTaskManager, std::string("container name")};
  if (auto it = workload.pod_labels.find("component"); it != workload.pod_labels.end()) {
    if (it->second == "jobmanager") return std::pair{Role::kJobManager, std::string("label component")};
    if (it->second == "taskmanager") return std::pair{Role::kTaskManager, std::string("label component")};
  }
  return std::nullopt;
}

std::vector<FlinkContainer> flink_containers(const WorkloadObject& workload) {
  std::vector<FlinkContainer> out;
  VolumeIndex volumes(workload);
  for (size_t i = 0; i < workload.containers.size(); ++i) {
    const ContainerSpec& c = workload.containers[i];
    std::string dir = conf_dir(c);
    FlinkContainer fc;
    fc.index = i;
    for (const auto& mount : c.volume_mounts) {
      const admission::ConfigMapVolume* volume = volumes.volume(mount.name);
      if (volume == nullptr) continue;
      std::string path = strip_slashes(mount.mount_path);
      for (std::string_view file : {admission::kFlinkConfYaml, admission::kConfigYaml}) {
        std::optional<std::string> key;
        if (path == dir && mount.sub_path.empty()) {
          key = volumes.key_at(*volume, file);  // the whole directory
        } else if (path == dir + "/" + std::string(file) && !mount.sub_path.empty()) {
          key = volumes.key_at(*volume, mount.sub_path);  // one file through subPath
        }
        if (!key) continue;
        if (!fc.configmap.empty() && fc.configmap != volume->configmap) continue;  // the first ConfigMap decides
        fc.configmap = volume->configmap;
        (file == admission::kFlinkConfYaml ? fc.flink_conf_yaml_key : fc.config_yaml_key) = std::move(key);
      }
    }
    if (fc.configmap.empty()) continue;  // configuration baked into the image: nothing to compare
    auto role = detect_role(c, workload);
    if (!role) continue;
    fc.role = role->first;
    fc.role_source = role->second;
    // -D options after the role word, in both spellings the scripts accept.
    auto words = tokens(c);
    bool after_role = role->second != "args";
    for (size_t t = 0; t < words.size(); ++t) {
      if (!after_role) {
        after_role = role_word(words[t]).has_value();
        continue;
      }
      std::string property;
      if (words[t] == "-D" && t + 1 < words.size()) property = words[++t];
      else if (words[t].rfind("-D", 0) == 0 && words[t].size() > 2) property = words[t].substr(2);
      else continue;
      size_t eq = property.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      fc.dynamic_properties.emplace_back(property.substr(0, eq), property.substr(eq + 1));
    }
    out.push_back(std::move(fc));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_flink_properties(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(ascii::trim(text.substr(start, end - start)));
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(": ");
    if (colon == std::string::npos) {
      if (line.back() != ':') continue;  // not `key: value`: Flink skips the line
      colon = line.size() - 1;
    }
    std::string key(ascii::trim(std::string_view(line).substr(0, colon)));
    std::string value(colon + 1 < line.size() ? ascii::trim(std::string_view(line).substr(colon + 1)) : "");
    if (key.empty()) continue;
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::optional<memmodel::FlinkVersion> image_flink_version(std::string_view image) {
  // The tag follows the last ':' after the last '/' (a registry host:port comes before a '/').
  size_t slash = image.rfind('/');
  size_t colon = image.find(':', slash == std::string_view::npos ? 0 : slash);
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view tag = image.substr(colon + 1);
  if (size_t at = tag.find('@'); at != std::string_view::npos) tag = tag.substr(0, at);
  // "1.20", "1.20.1-scala_2.12-java11", "2.0.0-java17": major.minor[.patch] before any '-'.
  tag = tag.substr(0, tag.find('-'));
  size_t dots = static_cast<size_t>(std::count(tag.begin(), tag.end(), '.'));
  if (dots < 1 || dots > 2 || tag.find_first_not_of("0123456789.") != std::string_view::npos) return std::nullopt;
  auto version = memmodel::FlinkVersion::parse(tag);
  if (!version) return std::nullopt;
  return *version;
}

EffectiveConfig build_workload_container(const WorkloadObject& w, const FlinkContainer& fc, const ConfigMapObject& cm) {
  const ContainerSpec& c = w.containers[fc.index];
  // The ConfigMap as this container's directory shows it, with the version the container runs.
  ConfigMapObject view;
  view.holds_flink_configuration = true;
  view.metadata = cm.metadata;
  auto content = [&](const std::optional<std::string>& key) -> std::optional<std::string> {
    if (!key) return std::nullopt;
    if (*key == admission::kFlinkConfYaml) return cm.flink_conf_yaml;
    if (*key == admission::kConfigYaml) return cm.config_yaml;
    return std::nullopt;
  };
  view.flink_conf_yaml = content(fc.flink_conf_yaml_key);
  view.config_yaml = content(fc.config_yaml_key);
  std::vector<std::string> extra_notes;
  for (const auto* key : {&fc.flink_conf_yaml_key, &fc.config_yaml_key}) {
    if (*key && **key != admission::kFlinkConfYaml && **key != admission::kConfigYaml) {
      extra_notes.push_back("ConfigMap key " + **key + " is mounted as a Flink config file; flink-memguard reads only "
                            "the keys flink-conf.yaml and config.yaml, so it is judged without it");
    }
  }
  std::string version_source;
  std::optional<std::string> version_text;
  if (auto v = image_flink_version(c.image)) {
    version_text = v->to_string();
    version_source = "image " + c.image;
  } else if (auto a = w.pod_annotations.find(kFlinkVersionAnnotation); a != w.pod_annotations.end()) {
    version_text = a->second;
  } else if (auto m = w.metadata.annotations.find(kFlinkVersionAnnotation); m != w.metadata.annotations.end()) {
    version_text = m->second;
  }
  if (version_text) view.metadata.annotations[std::string(kFlinkVersionAnnotation)] = *version_text;
  // The ConfigMap's own limit annotations describe other containers; this one has its own limit.
  view.metadata.annotations.erase(std::string(kJobManagerLimitAnnotation));
  view.metadata.annotations.erase(std::string(kTaskManagerLimitAnnotation));

  EffectiveConfig eff;
  if (!view.flink_conf_yaml && !view.config_yaml) {
    eff.notes = std::move(extra_notes);
    eff.notes.push_back("ConfigMap " + fc.configmap + " has no flink-conf.yaml or config.yaml at the configuration "
                        "directory; not judged");
    return eff;
  }
  eff = build_configmap(view);
  for (auto& n : extra_notes) eff.notes.push_back(std::move(n));
  eff.roles.clear();
  bool file_fails = std::any_of(eff.findings.begin(), eff.findings.end(),
                                [](const Finding& f) { return f.code == FindingCode::kConfigFileInvalid; });
  if (file_fails || eff.over_limit) return eff;  // Flink cannot load the file, or we do not: nothing to derive
  std::string file_origin = eff.config_origin + " of ConfigMap " + fc.configmap;
  eff.config_origin = file_origin;

  std::string process_key = role_prefix(fc.role) + ".memory.process.size";
  Source process_source = Source::option(process_key, file_origin);
  // FLINK_PROPERTIES: appended to the configuration by docker-entrypoint.sh, so later lines win.
  if (const std::string* properties = env_value(c, "FLINK_PROPERTIES")) {
    for (auto& [key, value] : parse_flink_properties(*properties)) {
      if (key == process_key) process_source = Source::option(process_key, "FLINK_PROPERTIES of container " + c.name);
      eff.config.set(key, value);
    }
  } else if (env_from_source(c, "FLINK_PROPERTIES")) {
    eff.notes.push_back("FLINK_PROPERTIES comes from valueFrom, which flink-memguard "
                        "cannot read; judged without it");
  }
  // -D arguments: dynamic properties, applied over everything else.
  for (const auto& [key, value] : fc.dynamic_properties) {
    if (key == process_key) process_source = Source::dynamic_property(process_key, c.name);
    eff.config.set(key, value);
  }
  // FLINK_PROPERTIES and -D come from the request: the file's option limit holds for the sum.
  if (eff.config.size() > memmodel::kMaxConfigEntries) {
    eff.notes.push_back("container " + c.name + ": not judged: the file, FLINK_PROPERTIES and -D arguments set more "
                        "than " + std::to_string(memmodel::kMaxConfigEntries) +
                        " options, above the limit (README: Limits); allowed without checking");
    return eff;
  }
  // The start scripts' legacy heap variables; memmodel ignores them from Flink 2.0 on, as 2.0's scripts do
  // (one home for that version rule: map_legacy_heap).
  if (const std::string* heap = env_value(c, fc.role == Role::kJobManager ? "FLINK_JM_HEAP" : "FLINK_TM_HEAP")) {
    if (!heap->empty()) eff.context.legacy_heap_env = *heap;
  }

  RoleInput in;
  in.role = fc.role;
  in.process_source = std::move(process_source);
  in.process_source_named = true;
  in.flink_sizes_container = false;
  in.workload_container = true;
  if (c.request_memory) in.container_request = c.request_memory->text;
  if (c.limit_memory) {
    auto limit = memmodel::Quantity::parse(c.limit_memory->text);
    if (limit && limit->ceil_value > 0) {
      in.declared_limit_bytes = limit->ceil_value;
      in.declared_limit_source = Source::container_limit(c.limit_memory->text, c.name);
      in.declared_limit_pointer = c.limit_memory->pointer;
    } else {
      eff.notes.push_back("resources.limits.memory '" + c.limit_memory->text +
                          "' is not a positive Kubernetes quantity; judged as if there were no limit");
    }
  }
  eff.roles.push_back(std::move(in));
  return eff;
}

std::vector<Finding> workload_findings(const WorkloadObject& w, std::string_view namespace_,
                                       const Counterparts* counterparts, const Settings& settings,
                                       std::vector<std::string>* notes) {
  std::vector<Finding> out;
  std::vector<FlinkContainer> containers = flink_containers(w);
  if (containers.size() > kMaxJudgedContainers) {
    if (notes != nullptr) notes->push_back(containers_cap_note(containers.size() - kMaxJudgedContainers));
    containers.resize(kMaxJudgedContainers);
  }
  for (const auto& fc : containers) {
    std::string who = "container " + w.containers[fc.index].name;
    if (counterparts == nullptr) {
      if (notes != nullptr) {
        notes->push_back(who + ": ConfigMap " + fc.configmap + " not checked: no Kubernetes API access configured");
      }
      continue;
    }
    ConfigMapAnswer answer = counterparts->configmap(namespace_, fc.configmap);
    if (answer.state == ConfigMapAnswer::State::kUnknown) {
      if (notes != nullptr) {
        notes->push_back(who + ": memory not checked: ConfigMap " + fc.configmap + " could not be read (" +
                         answer.reason + "); allowed without checking");
      }
      continue;
    }
    if (answer.state == ConfigMapAnswer::State::kAbsent || !answer.configmap.holds_flink_configuration) {
      if (notes != nullptr) {
        notes->push_back(who + ": ConfigMap " + fc.configmap + " with a Flink configuration was not found in namespace " +
                         std::string(namespace_) + "; not checked");
      }
      continue;
    }
    for (auto& f : container_findings(w, fc, answer.configmap, settings, notes)) {
      auto suggested = std::move(f.suggested);
      in_scope(f, who + ": ");
      // The edits of this workload's own fields stay machine-applicable; the ConfigMap's are another object's.
      for (auto& fix : suggested) {
        if (std::all_of(fix.begin(), fix.end(), [](const SuggestedEdit& e) { return e.kind == SuggestedEdit::Kind::kField; })) {
          f.suggested.push_back(std::move(fix));
        }
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

// Where the workload itself sets the process size of `fc` (FLINK_PROPERTIES, -D arguments), over
// whatever the mounted file says: the process size, or the Total Flink size Flink derives it from
// (which wins over a process size in the file); nullopt: the file decides it.
static std::optional<std::string> process_size_set_by_workload(const WorkloadObject& w, const FlinkContainer& fc) {
  const ContainerSpec& c = w.containers[fc.index];
  const std::string prefix = role_prefix(fc.role);
  auto sizes = [&](const std::string& k) { return k == prefix + ".memory.process.size" || k == prefix + ".memory.flink.size"; };
  for (const auto& [k, v] : fc.dynamic_properties) {
    if (sizes(k)) return std::string("its -D argument");
  }
  if (const std::string* properties = env_value(c, "FLINK_PROPERTIES")) {
    for (const auto& [k, v] : parse_flink_properties(*properties)) {
      if (sizes(k)) return std::string("its FLINK_PROPERTIES");
    }
  }
  return std::nullopt;
}

std::vector<Finding> configmap_workload_findings(const ConfigMapObject& cm, std::string_view namespace_,
                                                 const Counterparts& counterparts, const Settings& settings,
                                                 std::vector<std::string>* notes) {
  std::vector<Finding> out;
  WorkloadsAnswer answer = counterparts.workloads_mounting(namespace_, cm.metadata.name);
  if (!answer.known) {
    if (notes != nullptr) {
      notes->push_back("the workloads mounting ConfigMap " + cm.metadata.name + " could not be listed (" + answer.reason +
                       "); their memory limits were not checked against this change");
    }
    return out;
  }
  size_t judged = 0, unjudged = 0;
  for (const auto& w : answer.workloads) {
    // Pods a ReplicaSet, StatefulSet or Job controls are judged through that workload: once is enough.
    if (w.kind == "Pod" && (w.controller_kind == "ReplicaSet" || w.controller_kind == "StatefulSet" ||
                            w.controller_kind == "Job")) {
      continue;
    }
    for (const auto& fc : flink_containers(w)) {
      if (fc.configmap != cm.metadata.name) continue;
      if (judged == kMaxJudgedContainers) {
        ++unjudged;
        continue;
      }
      ++judged;
      std::string who = describe(w) + " container " + w.containers[fc.index].name + ": ";
      std::optional<std::string> own_process = process_size_set_by_workload(w, fc);
      const std::string of_configmap = " of ConfigMap " + cm.metadata.name;
      for (auto& f : container_findings(w, fc, cm, settings, nullptr)) {
        auto suggested = std::move(f.suggested);
        in_scope(f, who);
        // The container's own process size against its own limit and request: no ConfigMap edit changes it.
        bool container_only = f.code == FindingCode::kProcessExceedsLimit ||
                              f.code == FindingCode::kMemoryRequestBelowProcess ||
                              f.code == FindingCode::kWorkloadNoMemoryLimit;
        if (own_process && container_only) {
          // Short: it prefixes a warning that already names the container.
          f.outside_this_object = "the workload sets the process size (" + *own_process + "), no ConfigMap edit fixes it";
          suggested.clear();
        }
        // Edits of this ConfigMap's file stay machine-applicable; the workload's fields are another object's.
        for (auto& fix : suggested) {
          bool own = std::all_of(fix.begin(), fix.end(), [&](const SuggestedEdit& e) {
            return e.kind == SuggestedEdit::Kind::kOption && e.file.size() > of_configmap.size() &&
                   e.file.compare(e.file.size() - of_configmap.size(), of_configmap.size(), of_configmap) == 0;
          });
          if (!own) continue;
          for (auto& e : fix) e.file.resize(e.file.size() - of_configmap.size());
          f.suggested.push_back(std::move(fix));
        }
        out.push_back(std::move(f));
      }
    }
  }
  if (unjudged > 0 && notes != nullptr) notes->push_back(containers_cap_note(unjudged));
  return out;
}

}  // namespace memguard::engine
