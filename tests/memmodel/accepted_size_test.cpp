// The derivation path as a value of the derivation, and the smallest accepted size of a rejected
// configuration's total (memmodel/accepted_size.h): accepted, and 1 MiB less rejected.
#include <catch2/catch.hpp>

#include <string>

#include "memmodel/accepted_size.h"
#include "memmodel/derived_memory.h"
#include "support/size_text.h"

using namespace memguard::memmodel;

namespace {

using memguard::kMiB;

DerivationContext flink(const char* version) {
  DerivationContext c;
  c.version = *FlinkVersion::parse(version);
  return c;
}

std::string key(Role role, const char* suffix) { return std::string(role_name(role)) + ".memory." + suffix; }

// The answer is accepted and the next whole MiB below it is not.
void check_smallest(Role role, const FlinkConfig& config, const AcceptedSize& found) {
  FlinkConfig at = config;
  at.set(found.key, std::to_string(found.size.mebibytes()) + "m");
  CHECK(derive_memory(role, at, flink("1.20")));
  FlinkConfig below = config;
  below.set(found.key, std::to_string(found.size.mebibytes() - 1) + "m");
  CHECK_FALSE(derive_memory(role, below, flink("1.20")));
}

}  // namespace

TEST_CASE("The derivation records the path it took and derivation_path names the same one",
          "[memmodel][path]") {
  const Role role = GENERATE(Role::kTaskManager, Role::kJobManager);
  CAPTURE(role_name(role));
  const auto [config, path] = GENERATE_COPY(table<FlinkConfig, DerivationPath>({
      {{{key(role, "process.size"), "4g"}}, DerivationPath::kTotalProcess},
      {{{key(role, "flink.size"), "3g"}}, DerivationPath::kTotalFlink},
      // Total Flink wins over the process size, as in Flink.
      {{{key(role, "flink.size"), "3g"}, {key(role, "process.size"), "4g"}}, DerivationPath::kTotalFlink},
  }));
  auto m = derive_memory(role, config, flink("1.20"));
  REQUIRE(m);
  CHECK(m->path() == path);
  CHECK(derivation_path(role, config, flink("1.20")) == path);
}

TEST_CASE("Fine-grained options take the fine-grained path for each role", "[memmodel][path]") {
  auto tm = derive_memory(Role::kTaskManager,
                          {{"taskmanager.memory.task.heap.size", "1g"}, {"taskmanager.memory.managed.size", "1g"}},
                          flink("1.20"));
  REQUIRE(tm);
  CHECK(tm->path() == DerivationPath::kFineGrained);
  CHECK(derivation_path_name(tm->path()) == "fine-grained");
  // Task heap alone is not fine-grained for the TaskManager: managed memory must be set too.
  CHECK(derivation_path(Role::kTaskManager,
                        {{"taskmanager.memory.task.heap.size", "1g"}, {"taskmanager.memory.process.size", "4g"}},
                        flink("1.20")) == DerivationPath::kTotalProcess);
  auto jm = derive_memory(Role::kJobManager, {{"jobmanager.memory.heap.size", "1g"}}, flink("1.20"));
  REQUIRE(jm);
  CHECK(jm->path() == DerivationPath::kFineGrained);
}

TEST_CASE("A rejected configuration still names its path and none configured names none", "[memmodel][path]") {
  CHECK(derivation_path(Role::kJobManager, {{"jobmanager.memory.process.size", "500m"}}, flink("1.20")) ==
        DerivationPath::kTotalProcess);
  CHECK_FALSE(derive_memory(Role::kJobManager, {{"jobmanager.memory.process.size", "500m"}}, flink("1.20")));
  CHECK_FALSE(derivation_path(Role::kTaskManager, {}, flink("1.20")).has_value());
  // The legacy heap (1.x) stands for Total Flink memory under the start scripts.
  CHECK(derivation_path(Role::kTaskManager, {{"taskmanager.heap.size", "2g"}}, flink("1.20")) ==
        DerivationPath::kTotalFlink);
}

TEST_CASE("A JobManager process too small for its off-heap needs 577 MiB at least", "[memmodel][accepted]") {
  // Process P leaves P - 256 MiB metaspace - 192 MiB overhead (the minimum: 10% of < 1920 MiB) for
  // Flink, which must exceed the 128 MiB off-heap: P - 448 > 128, so P = 577 MiB (a 1 MiB heap).
  const FlinkConfig config{{"jobmanager.memory.process.size", "500m"}};
  auto found = smallest_accepted_size(Role::kJobManager, config, flink("1.20"));
  REQUIRE(found);
  CHECK(found->key == "jobmanager.memory.process.size");
  CHECK(found->size.bytes() == 577 * kMiB);
  check_smallest(Role::kJobManager, config, *found);
}

TEST_CASE("A TaskManager process too small gets the smallest accepted process size", "[memmodel][accepted]") {
  const FlinkConfig config{{"taskmanager.memory.process.size", "600m"}};
  auto found = smallest_accepted_size(Role::kTaskManager, config, flink("1.20"));
  REQUIRE(found);
  CHECK(found->key == "taskmanager.memory.process.size");
  // P - 256 - 192 = Flink F; F needs framework heap 128 + framework off-heap 128 + network
  // max(64, 0.1 F) + managed 0.4 F with a task heap >= 0: 256 + 64 + 0.4 F <= F while 0.1 F <= 64, so
  // F >= 533.3 MiB: F = 534 MiB (whole MiB of P), P = 982 MiB.
  CHECK(found->size.bytes() == 982 * kMiB);
  check_smallest(Role::kTaskManager, config, *found);
}

TEST_CASE("A process size above the overhead's range is found inside the narrow accepted range",
          "[memmodel][accepted]") {
  SECTION("a 1 GiB heap in an 8 GiB process") {
    // Flink 1024 + 128 MiB, metaspace 256 MiB: the overhead P - 1408 MiB must be in [192 MiB, 1 GiB].
    const FlinkConfig config{{"jobmanager.memory.heap.size", "1g"}, {"jobmanager.memory.process.size", "8g"}};
    auto found = smallest_accepted_size(Role::kJobManager, config, flink("1.20"));
    REQUIRE(found);
    CHECK(found->size.bytes() == 1600 * kMiB);
    check_smallest(Role::kJobManager, config, *found);
  }
  SECTION("a 100 GiB heap in a 300 GiB process: no power of two is accepted") {
    const FlinkConfig config{{"jobmanager.memory.heap.size", "100g"}, {"jobmanager.memory.process.size", "300g"}};
    auto found = smallest_accepted_size(Role::kJobManager, config, flink("1.20"));
    REQUIRE(found);
    CHECK(found->size.bytes() == (102400 + 128 + 256 + 192) * kMiB);
    check_smallest(Role::kJobManager, config, *found);
  }
}

TEST_CASE("A Total Flink size that disagrees with heap and off-heap is varied itself", "[memmodel][accepted]") {
  const FlinkConfig config{{"jobmanager.memory.heap.size", "1g"},
                           {"jobmanager.memory.off-heap.size", "128m"},
                           {"jobmanager.memory.flink.size", "2g"}};
  auto found = smallest_accepted_size(Role::kJobManager, config, flink("1.20"));
  REQUIRE(found);
  CHECK(found->key == "jobmanager.memory.flink.size");
  CHECK(found->size.bytes() == 1152 * kMiB);  // exactly heap + off-heap
  check_smallest(Role::kJobManager, config, *found);
}

TEST_CASE("No smallest accepted size when the rejection does not depend on the total", "[memmodel][accepted]") {
  SECTION("a fraction out of range") {
    CHECK_FALSE(smallest_accepted_size(Role::kTaskManager,
                                       {{"taskmanager.memory.process.size", "4g"},
                                        {"taskmanager.memory.managed.fraction", "1.5"}},
                                       flink("1.20")));
  }
  SECTION("no total configured") {
    CHECK_FALSE(smallest_accepted_size(Role::kTaskManager, {}, flink("1.20")));
  }
  SECTION("an accepted configuration") {
    CHECK_FALSE(smallest_accepted_size(Role::kJobManager, {{"jobmanager.memory.process.size", "2g"}}, flink("1.20")));
  }
}
