// UPDATE semantics: deny a change only when it is what makes the object not fit.
#include "webhook/engine/update_rule.h"

#include <algorithm>

#include "webhook/engine/decide.h"

namespace memguard::engine {

bool FindingsBefore::had(const Finding& finding) {
  if (request_.operation != "UPDATE" || !request_.old_object.present() || !request_.object) return false;
  const admission::KubeObject* old_object = request_.old_object.get();
  if (!old_object || old_object->index() != request_.object->index()) return false;
  if (!before_) before_ = findings_for(*old_object, settings_, nullptr, counterparts_, namespace_name_);
  return std::any_of(before_->begin(), before_->end(), [&](const Finding& old) {
    return old.code == finding.code && old.role == finding.role && old.parts.scope == finding.parts.scope;
  });
}

std::optional<std::string> not_denied_because(const admission::AdmissionRequest& request, const Finding& finding,
                                              bool inputs_unchanged, FindingsBefore& before) {
  if (!finding.outside_this_object.empty()) return "not denied, " + finding.outside_this_object;
  if (inputs_unchanged) return std::string("not denied, unchanged by this update");
  if (request.operation == "UPDATE" && before.had(finding)) return std::string("present before this update; not denied");
  return std::nullopt;
}

}  // namespace memguard::engine
