// The one route table of the webhook server and the dispatch over it: admission reviews to the
// injected handler, health, readiness and metrics, and the 404/405/415/500 answers. Independent
// of sockets and TLS, so every answer can be tested directly.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "webhook/admission/review_outcome.h"
#include "webhook/server/metrics.h"
#include "webhook/server/structured_log.h"

namespace memguard::server {

// Decides one admission review. Injected at construction; for `serve` this is the decision engine.
using AdmissionHandler = std::function<admission::ReviewOutcome(admission::Mode, std::string_view body)>;

struct HttpRequest {
  std::string_view method;        // "POST", "GET", ...
  std::string_view target;        // path plus optional query, e.g. "/validate?timeout=10s"
  std::string_view content_type;  // empty if absent
  std::string_view body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // for 405: the methods the path accepts
};

// Where one request goes: answered at once (probes, metrics, 404/405/415), or to be decided.
struct Dispatch {
  std::optional<HttpResponse> answer;  // set: send this; unset: decide `mode` (on the decision pool)
  admission::Mode mode = admission::Mode::kValidate;
  std::string_view webhook;  // "validate" or "mutate", for the log
};

class Routes {
 public:
  Routes(AdmissionHandler handler, Metrics& metrics, Log& log, std::function<bool()> ready);

  // Routes one request, records review metrics and the review log line. Decides on the calling
  // thread: the server uses route() and admit() instead, to decide on its pool. Like both, it
  // throws nothing but std::bad_alloc, when even the error answer cannot be allocated (under a
  // heap cap): the caller fails that one request. (These were noexcept, and running out of memory
  // in them ended the process in std::terminate.)
  HttpResponse handle(const HttpRequest& request) const;
  // The cheap half: everything but the decision.
  Dispatch route(const HttpRequest& request) const;
  // The decision: runs the handler, records metrics and the review log line (both dropped when
  // there is no memory for them). Every answer other than 200 has a JSON {"error": ...} body,
  // whatever the handler put there.
  HttpResponse admit(admission::Mode mode, std::string_view webhook, std::string_view body) const;

 private:

  AdmissionHandler handler_;
  Metrics& metrics_;
  Log& log_;
  std::function<bool()> ready_;
};

// The path of a request target, without query string or fragment.
std::string_view target_path(std::string_view target);
// True for "application/json" in any letter case, with or without parameters such as charset.
bool is_json_content_type(std::string_view content_type);
// A small JSON body for server-side errors: {"error": message}.
std::string error_body(std::string_view message);
// The `timeout` kube-apiserver appends to the webhook URL (`?timeout=10s`, a Go duration such as
// "10s", "2.5s", "1m30s", "500ms"); nullopt when absent or not a positive duration.
std::optional<std::chrono::milliseconds> request_timeout(std::string_view target);

}  // namespace memguard::server
