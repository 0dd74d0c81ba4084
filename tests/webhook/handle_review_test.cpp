// The handler's wire contract: HTTP 400 for bodies that are not reviews, in-band errors with the
// uid for objects we cannot read, and what the server logs.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "review_support.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/handle_review.h"

using memguard::admission::Mode;
using namespace memguard::testing;

TEST_CASE("Bodies that are not AdmissionReviews get HTTP 400 with a plain reason", "[engine][handler]") {
  for (std::string body : {std::string(), std::string("garbage"), std::string("{\"kind\":\"AdmissionReview\"}"),
                           std::string("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{}}"),
                           std::string("{\"x\":\"\xc3\x28\"}")}) {
    CAPTURE(body);
    auto outcome = memguard::engine::handle_review(Mode::kValidate, body, memguard::engine::default_policy());
    CHECK(outcome.http_status == 400);
    CHECK(outcome.content_type.find("text/plain") == 0);
    CHECK_FALSE(outcome.error.empty());
    CHECK(outcome.body == outcome.error + "\n");
    CHECK(outcome.decision == memguard::admission::ReviewDecision::kErrored);
  }
}

TEST_CASE("An object of the wrong shape is an in-band 400 that keeps the uid", "[engine][handler]") {
  std::string base = read_fixture("fd-valid.json");
  struct Case { const char* from; const char* to; const char* expect; };
  for (auto c : {Case{"\"flinkConfiguration\": {", "\"flinkConfiguration\": \"x\", \"y\": {",
                      "spec.flinkConfiguration: expected an object, got a string"},
                 Case{"\"memory\": \"4096Mi\"", "\"memory\": [4096]",
                      "spec.taskManager.resource.memory: expected a string (the CRD's type), got an array"}}) {
    Answer a = review(Mode::kValidate, replace_once(base, c.from, c.to));
    CHECK(a.outcome.http_status == 200);
    CHECK(a.uid == "uid-fd-valid");
    CHECK_FALSE(a.allowed);
    CHECK(a.code == 400);
    CHECK_THAT(a.message, Catch::Contains(c.expect));
    CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kErrored);
  }
}

// README: "/mutate never denies". The API server runs its schema check between the mutating and
// the validating webhooks, so an object of the wrong shape is usually refused there in its words;
// one that gets past it is /validate's to deny.
TEST_CASE("/mutate lets an object of the wrong shape through unchanged and says why", "[engine][handler]") {
  std::string base = read_fixture("fd-valid.json");
  std::string body = replace_once(base, "\"flinkConfiguration\": {", "\"flinkConfiguration\": \"x\", \"y\": {");
  Answer a = review(Mode::kMutate, body);
  CHECK(a.outcome.http_status == 200);
  CHECK(a.uid == "uid-fd-valid");
  CHECK(a.allowed);
  CHECK(a.code == 0);
  CHECK(a.patch.empty());
  CHECK_FALSE(a.has_patch_type);
  REQUIRE(a.warnings.size() == 1);
  CHECK(a.warnings[0] == "request.object: spec.flinkConfiguration: expected an object, got a string (flink-memguard "
                         "cannot read this object, so /mutate changes nothing)");
  CHECK(a.audit["skipped"] == "object not readable: request.object: spec.flinkConfiguration: expected an object, got "
                              "a string");
  CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  CHECK(a.outcome.error.empty());
  // The same body on /validate is still the in-band 400.
  Answer v = review(Mode::kValidate, body);
  CHECK_FALSE(v.allowed);
  CHECK(v.code == 400);
}

TEST_CASE("Huge numbers in a memory field are rejected by the model, not crashed on", "[engine][handler]") {
  // As a string: the CRD types resource.memory as a string (a JSON number is an in-band 400).
  std::string body = replace_once(read_fixture("fd-valid.json"), "\"memory\": \"4096Mi\"", "\"memory\": \"9223372036854775807\"");
  Answer a = review(Mode::kValidate, body);
  CHECK(a.outcome.http_status == 200);
  CHECK_FALSE(a.allowed);
  CHECK(a.code == 403);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"memory-config-rejected"});
  std::string big = replace_once(read_fixture("fd-valid.json"), "\"memory\": \"4096Mi\"", "\"memory\": \"99999999999999999999Ti\"");
  Answer b = review(Mode::kValidate, big);
  CHECK_FALSE(b.allowed);
  CHECK(b.code == 403);
}

TEST_CASE("Unknown kinds are allowed untouched and recorded as skipped", "[engine][handler]") {
  std::string body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-pod",
    "kind":{"group":"","version":"v1","kind":"Service"},"namespace":"x","name":"p","operation":"CREATE","object":{"spec":{}}}})";
  Answer a = review(Mode::kMutate, body);
  CHECK(a.allowed);
  CHECK(a.uid == "u-pod");
  CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  CHECK(a.outcome.kind == "Service");
  CHECK(a.outcome.body == R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-pod","allowed":true}})");
}

TEST_CASE("The outcome carries what the server logs", "[engine][handler]") {
  Answer a = review(Mode::kValidate, read_fixture("cm-process-exceeds-limit.json"));
  CHECK(a.outcome.uid == "uid-cm-exceeds");
  CHECK(a.outcome.kind == "ConfigMap");
  CHECK(a.outcome.namespace_ == "flink");
  CHECK(a.outcome.name == "flink-config");
  CHECK(a.outcome.operation == "CREATE");
  CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kDenied);
  // No state backend configured: a note, not heap-backend-managed-memory.
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"process-exceeds-limit"});
}

namespace {
// A counterpart source that breaks its contract by throwing, as a bug in a lookup would.
class ThrowingCounterparts final : public memguard::engine::Counterparts {
 public:
  explicit ThrowingCounterparts(bool standard) : standard_(standard) {}
  memguard::engine::ConfigMapAnswer configmap(std::string_view, std::string_view) const override { fail(); }
  memguard::engine::WorkloadsAnswer workloads_mounting(std::string_view, std::string_view) const override { fail(); }

 private:
  [[noreturn]] void fail() const {
    if (standard_) throw std::runtime_error("lookup table corrupted");
    throw 42;
  }
  bool standard_;
};
}  // namespace

TEST_CASE("An exception inside the engine becomes an in-band 500 with the uid, not a crash", "[engine][handler]") {
  const std::string body = read_fixture("cm-process-exceeds-limit.json");  // a ConfigMap: workloads are looked up
  for (Mode mode : {Mode::kValidate, Mode::kMutate}) {
    ThrowingCounterparts standard(true);
    auto outcome = memguard::engine::handle_review(mode, body, memguard::engine::default_policy(), &standard);
    CHECK(outcome.http_status == 200);  // in band: the API server reads the code from the review
    CHECK(outcome.decision == memguard::admission::ReviewDecision::kErrored);
    CHECK_THAT(outcome.error, Catch::Contains("flink-memguard internal error: lookup table corrupted"));
    CHECK_THAT(outcome.body, Catch::Contains(R"("uid":"uid-cm-exceeds","allowed":false)") &&
                                 Catch::Contains(R"("code":500)"));
    ThrowingCounterparts other(false);
    auto unknown = memguard::engine::handle_review(mode, body, memguard::engine::default_policy(), &other);
    CHECK(unknown.decision == memguard::admission::ReviewDecision::kErrored);
    CHECK(unknown.error == "flink-memguard internal error");
    CHECK_THAT(unknown.body, Catch::Contains(R"("code":500)"));
  }
}
