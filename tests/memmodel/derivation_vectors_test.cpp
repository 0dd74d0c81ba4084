// Flink's own answers (shared/vectors) for thousands of TaskManager/JobManager configurations on
// 1.13, 1.20 and 2.0: every case must match to the byte, including JVM flags and -D properties.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "memmodel/derivation.h"
#include "memmodel/derived_memory.h"

using namespace memguard::memmodel;

namespace {

struct Outcome {
  bool ok = false;
  std::map<std::string, double> components;
  std::string jvm_args;
  std::map<std::string, std::string> dynamic;
  std::string error;
};

Outcome run_case(const FlinkConfig& config, const std::string& role, const DerivationContext& context) {
  Outcome out;
  auto m = derive_memory(role == "taskmanager" ? Role::kTaskManager : Role::kJobManager, config, context);
  if (!m) {
    out.error = m.error().message;
    return out;
  }
  out.ok = true;
  for (const ComponentRow& row : m->vector_rows()) out.components[std::string(row.field)] = static_cast<double>(row.size.bytes());
  if (m->taskmanager) {
    out.components["cpuCores"] = m->taskmanager->cpu_cores;
    out.components["numSlots"] = m->taskmanager->num_slots;
  }
  out.jvm_args = m->jvm_flags();
  for (auto& [k, v] : m->dynamic_properties(context.version)) out.dynamic[k] = v;
  return out;
}

// Compares one vector line; returns "" when it matches, else what differs.
std::string check_line(simdjson::dom::element line) {
  const std::string id{std::string_view(line["id"])};
  FlinkConfig config;
  for (auto [key, value] : simdjson::dom::object(line["config"])) {
    config.set(std::string(key), std::string(std::string_view(value)));
  }
  DerivationContext context;
  auto version = FlinkVersion::parse(std::string_view(line["flinkVersion"]));
  if (!version) return id + ": bad version";
  context.version = *version;
  std::string_view legacy;
  if (line["legacyHeapMapsTo"].get(legacy) == simdjson::SUCCESS && legacy == "processTotal") {
    context.legacy_heap = LegacyHeapTarget::kProcessTotal;
  }
  const Outcome got = run_case(config, std::string(std::string_view(line["role"])), context);
  simdjson::dom::element expect = line["expect"];
  const bool ok = bool(expect["ok"]);
  if (ok != got.ok) return id + ": expected ok=" + (ok ? "true" : "false") + ", got error: " + got.error;
  if (!ok) return "";
  std::string diff;
  for (auto [key, value] : simdjson::dom::object(expect["components"])) {
    const double want = value.is_double() ? double(value) : static_cast<double>(int64_t(value));
    auto it = got.components.find(std::string(key));
    if (it == got.components.end() || it->second != want) {
      diff += " " + std::string(key) + " want " + std::to_string(want) + " got " +
              (it == got.components.end() ? "none" : std::to_string(it->second));
    }
  }
  if (std::string_view(expect["jvmArgs"]) != got.jvm_args) diff += " jvmArgs got " + got.jvm_args;
  std::map<std::string, std::string> want_dynamic;
  for (auto [key, value] : simdjson::dom::object(expect["dynamicConfigs"])) {
    want_dynamic[std::string(key)] = std::string(std::string_view(value));
  }
  if (want_dynamic != got.dynamic) diff += " dynamicConfigs differ";
  return diff.empty() ? "" : id + ":" + diff;
}

// Each line of memory-public.jsonl, read once for all generated runs of the cases below.
const std::vector<std::string>& public_vectors() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    simdjson::padded_string text = simdjson::padded_string::load(MEMGUARD_TEST_DATA "/vectors/memory-public.jsonl");
    for (simdjson::dom::element line : parser.parse_many(text)) out.push_back(simdjson::minify(line));
    return out;
  }();
  return lines;
}

}  // namespace

TEST_CASE("The public Flink vectors hold every case Flink answered", "[memmodel][vectors][taskmanager][jobmanager]") {
  CHECK(public_vectors().size() == 4944);
}

// One generated run per vector: a failure names its vector id (and Catch2 prints the index to rerun).
TEST_CASE("Every public Flink vector derives exactly as Flink does", "[memmodel][vectors][taskmanager][jobmanager]") {
  const size_t index = GENERATE(range(size_t{0}, public_vectors().size()));
  simdjson::dom::parser parser;
  simdjson::dom::element line = parser.parse(public_vectors()[index]);
  const std::string id{std::string_view(line["id"])};
  CAPTURE(index, id);
  CHECK(check_line(line) == "");
}

TEST_CASE("Every MemorySize parse vector parses or fails as Flink's parser does", "[memmodel][vectors][memory_size]") {
  simdjson::dom::parser parser;
  simdjson::padded_string text = simdjson::padded_string::load(MEMGUARD_TEST_DATA "/vectors/memorysize-parse.jsonl");
  size_t total = 0;
  size_t passed = 0;
  for (simdjson::dom::element line : parser.parse_many(text)) {
    ++total;
    const std::string input{std::string_view(line["input"])};
    auto parsed = MemorySize::parse(input);
    int64_t want = 0;
    if (line["expect_bytes"].get(want) == simdjson::SUCCESS) {
      CAPTURE(input);
      CHECK(parsed.has_value());
      if (parsed) {
        CHECK(parsed->bytes() == want);
        if (parsed->bytes() == want) ++passed;
      }
    } else {
      CAPTURE(input);
      CHECK_FALSE(parsed.has_value());
      if (!parsed) ++passed;
    }
  }
  std::printf("memorysize-parse.jsonl: %zu/%zu cases match Flink\n", passed, total);
  CHECK(total == 68);
}
