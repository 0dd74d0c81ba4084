// Standalone Flink on Kubernetes: which containers of a Deployment, StatefulSet, Job or Pod run
// Flink, the configuration each sees (the mounted ConfigMap file, then FLINK_PROPERTIES, then -D
// arguments, as the image's docker-entrypoint.sh applies them), and the findings for its limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "memmodel/derivation.h"
#include "webhook/admission/objects.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/effective_config.h"
#include "webhook/engine/finding.h"
#include "webhook/engine/policy.h"

namespace memguard::engine {

inline constexpr std::string_view kDefaultFlinkConfDir = "/opt/flink/conf";
// Flink containers judged for one review (README: Limits): each one loads and derives the
// configuration of its ConfigMap, so the count multiplies the cost of the file. Past it, the rest
// are allowed with a note that names the cap.
inline constexpr std::size_t kMaxJudgedContainers = 32;

// A container that runs a Flink process with its configuration mounted from a ConfigMap.
struct FlinkContainer {
  size_t index = 0;  // into WorkloadObject::containers
  memmodel::Role role = memmodel::Role::kTaskManager;
  std::string role_source;  // "args", "container name", "label component"
  std::string configmap;    // the ConfigMap mounted at the configuration directory
  // Which ConfigMap key Flink reads as each file name (absent: that file is not in the directory).
  std::optional<std::string> flink_conf_yaml_key, config_yaml_key;
  std::vector<std::pair<std::string, std::string>> dynamic_properties;  // -D key=value after the role word
};

// The role a container's command and arguments start (jobmanager, standalone-job, taskmanager and
// the bin/ scripts), else its name, else the pod's `component` label. nullopt: not Flink.
std::optional<std::pair<memmodel::Role, std::string>> detect_role(const admission::ContainerSpec& container,
                                                                  const admission::WorkloadObject& workload);

// The containers that run Flink and mount a ConfigMap at $FLINK_CONF_DIR (default /opt/flink/conf).
std::vector<FlinkContainer> flink_containers(const admission::WorkloadObject& workload);

// FLINK_PROPERTIES as docker-entrypoint.sh reads it: one `key: value` per line.
std::vector<std::pair<std::string, std::string>> parse_flink_properties(std::string_view text);

// The Flink version a container runs: its image tag (flink:1.20, apache/flink:2.0.0-java17), else
// the workload's flink-memguard.io/flink-version annotation, else the ConfigMap's, else the default.
std::optional<memmodel::FlinkVersion> image_flink_version(std::string_view image);

// The effective configuration of one Flink container against `configmap`, with its role input
// (limit = the container's memory limit).
EffectiveConfig build_workload_container(const admission::WorkloadObject& workload, const FlinkContainer& container,
                                         const admission::ConfigMapObject& configmap);

// A workload arriving: every Flink container judged against the ConfigMap it mounts, looked up via
// `counterparts` (nullptr: no lookups; a note says so). Messages start with the container.
std::vector<Finding> workload_findings(const admission::WorkloadObject& workload, std::string_view namespace_,
                                       const Counterparts* counterparts, const Settings& settings,
                                       std::vector<std::string>* notes);

// A ConfigMap changing: the workloads mounting it judged against the new content. Messages start
// with the workload ("Deployment flink/flink-taskmanager container taskmanager: ...").
std::vector<Finding> configmap_workload_findings(const admission::ConfigMapObject& configmap,
                                                 std::string_view namespace_, const Counterparts& counterparts,
                                                 const Settings& settings, std::vector<std::string>* notes);

}  // namespace memguard::engine
