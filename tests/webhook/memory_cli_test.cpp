// The `memory` command end to end: the built binary answers every public vector in --batch mode,
// and its table/json outputs and exit codes say what Flink would do.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/webhook/cli_test_support.h"

namespace {

using Run = memguard::testing::CliRun;
Run run(const std::string& arguments) { return memguard::testing::run_cli(arguments); }
std::string temp_file(const std::string& name, const std::string& text) {
  return memguard::testing::temp_file("cli-test", name, text);
}

}  // namespace

TEST_CASE("memory --batch answers every public vector as Flink does", "[webhook][cli][memory]") {
  const std::string vectors = MEMGUARD_TEST_DATA "/vectors/memory-public.jsonl";
  Run r = run("memory --batch < '" + vectors + "'");
  REQUIRE(r.exit_code == 0);
  simdjson::dom::parser expect_parser;
  simdjson::dom::parser got_parser;
  simdjson::padded_string expected_text = simdjson::padded_string::load(vectors);
  simdjson::padded_string got_text(r.out);
  simdjson::dom::document_stream got_stream = got_parser.parse_many(got_text);
  // Materialise the answers' text, because a document_stream's elements die with the next one.
  std::vector<std::string> answers;
  for (auto doc : got_stream) answers.push_back(simdjson::minify(doc.value()));
  size_t total = 0;
  size_t matched = 0;
  simdjson::dom::parser answer_parser;
  for (simdjson::dom::element want : expect_parser.parse_many(expected_text)) {
    REQUIRE(total < answers.size());
    simdjson::dom::element answer = answer_parser.parse(answers[total]);
    ++total;
    const std::string id{std::string_view(want["id"])};
    CAPTURE(id);
    REQUIRE(std::string_view(answer["id"]) == id);
    simdjson::dom::element expect = want["expect"];
    const bool ok = bool(expect["ok"]);
    CHECK(bool(answer["ok"]) == ok);
    if (bool(answer["ok"]) != ok) continue;
    if (!ok) {
      CHECK(!std::string_view(answer["error"]).empty());
      ++matched;
      continue;
    }
    bool same = std::string_view(answer["jvmArgs"]) == std::string_view(expect["jvmArgs"]);
    for (auto [key, value] : simdjson::dom::object(expect["components"])) {
      simdjson::dom::element got_value;
      if (answer["components"][key].get(got_value) != simdjson::SUCCESS) {
        same = false;
        continue;
      }
      same = same && double(got_value) == double(value);
    }
    std::map<std::string, std::string> want_dynamic;
    std::map<std::string, std::string> got_dynamic;
    for (auto [k, v] : simdjson::dom::object(expect["dynamicConfigs"])) want_dynamic[std::string(k)] = std::string(std::string_view(v));
    for (auto [k, v] : simdjson::dom::object(answer["dynamicConfigs"])) got_dynamic[std::string(k)] = std::string(std::string_view(v));
    same = same && want_dynamic == got_dynamic;
    CHECK(same);
    if (same) ++matched;
  }
  std::printf("memory --batch: %zu/%zu public vectors answered as Flink\n", matched, total);
  CHECK(total == answers.size());
  CHECK(matched == total);
}

TEST_CASE("memory --batch answers a malformed line with an error instead of crashing", "[webhook][cli][memory]") {
  const std::string input = temp_file("bad.jsonl", "{not json\n{\"id\":\"a\",\"role\":\"jobmanager\",\"config\":{}}\n");
  Run r = run("memory --batch < '" + input + "'");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"ok\":false"));
  CHECK_THAT(r.out, Catch::Contains("\"id\":\"a\""));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
}

TEST_CASE("memory prints a table with components, flags, -D properties and the container", "[webhook][cli][memory]") {
  Run r = run("memory -D taskmanager.memory.process.size=1728m -D jobmanager.memory.process.size=1600m");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Task Heap"));
  CHECK_THAT(r.out, Catch::Contains("402653174"));
  CHECK_THAT(r.out, Catch::Contains("-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458"));
  CHECK_THAT(r.out, Catch::Contains("-D taskmanager.memory.managed.size=536870920b"));
  CHECK_THAT(r.out, Catch::Contains("memory request 1728Mi, limit 1728Mi"));
  CHECK_THAT(r.out, Catch::Contains("JobManager memory"));
}

TEST_CASE("memory reads config files, and -D overrides them", "[webhook][cli][memory]") {
  const std::string yaml = temp_file("config.yaml", "taskmanager:\n  memory:\n    process.size: 4096m\n");
  Run r = run("memory --role taskmanager --output json -f '" + yaml + "'");
  REQUIRE(r.exit_code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  CHECK(int64_t(doc["taskmanager"]["components"]["processTotal"]) == 4096LL << 20);
  CHECK(int64_t(doc["taskmanager"]["components"]["jvmOverhead"]) == 429496736);
  CHECK(std::string_view(doc["taskmanager"]["kubernetes"]["memoryRequest"]) == "4096Mi");
  Run overridden = run("memory --role taskmanager --output json -f '" + yaml + "' -D taskmanager.memory.process.size=2g");
  CHECK(int64_t(parser.parse(overridden.out)["taskmanager"]["components"]["processTotal"]) == 2LL << 30);
  const std::string legacy = temp_file("flink-conf.yaml", "taskmanager.memory.process.size: \"1g\"\n");
  Run quoted = run("memory --role taskmanager -f '" + legacy + "'");
  CHECK(quoted.exit_code == 1);  // the legacy parser keeps the quotes, so Flink rejects the size
}

TEST_CASE("memory lists the flink-conf.yaml lines Flink ignores by line number and a byte order mark",
          "[webhook][cli][memory]") {
  const std::string conf = temp_file("bom-flink-conf.yaml",
                                     "\xEF\xBB\xBFtaskmanager.numberOfTaskSlots: 2\n"
                                     "taskmanager.memory.process.size: 1728m\n"
                                     "s3.secret-key:do-not-print-me\n");
  Run r = run("memory --role taskmanager -f '" + conf + "'");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Ignored by Flink:\n  " + conf +
                                    ": line 1: starts with a UTF-8 byte order mark, which Flink's reader keeps as part "
                                    "of the first key, so Flink does not read taskmanager.numberOfTaskSlots"));
  CHECK_THAT(r.out, Catch::Contains(conf + ": line 3: not a key-value pair (missing space after ':'?)"));
  CHECK_THAT(r.out, !Catch::Contains("do-not-print-me"));
  CHECK_THAT(r.out, Catch::Contains("task slots 1"));  // as Flink: the hidden key is not read
  Run json = run("memory --role taskmanager --output json -f '" + conf + "'");
  CHECK_THAT(json.out, Catch::Contains("\"fileNotes\":[\"" + conf + ": line 1: starts with a UTF-8 byte order mark"));
}

TEST_CASE("memory exits 1 when Flink would reject and 2 for bad usage", "[webhook][cli][memory]") {
  Run rejected = run("memory --role taskmanager -D taskmanager.memory.process.size=700m");
  CHECK(rejected.exit_code == 1);
  CHECK_THAT(rejected.out, Catch::Contains("REJECTED"));
  Run json = run("memory --role jobmanager --output json -D jobmanager.memory.flink.size=100m -D jobmanager.memory.heap.size=150m");
  CHECK(json.exit_code == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json.out);
  CHECK_FALSE(bool(doc["jobmanager"]["ok"]));
  CHECK_THAT(std::string(std::string_view(doc["jobmanager"]["error"])), Catch::Contains("jobmanager.memory.heap.size"));
  CHECK(run("memory --role nobody").exit_code == 2);
  CHECK(run("memory --flink-version 1.9").exit_code == 2);
  CHECK(run("memory -D novalue").exit_code == 2);
  CHECK(run("memory -f /nonexistent/flink-conf.yaml").exit_code == 2);
  CHECK(run("memory --help").exit_code == 0);
}

TEST_CASE("memory refuses a -D property without a key, attached or as the next argument", "[webhook][cli][memory]") {
  // "=4g" would otherwise set the empty option, which Flink never reads: the user's size is lost.
  for (const char* arguments : {"memory --role taskmanager -D=4g", "memory --role taskmanager -D =4g"}) {
    Run r = memguard::testing::run_cli(arguments, memguard::testing::Stderr::kMerge);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("is not key=value"));
  }
  CHECK(run("memory --role taskmanager -D taskmanager.memory.process.size=4g").exit_code == 0);
}
