// MemorySize: Flink's parser, printer and checked arithmetic, including the exact decimal
// multiplication by a fraction that makes 1280 MiB x 0.4f = 536870920 bytes (spec §1.2, §2).
#include "memmodel/memory_size.h"

#include <array>
#include <cstdio>
#include <limits>

#include "memmodel/java_text.h"

namespace memguard::memmodel {

namespace {

struct Unit {
  std::string_view spelling;
  int64_t multiplier;
};

constexpr std::array<Unit, 15> kUnits{{
    {"", 1}, {"b", 1}, {"bytes", 1},
    {"k", int64_t{1} << 10}, {"kb", int64_t{1} << 10}, {"kibibytes", int64_t{1} << 10},
    {"m", int64_t{1} << 20}, {"mb", int64_t{1} << 20}, {"mebibytes", int64_t{1} << 20},
    {"g", int64_t{1} << 30}, {"gb", int64_t{1} << 30}, {"gibibytes", int64_t{1} << 30},
    {"t", int64_t{1} << 40}, {"tb", int64_t{1} << 40}, {"tebibytes", int64_t{1} << 40},
}};

__extension__ using U128 = unsigned __int128;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

Expected<MemorySize> MemorySize::parse(std::string_view text) {
  const std::string_view trimmed = java::trim(text);
  if (trimmed.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "a memory size must not be empty or only whitespace");
  }
  size_t pos = 0;
  while (pos < trimmed.size() && trimmed[pos] >= '0' && trimmed[pos] <= '9') ++pos;
  const std::string_view number = trimmed.substr(0, pos);
  std::string unit(java::trim(trimmed.substr(pos)));
  for (char& c : unit) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (number.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      quoted(text) + " is not a memory size: it must start with a whole number of bytes or units "
                                     "(for example 1728m, 2g, 1024 kb)");
  }
  const Unit* matched = nullptr;
  for (const auto& u : kUnits) {
    if (u.spelling == unit) matched = &u;
  }
  if (matched == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      quoted(text) + " is not a memory size: unknown unit " + quoted(unit) +
                          " (Flink accepts b/bytes, k/kb/kibibytes, m/mb/mebibytes, g/gb/gibibytes, t/tb/tebibytes, "
                          "all binary)");
  }
  auto value = java::parse_long(number);
  if (!value) {
    return make_error(ErrorCode::kInvalidArgument,
                      quoted(text) + " is not a memory size: the number does not fit 64 bits (numeric overflow)");
  }
  if (*value > kMaxBytes / matched->multiplier) {
    return make_error(ErrorCode::kInvalidArgument,
                      quoted(text) + " is not a memory size: it exceeds 2^63-1 bytes (numeric overflow)");
  }
  return MemorySize(*value * matched->multiplier);
}

Expected<MemorySize> MemorySize::add(MemorySize other) const {
  int64_t sum = 0;
  if (__builtin_add_overflow(bytes_, other.bytes_, &sum)) {
    return make_error(ErrorCode::kOverflow, "memory sizes add up to more than 2^63-1 bytes (" +
                                                std::to_string(bytes_) + " + " + std::to_string(other.bytes_) + ")");
  }
  return MemorySize(sum);
}

Expected<MemorySize> MemorySize::subtract(MemorySize other) const {
  if (other.bytes_ > bytes_) {
    return make_error(ErrorCode::kIllegalConfiguration,
                      "memory size would be negative (" + std::to_string(bytes_) + " - " +
                          std::to_string(other.bytes_) + " bytes)");
  }
  return MemorySize(bytes_ - other.bytes_);
}

Expected<MemorySize> MemorySize::multiply(double fraction) const {
  if (!(fraction >= 0)) {
    return make_error(ErrorCode::kIllegalConfiguration, "a memory size cannot be multiplied by a negative number or NaN");
  }
  if (fraction == std::numeric_limits<double>::infinity()) {
    return make_error(ErrorCode::kIllegalConfiguration, "a memory size cannot be multiplied by infinity");
  }
  if (bytes_ == 0 || fraction == 0) return MemorySize(0);
  // BigDecimal.valueOf(fraction) is the decimal Double.toString prints: digits D, scale s.
  const java::DecimalDigits d = java::shortest_digits(fraction);
  const int exponent = d.exponent;
  U128 product = static_cast<U128>(bytes_) * d.significand;  // < 2^63 x 10^17 < 2^120
  constexpr U128 kMax = static_cast<U128>(kMaxBytes);
  auto overflow = [&] {
    return make_error(ErrorCode::kOverflow, std::to_string(bytes_) + " bytes x " + java::double_to_string(fraction) +
                                                " exceeds 2^63-1 bytes");
  };
  if (exponent >= 0) {
    for (int i = 0; i < exponent; ++i) {
      if (product > kMax) return overflow();
      product *= 10;
    }
  } else {
    // One 128-bit division by 10^k (product < 2^120 < 10^37, so k > 37 gives 0).
    if (-exponent > 37) return MemorySize(0);
    U128 divisor = 1;
    for (int i = 0; i < -exponent; ++i) divisor *= 10;
    product /= divisor;
  }
  if (product > kMax) return overflow();
  return MemorySize(static_cast<int64_t>(product));
}

std::string MemorySize::to_flink_string() const {
  if (bytes_ == 0) return "0 bytes";
  static constexpr std::array<std::pair<int64_t, std::string_view>, 5> kPrinted{{
      {1, "bytes"}, {int64_t{1} << 10, "kb"}, {int64_t{1} << 20, "mb"}, {int64_t{1} << 30, "gb"}, {int64_t{1} << 40, "tb"},
  }};
  size_t best = 0;
  for (size_t i = 0; i < kPrinted.size(); ++i) {
    if (bytes_ % kPrinted[i].first != 0) break;
    best = i;
  }
  return std::to_string(bytes_ / kPrinted[best].first) + " " + std::string(kPrinted[best].second);
}

std::string MemorySize::to_human() const {
  static constexpr std::array<std::string_view, 5> kNames{"bytes", "KiB", "MiB", "GiB", "TiB"};
  // Exact when a binary unit divides the size (largest such unit, keeping the number readable);
  // otherwise an approximation in the largest unit the size reaches, marked with "~".
  for (int i = 4; i >= 1; --i) {
    const int64_t unit = int64_t{1} << (10 * i);
    if (bytes_ >= unit && bytes_ % unit == 0) return std::to_string(bytes_ / unit) + " " + std::string(kNames[i]);
  }
  if (bytes_ < 1024) return std::to_string(bytes_) + " bytes";
  int i = 1;
  while (i < 4 && bytes_ >= (int64_t{1} << (10 * (i + 1)))) ++i;
  char buf[64];
  std::snprintf(buf, sizeof buf, "~%.2f %s", static_cast<double>(bytes_) / static_cast<double>(int64_t{1} << (10 * i)),
                kNames[static_cast<size_t>(i)].data());
  return buf;
}

}  // namespace memguard::memmodel
