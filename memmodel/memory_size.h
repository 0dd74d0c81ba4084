// Flink's MemorySize: a non-negative 64-bit byte count with Flink's parsing, printing and
// overflow-checked arithmetic (spec §1, §2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "support/expected.h"

namespace memguard::memmodel {

class MemorySize {
 public:
  static constexpr int64_t kMaxBytes = INT64_MAX;

  constexpr MemorySize() = default;
  // Precondition: bytes >= 0 (use checked arithmetic below to get there).
  static constexpr MemorySize of_bytes(int64_t bytes) { return MemorySize(bytes); }
  static constexpr MemorySize of_mebibytes(int64_t mib) { return MemorySize(mib << 20); }

  // MemorySize.parse: digits, optional whitespace, optional unit (b/bytes, k/kb/kibibytes, ...).
  [[nodiscard]] static Expected<MemorySize> parse(std::string_view text);

  constexpr int64_t bytes() const { return bytes_; }
  constexpr int64_t mebibytes() const { return bytes_ >> 20; }  // getMebiBytes(): floor

  // Overflow-checked (ArithmeticException in Flink) and negative-checked (IllegalArgument).
  [[nodiscard]] Expected<MemorySize> add(MemorySize other) const;
  [[nodiscard]] Expected<MemorySize> subtract(MemorySize other) const;
  // MemorySize.multiply(double): exact decimal product of Double.toString(d), truncated (§1.2).
  [[nodiscard]] Expected<MemorySize> multiply(double fraction) const;

  // MemorySize.toString(): the largest unit dividing exactly ("1 kb", "100 bytes").
  std::string to_flink_string() const;
  // Human-readable for people: "1.69 GiB (1811939328 bytes)" style pieces.
  std::string to_human() const;

  friend constexpr auto operator<=>(MemorySize, MemorySize) = default;

 private:
  constexpr explicit MemorySize(int64_t bytes) : bytes_(bytes) {}
  int64_t bytes_ = 0;
};

}  // namespace memguard::memmodel
