// Derivations per second for a typical 10-key configuration, value parsing included: each
// iteration builds the FlinkConfig from strings and derives both the TaskManager and JobManager.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "memmodel/derivation.h"

using namespace memguard::memmodel;

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  static const std::pair<const char*, const char*> kTypical[] = {
      {"taskmanager.memory.process.size", "4096m"},
      {"taskmanager.numberOfTaskSlots", "4"},
      {"taskmanager.memory.managed.fraction", "0.4"},
      {"taskmanager.memory.network.fraction", "0.1"},
      {"taskmanager.memory.network.max", "1g"},
      {"taskmanager.memory.jvm-metaspace.size", "256m"},
      {"jobmanager.memory.process.size", "1600m"},
      {"jobmanager.memory.off-heap.size", "128m"},
      {"jobmanager.memory.jvm-overhead.fraction", "0.1"},
      {"kubernetes.taskmanager.memory.limit-factor", "1.0"},
  };
  const DerivationContext context;
  int64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    FlinkConfig config;
    for (const auto& [key, value] : kTypical) config.set(key, value);
    auto tm = derive_taskmanager(config, context);
    auto jm = derive_jobmanager(config, context);
    if (!tm || !jm) {
      std::fprintf(stderr, "derivation failed\n");
      return 1;
    }
    checksum += tm->process_total().bytes() + jm->jvm_heap.size.bytes();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("derive_bench: %ld iterations (10-key config parsed + TM + JM derived) in %.3f s\n", iterations, seconds);
  std::printf("derive_bench: %.0f iterations/s, %.2f us each (checksum %lld)\n", static_cast<double>(iterations) / seconds,
              seconds * 1e6 / static_cast<double>(iterations), static_cast<long long>(checksum));
  return 0;
}
