// The policy a command's --policy flag names, read and parsed the same way for check, audit and review.
#pragma once

#include <string>

#include "support/expected.h"
#include "webhook/engine/policy.h"

namespace memguard::cli {

// The embedded default when `path` is empty; else the file read and parsed as the server's policy
// store does (server::read_policy_bytes). Errors: kNotFound "policy file PATH cannot be opened: ...",
// kLimitExceeded for a file beyond the policy size limit, kInvalidArgument "PATH: what is wrong with it".
[[nodiscard]] Expected<engine::Policy> policy_from_file(const std::string& path);

}  // namespace memguard::cli
