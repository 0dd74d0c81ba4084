// AdmissionReview v1 request decoding: body text in, a value-typed AdmissionRequest (with the object
// already decoded for the kinds we judge) or a clear error out. No I/O, no policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "support/expected.h"
#include "webhook/admission/objects.h"
#include "webhook/admission/review_outcome.h"

namespace memguard::admission {

struct GroupVersionKind {
  std::string group, version, kind;
};
struct GroupVersionResource {
  std::string group, version, resource;
};

// An UPDATE's oldObject, decoded on first use: only a change that would be denied needs it (the
// update rule asks whether the old object had the same finding), and decoding it costs as much as
// decoding the object. Until then it points into the document decode_review parsed, which lives in
// that thread's parser until the thread decodes its next review; reading it later, or on another
// thread, throws std::logic_error instead of reading a replaced document. The engine decides on the
// decoding thread right after decoding, so it never does.
class OldObject {
 public:
  OldObject() = default;
  explicit OldObject(KubeObject decoded) : decoded_(std::move(decoded)), read_(true) {}
  // The document's oldObject, to be decoded as `kind` on first use.
  OldObject(simdjson::dom::element source, GroupVersionKind kind);

  // nullptr: no old object, or one that does not decode as the request's kind (it simply differs).
  const KubeObject* get() const;
  // Whether there is an old object to read (decoded or not yet).
  bool present() const { return read_ ? decoded_.has_value() : has_source_; }

 private:
  mutable std::optional<KubeObject> decoded_;
  mutable bool read_ = false;
  bool has_source_ = false;
  simdjson::dom::element source_;
  GroupVersionKind kind_;
  std::uint64_t parse_ = 0;  // which parse of `thread_` the source belongs to
  std::thread::id thread_;
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
  // An UPDATE's oldObject when a memory input changed, decoded like the object on first use: an
  // update is not denied for a violation the old object already had (engine/update_rule.h).
  OldObject old_object;
  // The object is there but is not one we can read (a string where an object belongs, ...): the
  // review itself is fine, so the answer is an in-band error carrying the uid.
  std::optional<std::string> object_error;
};

// Decodes an AdmissionReview v1 body. Errors (all meaning HTTP 400): not JSON, invalid UTF-8, not an
// AdmissionReview, another apiVersion than admission.k8s.io/v1, missing request or request.uid.
// A request's old object is read from the parsed document: see OldObject.
[[nodiscard]] Expected<AdmissionRequest> decode_review(ReviewBody body);
// The same into `out` (a default-constructed request), which the caller then keeps where it is: the
// handler's way, so the decoded object is never moved. On an error `out` is partial.
[[nodiscard]] Expected<void> decode_review(ReviewBody body, AdmissionRequest& out);

}  // namespace memguard::admission
