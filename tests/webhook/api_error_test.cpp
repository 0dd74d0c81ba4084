// API failure mapping: each HTTP status becomes the error code and message the caller acts on.
#include <catch2/catch.hpp>

#include "webhook/kube/api_error.h"

using namespace memguard;
using namespace memguard::kube;

TEST_CASE("A Status object is decoded and anything else is not taken for one", "[kube][errors]") {
  auto s = parse_status(R"J({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410})J");
  REQUIRE(s);
  CHECK(s->code == 410);
  CHECK(s->reason == "Expired");
  CHECK(s->message == "too old resource version: 1 (2)");
  CHECK_FALSE(parse_status(R"({"kind":"ConfigMap","metadata":{"name":"x"}})"));
  CHECK_FALSE(parse_status("<html>502 Bad Gateway</html>"));
  CHECK_FALSE(parse_status(""));
}

TEST_CASE("HTTP failures map to error codes that tell the caller what to do", "[kube][errors]") {
  RequestDescription get{"get", kConfigMaps, "flink", "flink-config"};
  RequestDescription list_all{"list", kFlinkDeployments, "", ""};
  CHECK(status_error(401, "", get).code == kube::kUnauthenticated);
  CHECK(status_error(403, "", get).code == kube::kPermissionDenied);
  CHECK(status_error(404, "", get).code == ErrorCode::kNotFound);
  CHECK(status_error(410, "", get).code == kube::kGone);
  CHECK(status_error(504, "", get).code == ErrorCode::kTimeout);
  CHECK(status_error(429, "", get).code == ErrorCode::kUnavailable);
  CHECK(status_error(503, "", get).code == ErrorCode::kUnavailable);
  CHECK(status_error(422, "", get).code == ErrorCode::kInvalidArgument);

  SECTION("a cluster-wide 403 asks for a ClusterRole with the core group spelled as \"\"") {
    auto e = status_error(403, "", RequestDescription{"watch", kConfigMaps, "", ""});
    CHECK(e.message == "cannot watch configmaps in all namespaces: 403 Forbidden, RBAC does not allow it; grant a "
                       "ClusterRole (all namespaces) the rule {apiGroups: [\"\"], resources: [\"configmaps\"], verbs: [\"watch\"]}");
  }
  SECTION("a 404 on a collection points at the CRD") {
    CHECK_THAT(status_error(404, "", list_all).message, Catch::Contains("is its CustomResourceDefinition installed?"));
  }
  SECTION("a non-Status body is quoted, bounded") {
    std::string page(1000, 'x');
    auto e = status_error(502, page, get);
    CHECK_THAT(e.message, Catch::Contains("HTTP 502; the API server said: xxx"));
    CHECK(e.message.size() < 400);
  }
}
