// Kubernetes API client over cpprestsdk: get, paginated list and streaming watch, errors as values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "support/expected.h"
#include "webhook/kube/api_error.h"  // the error codes its calls return (kGone, ...)
#include "webhook/kube/cluster_config.h"
#include "webhook/kube/resource.h"

namespace memguard::kube {

struct ClientOptions {
  // Bound on each get/list request (inactivity timeout of cpprestsdk: reset on every byte read).
  // Admission callers use a shorter per-lookup deadline on top (ObjectCache).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::string user_agent = "flink-memguard";
};

// A list's items as minified JSON text (what decoders elsewhere parse), with the collection's
// resourceVersion to start a watch from.
struct ObjectList {
  std::string resource_version;
  std::vector<std::string> items;
  int pages = 0;  // requests it took (continue-token pagination)
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  // Page size; 500 is client-go's pager default, enough to keep each response well under a MiB.
  int64_t limit = 500;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };
std::string_view to_string(WatchEventType type);

struct WatchEvent {
  WatchEventType type;
  std::string object;            // minified JSON of the object (for BOOKMARK: metadata only)
  std::string ns, name;          // metadata.namespace / metadata.name
  std::string resource_version;  // metadata.resourceVersion
};

struct WatchOptions {
  std::string resource_version;  // where to start; empty = "now" (server's choice)
  std::string label_selector;
  // The server ends the stream after this long; the caller then watches again from the last
  // resourceVersion. Five minutes is in client-go's reflector range (5-10 min).
  int timeout_seconds = 300;
  bool bookmarks = true;
};

// How a watch ended without error: the server closed the stream (timeoutSeconds) or `stop` fired.
struct WatchEnd {
  std::string resource_version;  // last one seen: resume from here
  int64_t events = 0;
  bool stopped = false;
};

// Makes `ctx` trust exactly the CA certificates in `ca_pem` (no system roots) and refuse TLS below
// 1.2: the API server's CA for the client, the project's own CA for tests of the webhook.
void trust_only_ca(boost::asio::ssl::context& ctx, const std::string& ca_pem);

class KubeClient {
 public:
  explicit KubeClient(ClusterConfig config, ClientOptions options = {});
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const ClusterConfig& config() const;

  // One object as minified JSON. 404 is ErrorCode::kNotFound.
  Expected<std::string> get(const ApiResource& r, std::string_view ns, std::string_view name) const;
  // The same, answered on cpprestsdk's thread pool: `done` runs there exactly once. The client
  // may be destroyed before `done` runs.
  void get_async(const ApiResource& r, std::string ns, std::string name,
                 std::function<void(Expected<std::string>)> done) const;

  // All objects of a kind in `ns` (empty: all namespaces), following continue tokens. When a
  // continue token expires mid-way (410), it starts over once, unpaginated, as client-go's pager does.
  Expected<ObjectList> list(const ApiResource& r, std::string_view ns, const ListOptions& options = {}) const;

  // Streams events to `on_event` (called on this thread, in order) until the server ends the stream,
  // `stop` is requested, or an error: kGone when the resourceVersion is too old (by HTTP 410 or an
  // ERROR event carrying a 410 Status) so the caller relists.
  Expected<WatchEnd> watch(const ApiResource& r, std::string_view ns, const WatchOptions& options,
                           const std::function<void(const WatchEvent&)>& on_event,
                           std::stop_token stop = {}) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Decodes one watch stream line ({"type":..., "object":...}); ERROR events become the error they carry.
Expected<WatchEvent> parse_watch_line(std::string_view line, const ApiResource& r, std::string_view ns);

}  // namespace memguard::kube
