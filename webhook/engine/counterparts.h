// What a standalone object is judged against: a workload against the ConfigMap it mounts, a ConfigMap
// against the workloads mounting it. The engine asks through this interface and stays pure; the
// webhook answers from the Kubernetes API cache, `check` and `review --with` from manifests.
#pragma once

#include <string>
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
  // Objects without a namespace are placed in `default_namespace`, as kubectl would place them.
  void add(const admission::KubeObject& object, std::string_view default_namespace);

  ConfigMapAnswer configmap(std::string_view namespace_, std::string_view name) const override;
  WorkloadsAnswer workloads_mounting(std::string_view namespace_, std::string_view configmap) const override;

 private:
  std::vector<admission::ConfigMapObject> configmaps_;
  std::vector<admission::WorkloadObject> workloads_;
};

}  // namespace memguard::engine
