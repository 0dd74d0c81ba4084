// The one route table of the webhook server and the dispatch over it: admission reviews to the
// injected handler, health, readiness and metrics, and the 404/405/415/500 answers. Independent
// of sockets and TLS, so every answer can be tested directly.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/admission/review_outcome.h"
#include "webhook/server/metrics.h"
#include "webhook/server/structured_log.h"

namespace memguard::server {

// Decides one admission review. Injected at construction; for `serve` this is the decision engine.
using AdmissionHandler = std::function<admission::ReviewOutcome(admission::Mode, admission::ReviewBody body)>;

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

// What a session asks of the route table it is given: the server holds exactly one.
class Router {
 public:
  virtual ~Router() = default;
  virtual Dispatch route(const HttpRequest& request) const = 0;
  virtual HttpResponse admit(admission::Mode mode, std::string_view webhook, admission::ReviewBody body) const = 0;
};

// The webhook's routes: reviews, probes and the server's metrics.
class Routes : public Router {
 public:
  Routes(AdmissionHandler handler, Metrics& metrics, Log& log, std::function<bool()> ready);

  // Routes one request, records review metrics and the review log line. Decides on the calling
  // thread: the server uses route() and admit() instead, to decide on its pool. Like both, it
  // throws nothing but std::bad_alloc, when even the error answer cannot be allocated (under a
  // heap cap): the caller fails that one request. (These were noexcept, and running out of memory
  // in them ended the process in std::terminate.)
  HttpResponse handle(const HttpRequest& request) const;
  // The cheap half: everything but the decision.
  Dispatch route(const HttpRequest& request) const override;
  // The decision: runs the handler, records metrics and the review log line (both dropped when
  // there is no memory for them). Every answer other than 200 has a JSON {"error": ...} body,
  // whatever the handler put there.
  HttpResponse admit(admission::Mode mode, std::string_view webhook, admission::ReviewBody body) const override;

 private:

  AdmissionHandler handler_;
  Metrics& metrics_;
  Log& log_;
  std::function<bool()> ready_;
};

// A plain-HTTP server's routes (audit's metrics): GET paths answered with text from a function,
// 404 for any other path, 405 for another method; nothing is ever decided.
class TextRoutes : public Router {
 public:
  struct Entry {
    std::string path;          // "/metrics"
    std::string content_type;  // "text/plain; version=0.0.4; charset=utf-8"
    std::function<std::string()> body;  // called on an I/O thread for each request
  };
  explicit TextRoutes(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  Dispatch route(const HttpRequest& request) const override;
  // Never reached: route() answers every request. A 500 if it were.
  HttpResponse admit(admission::Mode mode, std::string_view webhook, admission::ReviewBody body) const override;

 private:
  std::vector<Entry> entries_;
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
