// The Kubernetes resources flink-memguard reads, and the REST paths the API server serves them at.
#pragma once

#include <string>
#include <string_view>

namespace memguard::kube {

// One resource type as the API server's discovery names it. `group` is empty for the core group,
// whose paths start with /api instead of /apis. The views must outlive every use (background
// fetches and informers keep copies): use the constants below or other string literals.
struct ApiResource {
  std::string_view group;
  std::string_view version;
  std::string_view resource;  // plural, lowercase: what RBAC rules and URLs use
  std::string_view kind;
  bool operator==(const ApiResource&) const = default;

  // "configmaps" for the core group, "deployments.apps" otherwise: the form kubectl and RBAC
  // error messages use.
  std::string qualified_name() const;
  // "" for core, otherwise the group: what an RBAC rule's apiGroups lists.
  std::string_view rbac_group() const { return group; }
};

// The kinds issue 5 reads. All are namespaced.
inline constexpr ApiResource kConfigMaps{"", "v1", "configmaps", "ConfigMap"};
inline constexpr ApiResource kPods{"", "v1", "pods", "Pod"};
inline constexpr ApiResource kDeployments{"apps", "v1", "deployments", "Deployment"};
inline constexpr ApiResource kStatefulSets{"apps", "v1", "statefulsets", "StatefulSet"};
inline constexpr ApiResource kJobs{"batch", "v1", "jobs", "Job"};
inline constexpr ApiResource kFlinkDeployments{"flink.apache.org", "v1beta1", "flinkdeployments", "FlinkDeployment"};

// Collection path: /api/v1/namespaces/{ns}/configmaps, or /api/v1/configmaps across all
// namespaces when `ns` is empty.
std::string collection_path(const ApiResource& r, std::string_view ns);
// Object path: /apis/apps/v1/namespaces/{ns}/deployments/{name}. Names are percent-encoded.
std::string object_path(const ApiResource& r, std::string_view ns, std::string_view name);

// Percent-encodes everything outside RFC 3986's unreserved set, for path segments and query values.
std::string url_encode(std::string_view text);

}  // namespace memguard::kube
