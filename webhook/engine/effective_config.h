// Step one of the engine: from a decoded object to the Flink configuration Flink will actually see
// (as the operator or the start scripts build it) and the containers each role runs in. One builder
// per kind (flinkdeployment.cpp, configmap.cpp); the rules (rules.h) judge what they produce.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "memmodel/derivation.h"
#include "support/size_text.h"  // kMiB
#include "webhook/admission/objects.h"
#include "webhook/engine/finding.h"
#include "webhook/engine/finding_texts.h"

namespace memguard::engine {

// One role (JobManager or TaskManager) as the rules see it: facts only, worded by finding_texts.
struct RoleInput {
  memmodel::Role role = memmodel::Role::kTaskManager;
  // Where the process size is set ("spec.taskManager.resource.memory", "taskmanager.memory.process.size
  // in data.config.yaml"); a Source::Kind::kField holds a Kubernetes quantity ("2048Mi"), the others a Flink size ("2048m").
  Source process_source;
  // The process size comes from one of several places (a standalone container's file, FLINK_PROPERTIES,
  // -D arguments): findings about it name which.
  bool process_source_named = false;
  // The string value a whole-MiB fix may replace (nullopt: not safely patchable).
  std::optional<admission::Pointer> process_pointer;
  // The memory limit field when it holds the same text as the request it pairs with: a fix rewrites both.
  std::optional<admission::Pointer> process_twin_pointer;
  // Flink sizes the container itself (native Kubernetes, the operator): request = floor MiB of the
  // process size, limit = request x limit-factor. False when the container is sized elsewhere.
  bool flink_sizes_container = true;
  // A container memory limit declared for the role (ConfigMap annotation, a workload's container), in bytes.
  std::optional<int64_t> declared_limit_bytes;
  Source declared_limit_source;
  // The field that declares that limit (an annotation, resources.limits.memory), when it can be rewritten.
  std::optional<admission::Pointer> declared_limit_pointer;
  // A FlinkDeployment's resources with a memory request and limit: the operator computes the limit
  // factor as limit / request in Kubernetes quantities, so the limit is raised through that field.
  std::optional<admission::Pointer> limit_field_pointer;
  int64_t limit_field_bytes = 0;      // the limit as the operator's validator reads it (Flink units first)
  int64_t request_kubernetes_milli = 0;  // the request as a Kubernetes quantity, in milli-bytes
  // Where the limit factor came from (nullopt: Flink's default or nowhere we can name).
  std::optional<Source> limit_factor_source;
  // A workload's own container (not a file's declared role): it must have a memory limit, and its
  // request (the text of resources.requests.memory, if any) must cover the process.
  bool workload_container = false;
  std::optional<std::string> container_request;
};

struct EffectiveConfig {
  memmodel::FlinkConfig config;
  memmodel::DerivationContext context;
  std::vector<RoleInput> roles;   // the roles to derive and judge
  std::vector<Finding> findings;  // found while building (units, request/limit, templates, files)
  std::vector<std::string> notes; // informational warnings, not subject to policy
  std::string config_origin;      // "spec.flinkConfiguration", "data.config.yaml": where options live
  bool over_limit = false;        // past a documented limit (README: Limits): a note says so, nothing is judged
  // FlinkDeployment only: how /mutate may set one flinkConfiguration option.
  bool config_patchable = false;
  bool has_flink_configuration = false;
  // The decoded spec.flinkConfiguration entries, viewed rather than copied: an EffectiveConfig is
  // built from an object and judged while that object lives (the request, a manifest).
  std::span<const admission::FlinkConfigurationEntry> config_entries;
};

// The result views `object`'s configuration entries: keep the object alive while it is used.
EffectiveConfig build_flinkdeployment(const admission::FlinkDeploymentObject& object);
EffectiveConfig build_configmap(const admission::ConfigMapObject& object);

// A patch that sets flinkConfiguration `key` to the string `value`, or nullopt when that is not
// unambiguous (the key, or a prefix of it, is spelled nested, so the operator's winner is undefined).
std::optional<admission::PatchOperation> set_config_option(const EffectiveConfig& effective, const std::string& key,
                                                           const std::string& value);

// Display helpers shared by builders and rules.
std::string role_prefix(memmodel::Role role);  // "jobmanager" / "taskmanager" (memmodel::role_title for "JobManager")
// "4096 MiB", "1430.5 MiB", "512 bytes": sizes as people compare them with Kubernetes limits.
std::string format_mib(int64_t bytes);

}  // namespace memguard::engine
