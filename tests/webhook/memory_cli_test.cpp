// The `memory` command end to end: the built binary answers every public vector in --batch mode,
// and its table/json outputs and exit codes say what Flink would do.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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

namespace {

// Sets an environment variable for the binaries a test case runs, and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

const std::string kTaskManager1728 = "memory --role taskmanager -D taskmanager.memory.process.size=1728m";

}  // namespace

// Shares of 1728 MiB (1811939328 bytes) in 20 cells: framework heap 128 MiB = 7.41% = 1.48 cells
// (1 '#', 12 eighths = 1 full block and a half), managed 536870920 bytes = 29.63% = 5.93 cells
// (6 '#', 47 eighths = 5 full blocks and seven eighths), Total Flink 1280 MiB = 14.81 cells.
TEST_CASE("memory draws share bars in # when stdout is no terminal and with --ascii", "[webhook][cli][memory][bars]") {
  ScopedEnv no_force("FLINK_MEMGUARD_BARS", nullptr);
  ScopedEnv utf8("LC_ALL", "C.UTF-8");  // a UTF-8 locale alone does not make a pipe a terminal
  for (const std::string& arguments : {kTaskManager1728, kTaskManager1728 + " --ascii"}) {
    CAPTURE(arguments);
    Run r = run(arguments);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("  Component                          Size                Bytes  Share of process      Source     Key\n"));
    CHECK_THAT(r.out, Catch::Contains("  Framework Heap                  128 MiB            134217728  #                     default    taskmanager.memory.framework.heap.size\n"));
    CHECK_THAT(r.out, Catch::Contains("  Managed                     ~512.00 MiB            536870920  ######                derived    taskmanager.memory.managed.fraction\n"));
    CHECK_THAT(r.out, Catch::Contains("  Total Flink Memory             1280 MiB           1342177280  ###############       derived    taskmanager.memory.flink.size\n"));
    CHECK_THAT(r.out, Catch::Contains("  Total Process Memory           1728 MiB           1811939328  ####################  configured taskmanager.memory.process.size\n"));
    CHECK_THAT(r.out, Catch::Contains("  Task Off-Heap                   0 bytes                    0                        default    taskmanager.memory.task.off-heap.size\n"));
    CHECK_THAT(r.out, !Catch::Contains("\u2588"));
  }
}

TEST_CASE("memory draws eighth-block bars when told to and --ascii still wins", "[webhook][cli][memory][bars]") {
  ScopedEnv force("FLINK_MEMGUARD_BARS", "unicode");
  Run r = run(kTaskManager1728);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("  Framework Heap                  128 MiB            134217728  \u2588\u258c                    default"));
  CHECK_THAT(r.out, Catch::Contains("  Managed                     ~512.00 MiB            536870920  \u2588\u2588\u2588\u2588\u2588\u2589                derived"));
  CHECK_THAT(r.out, Catch::Contains("  JVM Overhead                    192 MiB            201326592  \u2588\u2588\u258e                   derived"));
  Run ascii = run(kTaskManager1728 + " --ascii");
  CHECK_THAT(ascii.out, !Catch::Contains("\u2588"));
  CHECK_THAT(ascii.out, Catch::Contains("  Managed                     ~512.00 MiB            536870920  ######                derived"));
}

TEST_CASE("memory sums up where the process memory goes in whole percents that add up to 100", "[webhook][cli][memory]") {
  // Floors 7 + 22 + 7 + 7 + 29 + 14 + 11 = 97; the three largest remainders (metaspace .81, managed
  // .63, network .4074 which is 2 bytes above framework heap's) get the missing points.
  Run r = run(kTaskManager1728);
  CHECK_THAT(r.out, Catch::Contains("  Where it goes: process 1728 MiB = framework heap 7% + task heap 22% + framework off-heap 7% + "
                                    "network 8% + managed 30% + JVM metaspace 15% + JVM overhead 11%\n"));
  CHECK_THAT(r.out, Catch::Contains("  Sized from: taskmanager.memory.process.size (derivation path: total-process)\n"));
  Run jm = run("memory --role jobmanager -D jobmanager.memory.heap.size=1g");
  CHECK_THAT(jm.out, Catch::Contains("  Sized from: jobmanager.memory.heap.size (derivation path: fine-grained)\n"));
  Run tm = run("memory --role taskmanager -D taskmanager.memory.task.heap.size=1g -D taskmanager.memory.managed.size=1g "
               "-D taskmanager.memory.flink.size=3g");
  CHECK_THAT(tm.out, Catch::Contains("  Sized from: taskmanager.memory.task.heap.size, taskmanager.memory.managed.size, "
                                     "taskmanager.memory.flink.size (derivation path: fine-grained)\n"));
}

TEST_CASE("memory names the smallest accepted size of a rejected total where one exists", "[webhook][cli][memory]") {
  // JobManager: P - 256 MiB metaspace - 192 MiB overhead must exceed the 128 MiB off-heap: 577 MiB.
  Run jm = run("memory --role jobmanager -D jobmanager.memory.process.size=500m");
  CHECK(jm.exit_code == 1);
  CHECK_THAT(jm.out, Catch::Contains("  Sized from: jobmanager.memory.process.size (derivation path: total-process)\n"
                                     "  Smallest accepted: jobmanager.memory.process.size = 577m (577 MiB, everything else unchanged)\n"));
  Run tm = run("memory --role taskmanager -D taskmanager.memory.process.size=900m");
  CHECK_THAT(tm.out, Catch::Contains("  Smallest accepted: taskmanager.memory.process.size = 982m (982 MiB"));
  // The HTML page says the same under its table.
  Run html = run("memory --role jobmanager --output html -D jobmanager.memory.process.size=500m");
  CHECK_THAT(html.out, Catch::Contains("<p>Sized from: jobmanager.memory.process.size (derivation path: total-process)</p>\n"
                                       "<p>Smallest accepted: jobmanager.memory.process.size = 577m (577 MiB, everything "
                                       "else unchanged)</p>\n"));
  Run html_ok = run("memory --role jobmanager --output html -D jobmanager.memory.process.size=2g");
  CHECK_THAT(html_ok.out, Catch::Contains("<p>Where it goes: process 2 GiB = JVM heap 71% + off-heap 6% + JVM metaspace 13% + "
                                          "JVM overhead 10%</p>\n"));
  // A fraction out of range rejects every size: nothing to suggest.
  Run fraction = run("memory --role taskmanager -D taskmanager.memory.process.size=4g -D taskmanager.memory.managed.fraction=1.5");
  CHECK(fraction.exit_code == 1);
  CHECK_THAT(fraction.out, !Catch::Contains("Smallest accepted"));
}

TEST_CASE("memory --output json has the derivation path and a machine-readable rejection", "[webhook][cli][memory]") {
  simdjson::dom::parser parser;
  Run accepted = run("memory --role jobmanager --output json -D jobmanager.memory.process.size=2g");
  REQUIRE(accepted.exit_code == 0);
  simdjson::dom::element jm = parser.parse(accepted.out)["jobmanager"];
  CHECK(std::string_view(jm["derivationPath"]) == "total-process");
  CHECK(std::string_view(jm["sizedFrom"].at(0)) == "jobmanager.memory.process.size");
  // 2 GiB x the float 0.1 (0.10000000149011612, exactly as Flink multiplies) = 214748368 bytes; the
  // heap is what 2 GiB leaves after it, 256 MiB metaspace and 128 MiB off-heap.
  CHECK(int64_t(jm["components"]["jvmOverhead"]) == 214748368);
  CHECK(int64_t(jm["components"]["jvmHeap"]) == 2147483648LL - 214748368 - 268435456 - 134217728);
  simdjson::dom::element ignored;
  CHECK(jm["rejection"].get(ignored) == simdjson::NO_SUCH_FIELD);

  Run rejected = run("memory --role jobmanager --output json -D jobmanager.memory.process.size=500m");
  CHECK(rejected.exit_code == 1);
  simdjson::dom::element r = parser.parse(rejected.out)["jobmanager"];
  CHECK(std::string_view(r["derivationPath"]) == "total-process");
  CHECK(std::string_view(r["rejection"]["reason"]) == "illegal-configuration");
  CHECK_THAT(std::string(std::string_view(r["rejection"]["message"])), Catch::Contains("leaving no JVM Heap"));
  CHECK(std::string_view(r["rejection"]["smallestAccepted"]["key"]) == "jobmanager.memory.process.size");
  CHECK(int64_t(r["rejection"]["smallestAccepted"]["bytes"]) == 577LL << 20);

  Run fraction = run("memory --role taskmanager --output json -D taskmanager.memory.process.size=4g "
                     "-D taskmanager.memory.managed.fraction=1.5");
  simdjson::dom::element f = parser.parse(fraction.out)["taskmanager"];
  CHECK(f["rejection"]["smallestAccepted"].is_null());
  Run none = run("memory --role taskmanager --output json");
  simdjson::dom::element n = parser.parse(none.out)["taskmanager"];
  CHECK(n["derivationPath"].is_null());
  CHECK(simdjson::dom::array(n["sizedFrom"]).size() == 0);
}
