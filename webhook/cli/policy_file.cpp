// Reads a --policy file for the offline commands.
#include "webhook/cli/policy_file.h"

#include "webhook/server/policy_store.h"

namespace memguard::cli {

Expected<engine::Policy> policy_from_file(const std::string& path) {
  if (path.empty()) return engine::default_policy();
  auto bytes = server::read_policy_bytes(path);
  if (!bytes) return Unexpected{bytes.error()};
  return server::parse_policy_file(path, *bytes);
}

}  // namespace memguard::cli
