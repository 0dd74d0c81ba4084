// The roles the engine judges, with their configuration and limit (see judged_roles.h).
#include "webhook/engine/judged_roles.h"

#include "webhook/engine/effective_config.h"
#include "webhook/engine/workload.h"

namespace memguard::engine {

namespace {

void add_roles(std::vector<JudgedRole>& out, const EffectiveConfig& eff, const std::string& container) {
  for (const RoleInput& in : eff.roles) {
    out.push_back(JudgedRole{in.role, container, eff.config, eff.context, in.flink_sizes_container,
                             in.declared_limit_bytes});
  }
}

}  // namespace

std::vector<JudgedRole> judged_roles(const admission::KubeObject& object, const Counterparts* counterparts,
                                     std::string_view namespace_) {
  std::vector<JudgedRole> out;
  if (const auto* fd = std::get_if<admission::FlinkDeploymentObject>(&object)) {
    add_roles(out, build_flinkdeployment(*fd), "");
  } else if (const auto* cm = std::get_if<admission::ConfigMapObject>(&object)) {
    if (cm->holds_flink_configuration) add_roles(out, build_configmap(*cm), "");
  } else if (const auto* w = std::get_if<admission::WorkloadObject>(&object)) {
    if (counterparts == nullptr) return out;
    std::vector<FlinkContainer> containers = flink_containers(*w);
    if (containers.size() > kMaxJudgedContainers) containers.resize(kMaxJudgedContainers);
    const std::string_view ns = namespace_.empty() ? std::string_view(w->metadata.namespace_) : namespace_;
    for (const FlinkContainer& fc : containers) {
      ConfigMapAnswer answer = counterparts->configmap(ns, fc.configmap);
      if (answer.state != ConfigMapAnswer::State::kFound || !answer.configmap.holds_flink_configuration) continue;
      add_roles(out, build_workload_container(*w, fc, answer.configmap), w->containers[fc.index].name);
    }
  }
  return out;
}

std::optional<int64_t> judged_limit_bytes(const JudgedRole& role, memmodel::MemorySize process_total) {
  if (role.declared_limit_bytes) return role.declared_limit_bytes;
  if (!role.flink_sizes_container) return std::nullopt;
  auto container = memmodel::container_memory(role.role, process_total, role.config, role.context.version);
  if (!container) return std::nullopt;
  return container->limit_mib * kMiB;
}

}  // namespace memguard::engine
