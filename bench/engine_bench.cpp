// Microseconds per review through engine::handle_review (decode, decide, encode) for the reviews the
// load benchmark sends and two small ones; the engine's share of the server's per-request cost.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>

#include "support/read_file.h"
#include "webhook/engine/handle_review.h"

// Every heap allocation of this thread is counted, so the table can show allocations per review:
// in the server each one also costs cache misses that a loop over one review hides.
namespace {
thread_local unsigned long allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using memguard::admission::Mode;

std::string read_fixture(const std::string& path) {
  auto text = memguard::read_file(path, size_t{16} << 20, "fixture");
  if (!text) {
    std::fprintf(stderr, "engine_bench: %s\n", text.error().message.c_str());
    std::exit(1);
  }
  return std::move(*text);
}

struct Case {
  const char* name;
  const char* path;  // relative to the source tree
};

}  // namespace

// engine_bench [iterations] [case-name-filter]: the filter (a substring of "validate update-denied ...") lets a
// profiler (valgrind --tool=callgrind) count one case's instructions alone.
int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 2000;
  const std::string filter = argc > 2 ? argv[2] : "";
  const std::string source = MEMGUARD_SOURCE_DIR;
  static const Case kCases[] = {
      {"update-allowed (13.5 KB FlinkDeployment)", "bench/fixtures/update-flinkdeployment-allowed.json"},
      {"update-denied (13.7 KB FlinkDeployment)", "bench/fixtures/update-flinkdeployment-denied.json"},
      {"fd-valid (small FlinkDeployment)", "tests/data/reviews/fd-valid.json"},
      {"cm-other (non-Flink ConfigMap)", "tests/data/reviews/cm-other.json"},
  };
  const auto& policy = memguard::engine::default_policy();
  size_t checksum = 0;
  for (const auto& c : kCases) {
    const std::string body = read_fixture(source + "/" + c.path);
    for (Mode mode : {Mode::kValidate, Mode::kMutate}) {
      const std::string label = std::string(mode == Mode::kValidate ? "validate " : "mutate ") + c.name;
      if (label.find(filter) == std::string::npos) continue;
      // One untimed review first, so the thread's parser buffers are already sized.
      checksum += memguard::engine::handle_review(mode, body, policy).body.size();
      const unsigned long allocations_before = allocations;
      const auto start = std::chrono::steady_clock::now();
      for (long i = 0; i < iterations; ++i) checksum += memguard::engine::handle_review(mode, body, policy).body.size();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("%-51s %8.2f us/review %6.1f allocations/review\n", label.c_str(),
                  seconds * 1e6 / static_cast<double>(iterations),
                  static_cast<double>(allocations - allocations_before) / static_cast<double>(iterations));
    }
  }
  std::printf("engine_bench: %ld iterations per case (checksum %zu)\n", iterations, checksum);
  return 0;
}
