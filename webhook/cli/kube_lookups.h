// How `serve` and `audit` reach the Kubernetes API: which credentials (`--kube-api`), and for the
// webhook the deadline-bounded counterpart lookups (ConfigMaps on demand, workloads by informer).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "support/expected.h"
#include "webhook/engine/counterparts.h"
#include "webhook/kube/kube_client.h"
#include "webhook/kube/object_cache.h"

namespace memguard::cli {

struct KubeLookupOptions {
  // "off" (no lookups: workloads are allowed with a warning), "in-cluster" (the pod's service
  // account), or the path of a kubeconfig file (its current context).
  std::string api = "off";
  // Each admission lookup waits at most this long, then falls back (allow + warning). Keep it well
  // under the webhook configuration's timeoutSeconds.
  std::chrono::milliseconds timeout{1000};
  // The timeoutSeconds of each informer watch: when it ends the watch resumes from the last
  // resourceVersion seen, or relists if the API server answers 410 Gone (etcd compacted it).
  int watch_timeout_seconds = kube::CacheOptions{}.watch_timeout_seconds;
};

// The cluster configuration `api` names ("in-cluster" or a kubeconfig path).
[[nodiscard]] Expected<kube::ClusterConfig> cluster_config_for(const std::string& api);

// The webhook's lookups: a client, an ObjectCache answering ConfigMap gets on demand (TTL 30 s), and
// informers on Deployments, StatefulSets, Jobs and Flink-labelled Pods (component=jobmanager or
// taskmanager) across all namespaces, indexed by the ConfigMaps they mount. nullptr for "off".
struct KubeLookups {
  std::shared_ptr<kube::ObjectCache> cache;
  std::shared_ptr<const engine::Counterparts> counterparts;
};
[[nodiscard]] Expected<KubeLookups> make_kube_lookups(const KubeLookupOptions& options);
// The object cache's counters in Prometheus text format (serve's /metrics).
std::string cache_metrics_text(const kube::CacheStats& stats);
// The same over an existing client (tests point it at a fake API server).
KubeLookups make_kube_lookups(std::shared_ptr<const kube::KubeClient> client, std::chrono::milliseconds timeout,
                              kube::CacheOptions cache_options = {});

}  // namespace memguard::cli
