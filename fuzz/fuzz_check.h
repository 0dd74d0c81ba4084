// FUZZ_CHECK: an invariant a fuzz target asserts; on violation it prints the condition and aborts,
// so libFuzzer saves the input as a crash (plain assert would vanish in release builds).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(cond, ...)                                                                       \
  do {                                                                                              \
    if (!(cond)) {                                                                                  \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond);           \
      ::memguard::fuzz::print_context(__VA_ARGS__);                                                 \
      std::abort();                                                                                 \
    }                                                                                               \
  } while (false)

namespace memguard::fuzz {

inline void print_context() {}
inline void print_context(const std::string& context) { std::fprintf(stderr, "  %s\n", context.c_str()); }

}  // namespace memguard::fuzz
