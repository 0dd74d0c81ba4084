// The contract between the TLS server and the admission handler: the server passes the path's
// mode and the raw body; the handler returns the HTTP answer plus what the server records in its
// log line and metrics. The handler is pure (no I/O) and never throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace memguard::admission {

enum class Mode { kValidate, kMutate };

// Bytes a body's buffer must have readable after its end for simdjson to parse it in place.
inline constexpr std::size_t kBodyPadding = 64;  // simdjson's SIMDJSON_PADDING (checked in review.cpp)

// A review body. `padded`: its buffer has kBodyPadding readable bytes after the text (the server
// reserves them when it reads the body), so decoding parses it in place instead of first copying
// the whole body into a padded buffer of its own (13.5k instructions for a 13.5 KB review).
struct ReviewBody {
  std::string_view text;
  bool padded = false;
  ReviewBody(std::string_view body, bool has_padding = false) : text(body), padded(has_padding) {}
  ReviewBody(const char* body) : text(body) {}
  ReviewBody(const std::string& body) : text(body) {}
  operator std::string_view() const { return text; }
};

// What became of one review. Typed from the decision to the log line, the metrics and the reports,
// which are the only places that spell it (decision_name).
enum class ReviewDecision { kAllowed, kDenied, kPatched, kErrored, kSkipped };

constexpr std::string_view decision_name(ReviewDecision decision) {
  switch (decision) {
    case ReviewDecision::kAllowed: return "allowed";
    case ReviewDecision::kDenied: return "denied";
    case ReviewDecision::kPatched: return "patched";
    case ReviewDecision::kErrored: return "errored";
    case ReviewDecision::kSkipped: return "skipped";
  }
  return "errored";
}

// The answer lets the object in (a skipped object is let in unjudged).
constexpr bool lets_in(ReviewDecision decision) {
  return decision == ReviewDecision::kAllowed || decision == ReviewDecision::kPatched ||
         decision == ReviewDecision::kSkipped;
}

struct ReviewOutcome {
  int http_status = 200;        // 200 with an AdmissionReview; 400/413/415/500 with a plain message
  std::string body;             // what goes on the wire
  std::string content_type = "application/json";

  // For the structured log line and /metrics (never configuration values).
  std::string uid, kind, namespace_, name, operation;  // kind: "FlinkDeployment", "ConfigMap", ...
  bool dry_run = false;
  ReviewDecision decision = ReviewDecision::kErrored;  // until the handler says otherwise
  std::vector<std::string> finding_codes;
  std::string error;            // for 4xx/5xx: why (safe to log)
};

}  // namespace memguard::admission
