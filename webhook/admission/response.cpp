// AdmissionReview response encoding: one complete() step writes every response the webhook sends.
#include "webhook/admission/response.h"

#include <algorithm>

#include "support/base64.h"
#include "webhook/json/json_writer.h"

namespace memguard::admission {

AdmissionResponse AdmissionResponse::allowed() { return AdmissionResponse{}; }

AdmissionResponse AdmissionResponse::denied(std::string message) {
  AdmissionResponse r;
  r.allowed_ = false;
  r.code_ = 403;
  r.reason_ = "Forbidden";
  r.message_ = std::move(message);
  return r;
}

AdmissionResponse AdmissionResponse::patched(std::vector<PatchOperation> patch) {
  AdmissionResponse r;
  r.patch_ = std::move(patch);
  return r;
}

AdmissionResponse AdmissionResponse::errored(int code, std::string message) {
  AdmissionResponse r;
  r.allowed_ = false;
  r.code_ = code;
  r.reason_ = code >= 500 ? "InternalError" : "BadRequest";
  r.message_ = std::move(message);
  return r;
}

AdmissionResponse& AdmissionResponse::with_warnings(std::vector<std::string> warnings) {
  if (warnings_.empty()) {
    warnings_ = std::move(warnings);  // the usual single call: take the vector as it is
    return *this;
  }
  for (auto& w : warnings) warnings_.push_back(std::move(w));
  return *this;
}

AdmissionResponse& AdmissionResponse::with_audit_annotation(std::string key, std::string value) {
  audit_annotations_.insert_or_assign(std::move(key), std::move(value));
  return *this;
}

std::string truncate_utf8(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  if (limit < 3) return std::string(limit, '.');
  size_t cut = limit - 3;
  // Step back over continuation bytes so a multi-byte character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

namespace {

// Calls keep(text) for each warning the API server's limits let through, in order (see
// limit_warnings), without copying those that need no cut.
template <typename Keep>
void for_each_limited_warning(const std::vector<std::string>& warnings, Keep&& keep) {
  std::vector<std::string> cut;        // the warnings that were truncated, kept alive for `kept`
  std::vector<std::string_view> kept;  // what was kept so far, for the duplicate check
  kept.reserve(warnings.size());
  size_t total = 0;
  for (size_t i = 0; i < warnings.size(); ++i) {
    std::string_view w = warnings[i];
    if (w.size() > kMaxWarningLength) {
      if (cut.empty()) cut.reserve(warnings.size());  // never reallocated: `kept` points into it
      w = cut.emplace_back(truncate_utf8(w, kMaxWarningLength));
    }
    // The kept warnings fit in kMaxWarningsTotal, so this search stays short.
    if (std::find(kept.begin(), kept.end(), w) != kept.end()) continue;
    // Keep room for the closing "N more" notice so the user knows something was left out.
    constexpr size_t kNoticeRoom = 64;
    if (total + w.size() + kNoticeRoom > kMaxWarningsTotal) {
      size_t left = warnings.size() - i;
      keep(std::string_view(std::to_string(left) + " more warning(s) left out (API server warning budget)"));
      break;
    }
    total += w.size();
    kept.push_back(w);
    keep(w);
  }
}

}  // namespace

std::vector<std::string> limit_warnings(const std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  for_each_limited_warning(warnings, [&](std::string_view w) { out.emplace_back(w); });
  return out;
}

std::string AdmissionResponse::complete(std::string_view uid) const {
  // The answer's size before escaping, so that it is written without growing its buffer.
  size_t size = 256 + uid.size() + message_.size();
  for (const auto& text : warnings_) size += text.size() + 4;
  for (const auto& [key, value] : audit_annotations_) size += key.size() + value.size() + 6;
  json::Writer w(size);
  w.begin_object().member("apiVersion", "admission.k8s.io/v1").member("kind", "AdmissionReview");
  w.key("response").begin_object().member("uid", uid).member("allowed", allowed_);
  if (!allowed_) {
    w.key("status").begin_object().member("code", code_).member("reason", reason_);
    if (message_.size() <= kMaxMessageLength) {
      w.member("message", message_);
    } else {
      w.member("message", truncate_utf8(message_, kMaxMessageLength));
    }
    w.end_object();
  }
  // patch and patchType go together or not at all (the API server rejects one without the other);
  // only patched() sets operations, so a denial never carries them.
  if (!patch_.empty()) {
    w.member("patchType", "JSONPatch").member("patch", base64_encode(encode_patch(patch_)));
  }
  if (!warnings_.empty()) {
    w.key("warnings").begin_array();
    for_each_limited_warning(warnings_, [&](std::string_view text) { w.string(text); });
    w.end_array();
  }
  if (!audit_annotations_.empty()) {
    w.key("auditAnnotations").begin_object();
    for (const auto& [key, value] : audit_annotations_) w.member(key, value);
    w.end_object();
  }
  w.end_object().end_object();
  return w.take();
}

}  // namespace memguard::admission
