// Wiring of the Kubernetes API client into the engine's counterpart lookups.
#include "webhook/cli/kube_lookups.h"

#include <algorithm>

#include "webhook/kube/cache_counterparts.h"

namespace memguard::cli {

Expected<kube::ClusterConfig> cluster_config_for(const std::string& api) {
  if (api == "in-cluster") return kube::in_cluster_config();
  return kube::kubeconfig_config(api);
}

KubeLookups make_kube_lookups(std::shared_ptr<const kube::KubeClient> client, std::chrono::milliseconds timeout,
                              kube::CacheOptions cache_options) {
  KubeLookups out;
  out.cache = std::make_shared<kube::ObjectCache>(std::move(client), cache_options);
  for (const auto& resource : kube::kWorkloadResources) {
    kube::InformerSpec spec{resource, "", "", kube::workload_configmaps};
    // Only Flink's pods: every pod of the cluster would be a heavy watch for a rare case (bare
    // TaskManager pods of native Kubernetes, which carry this label).
    if (resource == kube::kPods) spec.label_selector = "component in (jobmanager,taskmanager)";
    out.cache->inform(std::move(spec));
  }
  out.counterparts = std::make_shared<kube::CacheCounterparts>(out.cache, timeout);
  return out;
}

Expected<KubeLookups> make_kube_lookups(const KubeLookupOptions& options) {
  if (options.api == "off") return KubeLookups{};
  auto config = cluster_config_for(options.api);
  if (!config) return Unexpected{config.error()};
  kube::ClientOptions client_options;
  // A request slower than this is useless to a pending admission anyway; informers retry.
  client_options.request_timeout = std::max<std::chrono::milliseconds>(options.timeout * 5, std::chrono::seconds(5));
  auto client = std::make_shared<const kube::KubeClient>(std::move(*config), client_options);
  return make_kube_lookups(std::move(client), options.timeout);
}

}  // namespace memguard::cli
