// Fuzzes the policy file parser (YAML from a ConfigMap an admin edits by hand): no crash, errors
// as values that say what is wrong, and a parsed policy that answers for every namespace.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "webhook/engine/policy.h"

namespace {

using memguard::engine::Action;

bool valid(Action a) { return a == Action::kDeny || a == Action::kWarn || a == Action::kOff; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = memguard::engine::parse_policy(text);
  if (!policy) {
    FUZZ_CHECK(policy.error().code == memguard::ErrorCode::kInvalidArgument, policy.error().message);
    FUZZ_CHECK(!policy.error().message.empty());
    return 0;
  }
  // Every namespace it names, and one it does not, gets complete settings.
  std::vector<std::string> names{"default", ""};
  for (const auto& [name, layer] : policy->namespaces) names.push_back(name);
  for (const auto& name : names) {
    const auto settings = policy->settings_for(name);
    for (const Action a : settings.actions) FUZZ_CHECK(valid(a), name);
    FUZZ_CHECK(settings.jvm_overhead_minimum.bytes() >= 0 && settings.limit_headroom.bytes() >= 0, name);
    (void)policy->excluded(name);
  }
  // Parsing is a pure function of the text.
  auto again = memguard::engine::parse_policy(text);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->namespaces.size() == policy->namespaces.size() &&
             again->excluded_namespaces == policy->excluded_namespaces);
  return 0;
}
