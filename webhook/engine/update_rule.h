// Which denials an UPDATE causes: a change is denied only for a violation it introduces. A denial the
// old object already had (same finding, role and container) is warned instead, as is one that this
// object cannot fix (Finding::outside_this_object). README: Findings and policy, "UPDATEs".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/admission/review.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/finding.h"
#include "webhook/engine/policy.h"

namespace memguard::engine {

// The findings of an UPDATE's old object, judged like the new one (same settings, same counterparts),
// computed on first use: most requests deny nothing and never need them.
class FindingsBefore {
 public:
  FindingsBefore(const admission::AdmissionRequest& request, const Settings& settings, const Counterparts* counterparts,
                 std::string_view in_namespace)
      : request_(request), settings_(settings), counterparts_(counterparts), namespace_name_(in_namespace) {}

  // The old object produced the same finding: its code, role and place (container) are the same.
  bool had(const Finding& finding);

 private:
  const admission::AdmissionRequest& request_;
  const Settings& settings_;
  const Counterparts* counterparts_;
  std::string namespace_name_;
  std::optional<std::vector<Finding>> before_;
};

// Why a deny finding of this request is only warned, or nullopt: it denies.
std::optional<std::string> not_denied_because(const admission::AdmissionRequest& request, const Finding& finding,
                                              bool inputs_unchanged, FindingsBefore& before);

}  // namespace memguard::engine
