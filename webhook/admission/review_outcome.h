// The contract between the TLS server and the admission handler: the server passes the path's
// mode and the raw body; the handler returns the HTTP answer plus what the server records in its
// log line and metrics. The handler is pure (no I/O) and never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace memguard::admission {

enum class Mode { kValidate, kMutate };

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
