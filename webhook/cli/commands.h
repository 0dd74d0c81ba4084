// The flink-memguard subcommands. Each lives in its own file and takes the arguments after its
// name; it returns the process exit code (0 ok, 1 findings that deny / configuration rejected,
// 2 bad usage or unreadable input).
#pragma once

#include <span>
#include <string_view>

namespace memguard::cli {

using Args = std::span<const std::string_view>;

int memory_command(Args args);  // explain a configuration's memory (memory_command.cpp)
int review_command(Args args);  // answer an AdmissionReview as the webhook would (review_command.cpp)
int serve_command(Args args);   // the admission webhook over TLS (serve_command.cpp)
int check_command(Args args);   // judge manifests on disk as the webhook would (check_command.cpp)
int audit_command(Args args);   // judge what already runs in the cluster (audit_command.cpp)

}  // namespace memguard::cli
