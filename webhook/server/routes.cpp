// The route table and the dispatch of one request over it.
#include "webhook/server/routes.h"

#include <array>
#include <chrono>
#include <exception>

#include "webhook/json/json_writer.h"
#include "webhook/server/header_text.h"

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

HttpResponse method_not_allowed(std::string_view path, std::string_view method) {
  HttpResponse r = error_response(405, "use " + std::string(method) + " for " + std::string(path));
  r.allow = std::string(method);
  return r;
}

Dispatch answered(HttpResponse r) {
  Dispatch d;
  d.answer = std::move(r);
  return d;
}

// Only allocation can fail while routing: answer rather than drop the connection.
Dispatch internal_error() {
  HttpResponse r;
  r.status = 500;
  r.body = R"({"error":"internal error"})";
  return answered(std::move(r));
}

}  // namespace

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

bool is_json_content_type(std::string_view content_type) {
  return header_value_is(content_type.substr(0, content_type.find(';')), "application/json");
}

std::string error_body(std::string_view message) {
  json::Writer w;
  w.begin_object().member("error", message).end_object();
  return w.take();
}

Routes::Routes(AdmissionHandler handler, Metrics& metrics, Log& log, std::function<bool()> ready)
    : handler_(std::move(handler)), metrics_(metrics), log_(log), ready_(std::move(ready)) {}

HttpResponse Routes::handle(const HttpRequest& request) const {
  Dispatch d = route(request);
  if (d.answer) return std::move(*d.answer);
  return admit(d.mode, d.webhook, request.body);
}

Dispatch Routes::route(const HttpRequest& request) const {
  try {
    const std::string_view path = target_path(request.target);
    const Route* route = nullptr;
    for (const auto& r : kRoutes) {
      if (r.path == path) route = &r;
    }
    if (!route) return answered(error_response(404, "no such path; reviews go to POST /validate or POST /mutate"));
    if (request.method != route->method) {
      return answered(method_not_allowed(path, route->method));
    }
    switch (route->endpoint) {
      case Endpoint::kValidate:
      case Endpoint::kMutate: {
        if (!is_json_content_type(request.content_type)) {
          return answered(error_response(415, "Content-Type must be application/json (an AdmissionReview)"));
        }
        Dispatch d;
        const bool validate = route->endpoint == Endpoint::kValidate;
        d.mode = validate ? admission::Mode::kValidate : admission::Mode::kMutate;
        d.webhook = validate ? "validate" : "mutate";
        return d;
      }
      case Endpoint::kHealthz:
        return answered(text_response(200, "ok\n"));
      case Endpoint::kReadyz:
        return answered(ready_() ? text_response(200, "ok\n")
                                 : error_response(503, "not ready: no TLS certificate loaded yet, or shutting down"));
      case Endpoint::kMetrics: {
        HttpResponse r = text_response(200, metrics_.render());
        r.content_type = std::string(kPrometheusContentType);
        return answered(std::move(r));
      }
    }
    return answered(error_response(500, "unroutable request"));
  } catch (...) {
    return internal_error();
  }
}

Dispatch TextRoutes::route(const HttpRequest& request) const {
  try {
    const std::string_view path = target_path(request.target);
    for (const auto& e : entries_) {
      if (e.path != path) continue;
      if (request.method != "GET") return answered(method_not_allowed(path, "GET"));
      HttpResponse r = text_response(200, e.body());
      r.content_type = e.content_type;
      return answered(std::move(r));
    }
    std::string paths;
    for (const auto& e : entries_) paths += (paths.empty() ? "GET " : ", GET ") + e.path;
    return answered(error_response(404, "no such path; this server answers " + paths));
  } catch (...) {
    return internal_error();
  }
}

HttpResponse TextRoutes::admit(admission::Mode, std::string_view, admission::ReviewBody) const {
  return error_response(500, "unroutable request");
}

HttpResponse Routes::admit(admission::Mode mode, std::string_view webhook, admission::ReviewBody body) const {
  const auto start = std::chrono::steady_clock::now();
  admission::ReviewOutcome outcome;
  try {
    outcome = handler_(mode, body);
  } catch (const std::exception& e) {
    // The handler's contract is noexcept; if it breaks it we still answer, and say so in the log
    // (the message is ours or a library's, never request content we echo back).
    outcome = admission::ReviewOutcome{};
    outcome.http_status = 500;
    outcome.decision = admission::ReviewDecision::kErrored;
    outcome.error = std::string("handler threw: ") + e.what();
    outcome.body = error_body("internal error while deciding the review");
  } catch (...) {
    outcome = admission::ReviewOutcome{};
    outcome.http_status = 500;
    outcome.decision = admission::ReviewDecision::kErrored;
    outcome.error = "handler threw a non-standard exception";
    outcome.body = error_body("internal error while deciding the review");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  try {
    metrics_.record_review(outcome, seconds);
    log_.review(webhook, outcome, outcome.http_status, seconds);
  } catch (...) {  // out of memory: the answer matters more than its log line
  }

  HttpResponse r;
  r.status = outcome.http_status;
  if (r.status != 200 && !is_json_content_type(outcome.content_type)) {
    // The README promises {"error": ...} for every error the server produces; the handler's text
    // (a 400 for a body that is not an AdmissionReview) becomes that error's message.
    try {
      r.body = error_body(!outcome.error.empty() ? std::string_view(outcome.error) : std::string_view(outcome.body));
    } catch (...) {
      r.body = R"({"error":"internal error"})";
    }
  } else {
    r.content_type = outcome.content_type.empty() ? "application/json" : std::move(outcome.content_type);
    r.body = std::move(outcome.body);
  }
  return r;
}

std::optional<std::chrono::milliseconds> request_timeout(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!pair.starts_with("timeout=")) continue;
    std::string_view text = pair.substr(8);
    if (text.empty() || text.size() > 32) return std::nullopt;
    // A Go duration: one or more decimal numbers, each with an optional fraction and a unit.
    double total_ms = 0;
    while (!text.empty()) {
      double value = 0;
      bool digits = false;
      while (!text.empty() && text.front() >= '0' && text.front() <= '9') {
        value = value * 10 + (text.front() - '0');
        text.remove_prefix(1);
        digits = true;
      }
      if (!text.empty() && text.front() == '.') {
        text.remove_prefix(1);
        double scale = 0.1;
        while (!text.empty() && text.front() >= '0' && text.front() <= '9') {
          value += (text.front() - '0') * scale;
          scale /= 10;
          text.remove_prefix(1);
          digits = true;
        }
      }
      if (!digits) return std::nullopt;
      double unit_ms = 0;
      if (text.starts_with("ms")) unit_ms = 1, text.remove_prefix(2);
      else if (text.starts_with("us")) unit_ms = 1e-3, text.remove_prefix(2);
      else if (text.starts_with("\xc2\xb5s")) unit_ms = 1e-3, text.remove_prefix(3);
      else if (text.starts_with("ns")) unit_ms = 1e-6, text.remove_prefix(2);
      else if (text.starts_with("h")) unit_ms = 3600e3, text.remove_prefix(1);
      else if (text.starts_with("m")) unit_ms = 60e3, text.remove_prefix(1);
      else if (text.starts_with("s")) unit_ms = 1e3, text.remove_prefix(1);
      else return std::nullopt;
      total_ms += value * unit_ms;
    }
    if (!(total_ms >= 1) || total_ms > 24 * 3600e3) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(total_ms));
  }
  return std::nullopt;
}

}  // namespace memguard::server
