// Java's text<->number conversions and String/HashMap hashing, reproduced exactly, because Flink's
// accept/reject decisions and its `-D` strings depend on them (spec §1.3, §1.6, §3, §6.2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.h"

namespace memguard::memmodel::java {

// String.trim(): strips leading/trailing chars <= U+0020 (a UTF-8 BOM, above it, is kept).
std::string_view trim(std::string_view text);

// Float.parseFloat / Double.parseDouble: surrounding whitespace (trim), optional sign, "NaN",
// "Infinity", decimal with optional exponent, hex "0x1.8p1" (binary exponent required), optional
// trailing f/F/d/D; correctly rounded straight to the target type (no double rounding).
[[nodiscard]] Expected<float> parse_float(std::string_view text);
[[nodiscard]] Expected<double> parse_double(std::string_view text);

// Integer.parseInt / Long.parseLong: optional sign, ASCII digits, no whitespace, range-checked.
[[nodiscard]] Expected<int32_t> parse_int(std::string_view text);
[[nodiscard]] Expected<int64_t> parse_long(std::string_view text);

// Shortest round-trip decimal of `value` as (digits, exponent): value = 0.d1d2d3... x 10^point,
// i.e. digits "4000000059604645", point 0 for 0.4000000059604645. Precondition: finite, >= 0.
struct Decimal {
  std::string digits;  // no leading zeros (except "0" for zero)
  int point = 0;       // position of the decimal point relative to the first digit
};
Decimal shortest_decimal(double value);

// The same decimal as an integer: value = significand x 10^exponent (at most 17 digits, trailing
// zeros removed). What MemorySize::multiply needs, without building a string per multiplication.
struct DecimalDigits {
  uint64_t significand = 0;
  int exponent = 0;
};
DecimalDigits shortest_digits(double value);

// Double.toString(double): "1.0", "0.5", "1234567.0", "1.0E7", "1.0E-4", "NaN", "Infinity".
std::string double_to_string(double value);
// Float.toString(float) as Java 19 and later print it: the shortest digits that read back as the
// float, in Double.toString's layout. "0.1" for 0.1f, where double_to_string of the widened value
// gives "0.10000000149011612". (Java 17 agrees on fractions such as 0.1, 0.15 or 0.4, and prints
// a longer form for some floats: 3.0000001E10 for 3.0E10f.)
std::string float_to_string(float value);

// String.hashCode() over the UTF-16 code units of a UTF-8 string.
int32_t string_hash(std::string_view text);

// The iteration order of a default-constructed java.util.HashMap<String, ?> after inserting `keys`
// in this order (duplicates keep their first position): indices into `keys`.
std::vector<size_t> hash_map_order(const std::vector<std::string>& keys);

}  // namespace memguard::memmodel::java
