// `flink-memguard review`: the binary answers fixtures as the webhook would, with its exit codes.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/webhook/cli_test_support.h"

namespace {
struct Run {
  int status = -1;
  std::string out;
};
Run run(const std::string& args) {
  std::string command = std::string(MEMGUARD_BINARY) + " review " + args + " 2>/dev/null";
  Run r;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}
std::string fixture(const std::string& name) { return std::string(MEMGUARD_TEST_DATA) + "/reviews/" + name; }
}  // namespace

TEST_CASE("review exits 0 for an allowed review and prints the response", "[cli][review]") {
  Run r = run("< " + fixture("fd-valid.json"));
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("\"allowed\": true"));
  CHECK_THAT(r.out, Catch::Contains("\"uid\": \"uid-fd-valid\""));
}

TEST_CASE("review exits 1 for a denial", "[cli][review]") {
  Run r = run("-f " + fixture("cm-process-exceeds-limit.json"));
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("\"code\": 403"));
}

TEST_CASE("review --mutate prints the patch response", "[cli][review]") {
  Run r = run("--mutate < " + fixture("fd-ambiguous-memory-unit.json"));
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("\"patchType\": \"JSONPatch\""));
}

TEST_CASE("review honours --policy", "[cli][review]") {
  const std::string policy = "/tmp/memguard-review-command-test-policy-" + std::to_string(getpid()) + ".yaml";
  auto review_with = [&](const char* yaml) {
    FILE* f = std::fopen(policy.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(yaml, f);
    std::fclose(f);
    Run r = run("--policy " + policy + " < " + fixture("cm-process-exceeds-limit.json"));
    std::remove(policy.c_str());
    return r;
  };
  // The embedded policy denies this review (see "review exits 1 for a denial").
  SECTION("warn turns the denial into a warning that still names the problem") {
    Run r = review_with("findings:\n  process-exceeds-limit: warn\n");
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("\"allowed\": true"));
    CHECK_THAT(r.out, Catch::Contains("TaskManager: process 1728 MiB exceeds container limit 1024 MiB"));
    CHECK_THAT(r.out, !Catch::Contains("\"code\": 403"));
  }
  SECTION("off drops the finding altogether") {
    Run r = review_with("findings:\n  process-exceeds-limit: off\n");
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("\"allowed\": true"));
    CHECK_THAT(r.out, !Catch::Contains("exceeds container limit"));
    CHECK_THAT(r.out, !Catch::Contains("process-exceeds-limit"));
  }
}

TEST_CASE("review exits 2 for unreadable input, a bad policy, or bad usage", "[cli][review]") {
  CHECK(run("< /dev/null").status == 2);
  CHECK(run("--policy /tmp/memguard-no-such-policy.yaml < " + fixture("fd-valid.json")).status == 2);
  CHECK(run("--frobnicate").status == 2);
}

TEST_CASE("review names the option it does not know or that lacks its value", "[cli][review]") {
  auto bogus = memguard::testing::run_cli("review --bogus < /dev/null", memguard::testing::Stderr::kMerge);
  CHECK(bogus.exit_code == 2);
  CHECK_THAT(bogus.out, Catch::StartsWith("flink-memguard review: unknown option '--bogus'\n\nusage: flink-memguard review"));
  auto missing = memguard::testing::run_cli("review --policy", memguard::testing::Stderr::kMerge);
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.out, Catch::StartsWith("flink-memguard review: --policy needs FILE"));
}
