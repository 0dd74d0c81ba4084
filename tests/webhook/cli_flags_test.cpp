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

TEST_CASE("serve and audit choose the cluster with the same flags and the same errors", "[cli][flags][kube]") {
  // serve's required flags come first; the cluster is chosen before the certificate is read.
  const std::string command = GENERATE(as<std::string>{}, "serve --tls-cert a --tls-key b", "audit");
  CAPTURE(command);
  const std::string name = command.substr(0, command.find(' '));

  SECTION("an explicit server needs its token and CA") {
    const auto r = run_cli(command + " --server https://127.0.0.1:1", Stderr::kMerge);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("flink-memguard " + name + ": --server, --token-file and --ca-file go together"));
  }
  SECTION("an explicit server and a kubeconfig are one choice too many") {
    const auto r = run_cli(command + " --server https://127.0.0.1:1 --token-file t --ca-file c --kubeconfig k",
                           Stderr::kMerge);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("--server chooses the cluster"));
  }
  SECTION("a kubeconfig that cannot be read names the flag it came from") {
    for (const std::string flag : {"--kube-api=", "--kube-api ", "--kubeconfig "}) {
      const auto r = run_cli(command + " " + flag + "/nonexistent/memguard-kubeconfig", Stderr::kMerge);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.out, Catch::Contains("flink-memguard " + name +
                                        ": --kube-api /nonexistent/memguard-kubeconfig: kubeconfig"));
    }
  }
}
