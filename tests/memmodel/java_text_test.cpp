// Java number semantics the model depends on: Float.parseFloat, Integer.parseInt, Double.toString,
// String.hashCode and HashMap iteration order.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <cstdlib>
#include <utility>

#include "memmodel/java_text.h"

namespace java = memguard::memmodel::java;

TEST_CASE("Float parsing accepts Java's grammar", "[memmodel][java]") {
  CHECK(*java::parse_float("0.4") == 0.4f);
  CHECK(*java::parse_float("  0.4 \n") == 0.4f);
  CHECK(*java::parse_float("+.5") == 0.5f);
  CHECK(*java::parse_float("5.") == 5.0f);
  CHECK(*java::parse_float("1e-1") == 0.1f);
  CHECK(*java::parse_float("0.1f") == 0.1f);
  CHECK(*java::parse_float("0.1D") == 0.1f);
  CHECK(*java::parse_float("-0.1") == -0.1f);
  CHECK(*java::parse_float("0x1.8p1") == 3.0f);
  CHECK(*java::parse_float("1e-50") == 0.0f);
  CHECK(std::isinf(*java::parse_float("1e50")));
  CHECK(std::isnan(*java::parse_float("NaN")));
  CHECK(*java::parse_float("-Infinity") == -std::numeric_limits<float>::infinity());
  // Rounds straight to float: 0.99999999 is 1.0f (and so an invalid fraction later).
  CHECK(*java::parse_float("0.99999999") == 1.0f);
}

TEST_CASE("Float parsing rejects what Java rejects", "[memmodel][java]") {
  for (const char* bad : {"", "abc", "0.1.2", "1,5", "-5m", "m", ".", "e5", "1e", "0x1.8", "nan", "inf", "1ff", "0.1 f"}) {
    CAPTURE(bad);
    CHECK_FALSE(java::parse_float(bad).has_value());
  }
}

TEST_CASE("Integer parsing follows Integer.parseInt", "[memmodel][java]") {
  CHECK(*java::parse_int("+7") == 7);
  CHECK(*java::parse_int("-2147483648") == std::numeric_limits<int32_t>::min());
  CHECK_FALSE(java::parse_int("2147483648").has_value());
  CHECK_FALSE(java::parse_int(" 1").has_value());
  CHECK_FALSE(java::parse_int("1.0").has_value());
  CHECK_FALSE(java::parse_int("-").has_value());
}

TEST_CASE("Double.toString forms match Java", "[memmodel][java]") {
  CHECK(java::double_to_string(1.0) == "1.0");
  CHECK(java::double_to_string(0.5) == "0.5");
  CHECK(java::double_to_string(2.0) == "2.0");
  CHECK(java::double_to_string(1234567.0) == "1234567.0");
  CHECK(java::double_to_string(1e7) == "1.0E7");
  CHECK(java::double_to_string(1.5e-4) == "1.5E-4");
  CHECK(java::double_to_string(0.001) == "0.001");
  CHECK(java::double_to_string(static_cast<double>(0.4f)) == "0.4000000059604645");
  CHECK(java::double_to_string(static_cast<double>(0.1f)) == "0.10000000149011612");
}

TEST_CASE("A float prints as the shortest decimal that reads back as it, in Java's layout", "[memmodel][java]") {
  // What Java 17's Float.toString prints for these too (a java program printing each, 2026-12-07).
  CHECK(java::float_to_string(0.1f) == "0.1");
  CHECK(java::float_to_string(0.4f) == "0.4");
  CHECK(java::float_to_string(0.15f) == "0.15");
  CHECK(java::float_to_string(0.3f) == "0.3");
  CHECK(java::float_to_string(0.33333334f) == "0.33333334");
  CHECK(java::float_to_string(0.9999999f) == "0.9999999");
  CHECK(java::float_to_string(1.0f) == "1.0");
  CHECK(java::float_to_string(1.1f) == "1.1");
  CHECK(java::float_to_string(0.0f) == "0.0");
  CHECK(java::float_to_string(-0.5f) == "-0.5");
  CHECK(java::float_to_string(1e-4f) == "1.0E-4");
  CHECK(java::float_to_string(0.001f) == "0.001");
  CHECK(java::float_to_string(1e7f) == "1.0E7");
  CHECK(java::float_to_string(1234567.0f) == "1234567.0");
  CHECK(java::float_to_string(1.4E-45f) == "1.4E-45");
  CHECK(java::float_to_string(3.4028235E38f) == "3.4028235E38");
  CHECK(java::float_to_string(std::numeric_limits<float>::infinity()) == "Infinity");
  CHECK(java::float_to_string(0.100000024f) == "0.100000024");
  CHECK(java::float_to_string(2.8E-45f) == "2.8E-45");
  CHECK(java::float_to_string(1.0E-40f) == "1.0E-40");
  // The shortest form, as Java 19 and later print it; Java 17 prints 3.0000001E10.
  CHECK(java::float_to_string(3.0E10f) == "3.0E10");
  // Every fraction a user can write reads back as the same float.
  std::mt19937 random(7);
  std::uniform_real_distribution<float> fractions(0.0f, 1.0f);
  for (int i = 0; i < 10000; ++i) {
    const float f = fractions(random);
    CAPTURE(f);
    CHECK(std::strtof(java::float_to_string(f).c_str(), nullptr) == f);
  }
}

TEST_CASE("String.hashCode matches Java for ASCII and non-ASCII text", "[memmodel][java]") {
  CHECK(java::string_hash("") == 0);
  CHECK(java::string_hash("a") == 97);
  CHECK(java::string_hash("hello") == 99162322);
  CHECK(java::string_hash("\xC3\xA9") == 0xE9);  // é is one UTF-16 unit
}

TEST_CASE("HashMap order reproduces Flink's -D order for the 13-key form", "[memmodel][java]") {
  const std::vector<std::string> put_order{
      "taskmanager.cpu.cores", "taskmanager.memory.framework.heap.size", "taskmanager.memory.framework.off-heap.size",
      "taskmanager.memory.task.heap.size", "taskmanager.memory.task.off-heap.size", "taskmanager.memory.network.min",
      "taskmanager.memory.network.max", "taskmanager.memory.managed.size", "taskmanager.memory.jvm-metaspace.size",
      "taskmanager.memory.jvm-overhead.min", "taskmanager.memory.jvm-overhead.max", "taskmanager.numberOfTaskSlots",
      "external-resources"};
  std::vector<std::string> got;
  for (size_t i : java::hash_map_order(put_order)) got.push_back(put_order[i]);
  const std::vector<std::string> flink{
      "taskmanager.memory.network.min", "taskmanager.cpu.cores", "taskmanager.memory.task.off-heap.size",
      "taskmanager.memory.jvm-metaspace.size", "external-resources", "taskmanager.memory.jvm-overhead.min",
      "taskmanager.memory.framework.off-heap.size", "taskmanager.memory.network.max",
      "taskmanager.memory.framework.heap.size", "taskmanager.memory.managed.size",
      "taskmanager.memory.task.heap.size", "taskmanager.numberOfTaskSlots", "taskmanager.memory.jvm-overhead.max"};
  CHECK(got == flink);
}

TEST_CASE("shortest_digits is the shortest decimal that reads back as the double", "[memmodel][java]") {
  // Known values: BigDecimal.valueOf's unscaled value and (negated) scale.
  auto digits = [](double v) {
    auto d = java::shortest_digits(v);
    return std::pair<uint64_t, int>{d.significand, d.exponent};
  };
  CHECK(digits(0.0) == std::pair<uint64_t, int>{0, 0});
  CHECK(digits(0.1) == std::pair<uint64_t, int>{1, -1});
  CHECK(digits(0.4000000059604645) == std::pair<uint64_t, int>{4000000059604645, -16});
  CHECK(digits(100.0) == std::pair<uint64_t, int>{1, 2});
  CHECK(digits(1234.5) == std::pair<uint64_t, int>{12345, -1});
  CHECK(digits(5e-324) == std::pair<uint64_t, int>{5, -324});
  CHECK(digits(1.7976931348623157e308) == std::pair<uint64_t, int>{17976931348623157, 292});
  // And for random doubles: it reads back exactly, has no trailing zero and at most 17 digits.
  std::mt19937_64 random(20261201);
  for (int i = 0; i < 2000; ++i) {
    const double v = std::ldexp(static_cast<double>(random() >> 11), static_cast<int>(random() % 200) - 150);
    CAPTURE(v);
    const java::DecimalDigits d = java::shortest_digits(v);
    if (v == 0) continue;
    CHECK(d.significand % 10 != 0);
    CHECK(d.significand < 100000000000000000ULL);
    CHECK(std::strtod((std::to_string(d.significand) + "e" + std::to_string(d.exponent)).c_str(), nullptr) == v);
  }
}
