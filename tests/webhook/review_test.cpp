// AdmissionReview decoding: the request fields, the typed object, and a clear error for every body
// that is not an AdmissionReview v1.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <variant>

#include "review_support.h"
#include "webhook/admission/review.h"

using memguard::admission::AdmissionRequest;
using memguard::admission::ConfigMapObject;
using memguard::admission::decode_review;
using memguard::admission::FlinkDeploymentObject;
using memguard::admission::OtherObject;
using memguard::testing::read_fixture;
using memguard::testing::replace_once;

TEST_CASE("A FlinkDeployment review decodes into request fields and a typed object", "[admission][review]") {
  auto request = decode_review(read_fixture("fd-valid.json"));
  REQUIRE(request);
  CHECK(request->uid == "uid-fd-valid");
  CHECK(request->kind.group == "flink.apache.org");
  CHECK(request->kind.kind == "FlinkDeployment");
  CHECK(request->resource.resource == "flinkdeployments");
  CHECK(request->name == "valid");
  CHECK(request->namespace_ == "analytics");
  CHECK(request->operation == "CREATE");
  CHECK(request->username == "system:serviceaccount:ci:deployer");
  CHECK_FALSE(request->dry_run);
  REQUIRE(request->object);
  const auto* fd = std::get_if<FlinkDeploymentObject>(&*request->object);
  REQUIRE(fd != nullptr);
  CHECK(fd->flink_version->text == "v1_20");
  CHECK(fd->task_manager.resources.resource_memory->text == "4096Mi");
  CHECK_FALSE(request->memory_inputs_unchanged);  // a CREATE has nothing to compare
}

TEST_CASE("dryRun and the change against oldObject are read", "[admission][review]") {
  auto request = decode_review(read_fixture("fd-update-unchanged-spec.json"));
  REQUIRE(request);
  CHECK(request->operation == "UPDATE");
  CHECK(request->memory_inputs_unchanged);
  auto breaks = decode_review(read_fixture("fd-update-breaks-memory.json"));
  REQUIRE(breaks);
  CHECK(breaks->operation == "UPDATE");
  CHECK_FALSE(breaks->memory_inputs_unchanged);
  auto dry = decode_review(replace_once(read_fixture("fd-valid.json"), "\"dryRun\": false", "\"dryRun\": true"));
  REQUIRE(dry);
  CHECK(dry->dry_run);
}

TEST_CASE("A changed UPDATE's oldObject is decoded on first use, from the document that was parsed",
          "[admission][review]") {
  const std::string breaks = read_fixture("fd-update-breaks-memory.json");
  auto request = decode_review(breaks);
  REQUIRE(request);
  REQUIRE(request->old_object.present());
  const auto* old_object = request->old_object.get();
  REQUIRE(old_object != nullptr);
  const auto* old_fd = std::get_if<FlinkDeploymentObject>(old_object);
  REQUIRE(old_fd != nullptr);
  const auto* new_fd = std::get_if<FlinkDeploymentObject>(&*request->object);
  REQUIRE(new_fd != nullptr);
  CHECK(old_fd->metadata.name == new_fd->metadata.name);
  CHECK(request->old_object.get() == old_object);  // decoded once

  // Once this thread parsed another review the document is gone: reading the old object then is
  // refused, never a read of the other review's tape.
  auto stale = decode_review(breaks);
  REQUIRE(stale);
  auto later = decode_review(read_fixture("fd-valid.json"));
  REQUIRE(later);
  CHECK_THROWS_AS(stale->old_object.get(), std::logic_error);
  // An unchanged UPDATE keeps no old object; neither does a CREATE.
  auto unchanged = decode_review(read_fixture("fd-update-unchanged-spec.json"));
  REQUIRE(unchanged);
  CHECK_FALSE(unchanged->old_object.present());
  CHECK_FALSE(later->old_object.present());
}

TEST_CASE("A padded body is parsed in place with the same result as a copied one", "[admission][review]") {
  const std::string text = read_fixture("fd-update-breaks-memory.json");
  // The server's buffer: the body, then kBodyPadding readable bytes that are not part of it.
  std::string buffer = text + std::string(memguard::admission::kBodyPadding, '}');
  auto in_place = decode_review(memguard::admission::ReviewBody(std::string_view(buffer).substr(0, text.size()), true));
  auto copied = decode_review(text);
  REQUIRE(in_place);
  REQUIRE(copied);
  CHECK(in_place->uid == copied->uid);
  CHECK(in_place->memory_inputs_unchanged == copied->memory_inputs_unchanged);
  const auto* a = std::get_if<FlinkDeploymentObject>(&*in_place->object);
  const auto* b = std::get_if<FlinkDeploymentObject>(&*copied->object);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(a->task_manager.resources.resource_memory->text == b->task_manager.resources.resource_memory->text);
  // Bytes after the body are not read as part of it: a body cut before its last '}' is invalid JSON,
  // though the buffer goes on with '}'.
  auto cut = decode_review(memguard::admission::ReviewBody(std::string_view(buffer).substr(0, text.rfind('}')), true));
  REQUIRE_FALSE(cut);
  CHECK_THAT(cut.error().message, Catch::Contains("not valid JSON"));
}

TEST_CASE("Kinds the engine does not judge are kept as OtherObject, undecoded", "[admission][review]") {
  std::string body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",
    "kind":{"group":"apps","version":"v1","kind":"DaemonSet"},"operation":"CREATE",
    "object":{"spec":"anything goes here"}}})";
  auto request = decode_review(body);
  REQUIRE(request);
  REQUIRE(request->object);
  const auto* other = std::get_if<OtherObject>(&*request->object);
  REQUIRE(other != nullptr);
  CHECK(other->kind == "DaemonSet");
  CHECK(other->api_version == "apps/v1");
}

TEST_CASE("Bodies that are not an AdmissionReview v1 are rejected with a reason", "[admission][review]") {
  auto error_of = [](std::string_view body) {
    auto r = decode_review(body);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK_THAT(error_of(""), Catch::Contains("empty body"));
  CHECK_THAT(error_of("not json"), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of("{\"kind\": \"AdmissionReview\""), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of("[1,2]"), Catch::Contains("expected a JSON object"));
  CHECK_THAT(error_of(R"({"apiVersion":"v1","kind":"ConfigMap"})"), Catch::Contains("not an AdmissionReview"));
  CHECK_THAT(error_of(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}})"),
             Catch::Contains("only admission.k8s.io/v1"));
  CHECK_THAT(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
             Catch::Contains("no request"));
  CHECK_THAT(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}})"),
             Catch::Contains("no uid"));
  CHECK_THAT(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}})"),
             Catch::Contains("request.uid must be a string"));
  CHECK_THAT(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","dryRun":"yes"}})"),
             Catch::Contains("dryRun must be a boolean"));
}

TEST_CASE("Invalid UTF-8 and out-of-range numbers are rejected, not crashed on", "[admission][review]") {
  std::string bad_utf8 = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u)" +
                         std::string("\xff\xfe") + R"("}})";
  auto r = decode_review(bad_utf8);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "body is not valid UTF-8");
  std::string huge = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","n":123456789012345678901234567890}})";
  auto h = decode_review(huge);
  REQUIRE_FALSE(h);
  CHECK_THAT(h.error().message, Catch::Contains("not valid JSON"));
}

TEST_CASE("An object of the wrong shape is reported in-band, with the uid kept", "[admission][review]") {
  std::string body = replace_once(read_fixture("fd-valid.json"), "\"flinkConfiguration\": {",
                                  "\"flinkConfiguration\": \"taskmanager.memory.process.size: 1g\", \"x\": {");
  auto request = decode_review(body);
  REQUIRE(request);
  CHECK(request->uid == "uid-fd-valid");
  CHECK_FALSE(request->object);
  REQUIRE(request->object_error);
  CHECK(*request->object_error == "request.object: spec.flinkConfiguration: expected an object, got a string");
}
