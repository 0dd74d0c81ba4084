// The Kubernetes objects the engine judges, as plain values decoded from JSON (simdjson DOM), so the
// webhook and the offline `check` command (YAML converted to JSON) share exactly the same decoders.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include "support/expected.h"
#include "webhook/admission/pointer.h"

namespace memguard::admission {

// The prefix of the annotations flink-memguard reads (flink-memguard.io/skip, .../flink-version, ...).
inline constexpr std::string_view kOwnAnnotationPrefix = "flink-memguard.io/";

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::map<std::string, std::string, std::less<>> labels;
  // Only our own annotations (kOwnAnnotationPrefix): the others are never read, and one of them,
  // kubectl's last-applied-configuration, is a copy of the whole object.
  std::map<std::string, std::string, std::less<>> annotations;
  bool has_annotations = false;  // whether metadata.annotations exists (a patch must create the map otherwise)
  bool being_deleted = false;    // metadata.deletionTimestamp is set: only finalizer removal is left
};

// A scalar as the Flink operator's Jackson model reads it (a JSON string, or a number/bool that
// Jackson coerces into a String field), with where it sits in the object.
struct FieldText {
  std::string text;
  bool from_string = true;  // false: the JSON held a number or boolean
  Pointer pointer;
};

// One key of spec.flinkConfiguration after the operator's flattening (ConfigObjectNode.asFlatMap):
// nested objects joined with '.', arrays of scalars ';'-joined, scalars as Jackson's asText().
struct FlinkConfigurationEntry {
  std::string key;
  std::string text;
  Pointer pointer;      // where the value sits; for nested spellings, the innermost member
  bool nested = false;  // came from a nested object or an array (not patchable as one flat member)
};

// `resources` (Kubernetes ResourceRequirements, operator HEAD) and the deprecated `resource`.
struct ComponentResources {
  std::optional<FieldText> resource_memory;  // spec.<role>.resource.memory
  std::optional<FieldText> resource_cpu;     // spec.<role>.resource.cpu
  std::optional<FieldText> request_memory;   // spec.<role>.resources.requests.memory
  std::optional<FieldText> limit_memory;     // spec.<role>.resources.limits.memory
  std::optional<FieldText> request_cpu;
  std::optional<FieldText> limit_cpu;
};

// memory/cpu entries written into flink-main-container of a pod template (Flink overwrites them).
struct MainContainerResources {
  Pointer container;                 // .../spec/containers/<i>
  std::vector<std::string> entries;  // "limits.memory", "requests.cpu", ...
};

struct FlinkDeploymentSpecRole {
  bool present = false;  // spec.jobManager / spec.taskManager exists
  ComponentResources resources;
  std::vector<MainContainerResources> pod_template;  // from spec.<role>.podTemplate
};

struct FlinkDeploymentObject {
  ObjectMeta metadata;
  std::optional<FieldText> flink_version;  // spec.flinkVersion ("v1_20")
  bool has_flink_configuration = false;    // spec.flinkConfiguration exists (a patch adds members to it)
  std::vector<FlinkConfigurationEntry> flink_configuration;  // document order
  FlinkDeploymentSpecRole job_manager, task_manager;
  std::vector<MainContainerResources> pod_template;  // spec.podTemplate (shared by both roles)
};

// The data keys Flink reads its configuration from.
inline constexpr std::string_view kFlinkConfYaml = "flink-conf.yaml";
inline constexpr std::string_view kConfigYaml = "config.yaml";

struct ConfigMapObject {
  bool holds_flink_configuration = false;  // data has flink-conf.yaml or config.yaml
  ObjectMeta metadata;                     // decoded only when it does (other ConfigMaps stay cheap)
  std::optional<std::string> flink_conf_yaml;
  std::optional<std::string> config_yaml;
};

// One environment variable of a container. Only literal values can be read; valueFrom (a Secret, a
// ConfigMap key, a field ref) is resolved by the kubelet, not by us.
struct EnvVar {
  std::string name;
  std::optional<std::string> value;  // nullopt: valueFrom
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  std::string sub_path;
};

// A container of a workload's pod spec, reduced to what decides Flink's memory and its limit.
struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command, args;
  std::vector<EnvVar> env;
  std::vector<VolumeMount> volume_mounts;
  std::optional<FieldText> request_memory;  // resources.requests.memory
  std::optional<FieldText> limit_memory;    // resources.limits.memory
  Pointer pointer;                          // .../containers/<i>
};

// A pod volume backed by a ConfigMap. items: key -> path inside the volume (empty: every key as its name).
struct ConfigMapVolume {
  std::string volume_name;
  std::string configmap;
  std::vector<std::pair<std::string, std::string>> items;
};

// Deployments, StatefulSets, Jobs (their pod template) and bare Pods: the standalone world.
struct WorkloadObject {
  std::string kind;  // "Deployment", "StatefulSet", "Job", "Pod"
  ObjectMeta metadata;
  std::string controller_kind;  // metadata.ownerReferences[controller=true].kind ("ReplicaSet"), if any
  std::map<std::string, std::string, std::less<>> pod_labels;       // the pod template's (a Pod's own)
  std::map<std::string, std::string, std::less<>> pod_annotations;  // the pod template's (a Pod's own); ours only
  std::vector<ContainerSpec> containers;
  std::vector<ConfigMapVolume> configmap_volumes;
};

// The ConfigMaps (in the workload's own namespace) the workload mounts as volumes, sorted, unique.
std::vector<std::string> mounted_configmaps(const WorkloadObject& workload);

// Any other kind: the engine lets it pass untouched.
struct OtherObject {
  std::string api_version, kind;
};

using KubeObject = std::variant<OtherObject, FlinkDeploymentObject, ConfigMapObject, WorkloadObject>;

// Decoders. Errors name the field ("spec.flinkConfiguration: expected an object, got a string").
[[nodiscard]] Expected<FlinkDeploymentObject> decode_flinkdeployment(simdjson::dom::element object);
// The same into `out` (a default-constructed object), where its holder keeps it: an AdmissionReview's
// object is decoded in place rather than moved through three wrappers. On an error `out` is partial.
[[nodiscard]] Expected<void> decode_flinkdeployment(simdjson::dom::element object, FlinkDeploymentObject& out);
[[nodiscard]] Expected<ConfigMapObject> decode_configmap(simdjson::dom::element object);
// kind: "Deployment", "StatefulSet", "Job" (spec.template.spec) or "Pod" (spec).
[[nodiscard]] Expected<WorkloadObject> decode_workload(simdjson::dom::element object, std::string_view kind);
// True for the workload kinds decode_object decodes (apps/v1 Deployment and StatefulSet, batch/v1 Job, v1 Pod).
bool is_workload_kind(std::string_view api_version, std::string_view kind);
// Dispatches on the object's own apiVersion and kind (manifests carry them).
[[nodiscard]] Expected<KubeObject> decode_object(simdjson::dom::element object);

// The change check of an UPDATE: true when `before` (oldObject) has the same JSON as `now` (the
// object, decoded as `decoded`) in every part the engine reads for memory: a FlinkDeployment's
// spec, a ConfigMap's data and annotations (if it holds Flink configuration), a workload's pod
// spec. False when there is no such part (nothing to compare) and for kinds we do not judge.
// Compared in the parsed document, without decoding the old object.
bool same_memory_inputs(const KubeObject& decoded, simdjson::dom::element now, simdjson::dom::element before);

}  // namespace memguard::admission
