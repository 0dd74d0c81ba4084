// MemorySize: Flink's parsing edge cases, checked arithmetic and the exact fraction product.
#include <catch2/catch.hpp>

#include "memmodel/memory_size.h"

using memguard::ErrorCode;
using memguard::memmodel::MemorySize;

TEST_CASE("MemorySize parses Flink's units and spacing", "[memmodel][memory_size]") {
  CHECK(MemorySize::parse("1728m")->bytes() == 1728LL << 20);
  CHECK(MemorySize::parse(" \t7 MB\n")->bytes() == 7LL << 20);
  CHECK(MemorySize::parse("00017m")->bytes() == 17LL << 20);
  CHECK(MemorySize::parse("256")->bytes() == 256);
  CHECK(MemorySize::parse("1 kibibytes")->bytes() == 1024);
  CHECK(MemorySize::parse("8388607t")->bytes() == 8388607LL << 40);
}

TEST_CASE("MemorySize rejects what Flink's parser rejects", "[memmodel][memory_size]") {
  for (const char* bad : {"", "   ", "-100", "+1m", ".5g", "m", "1 0m", "1KiB", "1g b", "\"1g\"", "1,5g",
                          "8388608t", "100000000000000 tb", "99999999999999999999"}) {
    CAPTURE(bad);
    auto parsed = MemorySize::parse(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("MemorySize multiplies by a float fraction through its shortest decimal", "[memmodel][memory_size]") {
  const auto mib = [](int64_t n) { return MemorySize::of_mebibytes(n); };
  CHECK(mib(1280).multiply(static_cast<double>(0.4f))->bytes() == 536870920);
  CHECK(mib(1536).multiply(static_cast<double>(0.2f))->bytes() == 322122552);
  CHECK(mib(1280).multiply(static_cast<double>(0.1f))->bytes() == 134217730);
  CHECK(mib(1728).multiply(static_cast<double>(0.1f))->bytes() == 181193935);
  CHECK(mib(2048).multiply(static_cast<double>(0.1f))->bytes() == 214748368);
  CHECK(mib(1000).multiply(static_cast<double>(0.1f))->bytes() == 104857601);
  CHECK(mib(1).multiply(0.5)->bytes() == 524288);
  CHECK(mib(1).multiply(0)->bytes() == 0);
  CHECK(MemorySize::of_bytes(3).multiply(2.5)->bytes() == 7);
}

TEST_CASE("MemorySize arithmetic fails instead of overflowing or going negative", "[memmodel][memory_size]") {
  const auto max = MemorySize::of_bytes(MemorySize::kMaxBytes);
  CHECK(max.add(MemorySize::of_bytes(1)).error().code == ErrorCode::kOverflow);
  CHECK(MemorySize::of_bytes(1).subtract(MemorySize::of_bytes(2)).error().code == ErrorCode::kIllegalConfiguration);
  CHECK(max.multiply(1.5).error().code == ErrorCode::kOverflow);
  CHECK_FALSE(MemorySize::of_bytes(1).multiply(-0.1).has_value());
  CHECK(max.multiply(1.0)->bytes() == MemorySize::kMaxBytes);
}

TEST_CASE("MemorySize prints as Flink's toString and for people", "[memmodel][memory_size]") {
  CHECK(MemorySize::of_bytes(1024).to_flink_string() == "1 kb");
  CHECK(MemorySize::of_bytes(100).to_flink_string() == "100 bytes");
  CHECK(MemorySize::of_bytes(1025).to_flink_string() == "1025 bytes");
  CHECK(MemorySize::of_bytes(0).to_flink_string() == "0 bytes");
  CHECK(MemorySize::of_mebibytes(1728).to_flink_string() == "1728 mb");
  CHECK(MemorySize::of_mebibytes(1728).to_human() == "1728 MiB");
  CHECK(MemorySize::of_bytes(536870920).to_human() == "~512.00 MiB");
  CHECK(MemorySize::of_bytes(0).to_human() == "0 bytes");
}
