// Byte counts as people read limits: one spelling for every message that names a size limit.
#pragma once

#include <cstddef>
#include <string>

namespace memguard {

// "32 MiB", or "1000 bytes" for a size that is not whole MiB.
inline std::string size_text(size_t bytes) {
  constexpr size_t kMiB = size_t{1} << 20;
  return bytes >= kMiB && bytes % kMiB == 0 ? std::to_string(bytes / kMiB) + " MiB" : std::to_string(bytes) + " bytes";
}

}  // namespace memguard
