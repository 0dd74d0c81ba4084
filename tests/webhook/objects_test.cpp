// Object decoders: the operator's flattening of flinkConfiguration, resources, pod templates, the
// ConfigMap fast path, and errors that name the field.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include "webhook/admission/objects.h"

using namespace memguard::admission;

namespace {
simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  REQUIRE(parser.parse(text).get(e) == simdjson::SUCCESS);
  return e;
}
}  // namespace

TEST_CASE("flinkConfiguration is flattened as the operator's asFlatMap does", "[admission][objects]") {
  simdjson::dom::parser parser;
  auto e = parse(parser, R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"x"},
    "spec":{"flinkConfiguration":{"taskmanager.numberOfTaskSlots":4,"state":{"backend":{"type":"rocksdb"},"checkpoints.dir":"s3://b"},
    "metrics.reporters":["prom","jmx",3],"fraction":0.4,"big":1e10,"whole":1.0,"on":true}}})");
  auto fd = decode_flinkdeployment(e);
  REQUIRE(fd);
  std::map<std::string, std::string> flat;
  for (const auto& entry : fd->flink_configuration) flat[entry.key] = entry.text;
  CHECK(flat["taskmanager.numberOfTaskSlots"] == "4");
  CHECK(flat["state.backend.type"] == "rocksdb");
  CHECK(flat["state.checkpoints.dir"] == "s3://b");
  CHECK(flat["metrics.reporters"] == "prom;jmx;3");
  CHECK(flat["fraction"] == "0.4");
  CHECK(flat["big"] == "1.0E10");  // Jackson's asText of a double is Java's Double.toString
  CHECK(flat["whole"] == "1.0");
  CHECK(flat["on"] == "true");
  auto nested = std::find_if(fd->flink_configuration.begin(), fd->flink_configuration.end(),
                             [](const auto& entry) { return entry.key == "state.backend.type"; });
  CHECK(nested->nested);
  CHECK(nested->pointer == Pointer{"spec", "flinkConfiguration", "state", "backend", "type"});
}

TEST_CASE("Resources, the deprecated resource and pod-template main containers are decoded", "[admission][objects]") {
  simdjson::dom::parser parser;
  auto e = parse(parser, R"({"metadata":{"name":"x","annotations":{"a":"b"},"deletionTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"jobManager":{"resource":{"memory":"2048","cpu":1}},
    "taskManager":{"resources":{"requests":{"memory":"2Gi","cpu":"1"},"limits":{"memory":"4Gi"}},
      "podTemplate":{"spec":{"containers":[{"name":"side","resources":{"limits":{"memory":"1Gi"}}},
        {"name":"flink-main-container","resources":{"requests":{"cpu":"2"},"limits":{"memory":"8Gi","ephemeral-storage":"1Gi"}}}]}}},
    "podTemplate":{"spec":{"containers":[{"name":"flink-main-container","env":[]}]}}}})");
  auto fd = decode_flinkdeployment(e);
  REQUIRE(fd);
  CHECK(fd->metadata.being_deleted);
  CHECK(fd->metadata.has_annotations);
  REQUIRE(fd->job_manager.resources.resource_memory);
  CHECK(fd->job_manager.resources.resource_memory->text == "2048");
  CHECK(fd->job_manager.resources.resource_memory->from_string);
  CHECK(fd->task_manager.resources.request_memory->text == "2Gi");
  CHECK(fd->task_manager.resources.limit_memory->text == "4Gi");
  REQUIRE(fd->task_manager.pod_template.size() == 1);
  CHECK(field_path(fd->task_manager.pod_template[0].container) == "spec.taskManager.podTemplate.spec.containers[1]");
  CHECK(fd->task_manager.pod_template[0].entries == std::vector<std::string>{"requests.cpu", "limits.memory"});
  CHECK(fd->pod_template.empty());  // a main container without resources is nothing to report
}

TEST_CASE("Wrong types are errors naming the field", "[admission][objects]") {
  simdjson::dom::parser parser;
  auto error_of = [&](const std::string& text) {
    auto fd = decode_flinkdeployment(parse(parser, text));
    REQUIRE_FALSE(fd);
    return fd.error().message;
  };
  CHECK(error_of(R"({"spec":{"flinkConfiguration":"a: b"}})") == "spec.flinkConfiguration: expected an object, got a string");
  CHECK(error_of(R"({"spec":{"taskManager":{"resource":{"memory":{"x":1}}}}})") ==
        "spec.taskManager.resource.memory: expected a string (the CRD's type), got an object");
  // The CRD (the operator's Java types) makes memory a string, cpu a number and replicas an integer:
  // the API server refuses anything else, so none is read as Jackson would coerce it (tests/cluster).
  CHECK(error_of(R"({"spec":{"jobManager":{"resource":{"memory":2048}}}})") ==
        "spec.jobManager.resource.memory: expected a string (the CRD's type), got a number");
  CHECK(error_of(R"({"spec":{"taskManager":{"resource":{"memory":"2g","cpu":"1"}}}})") ==
        "spec.taskManager.resource.cpu: expected a number (the CRD's type), got a string");
  CHECK(error_of(R"({"spec":{"taskManager":{"replicas":"2"}}})") ==
        "spec.taskManager.replicas: expected an integer (the CRD's type), got a string");
  CHECK(error_of(R"({"spec":{"taskManager":[]}})") == "spec.taskManager: expected an object, got an array");
  CHECK(error_of(R"({"spec":{"flinkConfiguration":{"a":[{"b":1}]}}})") ==
        "spec.flinkConfiguration.a: expected an array of scalars, got an object");
  CHECK(error_of(R"({"metadata":{"labels":{"a":1}}})") == "metadata.labels.a: expected a string, got a number");
  CHECK(error_of(R"("just a string")") == "object: expected an object, got a string");
}

TEST_CASE("spec.flinkVersion outside the operator CRD's enum is unreadable, not the default version",
          "[admission][objects]") {
  simdjson::dom::parser parser;
  auto with_version = [&](const std::string& json_value) {
    return decode_flinkdeployment(parse(parser, R"({"spec":{"flinkVersion":)" + json_value + "}}"));
  };
  for (const char* known : {R"("v1_13")", R"("v1_18")", R"("v1_20")", R"("v2_0")", R"("v2_1")"}) {
    INFO(known);
    CHECK(with_version(known));
  }
  // The API server refuses each of these (tests/cluster: check agrees with it).
  for (const char* unknown : {R"("v9_9")", R"("1.20")", R"("v1_20_1")", R"("v2_x")", R"("v1_12")", R"("v1_21")",
                              R"("V1_20")", R"("v1_020")", R"("")", "1.2", "true"}) {
    INFO(unknown);
    auto fd = with_version(unknown);
    REQUIRE_FALSE(fd);
    CHECK(fd.error().message.find("spec.flinkVersion: ") == 0);
    CHECK_THAT(fd.error().message, Catch::Contains("operator CRD's enum"));
  }
}

TEST_CASE("A ConfigMap without Flink's data keys is not decoded further", "[admission][objects]") {
  simdjson::dom::parser parser;
  // The metadata is malformed on purpose: the fast path never looks at it.
  auto other = decode_configmap(parse(parser, R"({"metadata":{"labels":"broken"},"data":{"app.properties":"x=1"}})"));
  REQUIRE(other);
  CHECK_FALSE(other->holds_flink_configuration);
  auto flink = decode_configmap(parse(parser, R"({"metadata":{"name":"f","labels":{"app":"flink"}},
    "data":{"flink-conf.yaml":"a: b\n","config.yaml":"c: d\n"}})"));
  REQUIRE(flink);
  CHECK(flink->holds_flink_configuration);
  CHECK(*flink->flink_conf_yaml == "a: b\n");
  CHECK(*flink->config_yaml == "c: d\n");
  auto wrong = decode_configmap(parse(parser, R"({"data":{"config.yaml":5}})"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message == "data.config.yaml: expected a string, got a number");
}

TEST_CASE("decode_object dispatches on the manifest's own apiVersion and kind", "[admission][objects]") {
  simdjson::dom::parser parser;
  auto fd = decode_object(parse(parser, R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","spec":{}})"));
  REQUIRE(fd);
  CHECK(std::holds_alternative<FlinkDeploymentObject>(*fd));
  auto cm = decode_object(parse(parser, R"({"apiVersion":"v1","kind":"ConfigMap","data":{}})"));
  REQUIRE(cm);
  CHECK(std::holds_alternative<ConfigMapObject>(*cm));
  auto other = decode_object(parse(parser, R"({"apiVersion":"apps/v1","kind":"DaemonSet"})"));
  REQUIRE(other);
  CHECK(std::get<OtherObject>(*other).kind == "DaemonSet");
}

TEST_CASE("workloads decode their pod template's containers, env, mounts, limits and ConfigMap volumes",
          "[admission][objects][workload]") {
  simdjson::dom::parser parser;
  auto e = parse(parser, R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"tm","namespace":"f"},
    "spec":{"template":{"metadata":{"labels":{"component":"taskmanager"},"annotations":{"a":"b","flink-memguard.io/flink-version":"1.20"}},"spec":{
      "containers":[{"name":"taskmanager","image":"flink:1.20","args":["taskmanager","-Dk=v"],
        "env":[{"name":"FLINK_PROPERTIES","value":"x: y"},{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
        "resources":{"requests":{"memory":"2Gi"},"limits":{"memory":2147483648}},
        "volumeMounts":[{"name":"cfg","mountPath":"/opt/flink/conf/flink-conf.yaml","subPath":"flink-conf.yaml"}]}],
      "volumes":[{"name":"cfg","configMap":{"name":"flink-config","items":[{"key":"flink-conf.yaml","path":"flink-conf.yaml"}]}},
                 {"name":"data","emptyDir":{}},{"name":"cfg2","configMap":{"name":"flink-config"}}]}}}})");
  auto decoded = decode_object(e);
  REQUIRE(decoded);
  REQUIRE(std::holds_alternative<WorkloadObject>(*decoded));
  const auto& w = std::get<WorkloadObject>(*decoded);
  CHECK(w.kind == "StatefulSet");
  CHECK(w.pod_labels.at("component") == "taskmanager");
  // Only flink-memguard's own annotations are kept (the engine reads no others).
  CHECK(w.pod_annotations.at("flink-memguard.io/flink-version") == "1.20");
  CHECK(w.pod_annotations.count("a") == 0);
  REQUIRE(w.containers.size() == 1);
  const auto& c = w.containers[0];
  CHECK(c.args == std::vector<std::string>{"taskmanager", "-Dk=v"});
  REQUIRE(c.env.size() == 2);
  CHECK(c.env[0].value == std::optional<std::string>("x: y"));
  CHECK_FALSE(c.env[1].value.has_value());
  CHECK(c.request_memory->text == "2Gi");
  CHECK(c.limit_memory->text == "2147483648");
  CHECK(field_path(c.limit_memory->pointer) == "spec.template.spec.containers[0].resources.limits.memory");
  REQUIRE(c.volume_mounts.size() == 1);
  CHECK(c.volume_mounts[0].sub_path == "flink-conf.yaml");
  REQUIRE(w.configmap_volumes.size() == 2);
  CHECK(w.configmap_volumes[0].items.size() == 1);
  CHECK(mounted_configmaps(w) == std::vector<std::string>{"flink-config"});
}

TEST_CASE("workload decoding names the field that has the wrong type", "[admission][objects][workload]") {
  simdjson::dom::parser parser;
  auto bad_args = decode_object(parse(parser, R"({"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"a","args":"taskmanager"}]}})"));
  REQUIRE_FALSE(bad_args);
  CHECK(bad_args.error().message == "spec.containers[0].args: expected an array of strings, got a string");
  auto bad_env = decode_object(parse(parser, R"({"apiVersion":"batch/v1","kind":"Job","spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":1}]}]}}}})"));
  REQUIRE_FALSE(bad_env);
  CHECK(bad_env.error().message == "spec.template.spec.containers[0].env[0].value: expected a string, got a number");
  // Kinds outside the workload set stay untouched.
  auto cron = decode_object(parse(parser, R"({"apiVersion":"batch/v1","kind":"CronJob","spec":{}})"));
  REQUIRE(cron);
  CHECK(std::holds_alternative<OtherObject>(*cron));
}

namespace {

// same_memory_inputs over two manifests parsed into one document, as object and oldObject are.
bool unchanged(const std::string& now, const std::string& before) {
  simdjson::dom::parser parser;
  simdjson::dom::array pair = parse(parser, "[" + now + "," + before + "]").get_array().value();
  simdjson::dom::element now_element = pair.at(0).value(), before_element = pair.at(1).value();
  auto decoded = decode_object(now_element);
  REQUIRE(decoded);
  return same_memory_inputs(*decoded, now_element, before_element);
}

std::string flinkdeployment(const std::string& labels, const std::string& spec) {
  return R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"a","labels":)" +
         labels + "}" + (spec.empty() ? "" : R"(,"spec":)" + spec) + "}";
}

}  // namespace

TEST_CASE("The change check compares a FlinkDeployment's spec, value by value", "[admission][objects][change]") {
  const std::string spec = R"({"flinkVersion":"v1_20","flinkConfiguration":{"taskmanager.numberOfTaskSlots":"2"},)"
                           R"("taskManager":{"resource":{"memory":"2048m","cpu":1.5}},"job":{"parallelism":4,"args":[]}})";
  // Metadata is not a memory input: a label edit or a finalizer leaves memory as it was.
  CHECK(unchanged(flinkdeployment(R"({"x":"1"})", spec), flinkdeployment(R"({"x":"2"})", spec)));
  auto edited = [&](const std::string& from, const std::string& to) {
    std::string other = spec;
    other.replace(other.find(from), from.size(), to);
    return unchanged(flinkdeployment("{}", spec), flinkdeployment("{}", other));
  };
  CHECK_FALSE(edited(R"("2048m")", R"("4096m")"));                 // a string value
  CHECK_FALSE(edited("1.5", "2"));                                  // a number, and its type
  CHECK_FALSE(edited(R"("2048m")", "2048"));                        // a string that became a number
  CHECK_FALSE(edited(R"("parallelism":4)", R"("parallelism":4,"upgradeMode":"savepoint")"));  // a member added
  CHECK_FALSE(edited(R"("args":[])", R"("args":["--x"])"));        // an array grew
  CHECK_FALSE(edited(R"("args":[])", R"("args":{})"));             // an array became an object
  CHECK(edited("1.5", "1.50"));                                     // the same number, spelled otherwise
  // Without a spec there is nothing to compare, so nothing counts as unchanged.
  CHECK_FALSE(unchanged(flinkdeployment("{}", ""), flinkdeployment("{}", "")));
  CHECK_FALSE(unchanged(flinkdeployment("{}", spec), flinkdeployment("{}", "")));
}

TEST_CASE("The change check of a ConfigMap covers data and annotations", "[admission][objects][change]") {
  auto configmap = [](const std::string& annotations, const std::string& conf) {
    return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c")" +
           (annotations.empty() ? "" : R"(,"annotations":)" + annotations) + R"(},"data":{"config.yaml":")" + conf +
           R"("}})";
  };
  CHECK(unchanged(configmap(R"({"a":"1"})", "x: 1"), configmap(R"({"a":"1"})", "x: 1")));
  CHECK_FALSE(unchanged(configmap(R"({"a":"1"})", "x: 1"), configmap(R"({"a":"1"})", "x: 2")));
  // Annotations can carry the container limit (flink-memguard.io/...-memory-limit): a change.
  CHECK_FALSE(unchanged(configmap(R"({"a":"1"})", "x: 1"), configmap(R"({"a":"2"})", "x: 1")));
  CHECK_FALSE(unchanged(configmap(R"({"a":"1"})", "x: 1"), configmap("", "x: 1")));
  CHECK(unchanged(configmap("", "x: 1"), configmap("", "x: 1")));
  // A ConfigMap without Flink configuration is never judged, so never "unchanged".
  const std::string other = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}})";
  CHECK_FALSE(unchanged(other, other));
}

TEST_CASE("The change check of a workload covers its pod spec", "[admission][objects][change][workload]") {
  auto deployment = [](const std::string& pod_labels, const std::string& limit) {
    return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"template":)"
           R"({"metadata":{"labels":)" + pod_labels + R"(},"spec":{"containers":[{"name":"tm","resources":{"limits":)"
           R"({"memory":")" + limit + R"("}}}]}}}})";
  };
  CHECK(unchanged(deployment(R"({"a":"1"})", "2Gi"), deployment(R"({"a":"2"})", "2Gi")));
  CHECK_FALSE(unchanged(deployment(R"({"a":"1"})", "2Gi"), deployment(R"({"a":"1"})", "3Gi")));
  const std::string pod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"tm"}]}})";
  CHECK(unchanged(pod, pod));
  const std::string no_template = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{}})";
  CHECK_FALSE(unchanged(no_template, no_template));
  const std::string daemonset = R"({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"d"},"spec":{}})";
  CHECK_FALSE(unchanged(daemonset, daemonset));
}

TEST_CASE("field_path names a field with dots, array indices in brackets and tokens unescaped", "[admission][pointer]") {
  CHECK(field_path(Pointer{}) == "");
  CHECK(field_path(Pointer{"spec", "taskManager", "resource", "memory"}) == "spec.taskManager.resource.memory");
  CHECK(field_path(Pointer{"spec", "containers", "10", "resources"}) == "spec.containers[10].resources");
  CHECK(field_path(Pointer{"0", "x"}) == "0.x");  // a leading index has nothing to index
  CHECK(field_path(Pointer{"metadata", "annotations", "flink-memguard.io/skip"}) ==
        "metadata.annotations.flink-memguard.io/skip");
  CHECK(field_path(Pointer{"a~b", "~1", "12a"}) == "a~b.~1.12a");
  CHECK(field_path(Pointer{"spec", "", "x"}) == "spec..x");
}

TEST_CASE("A pointer's last token is given back unescaped", "[admission][pointer]") {
  CHECK(Pointer{}.back() == "");
  CHECK(Pointer{"spec", "flinkConfiguration", "taskmanager.memory.process.size"}.back() ==
        "taskmanager.memory.process.size");
  CHECK(Pointer{"metadata", "annotations", "flink-memguard.io/skip~x"}.back() == "flink-memguard.io/skip~x");
  CHECK(Pointer{"a", "~1"}.back() == "~1");
  CHECK(Pointer{"a", ""}.back() == "");
}
