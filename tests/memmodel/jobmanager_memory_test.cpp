// JobManager derivation: spec examples, the 1.11.0/1.11.1 bug, legacy heap and 1.10's JobManager.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "memmodel/derivation.h"

using namespace memguard::memmodel;

namespace {

DerivationContext at(const char* version) {
  DerivationContext c;
  c.version = *FlinkVersion::parse(version);
  return c;
}

void require_rejected(const FlinkConfig& config, const DerivationContext& context,
                      std::initializer_list<const char*> fragments) {
  auto m = derive_jobmanager(config, context);
  REQUIRE_FALSE(m.has_value());
  CAPTURE(m.error().message);
  for (const char* f : fragments) CHECK_THAT(m.error().message, Catch::Contains(f));
}

}  // namespace

TEST_CASE("JobManager sizes match Flink's outputs", "[memmodel][jobmanager]") {
  auto p1600 = derive_jobmanager({{"jobmanager.memory.process.size", "1600m"}}, at("1.20"));
  REQUIRE(p1600);
  CHECK(p1600->jvm_heap.size.bytes() == 1073741824);
  CHECK(p1600->jvm.overhead.size.bytes() == 201326592);
  auto p2g = derive_jobmanager({{"jobmanager.memory.process.size", "2g"}}, at("1.12"));
  CHECK(p2g->jvm_heap.size.bytes() == 1530082096);
  CHECK(p2g->jvm.overhead.size.bytes() == 214748368);
  auto f = derive_jobmanager({{"jobmanager.memory.flink.size", "378m"}, {"jobmanager.memory.heap.size", "150m"}}, at("1.20"));
  CHECK(f->off_heap.size.bytes() == 239075328);
  auto h = derive_jobmanager({{"jobmanager.memory.heap.size", "1g"}}, at("2.0"));
  CHECK(h->process_total().bytes() == 1677721600);
  auto big = derive_jobmanager({{"jobmanager.memory.process.size", "16g"}}, at("2.0"));
  CHECK(big->jvm.overhead.size.bytes() == 1073741824);
  CHECK(big->jvm_heap.size.bytes() == 15703474176);
}

TEST_CASE("The JVM direct limit flag is opt-in and must be a boolean", "[memmodel][jobmanager]") {
  auto on = derive_jobmanager({{"jobmanager.memory.process.size", "1g"},
                               {"jobmanager.memory.enable-jvm-direct-memory-limit", "TRUE"}},
                              at("1.20"));
  REQUIRE(on);
  CHECK(jvm_args(*on) == "-Xmx469762048 -Xms469762048 -XX:MaxDirectMemorySize=134217728 -XX:MaxMetaspaceSize=268435456");
  require_rejected({{"jobmanager.memory.process.size", "1g"}, {"jobmanager.memory.enable-jvm-direct-memory-limit", "yes"}},
                   at("1.20"), {"jobmanager.memory.enable-jvm-direct-memory-limit"});
}

TEST_CASE("Each JobManager rejection names the keys to change", "[memmodel][jobmanager][rejection]") {
  const auto v = at("1.20");
  require_rejected({}, v, {"jobmanager.memory.heap.size", "jobmanager.memory.flink.size", "jobmanager.memory.process.size"});
  require_rejected({{"jobmanager.memory.flink.size", "199m"}, {"jobmanager.memory.heap.size", "100m"},
                    {"jobmanager.memory.off-heap.size", "100m"}},
                   v, {"jobmanager.memory.off-heap.size", "jobmanager.memory.flink.size"});
  require_rejected({{"jobmanager.memory.flink.size", "100m"}, {"jobmanager.memory.heap.size", "150m"}}, v,
                   {"jobmanager.memory.heap.size", "jobmanager.memory.flink.size"});
  require_rejected({{"jobmanager.memory.flink.size", "128m"}}, v, {"jobmanager.memory.off-heap.size"});
  require_rejected({{"jobmanager.memory.process.size", "400m"}}, v, {"jobmanager.memory.process.size"});
  require_rejected({{"jobmanager.memory.process.size", "1g"}, {"jobmanager.memory.jvm-overhead.min", "2g"}}, v,
                   {"jobmanager.memory.jvm-overhead.min"});
}

TEST_CASE("Flink 1.11.0 and 1.11.1 reject heap plus both totals (FLINK-18993)", "[memmodel][jobmanager][version]") {
  FlinkConfig config{{"jobmanager.memory.flink.size", "200m"}, {"jobmanager.memory.heap.size", "150m"},
                     {"jobmanager.memory.off-heap.size", "50m"}};
  require_rejected(config, at("1.11.1"), {"FLINK-18993"});
  CHECK(derive_jobmanager(config, at("1.11.2"))->off_heap.size.bytes() == 52428800);
  CHECK(derive_jobmanager(config, at("1.12"))->off_heap.size.bytes() == 52428800);
}

TEST_CASE("The legacy JobManager heap maps to heap or process size until 2.0", "[memmodel][jobmanager][legacy]") {
  FlinkConfig config{{"jobmanager.heap.mb", "2048"}};
  CHECK(derive_jobmanager(config, at("1.20"))->jvm_heap.size.bytes() == 2LL << 30);
  DerivationContext k8s = at("1.20");
  k8s.legacy_heap = LegacyHeapTarget::kProcessTotal;
  CHECK(derive_jobmanager(config, k8s)->process_total().bytes() == 2LL << 30);
  CHECK_FALSE(derive_jobmanager(config, at("2.0")).has_value());
}

TEST_CASE("Flink 1.10's JobManager uses the heap size and the container cut-off", "[memmodel][jobmanager][version]") {
  auto scripts = derive_jobmanager({{"jobmanager.heap.size", "1500m"}}, at("1.10"));
  REQUIRE(scripts);
  CHECK(jvm_args(*scripts) == "-Xms1500m -Xmx1500m");
  CHECK(dynamic_properties(*scripts, at("1.10").version).empty());
  DerivationContext k8s = at("1.10");
  k8s.legacy_heap = LegacyHeapTarget::kProcessTotal;
  auto container = derive_jobmanager({{"jobmanager.heap.size", "4096m"}}, k8s);
  REQUIRE(container);
  CHECK(container->jvm_heap.size.mebibytes() == 3072);  // 4096 - max(1024, 600)
  CHECK(derive_jobmanager({}, k8s)->jvm_heap.size.mebibytes() == 424);  // 1024 - 600
  require_rejected({{"jobmanager.heap.size", "500m"}}, k8s, {"containerized.heap-cutoff-min"});
  require_rejected({{"jobmanager.heap.size", "2g"}, {"containerized.heap-cutoff-ratio", "1.5"}}, k8s,
                   {"containerized.heap-cutoff-ratio"});
  // Float.parseFloat reads "NaN"; it passes the range check and (int) NaN is 0, so the minimum
  // cut-off applies (a fuzzer found the C++ cast of NaN undefined).
  auto nan_ratio = derive_jobmanager({{"jobmanager.heap.size", "4096m"}, {"containerized.heap-cutoff-ratio", "NaN"}}, k8s);
  REQUIRE(nan_ratio);
  CHECK(nan_ratio->jvm_heap.size.mebibytes() == 4096 - 600);
}

// Found by the Flink 1.10.3 oracle (tests/oracle): BootstrapTools.calculateHeapSize rejects only a
// ratio outside [0, 1] and a minimum larger than the container; the bounds themselves are accepted.
TEST_CASE("oracle 1.10.3: the JobManager cut-off accepts ratios 0 and 1 and a minimum equal to the container",
          "[memmodel][jobmanager][version][oracle]") {
  DerivationContext k8s = at("1.10.3");
  k8s.legacy_heap = LegacyHeapTarget::kProcessTotal;
  auto zero = derive_jobmanager({{"containerized.heap-cutoff-ratio", "0"}}, k8s);
  REQUIRE(zero);
  CHECK(zero->jvm_heap.size.bytes() == 444596224);  // 1024 MiB - the 600 MiB minimum
  auto one = derive_jobmanager({{"jobmanager.heap.size", "3008 m"}, {"containerized.heap-cutoff-ratio", "1"}}, k8s);
  REQUIRE(one);
  CHECK(one->jvm_heap.size.bytes() == 0);  // everything is cut off
  auto equal = derive_jobmanager({{"jobmanager.heap.size", "600m"}}, k8s);
  REQUIRE(equal);
  CHECK(equal->jvm_heap.size.bytes() == 0);
  require_rejected({{"jobmanager.heap.size", "599m"}}, k8s, {"containerized.heap-cutoff-min"});
  require_rejected({{"containerized.heap-cutoff-ratio", "-0.1"}}, k8s, {"containerized.heap-cutoff-ratio"});
}

TEST_CASE("A JobManager heap below 128 MiB is noted, derived or set by hand, one at 128 MiB is not",
          "[memmodel][jobmanager]") {
  auto has_heap_note = [](const auto& m) {
    return std::any_of(m.notes.begin(), m.notes.end(),
                       [](const std::string& n) { return n.find("recommended minimum of 128 MiB") != std::string::npos; });
  };
  // 700m - metaspace 256m - overhead 192m (the minimum) - off-heap 128m leaves a 124 MiB heap.
  auto small = derive_jobmanager({{"jobmanager.memory.process.size", "700m"}}, at("1.20"));
  REQUIRE(small);
  CHECK(small->jvm_heap.size == MemorySize::of_mebibytes(124));
  CHECK(has_heap_note(*small));
  auto exact = derive_jobmanager({{"jobmanager.memory.process.size", "704m"}}, at("1.20"));
  REQUIRE(exact);
  CHECK(exact->jvm_heap.size == MemorySize::of_mebibytes(128));
  CHECK_FALSE(has_heap_note(*exact));
  // Flink warns about a configured heap below the minimum too (deriveFromRequiredFineGrainedOptions).
  auto explicit_heap = derive_jobmanager({{"jobmanager.memory.heap.size", "100m"}}, at("1.20"));
  REQUIRE(explicit_heap);
  CHECK(has_heap_note(*explicit_heap));
}

TEST_CASE("Flink 1.10's JobManager reads jobmanager.heap.mb when jobmanager.heap.size is not set",
          "[memmodel][jobmanager][version][legacy]") {
  // ConfigurationUtils.getJobManagerHeapMemory: heap.size first, then heap.mb as "<mb>m", then 1024m.
  auto mb = derive_jobmanager({{"jobmanager.heap.mb", "2048"}}, at("1.10"));
  REQUIRE(mb);
  CHECK(mb->jvm_heap.size.mebibytes() == 2048);
  CHECK(mb->jvm_heap.key == "jobmanager.heap.mb");
  CHECK(mb->jvm_heap.provenance == Provenance::kConfigured);
  auto both = derive_jobmanager({{"jobmanager.heap.mb", "2048"}, {"jobmanager.heap.size", "1500m"}}, at("1.10"));
  REQUIRE(both);
  CHECK(both->jvm_heap.size.mebibytes() == 1500);
  CHECK(both->jvm_heap.key == "jobmanager.heap.size");
  auto neither = derive_jobmanager({}, at("1.10"));
  REQUIRE(neither);
  CHECK(neither->jvm_heap.size.mebibytes() == 1024);
  CHECK(neither->jvm_heap.provenance == Provenance::kDefault);

  require_rejected({{"jobmanager.heap.mb", "2g"}}, at("1.10"), {"jobmanager.heap.mb", "'2g'"});
  require_rejected({{"jobmanager.heap.mb", "-5"}}, at("1.10"),
                   {"jobmanager.heap.mb = -5 is not a valid size; set a positive number of MiB"});
  require_rejected({{"jobmanager.heap.size", "big"}}, at("1.10"), {"jobmanager.heap.size", "'big'"});
  // In a container the cut-off is taken from the size jobmanager.heap.mb gives, and a rejection names it.
  DerivationContext k8s = at("1.10");
  k8s.legacy_heap = LegacyHeapTarget::kProcessTotal;
  auto container = derive_jobmanager({{"jobmanager.heap.mb", "4096"}}, k8s);
  REQUIRE(container);
  CHECK(container->jvm_heap.size.mebibytes() == 3072);
  require_rejected({{"jobmanager.heap.mb", "500"}}, k8s, {"500 MiB from jobmanager.heap.mb", "increase jobmanager.heap.mb"});
  require_rejected({{"containerized.heap-cutoff-ratio", "a quarter"}}, k8s, {"containerized.heap-cutoff-ratio"});
  require_rejected({{"containerized.heap-cutoff-min", "600m"}}, k8s, {"containerized.heap-cutoff-min"});
}

TEST_CASE("Flink 1.10's JobManager path follows the legacy heap target, whatever the config",
          "[memmodel][jobmanager][version][legacy]") {
  CHECK(jobmanager_derivation_path({{"jobmanager.memory.process.size", "2g"}}, at("1.10")) ==
        DerivationPath::kFineGrained);
  DerivationContext k8s = at("1.10");
  k8s.legacy_heap = LegacyHeapTarget::kProcessTotal;
  CHECK(jobmanager_derivation_path({}, k8s) == DerivationPath::kTotalProcess);
  CHECK(derive_jobmanager({}, k8s)->path == DerivationPath::kTotalProcess);
}
