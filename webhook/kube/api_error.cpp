// Error values for API server failures; messages say what to change (token, RBAC rule, relist).
#include "webhook/kube/api_error.h"

#include <simdjson.h>

namespace memguard::kube {

std::optional<ApiStatus> parse_status(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  std::string_view kind;
  if (doc["kind"].get(kind) != simdjson::SUCCESS || kind != "Status") return std::nullopt;
  ApiStatus status;
  int64_t code = 0;
  if (doc["code"].get(code) == simdjson::SUCCESS) status.code = static_cast<int>(code);
  std::string_view text;
  if (doc["reason"].get(text) == simdjson::SUCCESS) status.reason = text;
  if (doc["message"].get(text) == simdjson::SUCCESS) status.message = text;
  return status;
}

std::string describe_request(const RequestDescription& r) {
  std::string out = std::string(r.verb) + " " + r.resource.qualified_name();
  if (!r.name.empty()) out += " \"" + std::string(r.name) + "\"";
  out += r.ns.empty() ? std::string(" in all namespaces") : " in namespace \"" + std::string(r.ns) + "\"";
  return out;
}

namespace {

// The RBAC rule that would have allowed the request, in the YAML form a Role takes.
std::string missing_rule(const RequestDescription& r) {
  std::string scope = r.ns.empty() ? "a ClusterRole (all namespaces)" : "a Role in namespace \"" + std::string(r.ns) + "\" or a ClusterRole";
  return "grant " + scope + " the rule {apiGroups: [\"" + std::string(r.resource.rbac_group()) +
         "\"], resources: [\"" + std::string(r.resource.resource) + "\"], verbs: [\"" + std::string(r.verb) + "\"]}";
}

}  // namespace

Error status_error(int http_status, std::string_view body, const RequestDescription& request) {
  std::optional<ApiStatus> status = parse_status(body);
  std::string server_said;
  if (status && !status->message.empty()) {
    server_said = "; the API server said: " + status->message;
  } else if (!body.empty()) {
    // Not a Status (a proxy's page, say): show a bounded prefix so logs stay readable.
    constexpr size_t kShown = 200;
    server_said = "; the API server said: " + std::string(body.substr(0, kShown)) + (body.size() > kShown ? "..." : "");
  }
  std::string target = describe_request(request);
  std::string reason = status && !status->reason.empty() ? " " + status->reason : "";

  switch (http_status) {
    case 401:
      return {kube::kUnauthenticated, "cannot " + target + ": 401 Unauthorized, the bearer token was rejected "
                                           "(missing, wrong or expired service-account token)" + server_said};
    case 403:
      return {kube::kPermissionDenied, "cannot " + target + ": 403 Forbidden, RBAC does not allow it; " +
                                            missing_rule(request) + server_said};
    case 404:
      if (request.name.empty()) {
        return {ErrorCode::kNotFound, "cannot " + target + ": 404, the API server does not serve " +
                                      request.resource.qualified_name() + "/" + std::string(request.resource.version) +
                                      " (is its CustomResourceDefinition installed?)" + server_said};
      }
      return {ErrorCode::kNotFound, std::string(request.resource.kind) + " \"" + std::string(request.name) +
                                    "\" not found in namespace \"" + std::string(request.ns) + "\""};
    case 410:
      return {kube::kGone, "cannot " + target + ": 410" + (reason.empty() ? " Gone" : reason) +
                                ", the resourceVersion or continue token is too old; a fresh list is needed" + server_said};
    case 504:
      return {ErrorCode::kTimeout, "cannot " + target + ": 504 the API server timed out" + server_said};
    default:
      break;
  }
  std::string what = "cannot " + target + ": HTTP " + std::to_string(http_status) + reason + server_said;
  if (http_status == 429 || http_status >= 500) return {ErrorCode::kUnavailable, std::move(what)};
  return {ErrorCode::kInvalidArgument, std::move(what)};
}

}  // namespace memguard::kube
