// The process layer's behaviour, once for both roles (Flink's ProcessMemoryUtilsTestBase, which
// TaskExecutorProcessUtilsTest and JobManagerProcessUtilsTest both extend): every case runs against
// the TaskManager and the JobManager through derive_memory, with the role's own keys.
#include <catch2/catch.hpp>

#include <string>

#include "memmodel/derived_memory.h"
#include "support/size_text.h"

using namespace memguard::memmodel;
using memguard::ErrorCode;

namespace {

using memguard::kMiB;

DerivationContext flink_1_20() {
  DerivationContext c;
  c.version = *FlinkVersion::parse("1.20");
  return c;
}

// "taskmanager.memory.process.size" for the TaskManager, "jobmanager.memory.process.size" for the JobManager.
std::string key(Role role, const char* suffix) { return std::string(role_name(role)) + ".memory." + suffix; }

}  // namespace

TEST_CASE("Either role: a configured process size is the process total, less metaspace and overhead for Flink",
          "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role, {{key(role, "process.size"), "2g"}}, flink_1_20());
  REQUIRE(m);
  CHECK(m->process_total().bytes() == 2048 * kMiB);
  CHECK(m->metaspace().bytes() == 256 * kMiB);
  CHECK(m->overhead().bytes() == 214748368);  // 2 GiB times the float 0.1, as Flink multiplies
  CHECK(m->flink_total().bytes() == m->process_total().bytes() - m->metaspace().bytes() - m->overhead().bytes());
}

TEST_CASE("Either role: a configured Total Flink memory gains metaspace and overhead for the process",
          "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role, {{key(role, "flink.size"), "1g"}}, flink_1_20());
  REQUIRE(m);
  CHECK(m->flink_total().bytes() == 1024 * kMiB);
  CHECK(m->process_total().bytes() == m->flink_total().bytes() + m->metaspace().bytes() + m->overhead().bytes());
}

TEST_CASE("Either role: the configured metaspace is used as it is", "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role, {{key(role, "process.size"), "2g"}, {key(role, "jvm-metaspace.size"), "300m"}}, flink_1_20());
  REQUIRE(m);
  CHECK(m->metaspace().bytes() == 300 * kMiB);
  CHECK(m->process_total().bytes() == 2048 * kMiB);
}

TEST_CASE("Either role: the overhead fraction is capped to its minimum and maximum", "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  SECTION("a tenth of 1 GiB is below the 192 MiB minimum") {
    auto m = derive_memory(role, {{key(role, "process.size"), "1g"}}, flink_1_20());
    REQUIRE(m);
    CHECK(m->overhead().bytes() == 192 * kMiB);
  }
  SECTION("a tenth of 16 GiB is above the 1 GiB maximum") {
    auto m = derive_memory(role, {{key(role, "process.size"), "16g"}}, flink_1_20());
    REQUIRE(m);
    CHECK(m->overhead().bytes() == 1024 * kMiB);
  }
  SECTION("a range with equal ends is the overhead whatever the fraction") {
    auto m = derive_memory(role,
                           {{key(role, "process.size"), "2g"},
                            {key(role, "jvm-overhead.min"), "300m"},
                            {key(role, "jvm-overhead.max"), "300m"}},
                           flink_1_20());
    REQUIRE(m);
    CHECK(m->overhead().bytes() == 300 * kMiB);
  }
}

TEST_CASE("Either role: no memory option at all is rejected naming the keys to set", "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role, {}, flink_1_20());
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::kIllegalConfiguration);
  CHECK_THAT(m.error().message, Catch::Contains(key(role, "flink.size")));
  CHECK_THAT(m.error().message, Catch::Contains(key(role, "process.size")));
  CHECK_THAT(m.error().message, Catch::StartsWith(std::string(role_title(role)) + " memory configuration failed"));
}

TEST_CASE("Either role: a process size below metaspace plus overhead is rejected", "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role, {{key(role, "process.size"), "400m"}}, flink_1_20());
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::kIllegalConfiguration);
  CHECK_THAT(m.error().message, Catch::StartsWith(std::string(role_title(role)) + " memory configuration failed"));
}

TEST_CASE("Either role: a process size below Total Flink plus metaspace is rejected for that sum, not for the overhead",
          "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  // 1 GiB of Flink memory and 256 MiB of metaspace do not fit a 1 GiB process: Flink names the sum
  // (ProcessMemoryUtils.deriveProcessSpecWithTotalFlinkMemory), before any overhead is derived.
  auto m = derive_memory(role, {{key(role, "flink.size"), "1g"}, {key(role, "process.size"), "1g"}}, flink_1_20());
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::kIllegalConfiguration);
  CHECK_THAT(m.error().message,
             Catch::Contains("is less than the sum of the derived Total Flink Memory and the JVM Metaspace"));
  CHECK_THAT(m.error().message, Catch::Contains(key(role, "process.size")));
  CHECK_THAT(m.error().message, !Catch::Contains("JVM Overhead range"));
}

TEST_CASE("Either role: an overhead minimum above its maximum is rejected", "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role,
                         {{key(role, "process.size"), "2g"},
                          {key(role, "jvm-overhead.min"), "500m"},
                          {key(role, "jvm-overhead.max"), "200m"}},
                         flink_1_20());
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::kIllegalConfiguration);
  CHECK_THAT(m.error().message, Catch::Contains(key(role, "jvm-overhead")));
}

TEST_CASE("Either role: Total Flink and process sizes that leave an overhead outside its range are rejected",
          "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  // 1 GiB + 256 MiB metaspace leaves 100 MiB of overhead, below the 192 MiB minimum.
  auto m = derive_memory(role, {{key(role, "flink.size"), "1g"}, {key(role, "process.size"), "1380m"}}, flink_1_20());
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::kIllegalConfiguration);
  CHECK_THAT(m.error().message, Catch::Contains(key(role, "jvm-overhead")));
}

TEST_CASE("Either role: consistent Total Flink and process sizes derive the overhead as their difference",
          "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  // 1 GiB + 256 MiB metaspace + 300 MiB overhead, which the default range [192 MiB, 1 GiB] allows.
  auto m = derive_memory(role, {{key(role, "flink.size"), "1g"}, {key(role, "process.size"), "1580m"}}, flink_1_20());
  REQUIRE(m);
  CHECK(m->overhead().bytes() == 300 * kMiB);
  CHECK(m->process_total().bytes() == 1580 * kMiB);
}

namespace {

// The role's fine-grained options (Flink's deriveFromRequiredFineGrainedOptions reads them): the task
// heap and managed memory of a TaskManager, the JVM heap of a JobManager.
FlinkConfig fine_grained(Role role) {
  if (role == Role::kTaskManager) return {{key(role, "task.heap.size"), "512m"}, {key(role, "managed.size"), "256m"}};
  return {{key(role, "heap.size"), "512m"}};
}

}  // namespace

TEST_CASE("Either role: the fine-grained options alone derive Total Flink and the process adds metaspace and overhead",
          "[memmodel][process][roles]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  auto m = derive_memory(role, fine_grained(role), flink_1_20());
  REQUIRE(m);
  CHECK(m->path() == DerivationPath::kFineGrained);
  CHECK(m->process_total().bytes() == m->flink_total().bytes() + m->metaspace().bytes() + m->overhead().bytes());
}

TEST_CASE("Either role: the legacy heap size is the process size under an active resource manager unless the "
          "process size is set",
          "[memmodel][process][roles][legacy]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  DerivationContext active = flink_1_20();
  active.legacy_heap = LegacyHeapTarget::kProcessTotal;
  const std::string legacy_key = std::string(role_name(role)) + ".heap.size";
  SECTION("alone") {
    auto m = derive_memory(role, {{legacy_key, "2g"}}, active);
    REQUIRE(m);
    CHECK(m->process_total().bytes() == 2048 * kMiB);
  }
  SECTION("next to the process size, which wins") {
    auto m = derive_memory(role, {{legacy_key, "2g"}, {key(role, "process.size"), "3g"}}, active);
    REQUIRE(m);
    CHECK(m->process_total().bytes() == 3072 * kMiB);
  }
}
