// Every suggested fix works: for each fixture and for generated objects over a grid of sizes,
// versions and thresholds, every finding the policy denies has each of its machine-applicable
// fixes (Finding::suggested) applied to the object as data says, and the object is judged again:
// the denial that suggested the fix must be gone (allowed, or only warned).
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "review_support.h"
#include "webhook/admission/objects.h"
#include "webhook/cli/manifests.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/decide.h"
#include "webhook/engine/finding_texts.h"

namespace {

namespace admission = memguard::admission;
namespace engine = memguard::engine;
using engine::Action;
using engine::Finding;
using engine::FindingCode;
using engine::Settings;
using engine::SuggestedEdit;
using engine::SuggestedFix;
using memguard::testing::Json;

admission::KubeObject decode(const Json& object) {
  std::string text = object.dump();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS);
  auto decoded = admission::decode_object(root);
  REQUIRE(decoded.has_value());
  return *decoded;
}

Json string_value(const std::string& text) {
  Json j;
  j.value = text;
  return j;
}

Json empty_object() {
  Json j;
  j.value = Json::Object{};
  return j;
}

void remove_member(Json& parent, const std::string& key) {
  auto* members = std::get_if<Json::Object>(&parent.value);
  if (members == nullptr) return;
  members->erase(std::remove_if(members->begin(), members->end(), [&](const auto& m) { return m.first == key; }),
                 members->end());
}

// Sets (or removes) the member at `pointer`, creating the objects on the way as `kubectl edit` would.
void set_field(Json& doc, const admission::Pointer& pointer, const std::optional<std::string>& value) {
  auto tokens = memguard::testing::pointer_tokens(pointer.encoded());
  REQUIRE_FALSE(tokens.empty());
  Json* parent = &doc;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (auto* items = std::get_if<Json::Array>(&parent->value)) {
      size_t index = std::stoul(tokens[i]);
      REQUIRE(index < items->size());
      parent = &(*items)[index];
      continue;
    }
    Json* next = parent->member(tokens[i]);
    if (next == nullptr) {
      REQUIRE(std::holds_alternative<Json::Object>(parent->value));
      std::get<Json::Object>(parent->value).emplace_back(tokens[i], empty_object());
      next = parent->member(tokens[i]);
    }
    parent = next;
  }
  if (!value) {
    remove_member(*parent, tokens.back());
    return;
  }
  if (Json* target = parent->member(tokens.back())) {
    *target = string_value(*value);
  } else {
    REQUIRE(std::holds_alternative<Json::Object>(parent->value));
    std::get<Json::Object>(parent->value).emplace_back(tokens.back(), string_value(*value));
  }
}

// A flat `key: value` file with `key` set (or removed): its lines for the key dropped, the new one appended.
std::string edit_file(const std::string& text, const std::string& key, const std::optional<std::string>& value) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    size_t first = line.find_first_not_of(" \t");
    bool same_key = first != std::string::npos && line.compare(first, key.size(), key) == 0 &&
                    line.size() > first + key.size() && line[first + key.size()] == ':';
    if (!same_key) out += line + "\n";
  }
  if (value) out += key + ": " + *value + "\n";
  return out;
}

void apply_edit(Json& object, const SuggestedEdit& e) {
  if (e.kind == SuggestedEdit::Kind::kField) {
    set_field(object, e.pointer, e.value);
    return;
  }
  if (e.file == "spec.flinkConfiguration") {
    set_field(object, admission::Pointer{"spec", "flinkConfiguration", e.key}, e.value);
    return;
  }
  for (const char* file : {"flink-conf.yaml", "config.yaml"}) {
    if (e.file != std::string("data.") + file) continue;
    Json* data = object.member("data");
    REQUIRE(data != nullptr);
    Json* text = data->member(file);
    REQUIRE(text != nullptr);
    *text = string_value(edit_file(text->str(), e.key, e.value));
    return;
  }
  FAIL("a suggested option in a place the test cannot edit: " << e.file);
}

// One object to judge, with the objects it is judged against (a workload's ConfigMap, a ConfigMap's workloads).
struct Subject {
  std::string name;
  Json object;
  std::vector<Json> counterparts;
  // A container Flink sizes from 1.15 on: a limit denial always has a fix (the limit factor gives any headroom).
  bool limit_fix_expected = false;
};

std::vector<Finding> judge(const Json& object, const std::vector<Json>& counterparts, const Settings& settings) {
  engine::StaticCounterparts lookups;
  for (const auto& c : counterparts) lookups.add(decode(c), "flink");
  return engine::findings_for(decode(object), settings, nullptr, counterparts.empty() ? nullptr : &lookups, "flink");
}

bool same_denial(const Finding& a, const Finding& b, const Settings& settings) {
  return a.code == b.code && a.role == b.role && a.parts.scope == b.parts.scope && settings.action(b.code) == Action::kDeny;
}

struct Tally {
  int denials = 0;       // denied findings seen
  int applied = 0;       // fixes applied and judged again
  int without_fix = 0;   // denied findings with no machine-applicable fix
};

// Applies every suggested fix of every denied finding of `s` and judges the result again.
void check_every_fix(const Subject& s, const Settings& settings, Tally& tally) {
  auto before = judge(s.object, s.counterparts, settings);
  for (const Finding& f : before) {
    if (settings.action(f.code) != Action::kDeny) continue;
    ++tally.denials;
    if (f.suggested.empty()) ++tally.without_fix;
    if (s.limit_fix_expected && f.code == FindingCode::kProcessExceedsLimit) {
      INFO(s.name << "\n" << f.message());
      CHECK_FALSE(f.suggested.empty());
    }
    for (const SuggestedFix& fix : f.suggested) {
      INFO(s.name << "\nheadroom " << settings.limit_headroom.bytes() << " bytes\n" << f.message() << "\napplied: "
                  << engine::describe(fix));
      Json fixed = s.object;
      for (const auto& e : fix) apply_edit(fixed, e);
      auto after = judge(fixed, s.counterparts, settings);
      bool still = std::any_of(after.begin(), after.end(), [&](const Finding& a) { return same_denial(f, a, settings); });
      if (still) {
        for (const auto& a : after) {
          if (same_denial(f, a, settings)) INFO("still denied: " << a.message());
        }
      }
      CHECK_FALSE(still);
      ++tally.applied;
    }
  }
}

Settings with(Settings settings, int64_t headroom_mib, bool deny_everything) {
  settings.limit_headroom = memguard::memmodel::MemorySize::of_mebibytes(headroom_mib);
  if (deny_everything) settings.actions.fill(Action::kDeny);
  return settings;
}

std::vector<Settings> policies() {
  std::vector<Settings> out;
  for (int64_t headroom : {0, 100, 256, 1024}) {
    for (bool deny_everything : {false, true}) out.push_back(with(engine::default_policy().defaults, headroom, deny_everything));
  }
  return out;
}

using Options = std::vector<std::pair<std::string, std::string>>;

std::string json_members(const Options& options) {
  std::string out;
  for (const auto& [key, value] : options) out += (out.empty() ? "\"" : ",\"") + key + "\":\"" + value + "\"";
  return out;
}

// A FlinkDeployment: the TaskManager by resource.memory, or by resources requests/limits.
Json flinkdeployment(const std::string& version, const Options& config, const std::string& tm_memory,
                     const std::optional<std::string>& tm_limit) {
  std::string tm = tm_limit ? R"({"resources":{"requests":{"cpu":"1","memory":")" + tm_memory +
                                  R"("},"limits":{"cpu":"1","memory":")" + *tm_limit + R"("}}})"
                            : R"({"resource":{"cpu":1,"memory":")" + tm_memory + R"("}})";
  return Json::parse(R"({"apiVersion":"flink.apache.org/v1beta1","kind":"FlinkDeployment","metadata":{"name":"job",)"
                     R"("namespace":"flink"},"spec":{"image":"flink:1.20","flinkVersion":")" + version +
                     R"(","serviceAccount":"flink","flinkConfiguration":{)" + json_members(config) +
                     R"(},"jobManager":{"resource":{"cpu":1,"memory":"1600Mi"}},"taskManager":)" + tm +
                     R"(,"job":{"jarURI":"local:///opt/flink/usrlib/job.jar","parallelism":2,"upgradeMode":"stateless"}}})");
}

// A ConfigMap with a flat config.yaml (flink-conf.yaml before 1.19), labelled native or annotated with limits.
Json configmap(const std::string& version, const Options& file, bool native, const std::optional<std::string>& tm_limit) {
  std::string body;
  for (const auto& [key, value] : file) body += key + ": " + value + "\\n";
  std::string annotations = R"("flink-memguard.io/flink-version":")" + version + "\"";
  if (tm_limit) annotations += R"(,"flink-memguard.io/taskmanager-memory-limit":")" + *tm_limit + "\"";
  std::string labels = native ? R"(,"labels":{"type":"flink-native-kubernetes"})" : "";
  bool legacy = version < "1.19";
  return Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink",)"
                     R"("annotations":{)" + annotations + "}" + labels + R"(},"data":{")" +
                     (legacy ? "flink-conf.yaml" : "config.yaml") + R"(":")" + body +
                     R"(","log4j-console.properties":"rootLogger.level = INFO\n"}})");
}

// A standalone TaskManager Deployment mounting flink-config, with its own limit and FLINK_PROPERTIES.
Json taskmanager_deployment(const std::string& limit, const std::optional<std::string>& properties) {
  std::string env = properties ? R"(,"env":[{"name":"FLINK_PROPERTIES","value":")" + *properties + R"("}])" : "";
  return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"flink-taskmanager",)"
                     R"("namespace":"flink"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"flink"}},)"
                     R"("template":{"metadata":{"labels":{"app":"flink"}},"spec":{"containers":[{"name":"taskmanager",)"
                     R"("image":"flink:1.20","args":["taskmanager"],"resources":{"requests":{"memory":")" + limit +
                     R"("},"limits":{"memory":")" + limit + R"("}},"volumeMounts":[{"name":"conf","mountPath":)"
                     R"("/opt/flink/conf"}])" + env + R"(}],"volumes":[{"name":"conf","configMap":{"name":"flink-config"}}]}}}})");
}

std::vector<Subject> generated() {
  std::vector<Subject> out;
  const std::vector<Options> configs = {
      {},
      {{"taskmanager.numberOfTaskSlots", "2"}},
      {{"kubernetes.taskmanager.memory.limit-factor", "1.0"}},
      {{"kubernetes.taskmanager.memory.limit-factor", "1.1"}},
      // Pinned components: only a window of process sizes works (network takes the rest, within its range).
      {{"taskmanager.memory.task.heap.size", "1g"}, {"taskmanager.memory.managed.size", "1g"}},
      {{"taskmanager.memory.task.heap.size", "3g"}, {"taskmanager.memory.managed.size", "2g"}},
      {{"taskmanager.memory.jvm-overhead.min", "2g"}, {"taskmanager.memory.jvm-overhead.max", "2g"}},
      // The tuning guide's findings (denied under the deny-everything policy): batch without managed
      // memory, RocksDB's fixed memory outside every budget, a role sized by flink.size.
      {{"execution.runtime-mode", "BATCH"}, {"taskmanager.memory.managed.size", "0"}},
      {{"state.backend.type", "rocksdb"}, {"state.backend.rocksdb.memory.fixed-per-slot", "512m"},
       {"taskmanager.numberOfTaskSlots", "4"}},
  };
  for (const std::string version : {"v1_13", "v1_15", "v1_17", "v1_20", "v2_0"}) {
    for (const auto& config : configs) {
      for (const std::string memory : {"1024Mi", "1600Mi", "2048Mi", "3000Mi", "4Gi", "2g"}) {
        bool factor = version != "v1_13";
        out.push_back({"FlinkDeployment " + version + " " + memory + " " + json_members(config),
                       flinkdeployment(version, config, memory, std::nullopt), {}, factor});
        for (const std::string limit : {"2048Mi", "4Gi"}) {
          out.push_back({"FlinkDeployment " + version + " requests " + memory + " limits " + limit + " " +
                             json_members(config),
                         flinkdeployment(version, config, memory, limit), {}, factor});
        }
      }
    }
  }
  for (const std::string version : {"1.14", "1.17", "1.20", "2.0"}) {
    for (const std::string process : {"1g", "1728m", "2048m", "4g"}) {
      for (const auto& sizing : std::vector<Options>{{{"taskmanager.memory.process.size", process}},
                                                     {{"taskmanager.memory.process.size", process},
                                                      {"execution.runtime-mode", "BATCH"},
                                                      {"taskmanager.memory.managed.fraction", "0.01"}},
                                                     {{"taskmanager.memory.flink.size", process}},
                                                     {{"taskmanager.memory.process.size", process},
                                                      {"kubernetes.taskmanager.memory.limit-factor", "1.2"}}}) {
        for (bool native : {false, true}) {
          for (auto limit : {std::optional<std::string>(), std::optional<std::string>("1Gi"),
                             std::optional<std::string>("2Gi"), std::optional<std::string>("4Gi")}) {
            out.push_back({"ConfigMap " + version + (native ? " native " : " ") + json_members(sizing) + " limit " +
                               limit.value_or("none"),
                           configmap(version, sizing, native, limit), {}, !limit && version != "1.14"});
          }
        }
        // The standalone layout: a ConfigMap judged with the Deployment mounting it, and the other way round.
        for (const std::string limit : {"1Gi", "2Gi", "4Gi"}) {
          for (auto properties : {std::optional<std::string>(),
                                  std::optional<std::string>("taskmanager.memory.process.size: 3g")}) {
            Json cm = configmap(version, sizing, false, std::nullopt);
            Json deployment = taskmanager_deployment(limit, properties);
            std::string name = version + " " + json_members(sizing) + " limit " + limit +
                               (properties ? " FLINK_PROPERTIES " + *properties : "");
            out.push_back({"ConfigMap with its Deployment " + name, cm, {deployment}});
            out.push_back({"Deployment with its ConfigMap " + name, deployment, {cm}});
          }
        }
      }
    }
  }
  return out;
}

std::vector<Subject> fixtures() {
  std::vector<Subject> out;
  const std::filesystem::path data(MEMGUARD_TEST_DATA);
  for (const auto& entry : std::filesystem::directory_iterator(data / "reviews")) {
    if (entry.path().extension() != ".json") continue;
    std::string body = memguard::testing::read_fixture(entry.path().filename().string());
    Json root = Json::parse(body);
    Json* request = root.member("request");
    if (request == nullptr) continue;
    Json* object = request->member("object");
    if (object == nullptr || std::holds_alternative<std::nullptr_t>(object->value)) continue;
    Json* kind = object->member("kind");
    if (kind == nullptr) continue;
    // Only the kinds the engine judges; a review of another kind has nothing to fix.
    simdjson::dom::parser parser;
    simdjson::dom::element root_element;
    std::string text = object->dump();
    if (parser.parse(text).get(root_element) != simdjson::SUCCESS || !admission::decode_object(root_element)) continue;
    out.push_back({"reviews/" + entry.path().filename().string(), *object, {}});
  }
  // Manifests: each object judged with the other objects of its directory (or file) as counterparts.
  for (const auto& entry : std::filesystem::directory_iterator(data / "manifests")) {
    auto manifests = memguard::cli::load_manifests({entry.path().string()});
    std::vector<Json> objects;
    for (const auto& o : manifests.objects) {
      if (o.error.empty()) objects.push_back(Json::parse(o.json));
    }
    for (size_t i = 0; i < objects.size(); ++i) {
      simdjson::dom::parser parser;
      simdjson::dom::element root_element;
      std::string text = objects[i].dump();
      if (parser.parse(text).get(root_element) != simdjson::SUCCESS || !admission::decode_object(root_element)) continue;
      std::vector<Json> others;
      for (size_t k = 0; k < objects.size(); ++k) {
        if (k != i) others.push_back(objects[k]);
      }
      out.push_back({"manifests/" + entry.path().filename().string() + " #" + std::to_string(i), objects[i], others});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Every machine-applicable fix of a denied fixture clears its denial", "[engine][suggested-fixes]") {
  auto subjects = fixtures();
  REQUIRE(subjects.size() >= 20);
  Tally tally;
  for (const Settings& settings : policies()) {
    for (const auto& s : subjects) check_every_fix(s, settings, tally);
  }
  CAPTURE(tally.denials, tally.applied, tally.without_fix);
  CHECK(tally.applied > 0);
}

TEST_CASE("Every machine-applicable fix of a denied generated object clears its denial", "[engine][suggested-fixes]") {
  auto subjects = generated();
  Tally tally;
  for (const Settings& settings : policies()) {
    for (const auto& s : subjects) check_every_fix(s, settings, tally);
  }
  CAPTURE(tally.denials, tally.applied, tally.without_fix);
  CHECK(tally.applied > 1000);
}

TEST_CASE("A FlinkDeployment denied for limit headroom is offered the limit factor that gives it",
          "[engine][suggested-fixes]") {
  Settings settings = with(engine::default_policy().defaults, 256, false);
  Json fd = flinkdeployment("v1_20", {}, "2048Mi", std::nullopt);
  auto findings = judge(fd, {}, settings);
  auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.code == FindingCode::kProcessExceedsLimit && f.role == memguard::memmodel::Role::kTaskManager;
  });
  REQUIRE(it != findings.end());
  // Flink sets the limit to (int)(2048 x factor) MiB: 1.125 gives 2304 MiB, the process plus 256 MiB.
  CHECK_THAT(it->message(), Catch::Contains("Fix: set kubernetes.taskmanager.memory.limit-factor: 1.125 in "
                                            "spec.flinkConfiguration (Flink then sets the limit to 2304Mi)."));
  // The process fits its container: only the policy's headroom is missing.
  CHECK_THAT(it->message(), Catch::Contains("The process fits the limit, but this policy (thresholds.limit-headroom) "
                                            "requires 256 MiB of room above it"));
  CHECK_THAT(it->message(), !Catch::Contains("memory the container does not have"));
  CHECK_THAT(it->message(), !Catch::Contains("process.size"));
  REQUIRE(it->suggested.size() == 1);
  CHECK(it->suggested[0] == SuggestedFix{SuggestedEdit::option("kubernetes.taskmanager.memory.limit-factor",
                                                               "spec.flinkConfiguration", "1.125")});
}

TEST_CASE("A FlinkDeployment with resources is offered the memory limit whose ratio gives the headroom",
          "[engine][suggested-fixes]") {
  Settings settings = with(engine::default_policy().defaults, 256, false);
  auto findings = judge(flinkdeployment("v1_20", {}, "2Gi", std::string("2Gi")), {}, settings);
  auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.code == FindingCode::kProcessExceedsLimit && f.role == memguard::memmodel::Role::kTaskManager;
  });
  REQUIRE(it != findings.end());
  CHECK_THAT(it->message(), Catch::Contains("Fix: set spec.taskManager.resources.limits.memory: 2304Mi (Flink then "
                                            "sets the limit to 2304Mi)."));
}

TEST_CASE("Before Flink 1.15 a limit headroom denial says that no setting gives it", "[engine][suggested-fixes]") {
  Settings settings = with(engine::default_policy().defaults, 256, false);
  auto findings = judge(flinkdeployment("v1_13", {}, "2048Mi", std::nullopt), {}, settings);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.code == FindingCode::kProcessExceedsLimit; });
  REQUIRE(it != findings.end());
  CHECK_THAT(it->message(), Catch::Contains("Flink 1.13 sets the container memory limit to the request"));
  CHECK(it->suggested.empty());
}

TEST_CASE("A rejection that a larger process size cures names that size even when the largest sizes fail too",
          "[engine][suggested-fixes]") {
  // Task heap 3g and managed 2g pinned: 4Gi leaves no room; far larger sizes give network more than its
  // 1g maximum; between them Flink accepts the configuration.
  Json fd = flinkdeployment("v1_20", {{"taskmanager.memory.task.heap.size", "3g"}, {"taskmanager.memory.managed.size", "2g"}},
                            "4Gi", std::nullopt);
  auto findings = judge(fd, {}, engine::default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.code == FindingCode::kMemoryConfigRejected; });
  REQUIRE(it != findings.end());
  CHECK_THAT(it->message(), Catch::Contains("Fix: set spec.taskManager.resource.memory to at least "));
  CHECK_THAT(it->message(), !Catch::Contains("change "));
  REQUIRE(it->suggested.size() == 1);
}

TEST_CASE("A rejection no process size cures names the options to change in its warning", "[engine][suggested-fixes]") {
  // jvm-overhead min above max: no process size helps.
  Json fd = flinkdeployment("v1_20", {{"taskmanager.memory.jvm-overhead.min", "2g"}, {"taskmanager.memory.jvm-overhead.max", "1g"}},
                            "4Gi", std::nullopt);
  auto findings = judge(fd, {}, engine::default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.code == FindingCode::kMemoryConfigRejected; });
  REQUIRE(it != findings.end());
  CHECK_THAT(it->warning(), Catch::Contains("change taskmanager.memory.jvm-overhead.max, taskmanager.memory.jvm-overhead.min"));
  CHECK_THAT(it->warning(), !Catch::Contains("named above"));
}

TEST_CASE("A JobManager whose pinned heap leaves a window of process sizes is offered the window's first size",
          "[engine][suggested-fixes]") {
  // Heap 3g pinned: the JVM overhead is what the process size leaves, and must stay within [192m, 1g],
  // so 3072 + 128 off-heap + 256 metaspace + 192 = 3648 MiB is the first size Flink accepts.
  Json fd = flinkdeployment("v1_20", {{"jobmanager.memory.heap.size", "3g"}}, "2048Mi", std::nullopt);
  set_field(fd, admission::Pointer{"spec", "jobManager", "resource", "memory"}, "2048Mi");
  auto findings = judge(fd, {}, engine::default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.code == FindingCode::kMemoryConfigRejected && f.role == memguard::memmodel::Role::kJobManager;
  });
  REQUIRE(it != findings.end());
  CHECK_THAT(it->message(), Catch::EndsWith("Fix: set spec.jobManager.resource.memory to at least 3648Mi."));
  REQUIRE(it->suggested.size() == 1);
  CHECK(it->suggested[0] == SuggestedFix{SuggestedEdit::field(admission::Pointer{"spec", "jobManager", "resource", "memory"},
                                                              "3648Mi")});
}

TEST_CASE("Pinned sizes with external resources Flink cannot read are told to change the options, not the size",
          "[engine][suggested-fixes]") {
  // The window the walk finds (it skips the external resources) fails the final check that reads them.
  Json fd = flinkdeployment("v1_20",
                            {{"taskmanager.memory.task.heap.size", "1g"}, {"taskmanager.memory.managed.size", "1g"},
                             {"external-resources", "gpu"}, {"external-resource.gpu.amount", "two"}},
                            "1024Mi", std::nullopt);
  auto findings = judge(fd, {}, engine::default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.code == FindingCode::kMemoryConfigRejected; });
  REQUIRE(it != findings.end());
  CHECK(it->suggested.empty());
  CHECK_THAT(it->message(), Catch::EndsWith("Fix: change taskmanager.memory.managed.size, taskmanager.memory.task.heap.size "
                                            "in spec.flinkConfiguration so that Flink accepts them."));
  // Sized by the field alone, no memory option is set: the fix names the place, Flink's error the key.
  Json unsized = flinkdeployment("v1_20", {{"external-resources", "gpu"}, {"external-resource.gpu.amount", "two"}},
                                 "2048Mi", std::nullopt);
  auto more = judge(unsized, {}, engine::default_policy().defaults);
  auto jt = std::find_if(more.begin(), more.end(),
                         [](const Finding& f) { return f.code == FindingCode::kMemoryConfigRejected; });
  REQUIRE(jt != more.end());
  CHECK_THAT(jt->message(), Catch::Contains("cannot read external-resource.gpu.amount = 'two' as a whole number"));
  CHECK_THAT(jt->message(), Catch::EndsWith("Fix: change the memory options in spec.flinkConfiguration so that Flink "
                                            "accepts them."));
}

TEST_CASE("A suggested edit reads as the fix words it: a field set, an option set or removed in its file",
          "[engine][suggested-fixes]") {
  const admission::Pointer memory{"spec", "taskManager", "resource", "memory"};
  CHECK(engine::describe(SuggestedEdit::field(memory, "2048Mi")) == "set spec.taskManager.resource.memory: 2048Mi");
  CHECK(engine::describe(SuggestedEdit::option("taskmanager.memory.process.size", "data.config.yaml", "2048m")) ==
        "set taskmanager.memory.process.size: 2048m in data.config.yaml");
  CHECK(engine::describe(SuggestedEdit::option("taskmanager.memory.flink.size", "spec.flinkConfiguration", std::nullopt)) ==
        "remove taskmanager.memory.flink.size from spec.flinkConfiguration");
  CHECK(engine::describe(SuggestedFix{}) == "");
  CHECK(engine::describe(SuggestedFix{SuggestedEdit::option("taskmanager.memory.flink.size", "data.config.yaml", std::nullopt),
                                      SuggestedEdit::option("taskmanager.memory.process.size", "data.config.yaml", "1728m"),
                                      SuggestedEdit::field(memory, "1728Mi")}) ==
        "remove taskmanager.memory.flink.size from data.config.yaml and set taskmanager.memory.process.size: 1728m in "
        "data.config.yaml and set spec.taskManager.resource.memory: 1728Mi");
}

TEST_CASE("Rejections at or beyond the largest size searched, or with one pinned size, name the options",
          "[engine][suggested-fixes]") {
  const Options inverted{{"taskmanager.memory.jvm-overhead.min", "2g"}, {"taskmanager.memory.jvm-overhead.max", "1g"}};
  auto rejected = [](const Json& fd) {
    auto findings = judge(fd, {}, engine::default_policy().defaults);
    auto it = std::find_if(findings.begin(), findings.end(),
                           [](const Finding& f) { return f.code == FindingCode::kMemoryConfigRejected; });
    REQUIRE(it != findings.end());
    return *it;
  };
  // 5 TiB is past the 4 TiB the search goes to: no size is offered.
  Finding huge = rejected(flinkdeployment("v1_20", inverted, "5Ti", std::nullopt));
  CHECK(huge.suggested.empty());
  CHECK_THAT(huge.message(), Catch::EndsWith("Fix: change taskmanager.memory.jvm-overhead.max, "
                                             "taskmanager.memory.jvm-overhead.min in spec.flinkConfiguration so that "
                                             "Flink accepts them."));
  // Only the task heap pinned (not managed memory too): no window to walk.
  Options heap = inverted;
  heap.emplace_back("taskmanager.memory.task.heap.size", "1g");
  Finding pinned = rejected(flinkdeployment("v1_20", heap, "2Gi", std::nullopt));
  CHECK(pinned.suggested.empty());
  CHECK_THAT(pinned.message(), Catch::Contains("taskmanager.memory.task.heap.size in spec.flinkConfiguration so that"));
}

TEST_CASE("A rejection only sizes near the largest searched cure is offered that size", "[engine][suggested-fixes]") {
  // 3 TiB of task off-heap: the doubling from 4096 MiB reaches the 4 TiB ceiling before Flink accepts.
  Json fd = flinkdeployment("v1_20", {{"taskmanager.memory.task.off-heap.size", "3t"}, {"taskmanager.memory.managed.size", "0"}},
                            "2048Mi", std::nullopt);
  auto findings = judge(fd, {}, engine::default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(),
                         [](const Finding& f) { return f.code == FindingCode::kMemoryConfigRejected; });
  REQUIRE(it != findings.end());
  REQUIRE(it->suggested.size() == 1);
  REQUIRE(it->suggested[0].size() == 1);
  const std::string size = it->suggested[0][0].value.value_or("");
  CHECK_THAT(it->message(), Catch::EndsWith("Fix: set spec.taskManager.resource.memory to at least " + size + "."));
  // Above the 3 TiB of off-heap, below the 4 TiB ceiling.
  const long long mib = std::stoll(size);
  CHECK(mib > 3LL * 1024 * 1024);
  CHECK(mib < 4LL * 1024 * 1024);
}

TEST_CASE("A JobManager sized nowhere is offered resource.memory itself", "[engine][suggested-fixes]") {
  Json fd = flinkdeployment("v1_20", {}, "2048Mi", std::nullopt);
  Json* jm = fd.member("spec")->member("jobManager");
  REQUIRE(jm != nullptr);
  remove_member(*jm->member("resource"), "memory");
  auto findings = judge(fd, {}, engine::default_policy().defaults);
  auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.code == FindingCode::kMemoryConfigRejected && f.role == memguard::memmodel::Role::kJobManager;
  });
  REQUIRE(it != findings.end());
  REQUIRE(it->suggested.size() == 1);
  REQUIRE(it->suggested[0].size() == 1);
  CHECK(it->suggested[0][0].pointer == admission::Pointer{"spec", "jobManager", "resource", "memory"});
  CHECK_THAT(it->message(), Catch::Contains("Fix: set spec.jobManager.resource.memory to at least "));
}
