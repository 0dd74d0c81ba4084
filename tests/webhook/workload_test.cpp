// Standalone workloads: Flink role detection, the configuration a container sees (ConfigMap file,
// FLINK_PROPERTIES, -D arguments), and decisions in both directions with fake counterparts.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <string>

#include "webhook/admission/objects.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/decide.h"
#include "webhook/engine/workload.h"

namespace {

using memguard::admission::ConfigMapObject;
using memguard::admission::KubeObject;
using memguard::admission::WorkloadObject;
using memguard::engine::Decision;
using memguard::memmodel::Role;
namespace engine = memguard::engine;
namespace admission = memguard::admission;

KubeObject decode(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  // data() and size(), not the string: given a std::string with spare capacity, simdjson reads
  // that capacity as its padding in place, uninitialised bytes that valgrind rightly reports.
  REQUIRE(parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS);
  auto decoded = admission::decode_object(root);
  REQUIRE(decoded.has_value());
  return *decoded;
}

// A ConfigMap named flink-config with `file` holding `body`.
std::string configmap_json(const std::string& body, const std::string& file = "config.yaml",
                           const std::string& name = "flink-config") {
  std::string escaped;
  for (char c : body) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":"flink"},"data":{")" + file + R"(":")" + escaped + R"("}})";
}

const std::string kSessionConfig =
    "jobmanager.rpc.address: flink-jobmanager\njobmanager.memory.process.size: 1600m\n"
    "taskmanager.memory.process.size: 1728m\ntaskmanager.numberOfTaskSlots: 2\n";

// A container spec (JSON members) mounting flink-config at /opt/flink/conf.
std::string container(const std::string& name, const std::string& extra) {
  return R"({"name":")" + name + R"(","image":"apache/flink:1.20.1-scala_2.12",)" + extra +
         R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/opt/flink/conf"}]})";
}

const std::string kVolumes = R"("volumes":[{"name":"flink-config-volume","configMap":{"name":"flink-config"}}])";

std::string pod_spec(const std::string& containers) {
  return R"({"containers":[)" + containers + "]," + kVolumes + "}";
}

std::string workload_json(const std::string& kind, const std::string& containers,
                          const std::string& labels = R"({"app":"flink"})") {
  std::string api = kind == "Job" ? "batch/v1" : kind == "Pod" ? "v1" : "apps/v1";
  std::string head = R"({"apiVersion":")" + api + R"(","kind":")" + kind +
                     R"(","metadata":{"name":"flink-)" + kind + R"(","namespace":"flink")";
  if (kind == "Pod") return head + R"(,"labels":)" + labels + R"(},"spec":)" + pod_spec(containers) + "}";
  return head + R"(},"spec":{"template":{"metadata":{"labels":)" + labels + R"(},"spec":)" + pod_spec(containers) + "}}}";
}

std::string limits(const std::string& limit, const std::string& request = "") {
  std::string out = R"("resources":{)";
  if (!request.empty()) out += R"("requests":{"memory":")" + request + R"("})" + (limit.empty() ? "" : ",");
  if (!limit.empty()) out += R"("limits":{"memory":")" + limit + R"("})";
  return out + "},";
}

Decision decide_create(const KubeObject& object, const engine::Counterparts* counterparts) {
  admission::AdmissionRequest request;
  request.uid = "test";
  request.operation = "CREATE";
  request.namespace_ = "flink";
  request.object = object;
  return engine::decide(request, admission::Mode::kValidate, engine::default_policy(), counterparts);
}

bool has(const Decision& d, const std::string& code) {
  return std::find(d.finding_codes.begin(), d.finding_codes.end(), code) != d.finding_codes.end();
}

bool any_warning_contains(const Decision& d, const std::string& text) {
  return std::any_of(d.warnings.begin(), d.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

// A counterpart source that never answers in time (the API is slow or forbidden).
class UnknownCounterparts final : public engine::Counterparts {
 public:
  engine::ConfigMapAnswer configmap(std::string_view, std::string_view) const override {
    engine::ConfigMapAnswer a;
    a.state = engine::ConfigMapAnswer::State::kUnknown;
    a.reason = "timed out after 300 ms";
    return a;
  }
  engine::WorkloadsAnswer workloads_mounting(std::string_view, std::string_view) const override {
    engine::WorkloadsAnswer a;
    a.reason = "deployments informer not synced";
    return a;
  }
};

engine::StaticCounterparts with(const std::vector<std::string>& jsons) {
  engine::StaticCounterparts c;
  for (const auto& j : jsons) c.add(decode(j), "default");
  return c;
}

}  // namespace

TEST_CASE("each workload kind running a TaskManager over its limit is denied", "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  auto kind = GENERATE(as<std::string>{}, "Deployment", "StatefulSet", "Job", "Pod");
  CAPTURE(kind);
  auto object = decode(workload_json(kind, container("taskmanager", R"("args":["taskmanager"],)" + limits("1536Mi"))));
  REQUIRE(std::holds_alternative<WorkloadObject>(object));
  CHECK(std::get<WorkloadObject>(object).kind == kind);
  Decision d = decide_create(object, &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK(has(d, "process-exceeds-limit"));
  CHECK_THAT(d.message,
             Catch::Contains("container taskmanager: TaskManager: total process memory exceeds the container memory "
                             "limit 1536 MiB (resources.limits.memory: 1536Mi of container taskmanager)"));
  CHECK_THAT(d.message, Catch::Contains("total process 1728 MiB"));
  CHECK_THAT(d.message, Catch::Contains("raise the container memory limit to at least 1728Mi"));
}

TEST_CASE("a workload whose limit holds the process is allowed, and warnings name missing limits and low requests",
          "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  SECTION("limit equal to the process size") {
    Decision d = decide_create(
        decode(workload_json("Deployment", container("jobmanager", R"("args":["jobmanager"],)" + limits("1600Mi", "1600Mi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(d.finding_codes.empty());
  }
  SECTION("no limit at all (the documentation's manifests)") {
    Decision d = decide_create(decode(workload_json("Deployment", container("jobmanager", R"("args":["jobmanager"],)"))),
                               &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(has(d, "workload-no-memory-limit"));
    CHECK(any_warning_contains(d, "set resources.limits.memory to at least 1600Mi"));
  }
  SECTION("request below the process size") {
    Decision d = decide_create(
        decode(workload_json("Deployment", container("jobmanager", R"("args":["jobmanager"],)" + limits("2Gi", "1Gi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(has(d, "memory-request-below-process"));
    CHECK_FALSE(has(d, "process-exceeds-limit"));
  }
  SECTION("request and limit both below the process size: both reported at once") {
    Decision d = decide_create(
        decode(workload_json("Deployment", container("jobmanager", R"("args":["jobmanager"],)" + limits("1Gi", "1Gi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kDenied);
    CHECK(has(d, "process-exceeds-limit"));
    CHECK(has(d, "memory-request-below-process"));
    CHECK(any_warning_contains(d, "set resources.requests.memory to 1600Mi"));
  }
}

TEST_CASE("the Flink role comes from the arguments, then the container name, then the component label",
          "[engine][workload]") {
  WorkloadObject w;
  admission::ContainerSpec c;
  SECTION("entrypoint argument") {
    c.args = {"standalone-job", "--job-classname", "com.example.Job"};
    auto role = engine::detect_role(c, w);
    REQUIRE(role);
    CHECK(role->first == Role::kJobManager);
    CHECK(role->second == "args");
  }
  SECTION("a start script in a shell line (native Kubernetes TaskManager pods)") {
    c.name = "flink-main-container";
    c.args = {"bash", "-c", "kubernetes-taskmanager.sh -Dtaskmanager.memory.process.size=2048m"};
    auto role = engine::detect_role(c, w);
    REQUIRE(role);
    CHECK(role->first == Role::kTaskManager);
  }
  SECTION("role words inside -D values are not roles") {
    c.name = "flink";
    c.args = {"-Djobmanager.rpc.address=flink-jobmanager"};
    CHECK_FALSE(engine::detect_role(c, w).has_value());
  }
  SECTION("container name") {
    c.name = "flink-taskmanager";
    auto role = engine::detect_role(c, w);
    REQUIRE(role);
    CHECK(role->first == Role::kTaskManager);
    CHECK(role->second == "container name");
  }
  SECTION("component label") {
    c.name = "main";
    w.pod_labels["component"] = "jobmanager";
    auto role = engine::detect_role(c, w);
    REQUIRE(role);
    CHECK(role->first == Role::kJobManager);
    CHECK(role->second == "label component");
  }
  SECTION("nothing says Flink") {
    c.name = "log-shipper";
    CHECK_FALSE(engine::detect_role(c, w).has_value());
  }
}

TEST_CASE("containers that do not mount a ConfigMap at the configuration directory are not judged",
          "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  // A sidecar in a TaskManager pod (label component=taskmanager) mounting nothing: skipped.
  std::string sidecar = R"({"name":"fluent-bit","image":"fluent/fluent-bit:3.0"})";
  std::string baked = R"({"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)" + limits("1Gi") +
                      R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/etc/other"}]})";
  auto object = decode(workload_json("Deployment", sidecar + "," + baked, R"({"component":"taskmanager"})"));
  CHECK(engine::flink_containers(std::get<WorkloadObject>(object)).empty());
  CHECK(decide_create(object, &counterparts).outcome == Decision::Outcome::kSkipped);

  SECTION("FLINK_CONF_DIR moves the directory") {
    std::string moved = R"({"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)" + limits("1Gi") +
                        R"("env":[{"name":"FLINK_CONF_DIR","value":"/etc/other/"}],)"
                        R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/etc/other"}]})";
    Decision d = decide_create(decode(workload_json("Deployment", moved)), &counterparts);
    CHECK(d.outcome == Decision::Outcome::kDenied);
  }
}

TEST_CASE("FLINK_PROPERTIES and -D arguments override the mounted file in the entrypoint's order",
          "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  SECTION("FLINK_PROPERTIES lines win over the file") {
    std::string env = R"("env":[{"name":"FLINK_PROPERTIES","value":"taskmanager.numberOfTaskSlots: 4\ntaskmanager.memory.process.size: 1g\n"}],)";
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + env + limits("1536Mi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);  // 1g fits 1536Mi
  }
  SECTION("-Dkey=value after the role word wins over FLINK_PROPERTIES") {
    std::string env = R"("env":[{"name":"FLINK_PROPERTIES","value":"taskmanager.memory.process.size: 1g"}],)";
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager","-Dtaskmanager.memory.process.size=2g"],)" +
                                                                        env + limits("1536Mi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kDenied);
    CHECK_THAT(d.message, Catch::Contains("-Dtaskmanager.memory.process.size in the args of container taskmanager"));
    CHECK_THAT(d.message, Catch::Contains("total process 2048 MiB"));
  }
  SECTION("the separate '-D key=value' spelling") {
    Decision d = decide_create(
        decode(workload_json("Job", container("jobmanager", R"("args":["standalone-job","--job-classname","x.Y","-D","jobmanager.memory.process.size=1g"],)" +
                                                                limits("1Gi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
  }
  SECTION("FLINK_PROPERTIES from a Secret cannot be read: judged without it, and said so") {
    std::string env = R"("env":[{"name":"FLINK_PROPERTIES","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],)";
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + env + limits("2Gi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "FLINK_PROPERTIES comes from valueFrom"));
  }
  SECTION("parse_flink_properties reads `key: value` lines and skips the rest") {
    auto props = engine::parse_flink_properties("a.b: 1\n# comment\n\n  c.d:  x y  \nnot a property\ne.f:\n");
    REQUIRE(props.size() == 3);
    CHECK(props[0] == std::pair<std::string, std::string>{"a.b", "1"});
    CHECK(props[1] == std::pair<std::string, std::string>{"c.d", "x y"});
    CHECK(props[2] == std::pair<std::string, std::string>{"e.f", ""});
  }
}

TEST_CASE("FLINK_TM_HEAP sizes Total Flink and FLINK_JM_HEAP the JobManager heap, as the 1.x start scripts do",
          "[engine][workload]") {
  // No size in the file: only the start scripts' legacy variable sizes the process.
  auto counterparts = with({configmap_json("jobmanager.rpc.address: flink-jobmanager\n")});
  auto judge = [&](const std::string& role, const std::string& heap, const std::string& image = "") {
    std::string c = container(role, R"("args":[")" + role + R"("],"env":[{"name":")" +
                                        (role == "taskmanager" ? "FLINK_TM_HEAP" : "FLINK_JM_HEAP") +
                                        R"(","value":")" + heap + R"("}],)" + limits("2Gi"));
    const std::string default_image = "apache/flink:1.20.1-scala_2.12";
    if (!image.empty()) c.replace(c.find(default_image), default_image.size(), image);
    return decide_create(decode(workload_json("Deployment", c)), &counterparts);
  };
  // 4 GiB of Total Flink cannot fit 2 GiB; 1 GiB (+ metaspace and overhead) does.
  Decision tm = judge("taskmanager", "4g");
  CHECK(tm.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(tm.message, Catch::Contains("TaskManager: total process memory exceeds the container memory limit 2048 MiB") &&
                             Catch::Contains("total Flink 4096 MiB"));
  CHECK(judge("taskmanager", "1g").outcome == Decision::Outcome::kAllowed);
  Decision jm = judge("jobmanager", "4g");
  CHECK(jm.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(jm.message, Catch::Contains("JobManager: total process memory exceeds") &&
                             Catch::Contains("JVM heap 4096 MiB"));
  CHECK(judge("jobmanager", "1g").outcome == Decision::Outcome::kAllowed);
  // The TaskManager does not read the JobManager's variable, and Flink 2 dropped both.
  Decision crossed = decide_create(
      decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],"env":[{"name":"FLINK_JM_HEAP","value":"4g"}],)" + limits("2Gi")))),
      &counterparts);
  CHECK_THAT(crossed.message, !Catch::Contains("total Flink 4096 MiB"));
  CHECK_THAT(judge("taskmanager", "4g", "flink:2.0.0-java17").message, !Catch::Contains("total Flink 4096 MiB"));
  CHECK_THAT(judge("jobmanager", "4g", "flink:2.0.0-java17").message, !Catch::Contains("JVM heap 4096 MiB"));
  // A variable defined twice: the last definition wins, as the kubelet builds the environment.
  auto twice = [&](const char* first, const char* last) {
    return decide_create(decode(workload_json("Deployment",
                                              container("taskmanager", std::string(R"("args":["taskmanager"],"env":[)") +
                                                                           R"({"name":"FLINK_TM_HEAP","value":")" + first + R"("},)" +
                                                                           R"({"name":"FLINK_TM_HEAP","value":")" + last + R"("}],)" +
                                                                           limits("2Gi")))),
                         &counterparts)
        .outcome;
  };
  CHECK(twice("4g", "1g") == Decision::Outcome::kAllowed);
  CHECK(twice("1g", "4g") == Decision::Outcome::kDenied);
}

TEST_CASE("the Flink version comes from the image tag and picks the config file", "[engine][workload]") {
  CHECK(engine::image_flink_version("apache/flink:1.20.1-scala_2.12")->to_string() == "1.20.1");
  CHECK(engine::image_flink_version("flink:2.0")->to_string() == "2.0");
  CHECK(engine::image_flink_version("registry.local:5000/flink:1.18-java11")->to_string() == "1.18");
  CHECK_FALSE(engine::image_flink_version("registry.local:5000/flink").has_value());
  CHECK_FALSE(engine::image_flink_version("flink:latest").has_value());

  // Flink 2.0 reads only config.yaml: a ConfigMap with only flink-conf.yaml fails at start.
  auto counterparts = with({configmap_json(kSessionConfig, "flink-conf.yaml")});
  std::string c2 = R"({"name":"taskmanager","image":"flink:2.0.0-java17","args":["taskmanager"],)" + limits("4Gi") +
                   R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/opt/flink/conf"}]})";
  Decision d = decide_create(decode(workload_json("Deployment", c2)), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK(has(d, "config-file-invalid"));
}

TEST_CASE("without a version in the image tag, the pod template's annotation names it, then the workload's",
          "[engine][workload]") {
  // Flink 2 reads only config.yaml, so a ConfigMap with only flink-conf.yaml shows which version was used.
  auto counterparts = with({configmap_json(kSessionConfig, "flink-conf.yaml")});
  auto judge = [&](const std::string& template_annotations, const std::string& workload_annotations) {
    std::string c = R"({"name":"taskmanager","image":"flink:latest","args":["taskmanager"],)" + limits("4Gi") +
                    R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/opt/flink/conf"}]})";
    std::string json = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"tm","namespace":"flink",)"
                       R"("annotations":{)" + workload_annotations + R"(}},"spec":{"template":{"metadata":{"annotations":{)" +
                       template_annotations + R"(}},"spec":)" + pod_spec(c) + "}}}";
    return decide_create(decode(json), &counterparts);
  };
  const std::string v2 = R"("flink-memguard.io/flink-version":"2.0")";
  const std::string v120 = R"("flink-memguard.io/flink-version":"1.20")";
  CHECK(judge("", "").outcome == Decision::Outcome::kAllowed);  // the default, 1.20, reads flink-conf.yaml
  Decision from_template = judge(v2, "");
  CHECK(from_template.outcome == Decision::Outcome::kDenied);
  CHECK(has(from_template, "config-file-invalid"));
  CHECK(has(judge("", v2), "config-file-invalid"));
  // The pod template is closer to the container than the workload: it wins.
  CHECK(judge(v120, v2).outcome == Decision::Outcome::kAllowed);
  CHECK(has(judge(v2, v120), "config-file-invalid"));
}

TEST_CASE("a subPath mount and items mapping select the file Flink reads", "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig, "flink-conf.yaml")});
  std::string c = R"({"name":"taskmanager","image":"flink:1.18","args":["taskmanager"],)" + limits("1Gi") +
                  R"("volumeMounts":[{"name":"cfg","mountPath":"/opt/flink/conf/flink-conf.yaml","subPath":"flink-conf.yaml"}]})";
  std::string json = R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"tm","namespace":"flink"},)"
                     R"("spec":{"template":{"spec":{"containers":[)" + c +
                     R"(],"volumes":[{"name":"cfg","configMap":{"name":"flink-config","items":[{"key":"flink-conf.yaml","path":"flink-conf.yaml"}]}}]}}}})";
  Decision d = decide_create(decode(json), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(d.message,
             Catch::Contains("taskmanager.memory.process.size in data.flink-conf.yaml of ConfigMap flink-config"));
}

TEST_CASE("a ConfigMap change is judged against the workloads that mount it", "[engine][workload]") {
  std::string tm = workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("2Gi")));
  auto counterparts = with({tm});
  SECTION("growing the process size past a workload's limit is denied, naming the workload") {
    Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n")), &counterparts);
    CHECK(d.outcome == Decision::Outcome::kDenied);
    CHECK_THAT(d.message,
               Catch::Contains("Deployment flink/flink-Deployment container taskmanager: TaskManager: total process memory "
                               "exceeds the container memory limit 2048 MiB"));
  }
  SECTION("a size that fits is allowed") {
    Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 2g\n")), &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
  }
  SECTION("workloads in other namespaces or mounting other ConfigMaps do not count") {
    Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n", "config.yaml", "other")),
                               &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
  }
  SECTION("without lookups the ConfigMap is judged on its own, as before") {
    Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n")), nullptr);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
  }
}

TEST_CASE("a ConfigMap change skips Pods a ReplicaSet, StatefulSet or Job controls, judging bare Pods",
          "[engine][workload]") {
  const std::string tm = container("taskmanager", R"("args":["taskmanager"],)" + limits("2Gi"));
  auto pod = [&](const std::string& name, const std::string& owners) {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
           R"(","namespace":"flink")" + owners + R"(},"spec":)" + pod_spec(tm) + "}";
  };
  auto owned_by = [](const std::string& kind, bool controller) {
    return R"(,"ownerReferences":[{"apiVersion":"apps/v1","kind":")" + kind + R"(","name":"owner","uid":"1","controller":)" +
           (controller ? "true" : "false") + "}]";
  };
  auto counterparts = with({pod("by-replicaset", owned_by("ReplicaSet", true)),
                            pod("by-statefulset", owned_by("StatefulSet", true)), pod("by-job", owned_by("Job", true)),
                            pod("bare", ""), pod("owned-not-controlled", owned_by("ReplicaSet", false))});
  Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n")), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  // Judged once through their controller, which a real cluster also holds: not again here.
  for (const char* skipped : {"Pod flink/by-replicaset", "Pod flink/by-statefulset", "Pod flink/by-job"}) {
    CAPTURE(skipped);
    CHECK_THAT(d.message, !Catch::Contains(skipped));
  }
  CHECK_THAT(d.message, Catch::Contains("Pod flink/bare container taskmanager: TaskManager: total process memory "
                                        "exceeds the container memory limit 2048 MiB"));
  CHECK_THAT(d.message, Catch::Contains("Pod flink/owned-not-controlled container taskmanager"));
}

TEST_CASE("when a counterpart cannot be looked up in time, admission falls back to allow with a warning",
          "[engine][workload]") {
  UnknownCounterparts unknown;
  SECTION("workload arriving, ConfigMap unknown") {
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1Mi")))),
        &unknown);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "ConfigMap flink-config could not be read (timed out after 300 ms); allowed without checking"));
  }
  SECTION("ConfigMap changing, workloads unknown") {
    Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n")), &unknown);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "could not be listed (deployments informer not synced)"));
  }
  SECTION("no lookups configured") {
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1Mi")))),
        nullptr);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "not checked"));
  }
  SECTION("the ConfigMap does not exist") {
    engine::StaticCounterparts none;
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1Mi")))),
        &none);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "was not found in namespace flink"));
  }
}

TEST_CASE("an UPDATE that leaves the pod spec unchanged is not denied", "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  auto object = decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1Gi"))));
  admission::AdmissionRequest request;
  request.uid = "u";
  request.operation = "UPDATE";
  request.namespace_ = "flink";
  request.object = object;
  request.memory_inputs_unchanged = true;  // what decode_review finds for an equal pod spec (objects_test)
  Decision d = engine::decide(request, admission::Mode::kValidate, engine::default_policy(), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kAllowed);
  CHECK(any_warning_contains(d, "not denied, unchanged by this update"));
}

TEST_CASE("at most 32 Flink containers of one workload are judged, the rest are named in a note", "[engine][workload][limits]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  std::string containers;
  for (int i = 0; i < 40; ++i) {
    if (i > 0) containers += ",";
    containers += container("taskmanager-" + std::to_string(i), R"("args":["taskmanager"],)" + limits("1536Mi"));
  }
  Decision d = decide_create(decode(workload_json("Deployment", containers)), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(d.message, Catch::Contains("container taskmanager-31: TaskManager"));
  CHECK_THAT(d.message, !Catch::Contains("container taskmanager-32: TaskManager"));
  CHECK(any_warning_contains(d, "8 more Flink container(s) not judged: flink-memguard judges at most 32 per review "
                                "(README: Limits); allowed without checking"));
}

TEST_CASE("a workload whose configuration is past the option limit is allowed, not judged", "[engine][workload][limits]") {
  SECTION("the mounted file") {
    std::string file = "taskmanager.memory.process.size: 1728m\n";
    for (int i = 10'000; i >= 0; --i) file += "k" + std::to_string(i) + ": v\n";
    auto counterparts = with({configmap_json(file, "flink-conf.yaml")});
    Decision d = decide_create(decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" +
                                                                                                limits("1536Mi")))),
                               &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "data.flink-conf.yaml: not judged: the file sets more than 10000 options"));
  }
  SECTION("FLINK_PROPERTIES on top of the file") {
    std::string properties;
    for (int i = 0; i < 10'000; ++i) properties += "p" + std::to_string(i) + ": v\\n";
    auto counterparts = with({configmap_json(kSessionConfig)});
    Decision d = decide_create(
        decode(workload_json("Deployment",
                             container("taskmanager", R"("args":["taskmanager"],"env":[{"name":"FLINK_PROPERTIES","value":")" +
                                                          properties + R"("}],)" + limits("1536Mi")))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(any_warning_contains(d, "container taskmanager: not judged: the file, FLINK_PROPERTIES and -D arguments set "
                                  "more than 10000 options"));
  }
}

TEST_CASE("every start script and entrypoint word names its role, in any directory and shell quoting",
          "[engine][workload]") {
  WorkloadObject w;
  struct Row {
    const char* word;
    Role role;
  };
  auto row = GENERATE(values<Row>({{"jobmanager.sh", Role::kJobManager},
                                   {"/opt/flink/bin/standalone-job.sh", Role::kJobManager},
                                   {"kubernetes-jobmanager.sh", Role::kJobManager},
                                   {"'jobmanager'", Role::kJobManager},
                                   {"\"/opt/flink/bin/taskmanager.sh\"", Role::kTaskManager},
                                   {"taskmanager.sh", Role::kTaskManager}}));
  CAPTURE(row.word);
  admission::ContainerSpec c;
  c.name = "main";
  c.command = {"/docker-entrypoint.sh"};
  c.args = {std::string("  ") + row.word + "  start-foreground "};
  auto role = engine::detect_role(c, w);
  REQUIRE(role);
  CHECK(role->first == row.role);
  CHECK(role->second == "args");
}

TEST_CASE("a name or quoting that says both roles or neither falls back to the component label", "[engine][workload]") {
  WorkloadObject w;
  admission::ContainerSpec c;
  c.name = "jobmanager-and-taskmanager";
  c.args = {"'", "\"taskmanager'"};  // a lone quote, and quotes that do not pair: no role word
  CHECK_FALSE(engine::detect_role(c, w).has_value());
  w.pod_labels["component"] = "taskmanager";
  auto role = engine::detect_role(c, w);
  REQUIRE(role);
  CHECK(role->first == Role::kTaskManager);
  CHECK(role->second == "label component");
  w.pod_labels["component"] = "history-server";
  CHECK_FALSE(engine::detect_role(c, w).has_value());
}

TEST_CASE("Dynamic properties (-D arguments) count after the role word, or anywhere when the name gives the role", "[engine][workload]") {
  auto containers_of = [](const std::string& c) {
    auto object = decode(workload_json("Deployment", c));
    return engine::flink_containers(std::get<WorkloadObject>(object));
  };
  using Properties = std::vector<std::pair<std::string, std::string>>;
  SECTION("before the role word they are the entrypoint's, not Flink's; malformed ones are skipped") {
    auto fcs = containers_of(container(
        "main", R"("args":["-Dbefore=1","taskmanager","-D","a=1","-Dno-value","-D=x","-D","-Db=2","-D"],)"));
    REQUIRE(fcs.size() == 1);
    CHECK(fcs[0].role_source == "args");
    // "-D" "-Db=2" reads "-Db=2" as the property text, whose key is "-Db".
    CHECK(fcs[0].dynamic_properties == Properties{{"a", "1"}, {"-Db", "2"}});
  }
  SECTION("a role from the container name reads every -D") {
    auto fcs = containers_of(container("flink-taskmanager", R"("args":["-Dtaskmanager.numberOfTaskSlots=4"],)"));
    REQUIRE(fcs.size() == 1);
    CHECK(fcs[0].role_source == "container name");
    CHECK(fcs[0].dynamic_properties == Properties{{"taskmanager.numberOfTaskSlots", "4"}});
  }
}

TEST_CASE("which ConfigMap key a container reads as its config file follows mounts, subPath and items",
          "[engine][workload]") {
  auto containers_of = [](const std::string& mounts, const std::string& volumes) {
    std::string c = R"({"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],"volumeMounts":)" + mounts + "}";
    std::string json = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"tm","namespace":"flink"},)"
                       R"("spec":{"template":{"spec":{"containers":[)" + c + R"(],"volumes":)" + volumes + "}}}}";
    return engine::flink_containers(std::get<WorkloadObject>(decode(json)));
  };
  const std::string two = R"([{"name":"a","configMap":{"name":"first"}},{"name":"b","configMap":{"name":"second"}},)"
                          R"({"name":"scratch","emptyDir":{}}])";
  SECTION("a mount of no ConfigMap volume and a subPath onto the directory itself are not config files") {
    auto fcs = containers_of(R"([{"name":"scratch","mountPath":"/opt/flink/conf"},)"
                             R"({"name":"a","mountPath":"/opt/flink/conf","subPath":"conf"}])", two);
    CHECK(fcs.empty());
  }
  SECTION("the first ConfigMap mounted decides; a second one's file is not read") {
    auto fcs = containers_of(R"([{"name":"a","mountPath":"/opt/flink/conf/config.yaml","subPath":"config.yaml"},)"
                             R"({"name":"b","mountPath":"/opt/flink/conf/flink-conf.yaml","subPath":"flink-conf.yaml"}])",
                             two);
    REQUIRE(fcs.size() == 1);
    CHECK(fcs[0].configmap == "first");
    CHECK(fcs[0].config_yaml_key == std::optional<std::string>("config.yaml"));
    CHECK_FALSE(fcs[0].flink_conf_yaml_key);
  }
  SECTION("items map keys onto file names, and unmapped files are absent") {
    auto fcs = containers_of(R"([{"name":"a","mountPath":"/opt/flink/conf/"}])",
                             R"([{"name":"a","configMap":{"name":"first","items":[{"key":"prod.yaml","path":"config.yaml"}]}}])");
    REQUIRE(fcs.size() == 1);
    CHECK(fcs[0].config_yaml_key == std::optional<std::string>("prod.yaml"));
    CHECK_FALSE(fcs[0].flink_conf_yaml_key);
  }
}

TEST_CASE("a ConfigMap key mounted under a Flink file name is judged only if it is one of Flink's own",
          "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig, "config.yaml")});
  auto judge = [&](const std::string& items) {
    std::string c = R"({"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)" + limits("1Gi") +
                    R"("volumeMounts":[{"name":"cfg","mountPath":"/opt/flink/conf"}]})";
    std::string json = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"tm","namespace":"flink"},)"
                       R"("spec":{"template":{"spec":{"containers":[)" + c +
                       R"(],"volumes":[{"name":"cfg","configMap":{"name":"flink-config","items":)" + items + "}}]}}}}";
    return decide_create(decode(json), &counterparts);
  };
  SECTION("config.yaml served as flink-conf.yaml is read as flink-conf.yaml") {
    Decision d = judge(R"([{"key":"config.yaml","path":"flink-conf.yaml"}])");
    CHECK(d.outcome == Decision::Outcome::kDenied);
    CHECK_THAT(d.message, Catch::Contains("taskmanager.memory.process.size in data.flink-conf.yaml of ConfigMap flink-config"));
  }
  SECTION("another key is not read, and the container is not judged") {
    Decision d = judge(R"([{"key":"prod.yaml","path":"config.yaml"}])");
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(d.finding_codes.empty());
    CHECK(any_warning_contains(d, "container taskmanager: ConfigMap key prod.yaml is mounted as a Flink config file; "
                                  "flink-memguard reads only the keys flink-conf.yaml and config.yaml, so it is judged "
                                  "without it"));
    CHECK(any_warning_contains(d, "container taskmanager: ConfigMap flink-config has no flink-conf.yaml or config.yaml at "
                                  "the configuration directory; not judged"));
  }
}

TEST_CASE("a container limit Kubernetes cannot read is judged as no limit, with a note", "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  for (const char* limit : {"0", "lots"}) {
    CAPTURE(limit);
    Decision d = decide_create(
        decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits(limit)))),
        &counterparts);
    CHECK(d.outcome == Decision::Outcome::kAllowed);
    CHECK(has(d, "workload-no-memory-limit"));
    CHECK(any_warning_contains(d, std::string("container taskmanager: resources.limits.memory '") + limit +
                                      "' is not a positive Kubernetes quantity; judged as if there were no limit"));
  }
}

TEST_CASE("environment variables: the last definition wins, an empty FLINK_CONF_DIR or heap variable is unset",
          "[engine][workload]") {
  auto counterparts = with({configmap_json("jobmanager.rpc.address: flink-jobmanager\n")});
  auto judge = [&](const std::string& env) {
    return decide_create(decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],"env":)" +
                                                                                         env + "," + limits("2Gi")))),
                         &counterparts);
  };
  // FLINK_CONF_DIR empty: the default directory, where the ConfigMap is mounted.
  CHECK(judge(R"([{"name":"FLINK_CONF_DIR","value":""},{"name":"FLINK_TM_HEAP","value":"4g"}])").outcome ==
        Decision::Outcome::kDenied);
  // An empty heap variable sizes nothing: Flink's "configure a size" rejection.
  Decision empty = judge(R"([{"name":"FLINK_TM_HEAP","value":""}])");
  CHECK(has(empty, "memory-config-rejected"));
  // FLINK_PROPERTIES from a Secret, then given a value: the value is read.
  Decision redefined = judge(R"([{"name":"FLINK_PROPERTIES","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}},)"
                             R"({"name":"FLINK_PROPERTIES","value":"taskmanager.memory.process.size: 4g"}])");
  CHECK(redefined.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(redefined.message, Catch::Contains("taskmanager.memory.process.size in FLINK_PROPERTIES of container taskmanager"));
  CHECK_FALSE(any_warning_contains(redefined, "valueFrom"));
  // A value, then valueFrom: the Secret wins and cannot be read.
  Decision secret = judge(R"([{"name":"FLINK_PROPERTIES","value":"taskmanager.memory.process.size: 4g"},)"
                          R"({"name":"FLINK_PROPERTIES","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}])");
  CHECK(any_warning_contains(secret, "FLINK_PROPERTIES comes from valueFrom"));
}

TEST_CASE("a workload is judged only against a ConfigMap that holds a Flink configuration", "[engine][workload]") {
  auto counterparts = with({R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink"},)"
                            R"("data":{"log4j-console.properties":"rootLogger.level = INFO"}})"});
  Decision d = decide_create(
      decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1Mi")))),
      &counterparts);
  CHECK(d.outcome == Decision::Outcome::kAllowed);
  CHECK(any_warning_contains(d, "container taskmanager: ConfigMap flink-config with a Flink configuration was not found "
                                "in namespace flink; not checked"));
}

TEST_CASE("a workload keeps the fixes of its own fields and drops those of its ConfigMap", "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  auto object = decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1536Mi"))));
  auto findings = engine::findings_for(object, engine::default_policy().defaults, nullptr, &counterparts, "flink");
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const engine::Finding& f) { return f.code == engine::FindingCode::kProcessExceedsLimit; });
  REQUIRE(it != findings.end());
  // The file's process size that fits is named in the text, but only the limit field is an edit of this object.
  CHECK_THAT(it->message(), Catch::Contains("or set taskmanager.memory.process.size to 1536m"));
  REQUIRE(it->suggested.size() == 1);
  REQUIRE(it->suggested[0].size() == 1);
  CHECK(it->suggested[0][0].kind == engine::SuggestedEdit::Kind::kField);
  CHECK(it->suggested[0][0].value == std::optional<std::string>("1728Mi"));
  CHECK(it->fix.empty());
}

TEST_CASE("a ConfigMap change keeps its own file's fixes and says when the workload sets the process size",
          "[engine][workload]") {
  const std::string args = R"("args":["taskmanager"],)";
  std::string plain = workload_json("Deployment", container("taskmanager", args + limits("2Gi")));
  std::string by_d = workload_json("StatefulSet", container("taskmanager",
      R"("args":["taskmanager","-Dtaskmanager.memory.process.size=3g"],)" + limits("2Gi")));
  std::string by_env = workload_json("Job", container("taskmanager", args +
      R"("env":[{"name":"FLINK_PROPERTIES","value":"taskmanager.numberOfTaskSlots: 2\ntaskmanager.memory.process.size: 3g"}],)" +
      limits("2Gi")));
  std::string other_env = workload_json("Pod", container("taskmanager", args +
      R"("env":[{"name":"FLINK_PROPERTIES","value":"taskmanager.numberOfTaskSlots: 2"}],)" + limits("2Gi")));
  auto counterparts = with({plain, by_d, by_env, other_env});
  auto cm = decode(configmap_json("taskmanager.memory.process.size: 4g\n"));
  auto findings = engine::findings_for(cm, engine::default_policy().defaults, nullptr, &counterparts, "flink");
  int exceeding = 0;
  for (const auto& f : findings) {
    if (f.code != engine::FindingCode::kProcessExceedsLimit) continue;
    ++exceeding;
    CAPTURE(f.message());
    if (f.parts.scope.rfind("StatefulSet", 0) == 0) {
      CHECK(f.outside_this_object == "the workload sets the process size (its -D argument), no ConfigMap edit fixes it");
    } else if (f.parts.scope.rfind("Job", 0) == 0) {
      CHECK(f.outside_this_object == "the workload sets the process size (its FLINK_PROPERTIES), no ConfigMap edit fixes it");
    } else {
      CHECK(f.outside_this_object.empty());
      // The option edit of this ConfigMap's file stays, named by the file alone; the workload's limit field does not.
      REQUIRE(f.suggested.size() == 1);
      CHECK(f.suggested[0] == engine::SuggestedFix{engine::SuggestedEdit::option("taskmanager.memory.process.size",
                                                                                 "data.config.yaml", "2048m")});
    }
  }
  CHECK(exceeding == 4);
}

TEST_CASE("image tags with a digest, too many or too few dots, and FLINK_PROPERTIES lines without a key",
          "[engine][workload]") {
  CHECK(engine::image_flink_version("flink:1.19.1@sha256:0123abcd")->to_string() == "1.19.1");
  CHECK(engine::image_flink_version("flink@sha256:0123abcd") == std::nullopt);
  CHECK_FALSE(engine::image_flink_version("flink:1").has_value());
  CHECK_FALSE(engine::image_flink_version("flink:1.20.1.2").has_value());
  CHECK_FALSE(engine::image_flink_version("flink:1.x").has_value());
  auto props = engine::parse_flink_properties(":\n  : value\nkey:value\n#k: v\nlast: 1");
  REQUIRE(props.size() == 1);
  CHECK(props[0] == std::pair<std::string, std::string>{"last", "1"});
}

TEST_CASE("a memory request Kubernetes cannot read is not compared with the process", "[engine][workload]") {
  auto counterparts = with({configmap_json(kSessionConfig)});
  Decision d = decide_create(
      decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("2Gi", "lots")))),
      &counterparts);
  CHECK(d.outcome == Decision::Outcome::kAllowed);
  CHECK_FALSE(has(d, "memory-request-below-process"));
  CHECK(d.finding_codes.empty());
}

TEST_CASE("a ConfigMap change judges at most 32 containers of the workloads mounting it, only those mounting it",
          "[engine][workload][limits]") {
  std::string containers;
  for (int i = 0; i < 40; ++i) {
    containers += container("taskmanager-" + std::to_string(i), R"("args":["taskmanager"],)" + limits("2Gi")) + ",";
  }
  // A container mounting another ConfigMap in the same pod is not this ConfigMap's to judge.
  containers += R"({"name":"other","image":"flink:1.20","args":["taskmanager"],"resources":{"limits":{"memory":"1Mi"}},)"
                R"("volumeMounts":[{"name":"other-volume","mountPath":"/opt/flink/conf"}]})";
  std::string json = workload_json("Deployment", containers);
  json = json.replace(json.find(kVolumes), kVolumes.size(),
                      kVolumes.substr(0, kVolumes.size() - 1) +
                          R"(,{"name":"other-volume","configMap":{"name":"other-config"}}])");
  auto counterparts = with({json});
  Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n")), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(d.message, Catch::Contains("container taskmanager-31: TaskManager"));
  CHECK_THAT(d.message, !Catch::Contains("container taskmanager-32: TaskManager"));
  CHECK_THAT(d.message, !Catch::Contains("container other:"));
  CHECK(std::count(d.finding_codes.begin(), d.finding_codes.end(), "process-exceeds-limit") == 32);
  CHECK(any_warning_contains(d, "8 more Flink container(s) not judged: flink-memguard judges at most 32 per review"));
}

TEST_CASE("a ConfigMap change names a workload without a namespace by kind and name", "[engine][workload]") {
  class NoNamespace final : public engine::Counterparts {
   public:
    explicit NoNamespace(WorkloadObject w) : w_(std::move(w)) {}
    engine::ConfigMapAnswer configmap(std::string_view, std::string_view) const override { return {}; }
    engine::WorkloadsAnswer workloads_mounting(std::string_view, std::string_view) const override {
      engine::WorkloadsAnswer a;
      a.known = true;
      a.workloads = {w_};
      return a;
    }

   private:
    WorkloadObject w_;
  };
  std::string json = workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("2Gi")));
  json.replace(json.find(R"(,"namespace":"flink")"), std::string(R"(,"namespace":"flink")").size(), "");
  NoNamespace counterparts(std::get<WorkloadObject>(decode(json)));
  Decision d = decide_create(decode(configmap_json("taskmanager.memory.process.size: 4g\n")), &counterparts);
  CHECK(d.outcome == Decision::Outcome::kDenied);
  CHECK_THAT(d.message, Catch::StartsWith("Deployment flink-Deployment container taskmanager: TaskManager: total process "
                                          "memory exceeds"));
}

TEST_CASE("a ConfigMap change says when a workload without a limit sets its own process size", "[engine][workload]") {
  // -D of another option does not set the process size; -D of the process size does.
  std::string other = workload_json("StatefulSet", container("taskmanager",
      R"("args":["taskmanager","-Dtaskmanager.numberOfTaskSlots=2"],)"));
  std::string own = workload_json("Deployment", container("taskmanager",
      R"("args":["taskmanager","-Dtaskmanager.numberOfTaskSlots=2","-Dtaskmanager.memory.process.size=3g"],)"));
  auto counterparts = with({other, own});
  auto findings = engine::findings_for(decode(configmap_json("taskmanager.memory.process.size: 4g\n")),
                                       engine::default_policy().defaults, nullptr, &counterparts, "flink");
  int no_limit = 0;
  for (const auto& f : findings) {
    if (f.code != engine::FindingCode::kWorkloadNoMemoryLimit) continue;
    ++no_limit;
    if (f.parts.scope.rfind("Deployment", 0) == 0) {
      CHECK(f.outside_this_object == "the workload sets the process size (its -D argument), no ConfigMap edit fixes it");
      CHECK_THAT(f.message(), Catch::Contains("set resources.limits.memory to at least 3072Mi"));
    } else {
      CHECK(f.outside_this_object.empty());
      CHECK_THAT(f.message(), Catch::Contains("set resources.limits.memory to at least 4096Mi"));
    }
  }
  CHECK(no_limit == 2);
}

TEST_CASE("without a notes list, containers that cannot be judged are simply not reported", "[engine][workload]") {
  auto object = decode(workload_json("Deployment", container("taskmanager", R"("args":["taskmanager"],)" + limits("1Mi"))));
  UnknownCounterparts unknown;
  engine::StaticCounterparts none;
  CHECK(engine::findings_for(object, engine::default_policy().defaults).empty());
  CHECK(engine::findings_for(object, engine::default_policy().defaults, nullptr, &unknown, "flink").empty());
  CHECK(engine::findings_for(object, engine::default_policy().defaults, nullptr, &none, "flink").empty());
  CHECK(engine::findings_for(decode(configmap_json("taskmanager.memory.process.size: 4g\n")),
                             engine::default_policy().defaults, nullptr, &unknown, "flink")
            .empty());
  // The same 40-container workload as above, without notes: 32 judged, no note to write.
  std::string containers;
  for (int i = 0; i < 40; ++i) {
    if (i > 0) containers += ",";
    containers += container("taskmanager-" + std::to_string(i), R"("args":["taskmanager"],)" + limits("1536Mi"));
  }
  auto counterparts = with({configmap_json(kSessionConfig)});
  auto many = engine::findings_for(decode(workload_json("Deployment", containers)), engine::default_policy().defaults,
                                   nullptr, &counterparts, "");
  CHECK(many.size() == 32);
}

TEST_CASE("mounts that are not the configuration: a file path without subPath, and a container that is no Flink role",
          "[engine][workload]") {
  auto containers_of = [](const std::string& c) {
    return engine::flink_containers(std::get<WorkloadObject>(decode(workload_json("Deployment", c))));
  };
  CHECK(containers_of(R"({"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)"
                      R"("volumeMounts":[{"name":"flink-config-volume","mountPath":"/opt/flink/conf/config.yaml"}]})")
            .empty());
  CHECK(containers_of(container("log-shipper", "")).empty());
  auto jm = containers_of(container("flink-jobmanager", ""));
  REQUIRE(jm.size() == 1);
  CHECK(jm[0].role == Role::kJobManager);
  CHECK(jm[0].role_source == "container name");
  // FLINK_CONF_DIR from a Secret cannot be read: the default directory is assumed.
  auto secret_dir = containers_of(container("taskmanager", R"("args":["taskmanager"],"env":[{"name":"FLINK_CONF_DIR",)"
                                                           R"("valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],)"));
  CHECK(secret_dir.size() == 1);
}

TEST_CASE("a ConfigMap key mounted under a Flink name beside flink-conf.yaml is noted and the rest judged",
          "[engine][workload]") {
  ConfigMapObject cm = std::get<ConfigMapObject>(decode(configmap_json(kSessionConfig, "flink-conf.yaml")));
  std::string c = R"({"name":"taskmanager","image":"flink:1.18","args":["taskmanager"],)" + limits("1Gi") +
                  R"("volumeMounts":[{"name":"cfg","mountPath":"/opt/flink/conf"}]})";
  std::string json = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"tm","namespace":"flink"},)"
                     R"("spec":{"template":{"spec":{"containers":[)" + c +
                     R"(],"volumes":[{"name":"cfg","configMap":{"name":"flink-config","items":[)"
                     R"({"key":"flink-conf.yaml","path":"flink-conf.yaml"},{"key":"extra.yaml","path":"config.yaml"}]}}]}}}})";
  WorkloadObject w = std::get<WorkloadObject>(decode(json));
  auto fcs = engine::flink_containers(w);
  REQUIRE(fcs.size() == 1);
  auto eff = engine::build_workload_container(w, fcs[0], cm);
  REQUIRE(eff.roles.size() == 1);
  CHECK(eff.config_origin == "data.flink-conf.yaml of ConfigMap flink-config");
  CHECK(std::find(eff.notes.begin(), eff.notes.end(),
                  "ConfigMap key extra.yaml is mounted as a Flink config file; flink-memguard reads only the keys "
                  "flink-conf.yaml and config.yaml, so it is judged without it") != eff.notes.end());
}

TEST_CASE("a ConfigMap change is not denied for a Total Flink size the workload sets itself, nor told to edit its file",
          "[engine][workload]") {
  // FLINK_PROPERTIES (or -D) come after the file, so their flink.size sizes the process whatever the file says.
  auto judge = [](const std::string& args, const std::string& env) {
    std::string dep = workload_json("Deployment", container("taskmanager", args + env + limits("2Gi")));
    auto counterparts = with({dep});
    auto object = decode(configmap_json("taskmanager.numberOfTaskSlots: 2\n"));
    auto findings = engine::findings_for(object, engine::default_policy().defaults, nullptr, &counterparts, "flink");
    auto it = std::find_if(findings.begin(), findings.end(),
                           [](const engine::Finding& f) { return f.code == engine::FindingCode::kProcessExceedsLimit; });
    REQUIRE(it != findings.end());
    CHECK(it->suggested.empty());
    return std::pair{it->outside_this_object, decide_create(object, &counterparts)};
  };
  auto [by_env, env_decision] = judge(R"("args":["taskmanager"],)",
                                      R"("env":[{"name":"FLINK_PROPERTIES","value":"taskmanager.memory.flink.size: 3g"}],)");
  CHECK(by_env == "the workload sets the process size (its FLINK_PROPERTIES), no ConfigMap edit fixes it");
  CHECK(env_decision.outcome == Decision::Outcome::kAllowed);
  CHECK(any_warning_contains(env_decision, "not denied, the workload sets the process size (its FLINK_PROPERTIES)"));
  auto [by_arg, arg_decision] = judge(R"("args":["taskmanager","-Dtaskmanager.memory.flink.size=3g"],)", "");
  CHECK(by_arg == "the workload sets the process size (its -D argument), no ConfigMap edit fixes it");
  CHECK(arg_decision.outcome == Decision::Outcome::kAllowed);
}
