// The policy a command's --policy flag names, read and parsed the same way for check, audit and review.
#pragma once

#include <string>

#include "memmodel/expected.h"
#include "webhook/engine/policy.h"

namespace memguard::cli {

// The embedded default when `path` is empty. Errors: kNotFound "cannot open policy file PATH",
// kInvalidArgument "PATH: what is wrong with it".
[[nodiscard]] Expected<engine::Policy> policy_from_file(const std::string& path);

}  // namespace memguard::cli
