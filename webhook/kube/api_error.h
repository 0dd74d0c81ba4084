// Turns an API server failure (HTTP status + metav1.Status body) into an Error a person can act on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "webhook/kube/resource.h"

namespace memguard::kube {

// The API server's refusals that each ask the caller for a different reaction: error codes owned
// by kube/ (support/expected.h leaves the codes from kFirstModuleCode on to their module).
inline constexpr ErrorCode kUnauthenticated{static_cast<int>(ErrorCode::kFirstModuleCode) + 0};  // 401: token missing, wrong or expired
inline constexpr ErrorCode kPermissionDenied{static_cast<int>(ErrorCode::kFirstModuleCode) + 1};  // 403: RBAC does not grant the verb
inline constexpr ErrorCode kGone{static_cast<int>(ErrorCode::kFirstModuleCode) + 2};  // 410: resourceVersion too old; relist

// A decoded metav1.Status: what the API server sends with every failure and in watch ERROR events.
struct ApiStatus {
  int code = 0;         // HTTP status it stands for
  std::string reason;   // "Forbidden", "NotFound", "Expired", "Gone", ...
  std::string message;  // the server's own sentence
};

// Returns the Status in `json`, or nothing when the text is not a Status object.
std::optional<ApiStatus> parse_status(std::string_view json);

// What the client was doing, so the message can say which RBAC rule is missing.
struct RequestDescription {
  std::string_view verb;  // get, list, watch (the RBAC verb)
  const ApiResource& resource;
  std::string_view ns;    // empty: all namespaces
  std::string_view name;  // empty for list and watch
};

// "get configmaps \"x\" in namespace \"flink\"": the request in words, for every message.
std::string describe_request(const RequestDescription& r);

// Maps an HTTP failure to an error value: 401 kube::kUnauthenticated, 403 kube::kPermissionDenied (naming the
// verb, resource and API group to grant), 404 kNotFound, 410 kGone, 504 kTimeout, 429/5xx
// kUnavailable, other 4xx kInvalidArgument. `body` may be a Status, other text, or empty.
Error status_error(int http_status, std::string_view body, const RequestDescription& request);

}  // namespace memguard::kube
