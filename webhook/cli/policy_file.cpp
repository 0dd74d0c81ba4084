// Reads a --policy file for the offline commands.
#include "webhook/cli/policy_file.h"

#include "webhook/cli/input_file.h"

namespace memguard::cli {

namespace {

// A policy is a few dozen lines; this bounds what a wrong path (a log, /dev/zero) makes us read.
constexpr size_t kMaxPolicyBytes = 1024 * 1024;

}  // namespace

Expected<engine::Policy> policy_from_file(const std::string& path) {
  if (path.empty()) return engine::default_policy();
  auto input = read_input(path, kMaxPolicyBytes);
  if (!input) {
    if (input.error().code == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "cannot open policy file " + path);
    return make_error(ErrorCode::kInvalidArgument, path + ": " + input.error().message);
  }
  if (input->too_large) {
    return make_error(ErrorCode::kInvalidArgument, path + ": larger than " + size_text(kMaxPolicyBytes) +
                                                       ", the limit for a policy file");
  }
  auto parsed = engine::parse_policy(input->text);
  if (!parsed) return make_error(ErrorCode::kInvalidArgument, path + ": " + parsed.error().message);
  return std::move(*parsed);
}

}  // namespace memguard::cli
