// One formatter for every memory message: each component with its size, bytes and Flink key, so
// that rejections and notes read the same everywhere instead of ad-hoc concatenations.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "memmodel/memory_size.h"

namespace memguard::memmodel {

struct Part {
  std::string_view label;  // Flink's component name: "Task Heap", "JVM Overhead", ...
  MemorySize size;
  std::string_view key;    // the option that sets it ("" for derived sums)
};

// "Task Heap (taskmanager.memory.task.heap.size) = 100 MiB (104857600 bytes)"
std::string describe(const Part& part);
// Parts joined with ", ".
std::string describe(std::initializer_list<Part> parts);
// "Framework Heap (...) = ... + Task Heap (...) = ... = 612 MiB (... bytes) in total"
std::string describe_sum(std::initializer_list<Part> parts);

}  // namespace memguard::memmodel
