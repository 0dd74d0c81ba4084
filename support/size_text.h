// Byte counts as people read limits: one spelling for every message that names a size limit, and
// the one kMiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace memguard {

// One mebibyte, as Flink's "m"/"mb" and Kubernetes' "Mi" mean it.
inline constexpr int64_t kMiB = int64_t{1} << 20;

// "32 MiB", or "1000 bytes" for a size that is not whole MiB.
inline std::string size_text(size_t bytes) {
  constexpr size_t mib = static_cast<size_t>(kMiB);
  return bytes >= mib && bytes % mib == 0 ? std::to_string(bytes / mib) + " MiB" : std::to_string(bytes) + " bytes";
}

}  // namespace memguard
