// JVM flags and -D properties: key sets per version, Java HashMap order and separators.
#include <catch2/catch.hpp>

#include "memmodel/derivation.h"

using namespace memguard::memmodel;

namespace {
std::vector<std::string> keys_of(const std::vector<std::pair<std::string, std::string>>& props) {
  std::vector<std::string> keys;
  for (const auto& p : props) keys.push_back(p.first);
  return keys;
}
FlinkVersion version(const char* text) { return *FlinkVersion::parse(text); }
}  // namespace

TEST_CASE("TaskManager -D properties follow Flink's key sets and order per version", "[memmodel][dynamic]") {
  DerivationContext c;
  auto m = *derive_taskmanager({{"taskmanager.memory.process.size", "1728m"}}, c);
  SECTION("13 keys since 1.13 with Flink 2.0's real string") {
    auto props = dynamic_properties(m, version("2.0"));
    CHECK(dynamic_properties_string(props, version("2.0")) ==
          "-D taskmanager.memory.network.min=134217730b -D taskmanager.cpu.cores=1.0 "
          "-D taskmanager.memory.task.off-heap.size=0b -D taskmanager.memory.jvm-metaspace.size=268435456b "
          "-D external-resources=none -D taskmanager.memory.jvm-overhead.min=201326592b "
          "-D taskmanager.memory.framework.off-heap.size=134217728b -D taskmanager.memory.network.max=134217730b "
          "-D taskmanager.memory.framework.heap.size=134217728b -D taskmanager.memory.managed.size=536870920b "
          "-D taskmanager.memory.task.heap.size=402653174b -D taskmanager.numberOfTaskSlots=1 "
          "-D taskmanager.memory.jvm-overhead.max=201326592b");
  }
  SECTION("11 keys in 1.12.2+") {
    CHECK(keys_of(dynamic_properties(m, version("1.12.2"))) ==
          std::vector<std::string>{"taskmanager.memory.framework.off-heap.size", "taskmanager.memory.network.max",
                                   "taskmanager.memory.network.min", "taskmanager.memory.framework.heap.size",
                                   "taskmanager.memory.managed.size", "taskmanager.cpu.cores",
                                   "taskmanager.memory.task.heap.size", "taskmanager.memory.task.off-heap.size",
                                   "taskmanager.memory.jvm-metaspace.size", "taskmanager.memory.jvm-overhead.max",
                                   "taskmanager.memory.jvm-overhead.min"});
  }
  SECTION("8 keys before, with a trailing space in 1.10/1.11") {
    auto props = dynamic_properties(m, version("1.11"));
    CHECK(keys_of(props) == std::vector<std::string>{"taskmanager.memory.framework.off-heap.size",
                                                     "taskmanager.memory.network.max", "taskmanager.memory.network.min",
                                                     "taskmanager.memory.framework.heap.size",
                                                     "taskmanager.memory.managed.size", "taskmanager.cpu.cores",
                                                     "taskmanager.memory.task.heap.size",
                                                     "taskmanager.memory.task.off-heap.size"});
    const std::string text = dynamic_properties_string(props, version("1.11"));
    CHECK(text.back() == ' ');
    CHECK(dynamic_properties_string(dynamic_properties(m, version("1.12")), version("1.12")).back() != ' ');
  }
}

TEST_CASE("JobManager -D properties match a real 1.20 output", "[memmodel][dynamic]") {
  auto m = *derive_jobmanager({{"jobmanager.memory.process.size", "1600m"}}, DerivationContext{});
  CHECK(dynamic_properties_string(dynamic_properties(m, version("1.20")), version("1.20")) ==
        "-D jobmanager.memory.off-heap.size=134217728b -D jobmanager.memory.jvm-overhead.min=201326592b "
        "-D jobmanager.memory.jvm-metaspace.size=268435456b -D jobmanager.memory.heap.size=1073741824b "
        "-D jobmanager.memory.jvm-overhead.max=201326592b");
  CHECK(dynamic_properties(m, version("1.11")).empty());
  CHECK(jvm_args(m) == "-Xmx1073741824 -Xms1073741824 -XX:MaxMetaspaceSize=268435456");
}
