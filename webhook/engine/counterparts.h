// What a standalone object is judged against: a workload against the ConfigMap it mounts, a ConfigMap
// against the workloads mounting it. The engine asks through this interface and stays pure; the
// webhook answers from the Kubernetes API cache, `check` and `review --with` from manifests.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "webhook/admission/objects.h"

namespace memguard::engine {

struct ConfigMapAnswer {
  // kUnknown: the source could not tell in time (API slow, forbidden, not synced); the engine then
  // allows with a warning that names `reason` instead of guessing.
  enum class State { kFound, kAbsent, kUnknown };
  State state = State::kUnknown;
  admission::ConfigMapObject configmap;
  std::string reason;
};

struct WorkloadsAnswer {
  bool known = false;                            // false: which workloads mount it is not known
  std::vector<admission::WorkloadObject> workloads;  // the workloads mounting the ConfigMap
  std::string reason;                            // why not known
};

class Counterparts {
 public:
  virtual ~Counterparts() = default;
  virtual ConfigMapAnswer configmap(std::string_view namespace_, std::string_view name) const = 0;
  virtual WorkloadsAnswer workloads_mounting(std::string_view namespace_, std::string_view configmap) const = 0;
};

// A fixed set of objects (manifests given to `check`, `review --with`, tests): every answer is known.
class StaticCounterparts final : public Counterparts {
 public:
  // Answers repeat objects (the ConfigMap for each workload mounting it, the workloads for each
  // ConfigMap), so crafted manifests could multiply their size into hours of judging: one set
  // hands out at most this much (ConfigMap files by their bytes, a workload as kWorkloadCost),
  // and past it answers "not known", naming the budget, so the engine warns instead of judging.
  static constexpr size_t kAnswerBudgetBytes = 256 * 1024 * 1024;
  static constexpr size_t kWorkloadCost = 4 * 1024;

  // Objects without a namespace are placed in `default_namespace`, as kubectl would place them.
  void add(const admission::KubeObject& object, std::string_view default_namespace);

  ConfigMapAnswer configmap(std::string_view namespace_, std::string_view name) const override;
  WorkloadsAnswer workloads_mounting(std::string_view namespace_, std::string_view configmap) const override;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  bool spend(size_t bytes, std::string& reason) const;

  std::vector<admission::ConfigMapObject> configmaps_;
  std::vector<admission::WorkloadObject> workloads_;
  std::map<Key, size_t> configmap_by_name_;                  // the last one of a name, as a later document in an apply
  std::map<Key, std::vector<size_t>> workloads_by_configmap_;  // in the order added
  mutable size_t spent_ = 0;
};

}  // namespace memguard::engine
