// Flink versions the model knows, and the memory-relevant facts that differ between them (spec §7).
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "support/expected.h"

namespace memguard::memmodel {

struct FlinkVersion {
  int major = 1;
  int minor = 20;
  int patch = 0;

  // Accepts "1.20", "1.20.1", "2.0", "v1_20", "v2_0", "v2_x" (operator's enum) and "2.x".
  [[nodiscard]] static Expected<FlinkVersion> parse(std::string_view text);
  std::string to_string() const;  // "1.20" (with ".patch" when patch != 0)

  friend constexpr auto operator<=>(const FlinkVersion&, const FlinkVersion&) = default;
  constexpr bool at_least(int maj, int min, int pat = 0) const {
    return *this >= FlinkVersion{maj, min, pat};
  }
};

// The default when a manifest does not say: the newest 1.x line, which most users run.
inline constexpr FlinkVersion kDefaultFlinkVersion{1, 20, 0};

}  // namespace memguard::memmodel
