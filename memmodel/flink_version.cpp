// FlinkVersion parsing: release numbers ("1.20", "1.20.1") and the operator's enum ("v1_20", "v2_x").
#include "memmodel/flink_version.h"

#include <charconv>

namespace memguard::memmodel {

namespace {

// Digits only: from_chars alone would also take a sign ("2.-33", found by fuzz_memory_size).
bool parse_number(std::string_view text, int& out) {
  if (text.empty() || text.size() > 4) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Unexpected bad_version(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kUnsupported, "Flink version '" + std::string(text) + "' " + std::string(why) +
                                                 " (expected for example 1.20, 1.20.1, 2.0, v1_20, v2_0 or 2.x; "
                                                 "supported: 1.10 to 2.x)");
}

}  // namespace

Expected<FlinkVersion> FlinkVersion::parse(std::string_view text) {
  std::string_view s = text;
  char separator = '.';
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) {
    s.remove_prefix(1);
    separator = '_';
  }
  std::string_view parts[3];
  size_t count = 0;
  while (count < 3) {
    const size_t at = s.find(separator);
    parts[count++] = s.substr(0, at);
    if (at == std::string_view::npos) {
      s = {};
      break;
    }
    s.remove_prefix(at + 1);
    if (count == 3) return bad_version(text, "has too many parts");
  }
  if (count < 2) return bad_version(text, "is not a major.minor version");
  FlinkVersion v{0, 0, 0};
  if (!parse_number(parts[0], v.major)) return bad_version(text, "has no numeric major version");
  if (parts[1] == "x" || parts[1] == "X") {
    // "2.x": the operator's name for the whole 2.x line; the memory model is the same from 2.0 on.
    if (count == 3) return bad_version(text, "has a patch after 'x'");
    v.minor = 0;
  } else if (!parse_number(parts[1], v.minor)) {
    return bad_version(text, "has no numeric minor version");
  }
  if (count == 3 && !parse_number(parts[2], v.patch)) return bad_version(text, "has no numeric patch version");
  if (v < FlinkVersion{1, 10, 0}) return bad_version(text, "predates Flink's process memory model (1.10)");
  if (v.major > 2) return bad_version(text, "is newer than the 2.x line this model covers");
  return v;
}

std::string FlinkVersion::to_string() const {
  std::string out = std::to_string(major) + "." + std::to_string(minor);
  if (patch != 0) out += "." + std::to_string(patch);
  return out;
}

}  // namespace memguard::memmodel
