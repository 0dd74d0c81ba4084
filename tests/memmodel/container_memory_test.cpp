// Kubernetes container memory: whole-MiB request, limit factor since 1.15 (decorator-test numbers).
#include <catch2/catch.hpp>

#include "memmodel/derivation.h"

using namespace memguard::memmodel;

namespace {
FlinkVersion version(const char* text) { return *FlinkVersion::parse(text); }
}  // namespace

TEST_CASE("Container memory follows Flink's decorator tests", "[memmodel][container]") {
  auto tm = container_memory(Role::kTaskManager, MemorySize::of_mebibytes(1184),
                             {{"kubernetes.taskmanager.memory.limit-factor", "2.0"}}, version("1.15"));
  REQUIRE(tm);
  CHECK(tm->request_mib == 1184);
  CHECK(tm->limit_mib == 2368);
  auto jm = container_memory(Role::kJobManager, MemorySize::of_mebibytes(768),
                             {{"kubernetes.jobmanager.memory.limit-factor", "2.0"}}, version("1.20"));
  CHECK(jm->limit_mib == 1536);
}

TEST_CASE("The container request is the process size floored to MiB", "[memmodel][container]") {
  auto c = container_memory(Role::kTaskManager, MemorySize::of_bytes(2618074207), {}, version("1.20"));
  CHECK(c->request_mib == 2496);
  CHECK(c->limit_mib == 2496);
  auto odd = container_memory(Role::kJobManager, MemorySize::of_mebibytes(1000),
                              {{"kubernetes.jobmanager.memory.limit-factor", "1.5005"}}, version("1.20"));
  CHECK(odd->limit_mib == 1500);  // (int)(1000 x 1.5005) truncates
}

TEST_CASE("Limit factors below 1 are rejected from 1.15 and ignored before", "[memmodel][container]") {
  FlinkConfig low{{"kubernetes.taskmanager.memory.limit-factor", "0.5"}};
  auto rejected = container_memory(Role::kTaskManager, MemorySize::of_mebibytes(1024), low, version("1.15"));
  REQUIRE_FALSE(rejected);
  CHECK_THAT(rejected.error().message, Catch::Contains("kubernetes.taskmanager.memory.limit-factor"));
  CHECK_FALSE(container_memory(Role::kTaskManager, MemorySize::of_mebibytes(1024),
                               {{"kubernetes.taskmanager.memory.limit-factor", "NaN"}}, version("1.20")));
  auto old = container_memory(Role::kTaskManager, MemorySize::of_mebibytes(1024), low, version("1.14"));
  CHECK(old->limit_mib == 1024);
}
