// The shared process layer: range fractions, fraction/inverse-fraction derivation and capping.
#include <catch2/catch.hpp>

#include "memmodel/process_memory.h"

using namespace memguard::memmodel;

namespace {
MemorySize mib(int64_t n) { return MemorySize::of_mebibytes(n); }
}  // namespace

TEST_CASE("Range fractions validate their invariants on creation", "[memmodel][process]") {
  CHECK(RangeFraction::create(mib(1), mib(2), 0.0, "x").has_value());
  CHECK(RangeFraction::create(mib(1), mib(1), 0.5, "x").has_value());
  CHECK_FALSE(RangeFraction::create(mib(2), mib(1), 0.1, "Network Memory").has_value());
  CHECK_FALSE(RangeFraction::create(mib(1), mib(2), 1.0, "x").has_value());
  CHECK_FALSE(RangeFraction::create(mib(1), mib(2), -0.1, "x").has_value());
  CHECK_FALSE(RangeFraction::create(mib(1), mib(2), std::nan(""), "x").has_value());
  auto bad = RangeFraction::create(mib(2), mib(1), 0.1, "Network Memory (taskmanager.memory.network.min)");
  CHECK_THAT(bad.error().message, Catch::Contains("taskmanager.memory.network.min"));
}

TEST_CASE("Fractions derive exactly and are capped to the range", "[memmodel][process]") {
  auto range = *RangeFraction::create(mib(192), mib(1024), static_cast<double>(0.1f), "JVM Overhead");
  CHECK(derive_with_fraction(mib(1728), range)->bytes() == 201326592);    // 181193935 -> min
  CHECK(derive_with_fraction(mib(4096), range)->bytes() == 429496736);    // inside
  CHECK(derive_with_fraction(mib(20480), range)->bytes() == 1073741824);  // -> max
  CHECK(derive_with_inverse_fraction(mib(1536), *RangeFraction::create(mib(0), mib(1024), static_cast<double>(0.1f), "x"))
            ->bytes() == 178956973);
}

TEST_CASE("Capping prefers the maximum, then the minimum", "[memmodel][process]") {
  auto range = *RangeFraction::create(mib(10), mib(20), 0.1, "x");
  CHECK(cap_to_min_max(mib(5), range) == mib(10));
  CHECK(cap_to_min_max(mib(25), range) == mib(20));
  CHECK(cap_to_min_max(mib(15), range) == mib(15));
}
