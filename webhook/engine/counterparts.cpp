// The in-memory counterparts: a linear scan, since manifests hold tens of objects, not thousands.
#include "webhook/engine/counterparts.h"

#include <algorithm>

namespace memguard::engine {

void StaticCounterparts::add(const admission::KubeObject& object, std::string_view default_namespace) {
  if (const auto* cm = std::get_if<admission::ConfigMapObject>(&object)) {
    configmaps_.push_back(*cm);
    if (configmaps_.back().metadata.namespace_.empty()) configmaps_.back().metadata.namespace_ = default_namespace;
  } else if (const auto* w = std::get_if<admission::WorkloadObject>(&object)) {
    workloads_.push_back(*w);
    if (workloads_.back().metadata.namespace_.empty()) workloads_.back().metadata.namespace_ = default_namespace;
  }
}

ConfigMapAnswer StaticCounterparts::configmap(std::string_view namespace_, std::string_view name) const {
  ConfigMapAnswer answer;
  answer.state = ConfigMapAnswer::State::kAbsent;
  for (const auto& cm : configmaps_) {
    if (cm.metadata.namespace_ == namespace_ && cm.metadata.name == name) {
      answer.state = ConfigMapAnswer::State::kFound;
      answer.configmap = cm;  // the last one wins, as a later document in an apply would
    }
  }
  return answer;
}

WorkloadsAnswer StaticCounterparts::workloads_mounting(std::string_view namespace_, std::string_view configmap) const {
  WorkloadsAnswer answer;
  answer.known = true;
  for (const auto& w : workloads_) {
    if (w.metadata.namespace_ != namespace_) continue;
    auto names = admission::mounted_configmaps(w);
    if (std::binary_search(names.begin(), names.end(), std::string(configmap))) answer.workloads.push_back(w);
  }
  return answer;
}

}  // namespace memguard::engine
