// The decision over real AdmissionReview fixtures: every finding with its default action, message
// contents (role, consequence, breakdown, fix), dry-run parity, patches that apply and settle, and
// policy overrides, exclusions and the opt-out annotation.
#include <catch2/catch.hpp>

#include "review_support.h"
#include "webhook/engine/decide.h"

using memguard::admission::Mode;
using memguard::engine::Policy;
using memguard::engine::parse_policy;
using namespace memguard::testing;

namespace {

Policy policy_from(const std::string& yaml) {
  auto parsed = parse_policy(yaml);
  REQUIRE(parsed);
  return *parsed;
}

// Applies a /mutate answer's patch and reviews the result again: the API server applies the patch,
// so it must apply, and a second pass (reinvocation) must find nothing more to patch.
void check_patch_settles(const std::string& body, const Answer& first, const Policy& policy) {
  REQUIRE_FALSE(first.patch.empty());
  std::string again = patched_review(body, first.patch);
  Answer second = review(Mode::kMutate, again, policy);
  CHECK(second.allowed);
  CHECK(second.patch.empty());
  CHECK_FALSE(second.has_patch_type);
}

}  // namespace

TEST_CASE("A sound FlinkDeployment is allowed without warnings", "[engine][decide]") {
  for (Mode mode : {Mode::kValidate, Mode::kMutate}) {
    Answer a = review(mode, read_fixture("fd-valid.json"));
    CHECK(a.api_version == "admission.k8s.io/v1");
    CHECK(a.kind == "AdmissionReview");
    CHECK(a.uid == "uid-fd-valid");
    CHECK(a.allowed);
    CHECK(a.warnings.empty());
    CHECK(a.patch.empty());
    CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kAllowed);
    CHECK(a.outcome.kind == "FlinkDeployment");
  }
}

TEST_CASE("A memory configuration Flink rejects is denied with Flink's reason and the smallest fix", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-memory-config-rejected.json"));
  CHECK_FALSE(a.allowed);
  CHECK(a.code == 403);
  CHECK(a.reason == "Forbidden");
  CHECK_THAT(a.message, Catch::Contains("JobManager"));
  CHECK_THAT(a.message, Catch::Contains("fails at start"));
  CHECK_THAT(a.message, Catch::Contains("Off-Heap Memory"));  // Flink's own explanation
  // 500Mi leaves 52 MiB of Flink memory; the smallest accepted JobManager process size is 577 MiB.
  CHECK_THAT(a.message, Catch::Contains("set spec.jobManager.resource.memory to at least 577Mi"));
  CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kDenied);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"memory-config-rejected"});
  CHECK(a.audit.at("findings") == "memory-config-rejected");
}

TEST_CASE("The audit annotation names each finding code once while metrics count each finding", "[engine][decide]") {
  std::string body = replace_once(read_fixture("fd-memory-config-rejected.json"), "\"4096Mi\"", "\"500Mi\"");
  Answer a = review(Mode::kValidate, body);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"memory-config-rejected", "memory-config-rejected"});
  CHECK(a.audit.at("findings") == "memory-config-rejected");
}

TEST_CASE("An unreadable resource.memory is one denial for its role and not a second from Flink", "[engine][decide]") {
  std::string body = replace_once(read_fixture("fd-memory-config-rejected.json"), "\"500Mi\"", "\"lots\"");
  Answer a = review(Mode::kValidate, body);
  CHECK_FALSE(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"memory-config-rejected"});
  CHECK_THAT(a.message, Catch::Contains("spec.jobManager.resource.memory: 'lots' is not a memory size"));
  CHECK_THAT(a.message, !Catch::Contains("Flink rejects"));
}

TEST_CASE("The suggested fix for a rejected configuration is accepted", "[engine][decide]") {
  std::string body = replace_once(read_fixture("fd-memory-config-rejected.json"), "\"500Mi\"", "\"577Mi\"");
  CHECK(review(Mode::kValidate, body).allowed);
  std::string just_below = replace_once(read_fixture("fd-memory-config-rejected.json"), "\"500Mi\"", "\"576Mi\"");
  CHECK_FALSE(review(Mode::kValidate, just_below).allowed);
}

TEST_CASE("A memory limit below its request is denied as the operator would reject it", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-limit-below-request.json"));
  CHECK_FALSE(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"limit-below-request"});
  CHECK_THAT(a.message, Catch::Contains("TaskManager"));
  CHECK_THAT(a.message, Catch::Contains("set spec.taskManager.resources.limits.memory to at least 4096Mi"));
}

TEST_CASE("A limit factor below 1 in flinkConfiguration is denied: Flink refuses to create the pod", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-limit-factor-below-one.json"));
  CHECK_FALSE(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"limit-below-request"});
  CHECK_THAT(a.message, Catch::Contains("kubernetes.taskmanager.memory.limit-factor"));
  CHECK_THAT(a.message, Catch::Contains("0.5"));
}

TEST_CASE("Pod-template memory and cpu on flink-main-container warn, sidecars do not", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-pod-template-resources.json"));
  CHECK(a.allowed);
  REQUIRE(a.warnings.size() == 1);
  CHECK(a.warnings[0].find("spec.taskManager.podTemplate.spec.containers[1].resources") == 0);
  CHECK_THAT(a.warnings[0], Catch::Contains("limits.memory, limits.cpu"));
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"pod-template-resources-overwritten"});
}

TEST_CASE("Ambiguous units warn on /validate and are rewritten on /mutate", "[engine][decide][mutate]") {
  std::string body = read_fixture("fd-ambiguous-memory-unit.json");
  Answer v = review(Mode::kValidate, body);
  CHECK(v.allowed);
  CHECK(v.patch.empty());
  CHECK(any_contains(v.warnings, "spec.jobManager.resource.memory: '2048m' is 2048 MiB to the Flink operator but 2.048 bytes to Kubernetes"));
  CHECK(any_contains(v.warnings, "spec.taskManager.resource.memory: '4g'"));

  Answer m = review(Mode::kMutate, body);
  CHECK(m.allowed);
  CHECK(m.has_patch_type);
  CHECK(m.outcome.decision == memguard::admission::ReviewDecision::kPatched);
  CHECK(m.patch == R"([{"op":"replace","path":"/spec/jobManager/resource/memory","value":"2048Mi"},)"
                   R"({"op":"replace","path":"/spec/taskManager/resource/memory","value":"4Gi"}])");
  CHECK(any_contains(m.warnings, "rewrote '2048m' as '2048Mi'"));
  check_patch_settles(body, m, memguard::engine::default_policy());
  // The rewritten object derives exactly the same memory: /validate is silent on it.
  Answer after = review(Mode::kValidate, patched_review(body, m.patch));
  CHECK(after.allowed);
  CHECK(after.warnings.empty());
}

TEST_CASE("Request and limit in different unit systems warn with the limit factor the operator computes",
          "[engine][decide][mutate]") {
  std::string body = read_fixture("fd-mixed-units.json");
  Answer v = review(Mode::kValidate, body);
  CHECK(v.allowed);
  CHECK(any_contains(v.warnings, "limit factor becomes 2097152000, not 2"));
  Answer m = review(Mode::kMutate, body);
  CHECK(m.patch == R"([{"op":"replace","path":"/spec/taskManager/resources/requests/memory","value":"2048Mi"}])");
  check_patch_settles(body, m, memguard::engine::default_policy());
}

TEST_CASE("A process size that is not a whole MiB warns, and /mutate rounds it down", "[engine][decide][mutate]") {
  std::string body = read_fixture("fd-process-not-whole-mib.json");
  Answer v = review(Mode::kValidate, body);
  CHECK(v.allowed);
  CHECK(v.outcome.finding_codes == std::vector<std::string>{"process-size-not-whole-mib"});
  CHECK(any_contains(v.warnings, "process size 4291.53 MiB is not a whole MiB; the container gets 4291Mi"));
  Answer m = review(Mode::kMutate, body);
  CHECK(m.patch == R"([{"op":"replace","path":"/spec/taskManager/resource/memory","value":"4291Mi"}])");
  check_patch_settles(body, m, memguard::engine::default_policy());
}

TEST_CASE("RocksDB outside managed memory warns", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-rocksdb-unmanaged.json"));
  CHECK(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"rocksdb-unmanaged-memory"});
  CHECK(any_contains(a.warnings, "state.backend.rocksdb.memory.managed: false"));
}

TEST_CASE("RocksDB outside managed memory with a fixed budget is bounded and warned until task off-heap reserves it",
          "[engine][decide]") {
  const std::string body = read_fixture("fd-rocksdb-unmanaged.json");
  auto with = [&](const std::string& extra, const char* version = "v1_20") {
    std::string b = replace_once(body, R"("state.backend.rocksdb.memory.managed": "false")",
                                 R"("state.backend.rocksdb.memory.managed": "false", )" + extra);
    return review(Mode::kValidate, replace_once(b, R"("flinkVersion": "v1_20")",
                                                std::string(R"("flinkVersion": ")") + version + "\""));
  };
  // Bounded, so not unmanaged; but Flink allocates a fixed budget outside every component of the
  // process size, and without task off-heap nothing leaves room for it.
  const std::vector<std::string> unbudgeted{"rocksdb-fixed-memory-unbudgeted"};
  CHECK(with(R"("state.backend.rocksdb.memory.fixed-per-slot": "256m")").outcome.finding_codes == unbudgeted);
  CHECK(with(R"("state.backend.rocksdb.memory.fixed-per-tm": "1g")").outcome.finding_codes == unbudgeted);
  // Reserved in task off-heap (2 slots x 256m, or 1g per TaskManager): nothing to say.
  CHECK(with(R"("state.backend.rocksdb.memory.fixed-per-slot": "256m", "taskmanager.memory.task.off-heap.size": "512m")")
            .outcome.finding_codes.empty());
  CHECK(with(R"("state.backend.rocksdb.memory.fixed-per-tm": "1g", "taskmanager.memory.task.off-heap.size": "1g")")
            .outcome.finding_codes.empty());
  // A zero budget bounds nothing, and fixed-per-tm only exists since Flink 1.17.
  CHECK(with(R"("state.backend.rocksdb.memory.fixed-per-tm": "0")").outcome.finding_codes ==
        std::vector<std::string>{"rocksdb-unmanaged-memory"});
  // (Flink 1.16 names the backend with state.backend only.)
  CHECK(with(R"("state.backend": "rocksdb", "state.backend.rocksdb.memory.fixed-per-tm": "1g")", "v1_16")
            .outcome.finding_codes == std::vector<std::string>{"rocksdb-unmanaged-memory"});
  CHECK(with(R"("state.backend.rocksdb.memory.fixed-per-tm": "1g")", "v1_17").outcome.finding_codes == unbudgeted);
}

TEST_CASE("RocksDB with zero managed memory warns", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-rocksdb-zero-managed.json"));
  CHECK(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"rocksdb-zero-managed-memory"});
}

TEST_CASE("mutations.corrections: false keeps /mutate from rewriting units, the warning stays", "[engine][decide][mutate][policy]") {
  const std::string body = read_fixture("fd-ambiguous-memory-unit.json");
  Policy no_corrections = policy_from("mutations:\n  corrections: false\n");
  Answer m = review(Mode::kMutate, body, no_corrections);
  CHECK(m.allowed);
  CHECK(m.patch.empty());
  CHECK_FALSE(m.has_patch_type);
  CHECK(m.outcome.decision != memguard::admission::ReviewDecision::kPatched);
  // Nothing is rewritten, so the answer explains the problem instead of a rewrite.
  CHECK_FALSE(any_contains(m.warnings, "rewrote"));
  CHECK(any_contains(m.warnings, "spec.jobManager.resource.memory: '2048m' is 2048 MiB to the Flink operator"));
  // The same switch in a namespace override.
  Policy per_namespace = policy_from("namespaces:\n  analytics:\n    mutations:\n      corrections: false\n");
  CHECK(review(Mode::kMutate, body, per_namespace).patch.empty());
}

TEST_CASE("A heap backend in streaming mode with managed memory warns, tuning patches it to zero",
          "[engine][decide][mutate]") {
  std::string body = read_fixture("fd-heap-backend-managed.json");
  Answer v = review(Mode::kValidate, body);
  CHECK(v.allowed);
  CHECK(v.outcome.finding_codes == std::vector<std::string>{"heap-backend-managed-memory"});
  CHECK(any_contains(v.warnings, "1372.16 MiB managed memory unused"));
  // Tuning is off by default: /mutate warns but does not patch.
  Answer untuned = review(Mode::kMutate, body);
  CHECK(untuned.patch.empty());
  CHECK(any_contains(untuned.warnings, "managed memory unused"));

  Policy tuning = policy_from("mutations:\n  tuning: true\n");
  Answer m = review(Mode::kMutate, body, tuning);
  CHECK(m.patch == R"([{"op":"add","path":"/spec/flinkConfiguration/taskmanager.memory.managed.size","value":"0"}])");
  check_patch_settles(body, m, tuning);

  // Batch jobs use managed memory for sorting and hashing: no finding.
  std::string batch = replace_once(body, "\"state.backend.type\": \"hashmap\"",
                                   "\"state.backend.type\": \"hashmap\", \"execution.runtime-mode\": \"BATCH\"");
  CHECK(review(Mode::kValidate, batch).warnings.empty());
}

TEST_CASE("JVM overhead below Flink's default minimum warns", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-jvm-overhead-below-default.json"));
  CHECK(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"jvm-overhead-below-default"});
  CHECK(any_contains(a.warnings, "TaskManager: JVM overhead 64 MiB is below 192 MiB"));
}

TEST_CASE("Nested flinkConfiguration is judged like the flat spelling", "[engine][decide]") {
  Answer a = review(Mode::kValidate, read_fixture("fd-nested-configuration.json"));
  CHECK(a.allowed);
  CHECK(a.warnings.empty());  // rocksdb via state: {backend: {type: rocksdb}}
}

TEST_CASE("A dry run gets exactly the same answer", "[engine][decide]") {
  for (const char* name : {"fd-memory-config-rejected.json", "fd-ambiguous-memory-unit.json", "cm-process-exceeds-limit.json",
                           "fd-heap-backend-managed.json"}) {
    std::string body = read_fixture(name);
    std::string dry = replace_once(body, "\"dryRun\": false", "\"dryRun\": true");
    for (Mode mode : {Mode::kValidate, Mode::kMutate}) {
      CAPTURE(name);
      Answer real = review(mode, body), preview = review(mode, dry);
      CHECK(preview.outcome.body == real.outcome.body);
      CHECK(preview.outcome.dry_run);
    }
  }
}

TEST_CASE("/mutate never denies: denials are /validate's, on the final object", "[engine][decide][mutate]") {
  Answer a = review(Mode::kMutate, read_fixture("fd-memory-config-rejected.json"));
  CHECK(a.allowed);
  CHECK(a.patch.empty());
}

TEST_CASE("/validate never patches", "[engine][decide]") {
  for (const char* name : {"fd-ambiguous-memory-unit.json", "fd-process-not-whole-mib.json", "fd-mixed-units.json"}) {
    Answer a = review(Mode::kValidate, read_fixture(name));
    CHECK(a.patch.empty());
    CHECK_FALSE(a.has_patch_type);
  }
}

TEST_CASE("An UPDATE that breaks memory is denied, one that leaves it unchanged only warns", "[engine][decide]") {
  Answer breaks = review(Mode::kValidate, read_fixture("fd-update-breaks-memory.json"));
  CHECK_FALSE(breaks.allowed);
  Answer unchanged = review(Mode::kValidate, read_fixture("fd-update-unchanged-spec.json"));
  CHECK(unchanged.allowed);
  CHECK(any_contains(unchanged.warnings, "not denied, unchanged by this update: JobManager memory rejected"));
  CHECK(unchanged.audit.at("not-denied") == "memory settings unchanged by this update");
}

TEST_CASE("Policy actions: a finding can be turned off, downgraded or upgraded", "[engine][decide][policy]") {
  std::string rejected = read_fixture("fd-memory-config-rejected.json");
  Answer off = review(Mode::kValidate, rejected, policy_from("findings:\n  memory-config-rejected: off\n"));
  CHECK(off.allowed);
  CHECK(off.warnings.empty());
  CHECK(off.outcome.finding_codes.empty());
  Answer warn = review(Mode::kValidate, rejected, policy_from("findings:\n  memory-config-rejected: warn\n"));
  CHECK(warn.allowed);
  CHECK(any_contains(warn.warnings, "JobManager memory rejected by Flink"));
  Answer deny = review(Mode::kValidate, read_fixture("fd-rocksdb-unmanaged.json"),
                       policy_from("findings:\n  rocksdb-unmanaged-memory: deny\n"));
  CHECK_FALSE(deny.allowed);
  CHECK_THAT(deny.message, Catch::Contains("RocksDB allocates native memory outside Flink's budget"));
  CHECK_THAT(deny.message, Catch::Contains("total process 4096 MiB = total Flink"));
}

TEST_CASE("Per-namespace overrides apply only in their namespace", "[engine][decide][policy]") {
  Policy policy = policy_from("namespaces:\n  analytics:\n    findings:\n      memory-config-rejected: warn\n"
                              "  other:\n    findings:\n      rocksdb-unmanaged-memory: deny\n");
  CHECK(review(Mode::kValidate, read_fixture("fd-memory-config-rejected.json"), policy).allowed);
  CHECK(review(Mode::kValidate, read_fixture("fd-rocksdb-unmanaged.json"), policy).allowed);
  std::string elsewhere = replace_once(read_fixture("fd-memory-config-rejected.json"), "\"namespace\": \"analytics\",\n  \"operation\"",
                                       "\"namespace\": \"payments\",\n  \"operation\"");
  CHECK_FALSE(review(Mode::kValidate, elsewhere, policy).allowed);
}

TEST_CASE("Excluded namespaces and opted-out objects are skipped, with an audit annotation", "[engine][decide][policy]") {
  std::string rejected = read_fixture("fd-memory-config-rejected.json");
  Answer excluded = review(Mode::kValidate, rejected, policy_from("excluded-namespaces: [kube-system, analyt*]\n"));
  CHECK(excluded.allowed);
  CHECK(excluded.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  CHECK(excluded.audit.at("skipped") == "namespace analytics is excluded by policy");

  std::string opted_out = replace_once(rejected, "\"owner\": \"team-streaming\"",
                                       "\"owner\": \"team-streaming\", \"flink-memguard.io/skip\": \"true\"");
  Answer skipped = review(Mode::kValidate, opted_out);
  CHECK(skipped.allowed);
  CHECK(skipped.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  CHECK(skipped.audit.at("skipped") == "object annotation flink-memguard.io/skip=true");
  // The audit key has no '/': the API server prefixes it with the webhook name.
  for (const auto& [key, value] : skipped.audit) CHECK_THAT(key, !Catch::Contains("/"));

  Answer ignored = review(Mode::kValidate, opted_out, policy_from("honour-skip-annotation: false\n"));
  CHECK_FALSE(ignored.allowed);

  // Only the value "true" opts out (README: Findings and policy): "false" or "yes" is judged as usual.
  for (const char* value : {"false", "yes"}) {
    CAPTURE(value);
    std::string not_opted_out = replace_once(rejected, "\"owner\": \"team-streaming\"",
                                             std::string("\"owner\": \"team-streaming\", \"flink-memguard.io/skip\": \"") +
                                                 value + "\"");
    Answer judged = review(Mode::kValidate, not_opted_out);
    CHECK_FALSE(judged.allowed);
    CHECK(judged.outcome.decision == memguard::admission::ReviewDecision::kDenied);
  }
}

TEST_CASE("DELETE, CONNECT, status updates and objects being deleted pass untouched", "[engine][decide]") {
  std::string rejected = read_fixture("fd-memory-config-rejected.json");
  Answer del = review(Mode::kValidate, replace_once(rejected, "\"operation\": \"CREATE\"", "\"operation\": \"DELETE\""));
  CHECK(del.allowed);
  CHECK(del.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  Answer connect = review(Mode::kValidate, replace_once(rejected, "\"operation\": \"CREATE\"", "\"operation\": \"CONNECT\""));
  CHECK(connect.allowed);
  Answer status = review(Mode::kValidate, replace_once(rejected, "\"operation\": \"CREATE\"",
                                                       "\"operation\": \"UPDATE\", \"subResource\": \"status\""));
  CHECK(status.allowed);
  Answer deleting = review(Mode::kValidate, replace_once(rejected, "\"labels\": {",
                                                         "\"deletionTimestamp\": \"2026-08-24T10:00:00Z\", \"labels\": {"));
  CHECK(deleting.allowed);
  CHECK(deleting.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
}

TEST_CASE("ConfigMap: a process size above the declared container limit is denied with the breakdown",
          "[engine][decide][configmap]") {
  Answer a = review(Mode::kValidate, read_fixture("cm-process-exceeds-limit.json"));
  CHECK_FALSE(a.allowed);
  CHECK(a.outcome.kind == "ConfigMap");
  CHECK_THAT(a.message,
             Catch::Contains("TaskManager: total process memory exceeds the container memory limit 1024 MiB "
                             "(annotation flink-memguard.io/taskmanager-memory-limit: 1Gi)"));
  CHECK_THAT(a.message,
             Catch::Contains("total process 1728 MiB = total Flink 1280 MiB + JVM metaspace 256 MiB + JVM overhead 192 MiB"));
  CHECK_THAT(a.message, Catch::Contains("OOM-kills"));
  CHECK_THAT(a.message, Catch::Contains("raise the container memory limit to at least 1728Mi"));
  // The JobManager fits its 2Gi: only the TaskManager is named.
  CHECK_THAT(a.message, !Catch::Contains("JobManager"));
}

TEST_CASE("ConfigMap: a zero limit annotation is no limit, and a ConfigMap of another API version is not judged",
          "[engine][decide][configmap]") {
  const std::string body = read_fixture("cm-process-exceeds-limit.json");
  // "0" is not a positive quantity: ignored with a note, so the 1728 MiB TaskManager meets no limit.
  Answer zero = review(Mode::kValidate, replace_once(body, R"("flink-memguard.io/taskmanager-memory-limit": "1Gi")",
                                                     R"("flink-memguard.io/taskmanager-memory-limit": "0")"));
  CHECK(zero.allowed);
  CHECK(zero.outcome.finding_codes.empty());
  // Only core/v1 ConfigMaps are read as ConfigMaps; another version is an object of no kind we judge.
  Answer v2 = review(Mode::kValidate, replace_once(body, R"("version": "v1",
   "kind": "ConfigMap")", R"("version": "v2",
   "kind": "ConfigMap")"));
  CHECK(v2.allowed);
  CHECK(v2.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  CHECK(v2.outcome.finding_codes.empty());
}

TEST_CASE("ConfigMap: a file Flink cannot load is denied", "[engine][decide][configmap]") {
  Answer a = review(Mode::kValidate, read_fixture("cm-config-file-invalid.json"));
  CHECK_FALSE(a.allowed);
  CHECK(a.outcome.finding_codes == std::vector<std::string>{"config-file-invalid"});
  CHECK_THAT(a.message, Catch::Contains("duplicate key 'taskmanager'"));
}

TEST_CASE("ConfigMap: a memory configuration Flink rejects is denied", "[engine][decide][configmap]") {
  Answer a = review(Mode::kValidate, read_fixture("cm-memory-config-rejected.json"));
  CHECK_FALSE(a.allowed);
  CHECK_THAT(a.message, Catch::Contains("set jobmanager.memory.process.size in data.config.yaml to at least 577m"));
}

TEST_CASE("ConfigMap: a native limit factor below 1 is denied", "[engine][decide][configmap]") {
  Answer a = review(Mode::kValidate, read_fixture("cm-native-limit-factor.json"));
  CHECK_FALSE(a.allowed);
  CHECK(std::find(a.outcome.finding_codes.begin(), a.outcome.finding_codes.end(), "limit-below-request") !=
        a.outcome.finding_codes.end());
}

TEST_CASE("ConfigMap: with both files, Flink 1.20 reads flink-conf.yaml, and the answer says so",
          "[engine][decide][configmap]") {
  Answer a = review(Mode::kValidate, read_fixture("cm-both-files.json"));
  CHECK(a.allowed);  // config.yaml's rejected 500m is not what Flink loads
  CHECK(any_contains(a.warnings, "Flink 1.20 loads flink-conf.yaml and ignores config.yaml"));
}

TEST_CASE("Other ConfigMaps and high-availability ConfigMaps are skipped", "[engine][decide][configmap]") {
  for (const char* name : {"cm-other.json", "cm-high-availability.json"}) {
    CAPTURE(name);
    Answer a = review(Mode::kValidate, read_fixture(name));
    CHECK(a.allowed);
    CHECK(a.warnings.empty());
    CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
  }
}

TEST_CASE("Sensitive configuration values never reach a response", "[engine][decide][sensitive]") {
  const std::string secret = "hunter2-do-not-log-me";
  // Control: a value the engine does read and quote. A memory key holding a secret-looking string is
  // rejected with its value shown (memory keys hold sizes), so the checks below would see a leak.
  const std::string memory_key = replace_once(read_fixture("fd-valid.json"), R"("s3.secret-key": "do-not-log-me")",
                                              R"("taskmanager.memory.task.off-heap.size": ")" + secret + "\"");
  Answer control = review(Mode::kValidate, memory_key);
  CHECK_FALSE(control.allowed);
  CHECK_THAT(control.message, Catch::Contains("'taskmanager.memory.task.off-heap.size' (value '" + secret + "')"));

  // Sensitive keys wherever the engine reports keys or lines: set twice (flat and nested, a note names
  // the key), in a broken flink-conf.yaml line (the note counts the lines), beside a rejected memory
  // option, and in the recorded fixtures.
  const std::string twice = replace_once(
      read_fixture("fd-valid.json"), R"("s3.secret-key": "do-not-log-me")",
      R"("s3.secret-key": ")" + secret + R"(", "s3": {"secret-key": ")" + secret +
          R"(-nested"}, "taskmanager.memory.process.size": "1g", "taskmanager.memory.task.heap.size": "2g")");
  const std::string broken_line =
      replace_once(read_fixture("cm-process-exceeds-limit.json"), R"(s3.secret-key: do-not-log-me\n)",
                   R"(s3.secret-key: do-not-log-me\npassword )" + secret + R"(\n)");
  Answer twice_answer = review(Mode::kValidate, twice);
  CHECK_FALSE(twice_answer.allowed);  // the rejected memory options are reported, the secret is not
  CHECK(any_contains(twice_answer.warnings, "'s3.secret-key' is set twice"));
  Answer line_answer = review(Mode::kValidate, broken_line);
  CHECK_THAT(line_answer.outcome.body, Catch::Contains("data.flink-conf.yaml: line 6: not a key-value pair"));
  for (const std::string& body : {twice, broken_line, read_fixture("fd-valid.json"),
                                  read_fixture("fd-memory-config-rejected.json"),
                                  read_fixture("cm-process-exceeds-limit.json")}) {
    for (Mode mode : {Mode::kValidate, Mode::kMutate}) {
      Answer a = review(mode, body);
      CHECK_THAT(a.outcome.body, !Catch::Contains("hunter2") && !Catch::Contains("do-not-log-me"));
    }
  }
}

TEST_CASE("A rejection that no process size cures suggests changing the options, not a size", "[engine][decide]") {
  // An inverted JVM Overhead range fails at every size: no "at least" fix may be offered.
  std::string body = replace_once(read_fixture("fd-valid.json"), R"("taskmanager.numberOfTaskSlots": "2",)",
                                  R"("taskmanager.numberOfTaskSlots": "2", "taskmanager.memory.jvm-overhead.min": "200m",
                                     "taskmanager.memory.jvm-overhead.max": "100m",)");
  Answer a = review(Mode::kValidate, body);
  CHECK_FALSE(a.allowed);
  CHECK_THAT(a.message, Catch::Contains("the minimum (200 MiB, 209715200 bytes) is larger than the maximum"));
  // Named in the message and in the warning (which has no Flink error above it to refer to).
  CHECK_THAT(a.message, Catch::Contains("Fix: change taskmanager.memory.jvm-overhead.max, "
                                        "taskmanager.memory.jvm-overhead.min in spec.flinkConfiguration so that Flink "
                                        "accepts them."));
  CHECK_THAT(a.message, !Catch::Contains("at least"));
}

TEST_CASE("What Flink only logs about a derivation reaches the admission warnings", "[engine][decide]") {
  std::string body = read_fixture("fd-valid.json");
  CHECK(review(Mode::kValidate, body).warnings.empty());
  // A JobManager of 600 MiB leaves the JVM heap 24 MiB (600 - 256 metaspace - 192 overhead - 128 off-heap).
  std::string small_heap = replace_once(body, "\"memory\": \"2048Mi\"", "\"memory\": \"600Mi\"");
  Answer a = review(Mode::kValidate, small_heap);
  CHECK(a.allowed);
  CHECK(a.outcome.finding_codes.empty());
  CHECK(any_contains(a.warnings, "JobManager: the derived JVM heap"));
  CHECK(any_contains(a.warnings, "is below the recommended minimum of 128 MiB; Flink only warns"));
  // A TaskManager of 16 GiB: JVM overhead from its fraction 0.1 would pass its 1 GiB maximum.
  std::string big_network = replace_once(body, "\"memory\": \"4096Mi\"", "\"memory\": \"16384Mi\"");
  Answer b = review(Mode::kValidate, big_network);
  CHECK(b.allowed);
  CAPTURE(b.warnings);
  CHECK(b.outcome.finding_codes.empty());
  CHECK(any_contains(b.warnings, "TaskManager: JVM Overhead from its fraction 0.1 would be"));
  CHECK(any_contains(b.warnings, "Flink uses the maximum 1 GiB (1073741824 bytes) instead"));
}

TEST_CASE("A whole-MiB fix claims its field before the unit fix of the same field", "[engine][decide][mutate]") {
  // 1500000000 bytes (1430.51 MiB) with Flink's byte unit: not a whole MiB, and no Kubernetes quantity.
  std::string body = replace_once(read_fixture("fd-valid.json"), "\"memory\": \"4096Mi\"", "\"memory\": \"1500000000b\"");
  Answer v = review(Mode::kValidate, body);
  CHECK(v.allowed);
  CHECK(v.outcome.finding_codes == std::vector<std::string>{"process-size-not-whole-mib", "ambiguous-memory-unit"});
  Answer m = review(Mode::kMutate, body);
  CHECK(m.patch == R"([{"op":"replace","path":"/spec/taskManager/resource/memory","value":"1430Mi"}])");
  // One rewrite of the field, explained once; the unit finding's own rewrite is not offered beside it.
  CHECK(any_contains(m.warnings, "spec.taskManager.resource.memory: rounded down to 1430Mi, the container size Flink creates"));
  CHECK_FALSE(any_contains(m.warnings, "rewrote"));
  check_patch_settles(body, m, memguard::engine::default_policy());
}

TEST_CASE("/mutate warns about a fix the policy does not allow and stays silent about denials", "[engine][decide][mutate]") {
  std::string body = read_fixture("fd-process-not-whole-mib.json");
  Answer m = review(Mode::kMutate, body, policy_from("mutations:\n  corrections: false\n"));
  CHECK(m.allowed);
  CHECK(m.patch.empty());
  CHECK(any_contains(m.warnings, "is not a whole MiB; the container gets 4291Mi; use 4291Mi"));
  // Denied findings with a fix are patched on /mutate like any other; without one they say nothing there.
  Answer denied = review(Mode::kMutate, body, policy_from("findings:\n  process-size-not-whole-mib: deny\n"));
  CHECK(denied.patch == R"([{"op":"replace","path":"/spec/taskManager/resource/memory","value":"4291Mi"}])");
  Answer silent = review(Mode::kMutate, body,
                         policy_from("findings:\n  process-size-not-whole-mib: deny\nmutations:\n  corrections: false\n"));
  CHECK(silent.allowed);
  CHECK(silent.patch.empty());
  CHECK(silent.warnings.empty());
}

TEST_CASE("Tuning leaves managed memory alone where zero cannot be written once or Flink would not accept it",
          "[engine][decide][mutate]") {
  Policy tuning = policy_from("mutations:\n  tuning: true\n");
  SECTION("a nested managed-memory key makes the operator's winner undefined") {
    std::string body = replace_once(read_fixture("fd-heap-backend-managed.json"), "\"state.backend.type\": \"hashmap\"",
                                    "\"state.backend.type\": \"hashmap\", \"taskmanager\": {\"memory\": {\"managed\": "
                                    "{\"fraction\": \"0.3\"}}}");
    Answer m = review(Mode::kMutate, body, tuning);
    CHECK(m.patch.empty());
    CHECK(m.outcome.finding_codes == std::vector<std::string>{"heap-backend-managed-memory"});
    CHECK(any_contains(m.warnings, "TaskManager: heap state backend in streaming mode leaves"));
  }
  SECTION("pinned sizes: without managed memory the network memory would pass its maximum") {
    std::string body = replace_once(read_fixture("fd-heap-backend-managed.json"), "\"state.backend.type\": \"hashmap\"",
                                    "\"state.backend.type\": \"hashmap\", \"taskmanager.memory.task.heap.size\": \"1g\", "
                                    "\"taskmanager.memory.managed.size\": \"1500m\"");
    Answer v = review(Mode::kValidate, body, tuning);
    CHECK(v.allowed);
    CHECK(v.outcome.finding_codes == std::vector<std::string>{"heap-backend-managed-memory"});
    CHECK(any_contains(v.warnings, "heap state backend in streaming mode leaves 1500 MiB managed memory unused"));
    Answer m = review(Mode::kMutate, body, tuning);
    CHECK(m.patch.empty());
  }
}

TEST_CASE("A ConfigMap judged with its workloads reports the file's own findings once and each container's limit",
          "[engine][decide][configmap]") {
  // RocksDB outside managed memory is the file's; the limit is each workload's.
  std::string cm = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink"},)"
                   R"("data":{"config.yaml":"taskmanager.memory.process.size: 4g\nstate.backend.type: rocksdb\n)"
                   R"(state.backend.rocksdb.memory.managed: false\n"}})";
  auto deployment = [](const std::string& name) {
    return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name + R"(","namespace":"flink"},)"
           R"("spec":{"template":{"spec":{"containers":[{"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)"
           R"("resources":{"limits":{"memory":"2Gi"}},"volumeMounts":[{"name":"c","mountPath":"/opt/flink/conf"}]}],)"
           R"("volumes":[{"name":"c","configMap":{"name":"flink-config"}}]}}}})";
  };
  memguard::engine::StaticCounterparts counterparts;
  for (const std::string& text : {deployment("tm-a"), deployment("tm-b")}) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS);
    auto object = memguard::admission::decode_object(root);
    REQUIRE(object);
    counterparts.add(*object, "flink");
  }
  std::string body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",)"
                     R"("kind":{"group":"","version":"v1","kind":"ConfigMap"},"name":"flink-config","operation":"CREATE",)"
                     R"("object":)" + cm + "}}";
  // No namespace in the request: the object's own is used for the lookups.
  auto outcome = memguard::engine::handle_review(Mode::kValidate, body, memguard::engine::default_policy(), &counterparts);
  CHECK(outcome.decision == memguard::admission::ReviewDecision::kDenied);
  CHECK(outcome.finding_codes == std::vector<std::string>{"rocksdb-unmanaged-memory", "process-exceeds-limit",
                                                          "process-exceeds-limit"});
  CHECK_THAT(outcome.body, Catch::Contains("Deployment flink/tm-a container taskmanager: TaskManager: total process memory"));
  CHECK_THAT(outcome.body, Catch::Contains("Deployment flink/tm-b container taskmanager: TaskManager: total process memory"));
}

TEST_CASE("A CREATE without an object passes unjudged", "[engine][decide]") {
  std::string body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-null",)"
                     R"("kind":{"group":"flink.apache.org","version":"v1beta1","kind":"FlinkDeployment"},"namespace":"x",)"
                     R"("name":"f","operation":"CREATE","object":null}})";
  Answer a = review(Mode::kValidate, body);
  CHECK(a.allowed);
  CHECK(a.uid == "u-null");
  CHECK(a.outcome.decision == memguard::admission::ReviewDecision::kSkipped);
}

TEST_CASE("A ConfigMap's file findings stay its own: an unreadable file is one denial, each workload's limit its own",
          "[engine][decide][configmap]") {
  auto decode = [](const std::string& text) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS);
    auto object = memguard::admission::decode_object(root);
    REQUIRE(object);
    return *object;
  };
  auto deployment = [](const std::string& name, const std::string& resources) {
    return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name + R"(","namespace":"flink"},)"
           R"("spec":{"template":{"spec":{"containers":[{"name":"taskmanager","image":"flink:1.20","args":["taskmanager"],)" +
           resources + R"("volumeMounts":[{"name":"c","mountPath":"/opt/flink/conf"}]}],)"
           R"("volumes":[{"name":"c","configMap":{"name":"flink-config"}}]}}}})";
  };
  memguard::engine::StaticCounterparts counterparts;
  counterparts.add(decode(deployment("no-limit", "")), "flink");
  counterparts.add(decode(deployment("low-request", R"("resources":{"requests":{"memory":"1Gi"},"limits":{"memory":"8Gi"}},)")),
                   "flink");
  auto configmap = [](const std::string& file) {
    return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"flink-config","namespace":"flink"},)"
           R"("data":{"flink-conf.yaml":")" + file + R"("}})";
  };
  const auto& settings = memguard::engine::default_policy().defaults;
  // The namespace of the lookups is the ConfigMap's own when none is given.
  auto sized = memguard::engine::findings_for(decode(configmap("taskmanager.memory.process.size: 4g\\n")), settings,
                                              nullptr, &counterparts, "");
  std::vector<memguard::engine::FindingCode> codes;
  for (const auto& f : sized) codes.push_back(f.code);
  CHECK(codes == std::vector<memguard::engine::FindingCode>{memguard::engine::FindingCode::kWorkloadNoMemoryLimit,
                                                            memguard::engine::FindingCode::kMemoryRequestBelowProcess});
  // A file Flink cannot load is the ConfigMap's one finding, not once more per workload.
  std::string yaml = configmap("a: [b\\n");
  yaml.replace(yaml.find("flink-conf.yaml"), 15, "config.yaml");
  auto invalid = memguard::engine::findings_for(decode(yaml), settings, nullptr, &counterparts, "");
  REQUIRE(invalid.size() == 1);
  CHECK(invalid[0].code == memguard::engine::FindingCode::kConfigFileInvalid);
  CHECK(invalid[0].parts.scope.empty());
}
