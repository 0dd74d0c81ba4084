// REST paths for the kinds flink-memguard reads.
#include <catch2/catch.hpp>

#include "webhook/kube/resource.h"

using namespace memguard::kube;

TEST_CASE("Core kinds live under /api and grouped kinds under /apis/{group}", "[kube][resource]") {
  CHECK(collection_path(kConfigMaps, "flink") == "/api/v1/namespaces/flink/configmaps");
  CHECK(collection_path(kPods, "") == "/api/v1/pods");
  CHECK(object_path(kDeployments, "flink", "tm") == "/apis/apps/v1/namespaces/flink/deployments/tm");
  CHECK(object_path(kStatefulSets, "flink", "jm") == "/apis/apps/v1/namespaces/flink/statefulsets/jm");
  CHECK(collection_path(kJobs, "batch") == "/apis/batch/v1/namespaces/batch/jobs");
  CHECK(collection_path(kFlinkDeployments, "") == "/apis/flink.apache.org/v1beta1/flinkdeployments");
  CHECK(kFlinkDeployments.qualified_name() == "flinkdeployments.flink.apache.org");
  CHECK(kConfigMaps.qualified_name() == "configmaps");
}

TEST_CASE("Path segments and query values are percent-encoded", "[kube][resource]") {
  CHECK(url_encode("app=flink,tier in (a,b)") == "app%3Dflink%2Ctier%20in%20%28a%2Cb%29");
  CHECK(object_path(kConfigMaps, "ns", "a/b") == "/api/v1/namespaces/ns/configmaps/a%2Fb");
  CHECK(url_encode("safe-._~09AZaz") == "safe-._~09AZaz");
}
