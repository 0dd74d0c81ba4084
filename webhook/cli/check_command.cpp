// `flink-memguard check`: the webhook's decisions for manifests on disk (CI, pre-commit). Every
// object is judged as a CREATE under the policy by the same decide() the webhook runs, with
// ConfigMaps and workloads resolved against each other within the given files.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "webhook/cli/commands.h"
#include "webhook/cli/flags.h"
#include "webhook/cli/manifests.h"
#include "webhook/cli/policy_file.h"
#include "webhook/cli/report.h"
#include "webhook/cli/report_formats.h"
#include "webhook/engine/policy.h"

namespace memguard::cli {

namespace {

constexpr std::string_view kUsageHead =
    "usage: flink-memguard check -f FILE_OR_DIR... [--policy FILE] [--output text|json|sarif|junit]\n"
    "                            [--flink-version X.Y] [--namespace NS] [-v|--verbose]\n"
    "\n"
    "Judges Kubernetes manifests (multi-document YAML or JSON, kind: List, directories walked for\n"
    "*.yaml, *.yml, *.json) as the admission webhook would judge their creation: FlinkDeployments,\n"
    "Flink ConfigMaps, and Deployments, StatefulSets, Jobs and Pods running Flink, with ConfigMaps\n"
    "and workloads resolved against each other within the given files. A file or document that\n"
    "cannot be read is reported as such and the rest still judged; documents without kind (Helm\n"
    "values, other tools' YAML) are skipped with a note.\n"
    "Exit status: 0 nothing would be denied, 1 something would be denied, 2 something unreadable\n"
    "or bad usage.\n"
    "\n";

}  // namespace

int check_command(Args args) {
  std::vector<std::string> paths;
  std::string policy_file, output = "text", flink_version, default_namespace = "default";
  bool verbose = false;
  const Flag table[] = {
      {"--filename", "-f", "FILE_OR_DIR", "manifests to read (repeatable; '-' reads stdin)",
       [&](std::string_view v) {
         paths.emplace_back(v);
         return std::string();
       }},
      {"--policy", "", "FILE", "decision policy (default: the embedded policy)",
       [&](std::string_view v) {
         policy_file = std::string(v);
         return std::string();
       }},
      {"--output", "", "FORMAT",
       "text (default), json, sarif (SARIF 2.1.0, for code scanning) or junit\n"
       "(JUnit XML: a test case per object, denied ones fail)",
       [&](std::string_view v) {
         output = std::string(v);
         if (output != "text" && output != "json" && output != "sarif" && output != "junit")
           return std::string("--output must be text, json, sarif or junit");
         return std::string();
       }},
      {"--flink-version", "", "X.Y",
       "the Flink version for objects that do not declare one (as the\n"
       "flink-memguard.io/flink-version annotation would)",
       [&](std::string_view v) {
         auto parsed = memmodel::FlinkVersion::parse(v);
         if (!parsed) return "--flink-version: " + parsed.error().message;
         flink_version = parsed->to_string();
         return std::string();
       }},
      {"--namespace", "", "NS", "namespace of objects without metadata.namespace (default: default)",
       [&](std::string_view v) {
         default_namespace = std::string(v);
         return std::string();
       }},
      {"--verbose", "-v", "",
       "text: a line per judged role, admitted ones too: process = flink +\n"
       "metaspace + overhead, container limit (the JSON report always has\n"
       "every judged role's memory, under \"memory\")",
       [&](std::string_view) {
         verbose = true;
         return std::string();
       }},
  };
  const std::string usage = std::string(kUsageHead) + flag_usage(table);
  auto usage_error = [&usage](const std::string& message) { return cli::usage_error("check", message, usage); };
  if (int exit = parse_or_exit("check", args, table, usage); exit >= 0) return exit;
  if (paths.empty()) return usage_error("no manifests given (-f FILE_OR_DIR)");

  auto policy = policy_from_file(policy_file);
  if (!policy) {
    if (policy.error().code == ErrorCode::kNotFound) return usage_error(policy.error().message);
    std::fprintf(stderr, "flink-memguard check: %s\n", policy.error().message.c_str());
    return 2;
  }

  // A file or document that cannot be read is its own errored entry: everything else is still judged.
  Manifests manifests = load_manifests(paths);
  JudgeOptions judge;
  judge.policy = std::move(*policy);
  judge.default_namespace = default_namespace;
  judge.flink_version = flink_version;
  judge.with_memory = output == "json" || (output == "text" && verbose);
  Report report = judge_objects(manifests.objects, judge);
  report.skipped = std::move(manifests.skipped);
  const std::string out = output == "json"    ? report_json(report)
                          : output == "sarif" ? report_sarif(report)
                          : output == "junit" ? report_junit(report)
                                              : report_text(report, verbose);
  std::fputs(out.c_str(), stdout);
  return report.exit_code();
}

}  // namespace memguard::cli
