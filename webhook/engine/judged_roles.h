// What the engine judges memory on, for callers that show it (`check -v`, `check --output json`):
// every role of an object with the Flink configuration and container limit its rules see. Built by
// the same builders decide() uses, but apart from it, so decide() and the webhook pay nothing for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memmodel/derivation.h"
#include "memmodel/flink_config.h"
#include "webhook/admission/objects.h"
#include "webhook/engine/counterparts.h"

namespace memguard::engine {

struct JudgedRole {
  memmodel::Role role = memmodel::Role::kTaskManager;
  std::string container;  // a workload's container ("" for a FlinkDeployment's or a ConfigMap's role)
  memmodel::FlinkConfig config;
  memmodel::DerivationContext context;
  // Flink sizes the container from the process (the operator, native Kubernetes): its limit is
  // request x limit-factor. False: the limit is declared (a container's, a ConfigMap annotation's).
  bool flink_sizes_container = true;
  std::optional<int64_t> declared_limit_bytes;
};

// The roles decide() derives for `object` (a FlinkDeployment's two, a ConfigMap's file per role, a
// workload's Flink containers against the ConfigMaps `counterparts` gives, at most
// kMaxJudgedContainers). Objects or containers it does not judge give none.
std::vector<JudgedRole> judged_roles(const admission::KubeObject& object, const Counterparts* counterparts,
                                     std::string_view namespace_);

// The container memory limit the rules compare the process with: the declared one, else the one
// Flink sets (whole MiB of the process x limit-factor); nullopt when there is none (or Flink's
// sizing fails, which is its own finding).
std::optional<int64_t> judged_limit_bytes(const JudgedRole& role, memmodel::MemorySize process_total);

}  // namespace memguard::engine
