// AdmissionReview v1 request decoding: body text in, a value-typed AdmissionRequest (with the object
// already decoded for the kinds we judge) or a clear error out. No I/O, no policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "webhook/admission/objects.h"

namespace memguard::admission {

struct GroupVersionKind {
  std::string group, version, kind;
};
struct GroupVersionResource {
  std::string group, version, resource;
};

struct AdmissionRequest {
  std::string uid;
  GroupVersionKind kind;
  GroupVersionResource resource;
  std::string sub_resource;
  std::string name;
  std::string namespace_;
  std::string operation;  // CREATE, UPDATE, DELETE, CONNECT
  bool dry_run = false;
  std::string username;
  std::optional<KubeObject> object;      // absent or null (DELETE, CONNECT)
  // An UPDATE whose oldObject has the same memory inputs as the object (same_memory_inputs): the
  // operator adding a finalizer, a label edit. Such an update is never denied for old problems.
  bool memory_inputs_unchanged = false;
  // An UPDATE's oldObject, decoded like the object when it can be (nullopt otherwise): an update is
  // not denied for a violation the old object already had (engine/update_rule.h).
  std::optional<KubeObject> old_object;
  // The object is there but is not one we can read (a string where an object belongs, ...): the
  // review itself is fine, so the answer is an in-band error carrying the uid.
  std::optional<std::string> object_error;
};

// Decodes an AdmissionReview v1 body. Errors (all meaning HTTP 400): not JSON, invalid UTF-8, not an
// AdmissionReview, another apiVersion than admission.k8s.io/v1, missing request or request.uid.
[[nodiscard]] Expected<AdmissionRequest> decode_review(std::string_view body);

}  // namespace memguard::admission
