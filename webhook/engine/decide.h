// Step three of the engine: the decision for one admission request under a policy. Pure: the same
// request (dry run or not) always gets the same decision.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "webhook/admission/json_patch.h"
#include "webhook/admission/review.h"
#include "webhook/admission/review_outcome.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/finding.h"
#include "webhook/engine/policy.h"

namespace memguard::engine {

// A finding as the policy judged it (the `check` and `audit` commands list these).
struct ReportedFinding {
  FindingCode code = FindingCode::kMemoryConfigRejected;
  Action action = Action::kWarn;
  std::optional<memmodel::Role> role;
  std::string message;
};

// The answer to one request before it is encoded: an outcome that stays typed up to the log, the
// metrics and the reports, with what each of them records.
struct Decision {
  using Outcome = admission::ReviewDecision;
  Outcome outcome = Outcome::kAllowed;
  std::string message;  // denial or error message
  int error_code = 0;   // kErrored: the status code (400 for an object we cannot read)
  std::vector<std::string> warnings;
  std::vector<admission::PatchOperation> patch;  // kPatched only (mutate mode)
  std::vector<std::pair<std::string, std::string>> audit_annotations;  // keys without '/'
  std::vector<std::string> finding_codes;  // every finding reported (not "off"), for logs and metrics
  std::vector<ReportedFinding> findings;   // the same findings with their action and full message
  std::vector<std::string> notes;          // informational warnings (fallbacks, unread inputs)
};

// What a caller reads besides the answer. kReport: `findings` with each one's full message and
// `notes` (check, audit, tests); kAnswer: what the AdmissionReview answer and the log need, without
// the texts nobody reads (a message per warn finding).
enum class Detail { kAnswer, kReport };

// The decision is three steps: the gate (requests and objects passed unjudged, or an object that
// cannot be read), the findings for the object, and the policy applied to each finding, by
// validate_finding (/validate) or mutate_finding (/mutate).
// /validate: deny findings deny (403 with every denial's explanation), warn findings warn.
// /mutate: never denies (that is /validate's job, on the final object); it returns the safe fixes the
// policy allows as a JSON patch, each explained by a warning, plus the warn findings' warnings.
Decision decide(const admission::AdmissionRequest& request, admission::Mode mode, const Policy& policy);
// The same, judging standalone objects against their counterparts: a workload against the ConfigMap
// it mounts, a ConfigMap against the workloads mounting it. nullptr: no lookups (workloads are then
// allowed with a warning that their ConfigMap was not checked).
Decision decide(const admission::AdmissionRequest& request, admission::Mode mode, const Policy& policy,
                const Counterparts* counterparts, Detail detail = Detail::kReport);

// Findings for an object, before the policy (the `check` command's view).
std::vector<Finding> findings_for(const admission::KubeObject& object, const Settings& settings,
                                  std::vector<std::string>* notes = nullptr);
std::vector<Finding> findings_for(const admission::KubeObject& object, const Settings& settings,
                                  std::vector<std::string>* notes, const Counterparts* counterparts,
                                  std::string_view namespace_);

}  // namespace memguard::engine
