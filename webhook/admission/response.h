// AdmissionReview v1 response encoding (controller-runtime's shape): allowed / denied / patched /
// errored constructors, with_warnings, and one complete() that echoes the uid and envelope, maps
// codes, keeps warnings within the API server's budget and base64-encodes the patch.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/admission/json_patch.h"

namespace memguard::admission {

// The API server truncates a warning over 256 characters and drops warnings after 4096 characters
// in total (KEP-1693); we enforce both ourselves so nothing is cut mid-word by someone else.
inline constexpr size_t kMaxWarningLength = 256;
inline constexpr size_t kMaxWarningsTotal = 4096;
// status.message is shown verbatim by kubectl; a denial with several findings stays well below this.
inline constexpr size_t kMaxMessageLength = 8192;

class AdmissionResponse {
 public:
  static AdmissionResponse allowed();
  static AdmissionResponse denied(std::string message);            // 403 Forbidden
  static AdmissionResponse patched(std::vector<PatchOperation> patch);
  static AdmissionResponse errored(int code, std::string message);  // 400 malformed object, 500 our bug

  AdmissionResponse& with_warnings(std::vector<std::string> warnings);
  AdmissionResponse& with_audit_annotation(std::string key, std::string value);

  // The full AdmissionReview JSON for request `uid`.
  std::string complete(std::string_view uid) const;

  bool is_allowed() const { return allowed_; }
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<PatchOperation>& patch() const { return patch_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  bool allowed_ = true;
  int code_ = 200;
  std::string reason_;
  std::string message_;
  std::vector<PatchOperation> patch_;
  std::vector<std::string> warnings_;
  std::map<std::string, std::string> audit_annotations_;
};

// Cuts `text` to at most `limit` bytes at a UTF-8 character boundary, ending in "..." when cut.
std::string truncate_utf8(std::string_view text, size_t limit);

// Applies the API server's warning limits: each at most 256 bytes, at most 4096 in total (the last
// kept slot says how many were left out), duplicates removed.
std::vector<std::string> limit_warnings(const std::vector<std::string>& warnings);

}  // namespace memguard::admission
