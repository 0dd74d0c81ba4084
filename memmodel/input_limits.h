// The work budget for configuration that comes from a request or a manifest (README: Limits). Every
// step that reads such input is linear (or n log n) in it; these caps bound what linear still
// allows, so that one 3 MiB review costs milliseconds and megabytes, never seconds or gigabytes.
// Real Flink configurations hold tens to a few hundred options with keys under 100 bytes.
#pragma once

#include <cstddef>

namespace memguard::memmodel {

// Options in one configuration (flinkConfiguration after flattening, a config file).
inline constexpr std::size_t kMaxConfigEntries = 10'000;
// One option key after flattening (nested keys joined with '.').
inline constexpr std::size_t kMaxConfigKeyBytes = 4'096;
// Keys and values of one configuration together, after flattening and YAML alias expansion: the
// bound on what nesting and aliases can amplify a small body into.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;

}  // namespace memguard::memmodel
