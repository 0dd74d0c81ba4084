// The engine's counterparts answered from the Kubernetes API through the ObjectCache: every lookup
// bounded by one deadline, and "unknown" (the engine's documented fallback) when the API cannot
// answer in time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "webhook/engine/counterparts.h"
#include "webhook/kube/object_cache.h"

namespace memguard::kube {

// The workload kinds whose pods mount Flink ConfigMaps, as the webhook watches them.
inline constexpr ApiResource kWorkloadResources[] = {kDeployments, kStatefulSets, kJobs, kPods};

// The ConfigMap names a workload's JSON mounts (ObjectCache's extractor).
std::vector<std::string> workload_configmaps(std::string_view object_json);

class CacheCounterparts final : public engine::Counterparts {
 public:
  CacheCounterparts(std::shared_ptr<ObjectCache> cache, std::chrono::milliseconds deadline)
      : cache_(std::move(cache)), deadline_(deadline) {}

  engine::ConfigMapAnswer configmap(std::string_view namespace_, std::string_view name) const override;
  engine::WorkloadsAnswer workloads_mounting(std::string_view namespace_, std::string_view configmap) const override;

 private:
  std::shared_ptr<ObjectCache> cache_;
  std::chrono::milliseconds deadline_;
};

}  // namespace memguard::kube
