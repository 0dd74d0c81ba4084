// Issue 12, cost and memory: the reviews that cost seconds or a gigabyte on main, each at or near the
// server's 3 MiB body limit, answered in time linear in the body with the documented answer (README:
// Limits). Time bounds are >= 50x the cost measured in bench (bench/RESULTS.md, hostile input), so
// the shared machine cannot fail them; the figures themselves are the benchmark's.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "review_support.h"

using memguard::admission::Mode;
using namespace memguard::testing;

namespace {

constexpr size_t kBodyLimit = 3 * 1024 * 1024;

// The request's kind is what the engine dispatches on: its group and version come from apiVersion.
std::string review_of(const std::string& kind, const std::string& api_version, const std::string& object) {
  size_t slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-hostile",)"
         R"("kind":{"group":")" + group + R"(","version":")" + version + R"(","kind":")" + kind +
         R"("},"operation":"CREATE","namespace":"hostile",)"
         R"("object":{"apiVersion":")" + api_version + R"(","kind":")" + kind +
         R"(","metadata":{"name":"hostile","namespace":"hostile"},)" + object + "}}}";
}

std::string flinkdeployment(const std::string& configuration, const std::string& tm_memory = "2048Mi") {
  return review_of("FlinkDeployment", "flink.apache.org/v1beta1",
                   R"("spec":{"flinkVersion":"v1_20","flinkConfiguration":{)" + configuration +
                       R"(},"jobManager":{"resource":{"memory":"2048Mi","cpu":1}},)"
                       R"("taskManager":{"resource":{"memory":")" + tm_memory + R"(","cpu":1}}})");
}

std::string configmap(const std::string& file, const std::string& escaped_text) {
  return review_of("ConfigMap", "v1", R"("data":{")" + file + R"(":")" + escaped_text + R"("})");
}

template <typename F>
Answer timed(const std::string& body, std::chrono::milliseconds bound, F&& check) {
  REQUIRE(body.size() <= kBodyLimit);
  auto start = std::chrono::steady_clock::now();
  Answer a = review(Mode::kValidate, body);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < bound);
  REQUIRE(a.outcome.http_status == 200);
  CHECK(a.uid == "uid-hostile");
  check(a);
  return a;
}

}  // namespace

TEST_CASE("external-resources with 300,000 names: one fix search, linear per derivation", "[engine][limits]") {
  // 7.3 s for 30,000 names on main (the fix search derived ~35 times, each de-duplicating in O(n^2)).
  std::string names;
  for (int i = 0; i < 300'000; ++i) names += "r" + std::to_string(i) + ";";
  std::string body = flinkdeployment(R"("external-resources":")" + names + R"(","external-resource.r0.amount":"1")",
                                     "100Mi");
  timed(body, std::chrono::seconds(20), [](const Answer& a) {  // ~200 ms
    CHECK_FALSE(a.allowed);
    CHECK_THAT(a.message, Catch::Contains("TaskManager: Flink rejects this memory configuration"));
    CHECK_THAT(a.message, Catch::Contains("Fix: set spec.taskManager.resource.memory to at least"));
  });
}

TEST_CASE("flinkConfiguration keys in descending order: 10,000 judged, more denied naming the cap", "[engine][limits]") {
  auto keys = [](int count) {
    std::string out;
    for (int i = count; i >= 1; --i) out += R"("k)" + std::to_string(1'000'000 + i) + R"(":"v",)";
    return out + R"("taskmanager.numberOfTaskSlots":"2")";
  };
  timed(flinkdeployment(keys(9'999)), std::chrono::seconds(5), [](const Answer& a) {  // ~40 ms
    CHECK(a.allowed);
  });
  // 3 MiB of keys (about 140,000): the cap stops decoding, and a FlinkDeployment is denied (failurePolicy Fail).
  std::string many = keys(140'000);
  timed(flinkdeployment(many), std::chrono::seconds(5), [](const Answer& a) {  // ~60 ms
    CHECK_FALSE(a.allowed);
    CHECK(a.code == 400);
    CHECK_THAT(a.message, Catch::Contains("spec.flinkConfiguration: more than 10000 options after flattening, above the "
                                          "limit; flink-memguard does not judge configurations this large (README: Limits)"));
  });
}

TEST_CASE("nested flinkConfiguration keys cannot amplify a small body into gigabytes", "[engine][limits]") {
  // 150 KB raised RSS to ~1 GB on main: a 64 KiB prefix copied into every leaf, several times.
  std::string prefix(16 * 1024, 'p');
  std::string leaves;
  for (int i = 0; i < 100'000; ++i) leaves += R"("l)" + std::to_string(i) + R"(":1,)";
  leaves += R"("last":1)";
  std::string deep = "\"" + prefix + "\":{\"" + prefix + "\":{\"" + prefix + "\":{\"" + prefix + "\":{" + leaves + "}}}}";
  timed(flinkdeployment(deep), std::chrono::seconds(5), [](const Answer& a) {  // < 10 ms
    CHECK_FALSE(a.allowed);
    CHECK_THAT(a.message, Catch::Contains("a key flattens to"));
    CHECK_THAT(a.message, Catch::Contains("above the limit of 4096 bytes per option key"));
  });
  // Short enough keys, but each leaf still copies a 4 KiB prefix: the byte budget stops it.
  std::string wide = "\"" + std::string(4000, 'p') + "\":{" + leaves + "}";
  timed(flinkdeployment(wide), std::chrono::seconds(5), [](const Answer& a) {  // < 10 ms
    CHECK_FALSE(a.allowed);
    CHECK_THAT(a.message, Catch::Contains("keys and values flatten to more than 4 MiB, above the limit"));
  });
}

TEST_CASE("ConfigMaps past a cap are allowed with a warning that they were not judged", "[engine][limits]") {
  SECTION("flink-conf.yaml of 3 MiB in descending order") {
    std::string text = "taskmanager.memory.process.size: 2048m\\n";
    while (text.size() < kBodyLimit - 4096) text += "k" + std::to_string(9'000'000 - text.size()) + ": v\\n";
    timed(configmap("flink-conf.yaml", text), std::chrono::seconds(5), [](const Answer& a) {  // ~60 ms
      CHECK(a.allowed);
      CHECK(any_contains(a.warnings, "data.flink-conf.yaml: not judged: the file sets more than 10000 options, above "
                                     "the limit; flink-memguard does not judge configurations this large (README: "
                                     "Limits); allowed without checking"));
    });
  }
  SECTION("flink-conf.yaml of a million skipped lines") {
    std::string text = "taskmanager.memory.process.size: 2048m\\n";
    for (int i = 0; i < 1'000'000; ++i) text += "x\\n";
    timed(configmap("flink-conf.yaml", text), std::chrono::seconds(5), [](const Answer& a) {  // ~40 ms
      CHECK(a.allowed);
      CHECK(any_contains(a.warnings, "data.flink-conf.yaml: 999997 more line(s) are not 'key: value' and are skipped by Flink"));
    });
  }
  SECTION("config.yaml with a million list items") {
    std::string text = "taskmanager.memory.process.size: 2048m\\nlist: [";
    for (int i = 0; i < 1'000'000; ++i) text += "a,";
    text += "a]\\n";
    timed(configmap("config.yaml", text), std::chrono::seconds(10), [](const Answer& a) {  // ~40 ms
      CHECK(a.allowed);
      CHECK(any_contains(a.warnings, "data.config.yaml: not judged: config.yaml: more than 30000 YAML nodes"));
    });
  }
  SECTION("config.yaml repeating an alias of a 1 MiB scalar") {
    std::string text = "taskmanager.memory.process.size: 2048m\\nlong: &x " + std::string(1 << 20, 's') + "\\nlist: [";
    for (int i = 0; i < 20'000; ++i) text += "*x,";
    text += "*x]\\n";
    timed(configmap("config.yaml", text), std::chrono::seconds(20), [](const Answer& a) {  // ~350 ms
      CHECK(a.allowed);
      CHECK(any_contains(a.warnings, "data.config.yaml: not judged: config.yaml: more than 4 MiB of scalar text"));
    });
  }
}

TEST_CASE("a workload's volumeMounts and volumes are matched by hashing", "[engine][limits]") {
  // 20,000 x 20,000 took 0.9 s on main; 40,000 x 40,000 fit in 3 MiB.
  std::string mounts, volumes;
  for (int i = 0; i < 40'000; ++i) {
    mounts += R"({"name":"m)" + std::to_string(i) + R"(","mountPath":"/x"},)";
    volumes += R"({"name":"v)" + std::to_string(i) + R"(","configMap":{"name":"c"}},)";
  }
  mounts += R"({"name":"v39999","mountPath":"/opt/flink/conf"})";
  volumes += R"({"name":"last","configMap":{"name":"c"}})";
  std::string body = review_of("Deployment", "apps/v1",
                               R"("spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"taskmanager",)"
                               R"("image":"flink:1.20","args":["taskmanager"],"volumeMounts":[)" + mounts +
                                   R"(]}],"volumes":[)" + volumes + "]}}}");
  timed(body, std::chrono::seconds(10), [](const Answer& a) {  // ~90 ms
    CHECK(a.allowed);
    // The last mount found its volume: the container is judged (here without API access).
    CHECK(any_contains(a.warnings, "container taskmanager: ConfigMap c not checked: no Kubernetes API access configured"));
  });
}
