// RFC 6902 JSON Patch operations built structurally (never as hand-written strings). RFC 6901 escaping
// lives in pointer.h (Pointer); the base64 the AdmissionReview response carries them in, in support/base64.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "webhook/admission/objects.h"

namespace memguard::admission {

struct PatchOperation {
  enum class Op { kAdd, kReplace, kRemove, kTest };
  Op op = Op::kReplace;
  Pointer path;
  std::string value_json;  // the value as JSON text ("\"2048Mi\"", "{}"); unused for remove

  static PatchOperation replace_string(Pointer path, std::string_view value);
  static PatchOperation add_string(Pointer path, std::string_view value);
  // Adds a map holding one string member (when the parent map itself is missing).
  static PatchOperation add_map(Pointer path, std::string_view key, std::string_view value);
  friend bool operator==(const PatchOperation&, const PatchOperation&) = default;
};

std::string_view op_name(PatchOperation::Op op);

// The patch document: a JSON array of operations.
std::string encode_patch(const std::vector<PatchOperation>& patch);

}  // namespace memguard::admission
