// Fuzzes the standard config.yaml loader (yaml-cpp plus the YAML 1.2 core schema): no crash, no
// runaway recursion or memory, and a loaded configuration written back as flat YAML loads the same.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "memmodel/flink_config.h"

namespace {

using memguard::ErrorCode;
using memguard::memmodel::ConfigFileFormat;
using memguard::memmodel::ConfigValue;
using memguard::memmodel::parse_config_file;
using memguard::memmodel::ValueKind;

// A YAML double-quoted scalar holding exactly `s` (bytes >= 0x80 pass through unchanged).
std::string double_quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
    if (more == 4 || s.size() - i - 1 < more) return false;
    for (size_t k = 1; k <= more; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += more + 1;
  }
  return true;
}

// The value as a YAML scalar that loads back with the same kind and text.
std::string yaml_value(const ConfigValue& value) {
  switch (value.kind) {
    case ValueKind::kString:
      return double_quoted(value.text);
    case ValueKind::kInteger:
    case ValueKind::kBoolean:
    case ValueKind::kList:  // stored as its flow string, which is YAML again
      return value.text;
    case ValueKind::kFloat:
      if (value.text == "NaN") return ".nan";
      if (value.text == "Infinity") return ".inf";
      if (value.text == "-Infinity") return "-.inf";
      return value.text;
    case ValueKind::kMap:
      break;
  }
  FUZZ_CHECK(false, "a flattened config holds no map values");
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_config_file(text, ConfigFileFormat::kConfigYaml);
  if (!parsed) {
    // Bad input is the user's mistake, or beyond the documented limits; never an internal error.
    FUZZ_CHECK(parsed.error().code == ErrorCode::kInvalidArgument || parsed.error().code == ErrorCode::kLimitExceeded,
               parsed.error().message);
    FUZZ_CHECK(!parsed.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(parsed->skipped_lines.empty());
  std::string rewritten;
  bool utf8 = true;
  for (const auto& [key, value] : parsed->config.entries()) {
    // YAML limits implicit keys to 1024 characters (yaml-cpp enforces it): longer ones go explicit.
    const std::string quoted = double_quoted(key);
    rewritten += (quoted.size() > 1000 ? "? " + quoted + "\n: " : quoted + ": ") + yaml_value(value) + "\n";
    utf8 = utf8 && valid_utf8(key) && valid_utf8(value.text);
  }
  // yaml-cpp reads raw bytes in quoted scalars but is only specified for UTF-8: compare only then.
  if (!utf8) return 0;
  auto again = parse_config_file(rewritten, ConfigFileFormat::kConfigYaml);
  // Written out, alias expansions become text of their own, which the limits may then refuse.
  if (!again && again.error().code == ErrorCode::kLimitExceeded) return 0;
  FUZZ_CHECK(again.has_value(), rewritten + "\n" + (again ? std::string() : again.error().message));
  FUZZ_CHECK(again->config.entries() == parsed->config.entries(), rewritten);
  return 0;
}
