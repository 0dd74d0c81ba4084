// flink-memguard: one binary for the admission webhook and the offline tools.
#include <cstdio>
#include <string_view>
#include <vector>

#include "webhook/cli/commands.h"
#include "webhook/cli/serve_command.h"

#ifdef MEMGUARD_WITH_MIMALLOC
namespace memguard::cli {
bool limit_heap_with_mimalloc(std::size_t bytes);  // main_heap.cpp
}
#endif

namespace {

struct Command {
  std::string_view name;
  int (*run)(memguard::cli::Args);
  std::string_view summary;
};

// One route table for the whole CLI.
constexpr Command kCommands[] = {
    {"memory", memguard::cli::memory_command, "explain the memory Flink derives from a configuration"},
    {"review", memguard::cli::review_command, "answer an AdmissionReview (stdin) as the webhook would"},
    {"serve", memguard::cli::serve_command, "serve the admission webhook over TLS"},
    {"check", memguard::cli::check_command, "judge manifests (files, directories) as the webhook would"},
    {"audit", memguard::cli::audit_command, "judge what already runs in the cluster (through the API)"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: flink-memguard <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %.*s\n", c.name.data(), static_cast<int>(c.summary.size()), c.summary.data());
  std::fprintf(out, "\nRun 'flink-memguard <command> --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
#ifdef MEMGUARD_WITH_MIMALLOC
  memguard::cli::install_heap_limiter(&memguard::cli::limit_heap_with_mimalloc);
#endif
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (c.name == args[0]) return c.run(memguard::cli::Args(args).subspan(1));
  }
  std::fprintf(stderr, "flink-memguard: unknown command '%.*s'\n\n", static_cast<int>(args[0].size()), args[0].data());
  print_usage(stderr);
  return 2;
}
