// The in-memory counterparts, indexed by name: a directory of manifests may hold thousands of
// objects, and a scan per object would make `check` quadratic in them.
#include "webhook/engine/counterparts.h"

#include <algorithm>

#include "support/size_text.h"

namespace memguard::engine {

void StaticCounterparts::add(const admission::KubeObject& object, std::string_view default_namespace) {
  if (const auto* cm = std::get_if<admission::ConfigMapObject>(&object)) {
    configmaps_.push_back(*cm);
    auto& meta = configmaps_.back().metadata;
    if (meta.namespace_.empty()) meta.namespace_ = default_namespace;
    configmap_by_name_[Key{meta.namespace_, meta.name}] = configmaps_.size() - 1;
  } else if (const auto* w = std::get_if<admission::WorkloadObject>(&object)) {
    workloads_.push_back(*w);
    auto& meta = workloads_.back().metadata;
    if (meta.namespace_.empty()) meta.namespace_ = default_namespace;
    std::vector<std::string> names = admission::mounted_configmaps(workloads_.back());
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (auto& name : names) workloads_by_configmap_[Key{meta.namespace_, std::move(name)}].push_back(workloads_.size() - 1);
  }
}

bool StaticCounterparts::spend(size_t bytes, std::string& reason) const {
  if (bytes > kAnswerBudgetBytes - spent_) {  // spent_ never passes the budget
    reason = "the given manifests repeat their ConfigMaps and workloads past flink-memguard's budget of " +
             size_text(kAnswerBudgetBytes) + " of answers";
    return false;
  }
  spent_ += bytes;
  return true;
}

ConfigMapAnswer StaticCounterparts::configmap(std::string_view namespace_, std::string_view name) const {
  ConfigMapAnswer answer;
  answer.state = ConfigMapAnswer::State::kAbsent;
  auto it = configmap_by_name_.find(Key{std::string(namespace_), std::string(name)});
  if (it == configmap_by_name_.end()) return answer;
  const auto& cm = configmaps_[it->second];
  const size_t bytes = 1024 + cm.flink_conf_yaml.value_or("").size() + cm.config_yaml.value_or("").size();
  if (!spend(bytes, answer.reason)) {
    answer.state = ConfigMapAnswer::State::kUnknown;
    return answer;
  }
  answer.state = ConfigMapAnswer::State::kFound;
  answer.configmap = cm;
  return answer;
}

WorkloadsAnswer StaticCounterparts::workloads_mounting(std::string_view namespace_, std::string_view configmap) const {
  WorkloadsAnswer answer;
  auto it = workloads_by_configmap_.find(Key{std::string(namespace_), std::string(configmap)});
  const size_t count = it == workloads_by_configmap_.end() ? 0 : it->second.size();
  if (!spend(count * kWorkloadCost, answer.reason)) return answer;  // count is at most the objects read
  answer.known = true;
  if (count > 0) {
    for (size_t index : it->second) answer.workloads.push_back(workloads_[index]);
  }
  return answer;
}

}  // namespace memguard::engine
