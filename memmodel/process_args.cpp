// What Flink hands the JVM and the process (spec §6): JVM flags in bytes, and the `-D` dynamic
// properties in the order Java's HashMap iterates them, with each version's key set.
#include <string>

#include "memmodel/derivation.h"
#include "memmodel/java_text.h"

namespace memguard::memmodel {

namespace {

std::string bytes(MemorySize size) { return std::to_string(size.bytes()) + "b"; }

using Properties = std::vector<std::pair<std::string, std::string>>;

// Re-orders `inserted` (in Flink's put order) into HashMap iteration order.
Properties in_hash_map_order(const Properties& inserted) {
  std::vector<std::string> keys;
  keys.reserve(inserted.size());
  for (const auto& p : inserted) keys.push_back(p.first);
  Properties ordered;
  ordered.reserve(inserted.size());
  for (size_t i : java::hash_map_order(keys)) ordered.push_back(inserted[i]);
  return ordered;
}

}  // namespace

std::string jvm_args(const TaskManagerMemory& m) {
  const std::string heap = std::to_string(m.jvm_heap().bytes());
  return "-Xmx" + heap + " -Xms" + heap + " -XX:MaxDirectMemorySize=" + std::to_string(m.jvm_direct().bytes()) +
         " -XX:MaxMetaspaceSize=" + std::to_string(m.jvm.metaspace.size.bytes());
}

std::string jvm_args(const JobManagerMemory& m) {
  if (m.pre_flip116) {
    const std::string mib = std::to_string(m.jvm_heap.size.mebibytes());
    return "-Xms" + mib + "m -Xmx" + mib + "m";
  }
  const std::string heap = std::to_string(m.jvm_heap.size.bytes());
  std::string out = "-Xmx" + heap + " -Xms" + heap;
  if (m.direct_memory_limit) out += " -XX:MaxDirectMemorySize=" + std::to_string(m.jvm_direct().bytes());
  out += " -XX:MaxMetaspaceSize=" + std::to_string(m.jvm.metaspace.size.bytes());
  return out;
}

Properties dynamic_properties(const TaskManagerMemory& m, const FlinkVersion& version) {
  // Put order of TaskExecutorProcessUtils.generateDynamicConfigsStr.
  Properties p{
      {"taskmanager.cpu.cores", java::double_to_string(m.cpu_cores)},
      {"taskmanager.memory.framework.heap.size", bytes(m.framework_heap.size)},
      {"taskmanager.memory.framework.off-heap.size", bytes(m.framework_off_heap.size)},
      {"taskmanager.memory.task.heap.size", bytes(m.task_heap.size)},
      {"taskmanager.memory.task.off-heap.size", bytes(m.task_off_heap.size)},
      {"taskmanager.memory.network.min", bytes(m.network.size)},
      {"taskmanager.memory.network.max", bytes(m.network.size)},
      {"taskmanager.memory.managed.size", bytes(m.managed.size)},
  };
  if (version.at_least(1, 12, 2)) {  // FLINK-21158
    p.emplace_back("taskmanager.memory.jvm-metaspace.size", bytes(m.jvm.metaspace.size));
    p.emplace_back("taskmanager.memory.jvm-overhead.min", bytes(m.jvm.overhead.size));
    p.emplace_back("taskmanager.memory.jvm-overhead.max", bytes(m.jvm.overhead.size));
  }
  if (version.at_least(1, 13)) {
    p.emplace_back("taskmanager.numberOfTaskSlots", std::to_string(m.num_slots));
    if (m.external_resources.empty()) {
      p.emplace_back("external-resources", "none");
    } else {
      std::string names;
      for (const auto& [name, amount] : m.external_resources) names += (names.empty() ? "" : ";") + name;
      p.emplace_back("external-resources", version.at_least(1, 15) ? "\"" + names + "\"" : names);
      for (const auto& [name, amount] : m.external_resources) {
        p.emplace_back("external-resource." + name + ".amount", std::to_string(amount));
      }
    }
  }
  return in_hash_map_order(p);
}

Properties dynamic_properties(const JobManagerMemory& m, const FlinkVersion& version) {
  if (!version.at_least(1, 12) || m.pre_flip116) return {};  // 1.11's BashJavaUtils prints only JVM flags
  return in_hash_map_order({
      {"jobmanager.memory.heap.size", bytes(m.jvm_heap.size)},
      {"jobmanager.memory.off-heap.size", bytes(m.off_heap.size)},
      {"jobmanager.memory.jvm-metaspace.size", bytes(m.jvm.metaspace.size)},
      {"jobmanager.memory.jvm-overhead.min", bytes(m.jvm.overhead.size)},
      {"jobmanager.memory.jvm-overhead.max", bytes(m.jvm.overhead.size)},
  });
}

std::string dynamic_properties_string(const Properties& properties, const FlinkVersion& version) {
  const bool trailing_space = !version.at_least(1, 12);
  std::string out;
  for (const auto& [key, value] : properties) {
    if (!trailing_space && !out.empty()) out += ' ';
    out += "-D " + key + "=" + value;
    if (trailing_space) out += ' ';
  }
  return out;
}

}  // namespace memguard::memmodel
