// The report `check` and `audit` share: objects (manifests or API objects, as JSON) judged as the
// webhook would judge their creation, with counterparts resolved among them; text or JSON output;
// exit code 0 nothing denied, 1 something denied, 2 something unreadable.
#pragma once

#include <string>
#include <vector>

#include "webhook/admission/review_outcome.h"
#include "webhook/cli/manifests.h"
#include "webhook/engine/decide.h"
#include "webhook/engine/policy.h"

namespace memguard::cli {

struct JudgedObject {
  std::string source, api_version, kind, namespace_, name;
  admission::ReviewDecision decision = admission::ReviewDecision::kAllowed;
  std::string error;
  std::vector<engine::ReportedFinding> findings;
  std::vector<std::string> notes;
  // FlinkDeployment only: the memory options of the Flink configuration the engine built (as the
  // operator's FlinkConfigBuilder would), for `check --output json` (the operator oracle compares it).
  std::vector<std::pair<std::string, std::string>> effective_memory_configuration;
};

struct Report {
  std::vector<JudgedObject> objects;
  std::vector<SkippedDocument> skipped;  // documents that are not Kubernetes objects (no kind)
  size_t judged = 0, denied = 0, warned = 0, unreadable = 0;
  int exit_code() const { return unreadable > 0 ? 2 : denied > 0 ? 1 : 0; }
};

struct JudgeOptions {
  engine::Policy policy = engine::default_policy();
  std::string default_namespace = "default";  // for objects without metadata.namespace
  std::string flink_version;                  // for objects that declare none (empty: the engine's default)
};

// Objects with an error (a file or document that could not be read) are reported as errored and
// count as unreadable; the others are judged against each other.
Report judge_objects(const std::vector<ManifestObject>& objects, const JudgeOptions& options);

std::string report_text(const Report& report);
std::string report_json(const Report& report);

}  // namespace memguard::cli
