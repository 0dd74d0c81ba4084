// Wiring of the Kubernetes API client into the engine's counterpart lookups.
#include "webhook/cli/kube_lookups.h"

#include <algorithm>

#include "webhook/kube/cache_counterparts.h"
#include "webhook/server/metrics.h"

namespace memguard::cli {

std::vector<Flag> cluster_flags(ClusterSelection& s) {
  return {
      {"--kube-api", "", "MODE",
       "the cluster: off (none), in-cluster (the pod's service account), auto (in-cluster\n"
       "when KUBERNETES_SERVICE_HOST is set, else $KUBECONFIG or ~/.kube/config), or a\n"
       "kubeconfig file (its current context)",
       [&s](std::string_view v) {
         if (v.empty()) return std::string("--kube-api needs off, in-cluster, auto or a kubeconfig file");
         s.api = std::string(v);
         return std::string();
       }},
      {"--kubeconfig", "", "FILE", "the same as --kube-api FILE", text_into(s.api)},
      {"--in-cluster", "", "", "the same as --kube-api in-cluster",
       [&s](std::string_view) {
         s.api = "in-cluster";
         return std::string();
       }},
      {"--server", "", "URL", "an explicit API server (with --token-file and --ca-file)", text_into(s.server)},
      {"--token-file", "", "FILE", "the bearer token for --server", text_into(s.token_file)},
      {"--ca-file", "", "FILE", "the CA certificates for --server", text_into(s.ca_file)},
  };
}

std::string cluster_flags_error(const ClusterSelection& s) {
  const bool any_explicit = !s.server.empty() || !s.token_file.empty() || !s.ca_file.empty();
  if (!any_explicit) return "";
  if (s.server.empty() || s.token_file.empty() || s.ca_file.empty()) {
    return "--server, --token-file and --ca-file go together";
  }
  if (!s.api.empty()) return "--server chooses the cluster: give it or --kube-api (--kubeconfig, --in-cluster), not both";
  return "";
}

Expected<std::optional<kube::ClusterConfig>> select_cluster(const ClusterSelection& s, std::string_view default_api) {
  using Chosen = Expected<std::optional<kube::ClusterConfig>>;
  auto chosen = [](Expected<kube::ClusterConfig> config, const std::string& source) -> Chosen {
    if (!config) return make_error(config.error().code, source + ": " + config.error().message);
    return std::optional<kube::ClusterConfig>(std::move(*config));
  };
  if (!s.server.empty()) return chosen(kube::explicit_config(s.server, s.token_file, s.ca_file), "--server " + s.server);
  const std::string api = s.api.empty() ? std::string(default_api) : s.api;
  const std::string source = "--kube-api " + api;
  if (api == "off") return std::optional<kube::ClusterConfig>();
  if (api == "in-cluster") return chosen(kube::in_cluster_config(), source);
  if (api != "auto") return chosen(kube::kubeconfig_config(api), source);
  if (kube::process_env("KUBERNETES_SERVICE_HOST")) return chosen(kube::in_cluster_config(), source + " (in-cluster)");
  if (auto env = kube::process_env("KUBECONFIG"); env && !env->empty()) {
    return chosen(kube::kubeconfig_config(env->substr(0, env->find(':'))), source + " ($KUBECONFIG)");
  }
  if (auto home = kube::process_env("HOME")) {
    return chosen(kube::kubeconfig_config(*home + "/.kube/config"), source + " (~/.kube/config)");
  }
  return make_error(ErrorCode::kNotFound,
                    source + ": no cluster found (no KUBERNETES_SERVICE_HOST, $KUBECONFIG or $HOME)");
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

KubeLookups make_kube_lookups(std::optional<kube::ClusterConfig> cluster, const KubeLookupOptions& options) {
  if (!cluster) return KubeLookups{};
  kube::ClientOptions client_options;
  // A request slower than this is useless to a pending admission anyway; informers retry.
  client_options.request_timeout = std::max<std::chrono::milliseconds>(options.timeout * 5, std::chrono::seconds(5));
  auto client = std::make_shared<const kube::KubeClient>(std::move(*cluster), client_options);
  kube::CacheOptions cache_options;
  cache_options.watch_timeout_seconds = options.watch_timeout_seconds;
  return make_kube_lookups(std::move(client), options.timeout, cache_options);
}

std::string cache_metrics_text(const kube::CacheStats& stats) {
  std::string out;
  auto counter = [&out](const char* name, const char* help, int64_t value) {
    server::append_family(out, name, "counter", help);
    server::append_sample(out, name, value);
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
