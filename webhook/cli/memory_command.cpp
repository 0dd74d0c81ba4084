// Placeholder until the memory model lands (replaced in the memmodel branch).
#include <cstdio>
#include "webhook/cli/commands.h"
namespace memguard::cli {
int memory_command(Args) { std::fprintf(stderr, "memory: not built yet\n"); return 2; }
}  // namespace memguard::cli
