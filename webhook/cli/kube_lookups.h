// How `serve` and `audit` reach the Kubernetes API: which credentials (`--kube-api`), and for the
// webhook the deadline-bounded counterpart lookups (ConfigMaps on demand, workloads by informer).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/expected.h"
#include "webhook/cli/flags.h"
#include "webhook/engine/counterparts.h"
#include "webhook/kube/kube_client.h"
#include "webhook/kube/object_cache.h"

namespace memguard::cli {

// Which cluster a command talks to, chosen by the same flags and with the same errors in `serve`
// and `audit`: --kube-api MODE (off, in-cluster, auto or a kubeconfig file), its spellings
// --kubeconfig FILE and --in-cluster, or an explicit --server URL --token-file F --ca-file F.
struct ClusterSelection {
  // "" until a flag sets it (the command's default applies), "off", "in-cluster", "auto" (in-cluster
  // when KUBERNETES_SERVICE_HOST is set, else the first file of $KUBECONFIG, else ~/.kube/config)
  // or the path of a kubeconfig file (its current context).
  std::string api;
  std::string server, token_file, ca_file;
};
// The cluster flags, for a command's flag table.
std::vector<Flag> cluster_flags(ClusterSelection& selection);
// Why the flags given do not choose one cluster (a usage error), or "".
std::string cluster_flags_error(const ClusterSelection& selection);
// The cluster chosen, with `default_api` when no flag chose one; nullopt for "off". An error names
// the flag and value it came from.
[[nodiscard]] Expected<std::optional<kube::ClusterConfig>> select_cluster(const ClusterSelection& selection,
                                                                          std::string_view default_api);

struct KubeLookupOptions {
  // Each admission lookup waits at most this long, then falls back (allow + warning). Keep it well
  // under the webhook configuration's timeoutSeconds.
  std::chrono::milliseconds timeout{1000};
  // The timeoutSeconds of each informer watch: when it ends the watch resumes from the last
  // resourceVersion seen, or relists if the API server answers 410 Gone (etcd compacted it).
  int watch_timeout_seconds = kube::CacheOptions{}.watch_timeout_seconds;
};

// The webhook's lookups: a client, an ObjectCache answering ConfigMap gets on demand (TTL 30 s), and
// informers on Deployments, StatefulSets, Jobs and Flink-labelled Pods (component=jobmanager or
// taskmanager) across all namespaces, indexed by the ConfigMaps they mount. Empty without a cluster.
struct KubeLookups {
  std::shared_ptr<kube::ObjectCache> cache;
  std::shared_ptr<const engine::Counterparts> counterparts;
};
KubeLookups make_kube_lookups(std::optional<kube::ClusterConfig> cluster, const KubeLookupOptions& options);
// The object cache's counters in Prometheus text format (serve's /metrics).
std::string cache_metrics_text(const kube::CacheStats& stats);
// The same over an existing client (tests point it at a fake API server).
KubeLookups make_kube_lookups(std::shared_ptr<const kube::KubeClient> client, std::chrono::milliseconds timeout,
                              kube::CacheOptions cache_options = {});

}  // namespace memguard::cli
