// Response encoding: the envelope the API server insists on, status codes, patchType iff patch, and
// warnings kept inside the API server's budget.
#include <catch2/catch.hpp>

#include "review_support.h"
#include "webhook/admission/response.h"

using memguard::admission::AdmissionResponse;
using memguard::admission::PatchOperation;
using memguard::testing::Json;

TEST_CASE("An allowed response echoes the uid and the v1 envelope and nothing else", "[admission][response]") {
  CHECK(AdmissionResponse::allowed().complete("u-1") ==
        R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":true}})");
}

TEST_CASE("A denial carries code 403, reason Forbidden and the message", "[admission][response]") {
  Json root = Json::parse(AdmissionResponse::denied("too big").complete("u-2"));
  Json& r = *root.member("response");
  CHECK(std::get<bool>(r.member("allowed")->value) == false);
  CHECK(std::get<int64_t>(r.member("status")->member("code")->value) == 403);
  CHECK(r.member("status")->member("reason")->str() == "Forbidden");
  CHECK(r.member("status")->member("message")->str() == "too big");
  CHECK(r.member("patch") == nullptr);
}

TEST_CASE("Errors carry their code in the status: 400 bad request, 500 internal", "[admission][response]") {
  Json bad = Json::parse(AdmissionResponse::errored(400, "spec: expected an object").complete("u"));
  CHECK(std::get<int64_t>(bad.member("response")->member("status")->member("code")->value) == 400);
  CHECK(bad.member("response")->member("status")->member("reason")->str() == "BadRequest");
  Json internal = Json::parse(AdmissionResponse::errored(500, "boom").complete("u"));
  CHECK(internal.member("response")->member("status")->member("reason")->str() == "InternalError");
}

TEST_CASE("patch and patchType appear together, only with operations", "[admission][response]") {
  auto with = Json::parse(AdmissionResponse::patched({PatchOperation::replace_string({"spec", "x"}, "1")}).complete("u"));
  CHECK(with.member("response")->member("patchType")->str() == "JSONPatch");
  CHECK(memguard::testing::base64_decode(with.member("response")->member("patch")->str()) ==
        R"([{"op":"replace","path":"/spec/x","value":"1"}])");
  auto without = Json::parse(AdmissionResponse::patched({}).complete("u"));
  CHECK(without.member("response")->member("patchType") == nullptr);
  CHECK(without.member("response")->member("patch") == nullptr);
}

TEST_CASE("Warnings are cut to 256 bytes at a character boundary and to a 4 KiB total", "[admission][response]") {
  std::string long_warning = std::string(250, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";  // 258 bytes
  auto limited = memguard::admission::limit_warnings({long_warning});
  REQUIRE(limited.size() == 1);
  CHECK(limited[0].size() <= 256);
  CHECK(limited[0].substr(limited[0].size() - 3) == "...");
  // The cut never splits a two-byte character.
  size_t before_dots = limited[0].size() - 3;
  CHECK((static_cast<unsigned char>(limited[0][before_dots - 1]) & 0xC0) != 0xC0);

  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back(std::to_string(i) + std::string(200, 'w'));
  auto kept = memguard::admission::limit_warnings(many);
  size_t total = 0;
  for (const auto& w : kept) total += w.size();
  CHECK(total <= memguard::admission::kMaxWarningsTotal);
  CHECK_THAT(kept.back(), Catch::Contains("more warning(s) left out"));
  CHECK(kept.size() < many.size());
}

TEST_CASE("Duplicate warnings are sent once", "[admission][response]") {
  auto kept = memguard::admission::limit_warnings({"same", "same", "other"});
  CHECK(kept == std::vector<std::string>{"same", "other"});
}

TEST_CASE("Audit annotations are written as a map", "[admission][response]") {
  auto r = AdmissionResponse::allowed();
  r.with_audit_annotation("findings", "a,b").with_warnings({"w"});
  Json root = Json::parse(r.complete("u"));
  CHECK(root.member("response")->member("auditAnnotations")->member("findings")->str() == "a,b");
  CHECK(std::get<Json::Array>(root.member("response")->member("warnings")->value).size() == 1);
}
