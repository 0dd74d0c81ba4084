// The flag table every flink-memguard command parses with: the same conventions and errors in each.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include "tests/webhook/cli_test_support.h"

using memguard::testing::run_cli;
using memguard::testing::Stderr;

namespace {

struct CommandFlags {
  std::string command;
  std::string valid;         // --flag=value the command accepts
  std::string refused;       // --flag=value its setter refuses
  std::string refusal;       // what the refusal says
  std::string needs_value;   // a flag given last, without its value
  std::string missing_text;  // the error naming it
};

}  // namespace

TEST_CASE("Every command takes flag=value and names an unknown flag or a missing value with its usage", "[cli][flags]") {
  const auto c = GENERATE(values<CommandFlags>({
      {"memory", "--output=json", "--output=yaml", "--output must be table, json, svg or html", "-f", "-f needs FILE"},
      {"check", "--output=json", "--output=yaml", "--output must be text, json, sarif or junit", "--policy",
       "--policy needs FILE"},
      {"review", "--policy=/tmp/memguard-flags-no-policy.yaml", "--policy=/tmp/memguard-flags-no-policy.yaml",
       "/tmp/memguard-flags-no-policy.yaml", "--with", "--with needs PATH"},
      {"serve", "--threads=4", "--threads=0", "--threads needs a number from 1 to 256", "--policy",
       "--policy needs FILE"},
      {"audit", "--output=json", "--output=yaml", "--output must be text or json", "--page-size",
       "--page-size needs N"},
  }));
  CAPTURE(c.command);
  const std::string usage = "usage: flink-memguard " + c.command;

  SECTION("an unknown flag is named and the usage follows") {
    const auto r = run_cli(c.command + " --frobnicate", Stderr::kMerge);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("flink-memguard " + c.command + ": unknown option '--frobnicate'"));
    CHECK_THAT(r.out, Catch::Contains(usage));
  }
  SECTION("an unknown flag given as flag=value is named without its value") {
    const auto r = run_cli(c.command + " --frobnicate=yes", Stderr::kMerge);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("unknown option '--frobnicate'"));
  }
  SECTION("flag=value is parsed like flag value") {
    const auto accepted = run_cli(c.command + " " + c.valid + " --help", Stderr::kMerge);
    CHECK(accepted.exit_code == 0);
    CHECK_THAT(accepted.out, Catch::Contains(usage));
    const auto refused = run_cli(c.command + " " + c.refused, Stderr::kMerge);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.out, Catch::Contains(c.refusal));
  }
  SECTION("a missing value names its flag and the usage follows") {
    const auto r = run_cli(c.command + " " + c.needs_value, Stderr::kMerge);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("flink-memguard " + c.command + ": " + c.missing_text));
    CHECK_THAT(r.out, Catch::Contains(usage));
  }
}
