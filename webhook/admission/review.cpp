// AdmissionReview v1 decoding with simdjson: one parser per thread, reused across requests, so a
// busy server does not allocate a parse buffer per review.
#include "webhook/admission/review.h"

#include <new>
#include <stdexcept>

namespace memguard::admission {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Unexpected bad_request(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

// A string member of the request; absent or null reads as "", another type is an error.
Expected<std::string> string_member(object parent, std::string_view name, std::string_view where) {
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::string();
  if (!value.is_string()) return bad_request(std::string(where) + "." + std::string(name) + " must be a string");
  return std::string(value.get_string().value());
}

Expected<std::optional<object>> object_member(object parent, std::string_view name, std::string_view where) {
  element value;
  if (parent[name].get(value) != simdjson::SUCCESS || value.is_null()) return std::optional<object>{};
  if (!value.is_object()) return bad_request(std::string(where) + "." + std::string(name) + " must be an object");
  return std::optional<object>{value.get_object().value()};
}

// Decodes an embedded object of the request's kind into `target` (left empty on an error). Kinds we
// do not judge are not decoded at all. A FlinkDeployment is decoded where `target` holds it.
Expected<void> decode_embedded(element value, const GroupVersionKind& kind, std::optional<KubeObject>& target) {
  if (kind.group == "flink.apache.org" && kind.kind == "FlinkDeployment") {
    auto& object = std::get<FlinkDeploymentObject>(target.emplace(std::in_place_type<FlinkDeploymentObject>));
    auto decoded = decode_flinkdeployment(value, object);
    if (!decoded) target.reset();
    return decoded;
  }
  if (kind.group.empty() && kind.version == "v1" && kind.kind == "ConfigMap") {
    auto decoded = decode_configmap(value);
    if (!decoded) return Unexpected{decoded.error()};
    target.emplace(std::move(*decoded));
    return {};
  }
  std::string api_version = kind.group.empty() ? kind.version : kind.group + "/" + kind.version;
  if (is_workload_kind(api_version, kind.kind)) {
    auto decoded = decode_workload(value, kind.kind);
    if (!decoded) return Unexpected{decoded.error()};
    target.emplace(std::move(*decoded));
    return {};
  }
  target.emplace(OtherObject{std::move(api_version), kind.kind});
  return {};
}

static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING, "a padded body must be parseable in place");

// Counts the parses of this thread's parser, so that an OldObject knows whether its document is
// still the one in the parser.
thread_local std::uint64_t parses = 0;

}  // namespace

OldObject::OldObject(element source, GroupVersionKind kind)
    : has_source_(true), source_(source), kind_(std::move(kind)), parse_(parses), thread_(std::this_thread::get_id()) {}

const KubeObject* OldObject::get() const {
  if (!read_) {
    if (parse_ != parses || thread_ != std::this_thread::get_id()) {
      throw std::logic_error("the review's oldObject was read after its document was replaced");
    }
    (void)decode_embedded(source_, kind_, decoded_);  // one that does not decode simply differs: nullptr
    read_ = true;
  }
  return decoded_ ? &*decoded_ : nullptr;
}

Expected<void> decode_review(ReviewBody review_body, AdmissionRequest& out) {
  const std::string_view body = review_body.text;
  if (body.empty()) return bad_request("empty body: expected an AdmissionReview (admission.k8s.io/v1)");
  // One parser per thread: its buffers grow to the largest review seen and are then reused.
  thread_local simdjson::dom::parser parser;
  element root;
  // simdjson validates UTF-8 while parsing. A padded body is parsed in place; any other is copied
  // into simdjson's padded buffer, which keeps the caller's buffer untouched.
  // A parser whose allocation failed half way keeps capacities it has no buffers for, and the
  // next review on this thread would parse into them (a crash found by the heap-cap test): after
  // running out of memory this thread starts over with an empty parser. Out of memory is ours,
  // not the client's, so it leaves as std::bad_alloc and the boundary answers it with a 500.
  simdjson::error_code error;
  try {
    ++parses;
    error = parser.parse(body.data(), body.size(), !review_body.padded).get(root);
  } catch (const std::bad_alloc&) {
    parser = simdjson::dom::parser{};
    throw;
  }
  if (error == simdjson::MEMALLOC) {
    parser = simdjson::dom::parser{};
    throw std::bad_alloc();
  }
  if (error != simdjson::SUCCESS) {
    if (error == simdjson::UTF8_ERROR) return bad_request("body is not valid UTF-8");
    return bad_request(std::string("body is not valid JSON: ") + simdjson::error_message(error));
  }
  if (!root.is_object()) return bad_request("body is not an AdmissionReview: expected a JSON object");
  object review = root.get_object().value();
  auto kind = string_member(review, "kind", "AdmissionReview");
  if (!kind) return Unexpected{kind.error()};
  if (*kind != "AdmissionReview") {
    return bad_request("body is not an AdmissionReview (kind is '" + *kind + "')");
  }
  auto api_version = string_member(review, "apiVersion", "AdmissionReview");
  if (!api_version) return Unexpected{api_version.error()};
  if (*api_version != "admission.k8s.io/v1") {
    return bad_request("unsupported AdmissionReview apiVersion '" + *api_version +
                       "': only admission.k8s.io/v1 is served (list only v1 in admissionReviewVersions)");
  }
  auto request_member = object_member(review, "request", "AdmissionReview");
  if (!request_member) return Unexpected{request_member.error()};
  if (!request_member->has_value()) return bad_request("AdmissionReview has no request");
  object request = **request_member;

  auto uid = string_member(request, "uid", "request");
  if (!uid) return Unexpected{uid.error()};
  if (uid->empty()) return bad_request("AdmissionReview request has no uid");
  out.uid = std::move(*uid);

  auto kind_member = object_member(request, "kind", "request");
  if (!kind_member) return Unexpected{kind_member.error()};
  if (kind_member->has_value()) {
    for (auto [name, target] : {std::pair{"group", &out.kind.group}, std::pair{"version", &out.kind.version},
                                std::pair{"kind", &out.kind.kind}}) {
      auto v = string_member(**kind_member, name, "request.kind");
      if (!v) return Unexpected{v.error()};
      *target = std::move(*v);
    }
  }
  auto resource_member = object_member(request, "resource", "request");
  if (!resource_member) return Unexpected{resource_member.error()};
  if (resource_member->has_value()) {
    for (auto [name, target] : {std::pair{"group", &out.resource.group}, std::pair{"version", &out.resource.version},
                                std::pair{"resource", &out.resource.resource}}) {
      auto v = string_member(**resource_member, name, "request.resource");
      if (!v) return Unexpected{v.error()};
      *target = std::move(*v);
    }
  }
  for (auto [name, target] : {std::pair{"subResource", &out.sub_resource}, std::pair{"name", &out.name},
                              std::pair{"namespace", &out.namespace_}, std::pair{"operation", &out.operation}}) {
    auto v = string_member(request, name, "request");
    if (!v) return Unexpected{v.error()};
    *target = std::move(*v);
  }
  element dry_run;
  if (request["dryRun"].get(dry_run) == simdjson::SUCCESS && !dry_run.is_null()) {
    if (!dry_run.is_bool()) return bad_request("request.dryRun must be a boolean");
    out.dry_run = dry_run.get_bool().value();
  }
  auto user_info = object_member(request, "userInfo", "request");
  if (!user_info) return Unexpected{user_info.error()};
  if (user_info->has_value()) {
    auto username = string_member(**user_info, "username", "request.userInfo");
    if (!username) return Unexpected{username.error()};
    out.username = std::move(*username);
  }

  element object_value;
  if (request["object"].get(object_value) == simdjson::SUCCESS && !object_value.is_null()) {
    auto decoded = decode_embedded(object_value, out.kind, out.object);
    if (!decoded) out.object_error = "request.object: " + decoded.error().message;
  }
  // The old object is first compared with the new one, in place; only when a memory input changed
  // is it kept for the update rule (a violation the old object already had is not denied), which
  // decodes it if a finding would deny. One we could not read simply differs.
  element old_value;
  if (out.operation == "UPDATE" && out.object && request["oldObject"].get(old_value) == simdjson::SUCCESS &&
      !old_value.is_null()) {
    out.memory_inputs_unchanged = same_memory_inputs(*out.object, object_value, old_value);
    // Only a changed object needs the old one judged (an unchanged one is never denied).
    if (!out.memory_inputs_unchanged) out.old_object = OldObject(old_value, out.kind);
  }
  return {};
}

Expected<AdmissionRequest> decode_review(ReviewBody review_body) {
  AdmissionRequest out;
  auto decoded = decode_review(review_body, out);
  if (!decoded) return Unexpected{decoded.error()};
  return out;
}

}  // namespace memguard::admission
