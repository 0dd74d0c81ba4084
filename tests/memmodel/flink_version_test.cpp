// FlinkVersion: release numbers and the operator's enum spellings.
#include <catch2/catch.hpp>

#include "memmodel/derivation.h"
#include "memmodel/flink_version.h"

using memguard::memmodel::DerivationContext;
using memguard::memmodel::FlinkVersion;
using memguard::memmodel::derive_taskmanager;

TEST_CASE("Flink versions parse from release and operator spellings", "[memmodel][version]") {
  CHECK(*FlinkVersion::parse("1.20") == FlinkVersion{1, 20, 0});
  CHECK(*FlinkVersion::parse("1.20.1") == FlinkVersion{1, 20, 1});
  CHECK(*FlinkVersion::parse("v1_13") == FlinkVersion{1, 13, 0});
  CHECK(*FlinkVersion::parse("v2_0") == FlinkVersion{2, 0, 0});
  CHECK(*FlinkVersion::parse("2.x") == FlinkVersion{2, 0, 0});
  CHECK(*FlinkVersion::parse("v2_x") == FlinkVersion{2, 0, 0});
  CHECK(*FlinkVersion::parse("1.10") == FlinkVersion{1, 10, 0});
  CHECK(FlinkVersion{1, 11, 2}.to_string() == "1.11.2");
  CHECK(FlinkVersion{2, 0, 0}.to_string() == "2.0");
}

TEST_CASE("Unsupported or malformed Flink versions are errors", "[memmodel][version]") {
  for (const char* bad : {"", "1", "1.9", "0.10", "3.0", "1.20.x", "1.2.3.4", "v1.20", "abc", "1.-1",
                          // signed parts (found by fuzz_memory_size)
                          "2.-33", "1.20.-1", "-1.20", "v2_-0", "1.+20", "1.20.+1"}) {
    CAPTURE(bad);
    CHECK_FALSE(FlinkVersion::parse(bad).has_value());
  }
}

TEST_CASE("Version comparisons order releases", "[memmodel][version]") {
  CHECK(FlinkVersion{1, 17, 0}.at_least(1, 17));
  CHECK_FALSE(FlinkVersion{1, 16, 9}.at_least(1, 17));
  CHECK(FlinkVersion{2, 0, 0}.at_least(1, 20));
  CHECK(FlinkVersion{1, 12, 2}.at_least(1, 12, 2));
}

// The oracle (tests/oracle) runs 2.1.3, 2.2.1 and 2.3.0 and finds their memory model identical to
// 2.0's; the operator names them v2_1, v2_2 and v2_3. Each maps to its own release, not to 2.0,
// so messages name the release the user declared.
TEST_CASE("the operator's v2_1, v2_2 and v2_3 map to Flink 2.1, 2.2 and 2.3", "[memmodel][version][oracle]") {
  CHECK(*FlinkVersion::parse("v2_1") == FlinkVersion{2, 1, 0});
  CHECK(*FlinkVersion::parse("v2_2") == FlinkVersion{2, 2, 0});
  CHECK(*FlinkVersion::parse("v2_3") == FlinkVersion{2, 3, 0});
  CHECK(*FlinkVersion::parse("2.3.0") == FlinkVersion{2, 3, 0});
  DerivationContext c;
  c.version = *FlinkVersion::parse("v2_3");
  auto tm = derive_taskmanager({{"taskmanager.memory.process.size", "1728m"}}, c);
  REQUIRE(tm);
  CHECK(tm->network.size.bytes() == 134217730);
  // Removed in 2.0 and still unknown in 2.3: the legacy heap key is ignored, not mapped.
  CHECK_FALSE(derive_taskmanager({{"taskmanager.heap.size", "1728m"}}, c));
}
