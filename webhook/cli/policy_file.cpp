// Reads a --policy file for the offline commands.
#include "webhook/cli/policy_file.h"

#include "webhook/server/policy_store.h"

namespace memguard::cli {

Expected<engine::Policy> policy_from_file(const std::string& path) {
  if (path.empty()) return engine::default_policy();
  server::PolicyStore store(path);  // the server's first load: the same reader and parser
  if (auto loaded = store.load(); !loaded) return Unexpected{loaded.error()};
  return *store.current();
}

}  // namespace memguard::cli
