// The handler: glue between the wire contract (ReviewOutcome), decoding, the decision and encoding.
#include "webhook/engine/handle_review.h"

#include <exception>

#include "webhook/admission/response.h"
#include "webhook/admission/review.h"
#include "webhook/engine/decide.h"

namespace memguard::engine {

namespace {

admission::ReviewOutcome plain_error(int status, std::string message) {
  admission::ReviewOutcome out;
  out.http_status = status;
  out.content_type = "text/plain; charset=utf-8";
  out.body = message + "\n";
  out.decision = admission::ReviewDecision::kErrored;
  out.error = std::move(message);
  return out;
}

admission::ReviewOutcome in_band_error(admission::ReviewOutcome out, int code, std::string message) {
  out.http_status = 200;
  out.content_type = "application/json";
  out.body = admission::AdmissionResponse::errored(code, message).complete(out.uid);
  out.decision = admission::ReviewDecision::kErrored;
  out.error = std::move(message);
  return out;
}

}  // namespace

admission::ReviewOutcome handle_review(admission::Mode mode, admission::ReviewBody body, const Policy& policy) noexcept {
  return handle_review(mode, body, policy, nullptr);
}

admission::ReviewOutcome handle_review(admission::Mode mode, admission::ReviewBody body, const Policy& policy,
                                       const Counterparts* counterparts) noexcept {
  admission::ReviewOutcome out;
  try {
    admission::AdmissionRequest request;
    if (auto decoded = admission::decode_review(body, request); !decoded) return plain_error(400, decoded.error().message);
    out.uid = request.uid;
    out.kind = request.kind.kind;
    out.namespace_ = request.namespace_;
    out.name = request.name;
    out.operation = request.operation;
    out.dry_run = request.dry_run;

    Decision decision = decide(request, mode, policy, counterparts, Detail::kAnswer);
    admission::AdmissionResponse response = admission::AdmissionResponse::allowed();
    switch (decision.outcome) {
      case Decision::Outcome::kDenied: response = admission::AdmissionResponse::denied(decision.message); break;
      case Decision::Outcome::kPatched: response = admission::AdmissionResponse::patched(decision.patch); break;
      case Decision::Outcome::kErrored:
        response = admission::AdmissionResponse::errored(decision.error_code, decision.message);
        out.error = decision.message;
        break;
      case Decision::Outcome::kAllowed:
      case Decision::Outcome::kSkipped: break;
    }
    response.with_warnings(std::move(decision.warnings));
    for (auto& [key, value] : decision.audit_annotations) {
      response.with_audit_annotation(std::move(key), std::move(value));
    }
    out.body = response.complete(out.uid);
    out.decision = decision.outcome;
    out.finding_codes = std::move(decision.finding_codes);
    return out;
  } catch (const std::exception& e) {
    std::string message = std::string("flink-memguard internal error: ") + e.what();
    try {
      if (out.uid.empty()) return plain_error(500, message);
      return in_band_error(out, 500, message);
    } catch (...) {
    }
  } catch (...) {
    try {
      if (out.uid.empty()) return plain_error(500, "flink-memguard internal error");
      return in_band_error(out, 500, "flink-memguard internal error");
    } catch (...) {
    }
  }
  // Out of memory even for the error answer: the smallest reply the server can still send.
  admission::ReviewOutcome last;
  last.http_status = 500;
  last.content_type = "text/plain";
  last.decision = admission::ReviewDecision::kErrored;
  return last;
}

}  // namespace memguard::engine
