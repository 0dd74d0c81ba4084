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
  kube::CacheOptions cache_options;
  cache_options.watch_timeout_seconds = options.watch_timeout_seconds;
  return make_kube_lookups(std::move(client), options.timeout, cache_options);
}

std::string cache_metrics_text(const kube::CacheStats& stats) {
  std::string out;
  auto counter = [&out](const char* name, const char* help, int64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " " +
           std::to_string(value) + "\n";
  };
  counter("memguard_kube_cache_lists_total", "Lists made by the workload informers (first lists and relists).",
          stats.lists);
  counter("memguard_kube_cache_relists_after_gone_total",
          "Relists after the API server answered a watch with 410 Gone (its resourceVersion compacted away).",
          stats.relists_after_gone);
  counter("memguard_kube_cache_watch_events_total", "Watch events applied to the cache.", stats.watch_events);
  counter("memguard_kube_cache_fetches_total", "On-demand gets sent to the API server.", stats.fetches);
  return out;
}

}  // namespace memguard::cli
