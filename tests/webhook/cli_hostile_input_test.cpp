// Hostile and odd input to the CLI (issue 12): no input makes `check`, `review`, `memory` or a
// --policy file abort, hang or grow without bound. Each answer is the documented one: a note for a
// document without kind, that file's error (exit 2) for what cannot be read while the rest is still
// judged, an error naming the limit for what is too large. Time bounds are 50x and more above the
// measured cost (tens of milliseconds), so a busy machine cannot fail them.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/read_file.h"
#include "tests/webhook/cli_test_support.h"

namespace {

using memguard::testing::CliRun;
using memguard::testing::Stderr;

CliRun run(const std::string& arguments) { return memguard::testing::run_cli(arguments, Stderr::kMerge); }

std::string temp_file(const std::string& name, const std::string& text) {
  return memguard::testing::temp_file("hostile", name, text);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kManifests = MEMGUARD_TEST_DATA "/manifests";

// A ConfigMap whose data holds 10^13 "lol"s once its aliases are expanded, in 700 bytes.
std::string alias_bomb() {
  std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  std::string previous = "a";
  for (char name = 'b'; name <= 'm'; ++name) {
    yaml += std::string("  ") + name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", *" : "*") + previous;
    yaml += "]\n";
    previous = std::string(1, name);
  }
  return yaml;
}

// Runs and times one command.
CliRun timed(const std::string& arguments, double& seconds) {
  const auto start = std::chrono::steady_clock::now();
  CliRun r = run(arguments);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace

TEST_CASE("check skips a YAML document without kind with a note instead of aborting", "[cli][check][hostile]") {
  // Each of these aborted with SIGABRT (exit 134) before.
  for (const std::string text : {"a: 1\n", "{\"a\":1}", "replicaCount: 2\nimage:\n  repository: flink\n"}) {
    CliRun r = run("check -f - < '" + temp_file("values.yaml", text) + "'");
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "<stdin>:1: skipped: no kind, so not a Kubernetes object (Helm values or another tool's YAML?)"));
    CHECK(contains(r.out, "0 object(s) read, 0 judged: 0 denied, 0 with warnings, 0 unreadable, 1 document(s) skipped"));
  }
  // A second document without kind next to one that is judged: the judgement stands.
  const std::string configmap = kManifests + "/standalone-session/flink-configuration-configmap.yaml";
  const std::string tm = kManifests + "/standalone-session/taskmanager-session-deployment.yaml";
  const auto tm_text = memguard::read_file(tm, size_t{1} << 20, "manifest");
  REQUIRE(tm_text);
  const std::string both = temp_file("tm-and-values.yaml", *tm_text + "\n---\nfoo: bar\n");
  CliRun r = run("check -f '" + both + "' -f '" + configmap + "'");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "Deployment default/flink-taskmanager: denied"));
  CHECK(contains(r.out, "tm-and-values.yaml:"));
  CHECK(contains(r.out, ": skipped: no kind"));

  CliRun json = run("check --output json -f '" + temp_file("v.yaml", "a: 1\n") + "'");
  CHECK(json.exit_code == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json.out).get(root) == simdjson::SUCCESS);
  CHECK(root["skipped"].at(0)["reason"].get_string().value().substr(0, 8) == "no kind,");
  CHECK(root["summary"]["skipped"].get_int64().value() == 1);
  CHECK(root["summary"]["exitCode"].get_int64().value() == 0);
}

TEST_CASE("check reports an unreadable file as its own error and still judges every other file",
          "[cli][check][hostile]") {
  const auto dir = std::filesystem::temp_directory_path() / ("memguard-hostile-dir-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& entry : std::filesystem::directory_iterator(kManifests + "/standalone-session")) {
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
  }
  std::ofstream(dir / "broken.yaml") << "kind: [\n";
  std::ofstream(dir / "values.yaml") << "replicaCount: 1\n";
  std::filesystem::create_symlink("nowhere.yaml", dir / "dangling.yaml");
  REQUIRE(::mkfifo((dir / "pipe.yaml").c_str(), 0600) == 0);

  CliRun r = run("check -f '" + dir.string() + "'");
  CHECK(r.exit_code == 2);  // something could not be read
  // Every judgement of the readable files is there, as without the bad ones.
  CHECK(contains(r.out, "jobmanager-session-deployment.yaml:3 Deployment default/flink-jobmanager: denied"));
  CHECK(contains(r.out, "Deployment default/flink-taskmanager: denied"));
  CHECK(contains(r.out, "ConfigMap default/flink-config: denied"));
  CHECK(contains(r.out, dir.string() + "/broken.yaml: errored\n  error: invalid YAML at line 2"));
  CHECK(contains(r.out, dir.string() + "/dangling.yaml: errored\n  error: cannot read: No such file or directory"));
  CHECK(contains(r.out, dir.string() + "/pipe.yaml: errored\n  error: not a regular file"));
  CHECK(contains(r.out, dir.string() + "/values.yaml:1: skipped: no kind"));
  CHECK(contains(r.out, "3 judged: 3 denied, 3 with warnings, 3 unreadable, 1 document(s) skipped"));

  CliRun json = run("check --output json -f '" + dir.string() + "' -f /nonexistent/k8s.yaml");
  CHECK(json.exit_code == 2);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json.out).get(root) == simdjson::SUCCESS);
  CHECK(root["summary"]["unreadable"].get_int64().value() == 4);
  CHECK(root["summary"]["denied"].get_int64().value() == 3);
  std::filesystem::remove_all(dir);
}

TEST_CASE("check refuses an alias bomb, deep nesting and endless input quickly", "[cli][check][hostile]") {
  double seconds = 0;
  CliRun bomb = timed("check -f '" + temp_file("bomb.yaml", alias_bomb()) + "'", seconds);
  CHECK(bomb.exit_code == 2);
  CHECK(contains(bomb.out, "bomb.yaml: errored\n  error: more than 1000000 YAML nodes in one document "
                           "(counting alias expansions) at line 10"));
  CHECK(seconds < 10);  // about 0.05 s; it grew past 2 GB and ran until killed before

  CliRun deep = run("check -f '" + temp_file("deep.yaml", "kind: X\na: " + std::string(3000, '[') + "\n") + "'");
  CHECK(deep.exit_code == 2);
  CHECK(contains(deep.out, "nests deeper than 100 levels"));

  CliRun zero = timed("check -f /dev/zero", seconds);
  CHECK(zero.exit_code == 2);
  CHECK(contains(zero.out, "/dev/zero: errored\n  error: larger than 32 MiB, the limit for one file; not read"));
  CHECK(seconds < 30);  // reading 32 MiB: about 0.3 s

  std::string noise(1 << 20, '\0');  // a MiB of pseudo-random bytes
  uint32_t state = 12345;
  for (char& c : noise) c = static_cast<char>((state = state * 1103515245u + 12345u) >> 24);
  CliRun garbage = run("check -f - < '" + temp_file("noise.yaml", noise) + "'");
  CHECK(garbage.exit_code == 2);
  CHECK(contains(garbage.out, "<stdin>: errored\n  error: invalid YAML at line"));

  CliRun empty = run("check -f /dev/null -f '" + temp_file("empty.yaml", "") + "'");
  CHECK(empty.exit_code == 0);
  CHECK(contains(empty.out, "0 object(s) read"));
}

TEST_CASE("review --with skips values files, and fails cleanly on unreadable or oversized input",
          "[cli][review][hostile]") {
  const std::string review = std::string(MEMGUARD_TEST_DATA) + "/reviews/fd-valid.json";
  CliRun noted = run("review -f '" + review + "' --with '" + temp_file("values.yaml", "a: 1\n") + "'");
  CHECK(noted.exit_code == 0);
  CHECK(contains(noted.out, "flink-memguard review: note: "));
  CHECK(contains(noted.out, "values.yaml:1: skipped: no kind"));

  CliRun bomb = run("review -f '" + review + "' --with '" + temp_file("bomb.yaml", alias_bomb()) + "'");
  CHECK(bomb.exit_code == 2);
  CHECK(contains(bomb.out, "bomb.yaml: more than 1000000 YAML nodes in one document"));

  // The webhook answers 413 to a body over 3 MiB; review refuses it without reading on.
  CliRun large = run("review -f /dev/zero");
  CHECK(large.exit_code == 2);
  CHECK(contains(large.out, "/dev/zero: larger than 3 MiB, the largest request body the webhook accepts"));
  CliRun directory = run("review -f '" + std::string(MEMGUARD_TEST_DATA) + "'");
  CHECK(directory.exit_code == 2);
  CHECK(contains(directory.out, ": is a directory"));
}

TEST_CASE("memory refuses a directory, endless files and endless lines with exit 2", "[cli][memory][hostile]") {
  CliRun directory = run("memory -f '" + std::string(MEMGUARD_TEST_DATA) + "'");
  CHECK(directory.exit_code == 2);
  CHECK(contains(directory.out, "flink-memguard memory: " + std::string(MEMGUARD_TEST_DATA) +
                                    ": is a directory (-f takes a flink-conf.yaml or config.yaml file)"));
  CliRun zero = run("memory -f /dev/zero");
  CHECK(zero.exit_code == 2);
  CHECK(contains(zero.out, "larger than 16 MiB, the limit for a configuration file"));

  // config.yaml with a large scalar repeated by aliases: bounded text, not gigabytes of list.
  std::string scalar_bomb = "a: &a " + std::string(1 << 20, 'x') + "\nb: [";
  for (int i = 0; i < 40; ++i) scalar_bomb += (i ? ", *a" : "*a");
  CliRun bomb = run("memory -f '" + temp_file("config.yaml", scalar_bomb + "]\n") + "'");
  CHECK(bomb.exit_code == 2);
  CHECK(contains(bomb.out, "more than 4 MiB of scalar text in one YAML document (counting alias expansions)"));

  // --batch: a line past 1 MiB (here /dev/zero, which has none) is answered and ends the batch.
  double seconds = 0;
  CliRun batch = timed("memory --batch < /dev/zero", seconds);
  CHECK(batch.exit_code == 2);
  CHECK(contains(batch.out, R"({"id":null,"ok":false,"error":"request line longer than 1048576 bytes; it and the rest of the input are not read"})"));
  CHECK(seconds < 20);
}

TEST_CASE("a --policy file with an alias bomb or of endless size is refused", "[cli][policy][hostile]") {
  // The policy nests three levels of maps; aliases repeated at each multiply the walk.
  std::string policy = "x: &f {";
  for (int i = 0; i < 50; ++i) policy += std::string(i ? ", " : "") + "process-exceeds-limit: warn";
  policy += "}\nnamespaces:\n";
  for (int n = 0; n < 50; ++n) {
    policy += "  ns" + std::to_string(n) + ": &n" + std::to_string(n) + " {";
    for (int s = 0; s < 50; ++s) policy += std::string(s ? ", " : "") + "findings: *f";
    policy += "}\n";
  }
  CliRun bomb = run("check --policy '" + temp_file("policy.yaml", policy) + "' -f '" + kManifests + "/standalone-session'");
  CHECK(bomb.exit_code == 2);
  CHECK(contains(bomb.out, "policy.yaml: policy: more than "));  // its nodes or their text, whichever first
  CHECK(contains(bomb.out, " in one YAML document (counting alias expansions)"));
  CliRun zero = run("check --policy /dev/zero -f '" + kManifests + "/standalone-session'");
  CHECK(zero.exit_code == 2);
  CHECK(contains(zero.out, "/dev/zero: larger than 1 MiB, the limit for a policy file"));
}
