// A role's component rows (memmodel's components() and vector_rows()) with what only the picture
// needs: which JVM flag bounds each box, the flags, the container limit and Flink's rejection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "webhook/cli/memory_report.h"

namespace memguard::cli {

// Which JVM flag bounds a component's box in Flink's memory picture.
enum class JvmBound { kNone, kHeap, kDirect, kMetaspace };

struct MemoryRow {
  std::string name;        // "Task Heap", as Flink's documentation names it
  int64_t bytes = 0;
  std::string key;         // the Flink option that sets it ("" when none does)
  std::string provenance;  // configured, default or derived
  JvmBound bound = JvmBound::kNone;
  bool flink_memory = true;  // inside Total Flink Memory (false: metaspace, overhead)
};

struct JvmFlag {
  std::string flag;  // "-Xmx/-Xms", "-XX:MaxDirectMemorySize", "-XX:MaxMetaspaceSize"
  JvmBound bound = JvmBound::kNone;
  int64_t bytes = 0;
};

struct RoleRows {
  memmodel::Role role = memmodel::Role::kTaskManager;
  bool derived = false;          // false: Flink rejected the configuration before sizing anything
  std::vector<MemoryRow> components;  // in the picture's order, top to bottom
  MemoryRow flink_total;
  MemoryRow process_total;
  std::vector<JvmFlag> flags;    // only the flags the JVM is started with
  std::optional<int64_t> container_limit_bytes;
  std::optional<std::string> rejection;  // Flink's reason, when it would refuse to start
  std::vector<std::string> summary;      // the table's lines under it (memory_bars.h: summary_lines)
};

std::string_view provenance_name(memmodel::Provenance p);

// `config` tells a configured total (process or Flink size set) from a derived one.
RoleRows memory_rows(const RoleReport& report, const memmodel::FlinkConfig& config);

}  // namespace memguard::cli
