// Informer-like cache of Kubernetes objects: list+watch or on-demand get, lookups bounded by a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/kube/kube_client.h"
#include "webhook/kube/resource.h"

namespace memguard::kube {

// kUnknown is the answer when the API could not tell in time (slow, unreachable, forbidden, not
// yet synced): the admission path then falls back and says so in a warning, instead of waiting.
enum class Presence { kFound, kAbsent, kUnknown };

struct ObjectLookup {
  Presence presence = Presence::kUnknown;
  std::string object;  // minified JSON when found
  bool stale = false;  // found, but older than the TTL because the refresh did not finish in time
  std::string reason;  // why unknown or stale, for the warning; empty otherwise
};

struct CachedObject {
  std::string resource;  // qualified resource name, e.g. "deployments.apps"
  std::string ns, name;
  std::string json;
};

struct MountersLookup {
  bool known = false;                  // false: not every workload informer had synced in time
  std::vector<CachedObject> workloads;  // sorted by resource, namespace, name
  std::string reason;                  // why not known
};

// Names of the ConfigMaps (in the object's own namespace) that a workload's JSON mounts. Written
// by the decoders elsewhere; the cache only indexes by what it returns.
using ConfigMapExtractor = std::function<std::vector<std::string>(std::string_view object_json)>;

// One list+watch loop: a kind in one namespace (empty: all), optionally label-filtered.
struct InformerSpec {
  ApiResource resource;
  std::string ns;
  std::string label_selector;
  ConfigMapExtractor mounts;  // set for workload kinds: indexes them by the ConfigMaps they mount
};

struct CacheOptions {
  // How long an on-demand get answers from memory before asking again. ConfigMap edits reach a
  // pod's mounted files only after the kubelet sync (about a minute), so 30 s is not the weak link.
  std::chrono::milliseconds ttl{std::chrono::seconds(30)};
  // Retry pacing for failed lists and watches: doubles per failure up to the maximum.
  std::chrono::milliseconds initial_backoff{std::chrono::milliseconds(500)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  int watch_timeout_seconds = 300;
};

struct CacheStats {
  int64_t lists = 0;              // list calls made by informers (successful or not)
  int64_t relists_after_gone = 0;  // lists caused by a 410 on watch
  int64_t watch_events = 0;       // events applied
  int64_t fetches = 0;            // on-demand gets sent
};

class ObjectCache {
 public:
  explicit ObjectCache(std::shared_ptr<const KubeClient> client, CacheOptions options = {});
  ~ObjectCache();  // stops the informers (cancelling their watches) and joins them
  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;

  // Starts a background list+watch loop that keeps `spec`'s objects current, relisting on 410.
  void inform(InformerSpec spec);
  // True once every informer has completed its first list, waiting at most `deadline`.
  bool wait_synced(std::chrono::milliseconds deadline);

  // One object. Served from an informer that covers it (without a label selector), else from an
  // on-demand entry younger than the TTL, else fetched; never waits longer than `deadline`. A fetch
  // that misses the deadline goes on in the background and fills the cache for the next lookup.
  ObjectLookup get(const ApiResource& r, std::string_view ns, std::string_view name, std::chrono::milliseconds deadline);

  // The workloads (from informers with an extractor) that mount ConfigMap `ns`/`configmap`.
  MountersLookup mounting(std::string_view ns, std::string_view configmap, std::chrono::milliseconds deadline);

  CacheStats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace memguard::kube
