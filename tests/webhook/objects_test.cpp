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
    "spec":{"jobManager":{"resource":{"memory":2048,"cpu":1}},
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
  CHECK_FALSE(fd->job_manager.resources.resource_memory->from_string);
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
        "spec.taskManager.resource.memory: expected a string or a number, got an object");
  CHECK(error_of(R"({"spec":{"taskManager":[]}})") == "spec.taskManager: expected an object, got an array");
  CHECK(error_of(R"({"spec":{"flinkConfiguration":{"a":[{"b":1}]}}})") ==
        "spec.flinkConfiguration.a: expected an array of scalars, got an object");
  CHECK(error_of(R"({"metadata":{"labels":{"a":1}}})") == "metadata.labels.a: expected a string, got a number");
  CHECK(error_of(R"("just a string")") == "object: expected an object, got a string");
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
    "spec":{"template":{"metadata":{"labels":{"component":"taskmanager"},"annotations":{"a":"b"}},"spec":{
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
  CHECK(w.pod_annotations.at("a") == "b");
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
  CHECK_FALSE(w.fingerprint.empty());
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
