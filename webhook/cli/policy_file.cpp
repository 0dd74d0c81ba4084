// Reads a --policy file for the offline commands.
#include "webhook/cli/policy_file.h"

#include <fstream>
#include <iterator>

namespace memguard::cli {

Expected<engine::Policy> policy_from_file(const std::string& path) {
  if (path.empty()) return engine::default_policy();
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open policy file " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = engine::parse_policy(text);
  if (!parsed) return make_error(ErrorCode::kInvalidArgument, path + ": " + parsed.error().message);
  return std::move(*parsed);
}

}  // namespace memguard::cli
