// The route table and the dispatch of one request over it.
#include "webhook/server/routes.h"

#include <array>
#include <chrono>
#include <exception>

#include "webhook/json/json_writer.h"

namespace memguard::server {
namespace {

enum class Endpoint { kValidate, kMutate, kHealthz, kReadyz, kMetrics };

struct Route {
  std::string_view path;
  std::string_view method;
  Endpoint endpoint;
};

// The one route table. kube-apiserver POSTs reviews to the path configured in the webhook's
// clientConfig; probes and Prometheus GET the rest.
constexpr std::array<Route, 5> kRoutes = {{
    {"/validate", "POST", Endpoint::kValidate},
    {"/mutate", "POST", Endpoint::kMutate},
    {"/healthz", "GET", Endpoint::kHealthz},
    {"/readyz", "GET", Endpoint::kReadyz},
    {"/metrics", "GET", Endpoint::kMetrics},
}};

HttpResponse error_response(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = error_body(message);
  return r;
}

HttpResponse text_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

bool is_json_content_type(std::string_view content_type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

std::string error_body(std::string_view message) {
  json::Writer w;
  w.begin_object().member("error", message).end_object();
  return w.take();
}

Routes::Routes(AdmissionHandler handler, Metrics& metrics, Log& log, std::function<bool()> ready)
    : handler_(std::move(handler)), metrics_(metrics), log_(log), ready_(std::move(ready)) {}

HttpResponse Routes::handle(const HttpRequest& request) const noexcept {
  try {
    const std::string_view path = target_path(request.target);
    const Route* route = nullptr;
    for (const auto& r : kRoutes) {
      if (r.path == path) route = &r;
    }
    if (!route) return error_response(404, "no such path; reviews go to POST /validate or POST /mutate");
    if (request.method != route->method) {
      HttpResponse r = error_response(405, std::string("use ") + std::string(route->method) + " for " + std::string(path));
      r.allow = std::string(route->method);
      return r;
    }
    switch (route->endpoint) {
      case Endpoint::kValidate:
      case Endpoint::kMutate:
        if (!is_json_content_type(request.content_type)) {
          return error_response(415, "Content-Type must be application/json (an AdmissionReview)");
        }
        return route->endpoint == Endpoint::kValidate ? admit(admission::Mode::kValidate, "validate", request.body)
                                                      : admit(admission::Mode::kMutate, "mutate", request.body);
      case Endpoint::kHealthz:
        return text_response(200, "ok\n");
      case Endpoint::kReadyz:
        return ready_() ? text_response(200, "ok\n")
                        : text_response(503, "not ready: no TLS certificate loaded yet, or shutting down\n");
      case Endpoint::kMetrics: {
        HttpResponse r = text_response(200, metrics_.render());
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return r;
      }
    }
    return error_response(500, "unroutable request");
  } catch (...) {  // only allocation can fail above; answer rather than drop the connection
    HttpResponse r;
    r.status = 500;
    r.body = R"({"error":"internal error"})";
    return r;
  }
}

HttpResponse Routes::admit(admission::Mode mode, std::string_view webhook, std::string_view body) const noexcept {
  const auto start = std::chrono::steady_clock::now();
  admission::ReviewOutcome outcome;
  try {
    outcome = handler_(mode, body);
  } catch (const std::exception& e) {
    // The handler's contract is noexcept; if it breaks it we still answer, and say so in the log
    // (the message is ours or a library's, never request content we echo back).
    outcome = admission::ReviewOutcome{};
    outcome.http_status = 500;
    outcome.decision = "errored";
    outcome.error = std::string("handler threw: ") + e.what();
    outcome.body = error_body("internal error while deciding the review");
  } catch (...) {
    outcome = admission::ReviewOutcome{};
    outcome.http_status = 500;
    outcome.decision = "errored";
    outcome.error = "handler threw a non-standard exception";
    outcome.body = error_body("internal error while deciding the review");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.record_review(outcome, seconds);
  log_.review(webhook, outcome, outcome.http_status, seconds);

  HttpResponse r;
  r.status = outcome.http_status;
  r.content_type = outcome.content_type.empty() ? "application/json" : std::move(outcome.content_type);
  r.body = std::move(outcome.body);
  return r;
}

}  // namespace memguard::server
