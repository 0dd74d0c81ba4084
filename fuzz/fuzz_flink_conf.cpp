// Fuzzes the legacy flink-conf.yaml loader: it fails only past the documented limits, keeps no
// empty key or value, and
// writing what it loaded back as `key: value` lines loads the same configuration again.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "memmodel/flink_config.h"

namespace {

using memguard::memmodel::ConfigFileFormat;
using memguard::memmodel::parse_config_file;
using memguard::memmodel::ValueKind;

bool java_blank(char c) { return static_cast<unsigned char>(c) <= 0x20; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_config_file(text, ConfigFileFormat::kFlinkConfYaml);
  if (!parsed) {
    // The legacy loader skips what it cannot read; it fails only past flink-memguard's own limits
    // (options, key length), and then says so.
    FUZZ_CHECK(parsed.error().code == memguard::ErrorCode::kLimitExceeded, parsed.error().message);
    FUZZ_CHECK(parsed.error().message.find("(README: Limits)") != std::string::npos, parsed.error().message);
    return 0;
  }
  FUZZ_CHECK(parsed->skipped_lines.size() <= memguard::memmodel::kMaxSkippedLineMessages);
  FUZZ_CHECK(parsed->skipped_line_count >= parsed->skipped_lines.size());

  std::string rewritten;
  for (const auto& [key, value] : parsed->config.entries()) {
    FUZZ_CHECK(value.kind == ValueKind::kString);
    FUZZ_CHECK(!key.empty() && !value.text.empty());
    FUZZ_CHECK(!java_blank(key.front()) && !java_blank(key.back()) && !java_blank(value.text.front()) &&
               !java_blank(value.text.back()));
    FUZZ_CHECK(key.find(": ") == std::string::npos);
    for (const std::string* s : {&key, &value.text}) {
      FUZZ_CHECK(s->find_first_of("#\r\n") == std::string::npos);
    }
    rewritten += key + ": " + value.text + "\n";
  }
  // Skipped lines are reported by number only (they may hold secrets).
  for (const auto& line : parsed->skipped_lines) FUZZ_CHECK(line.rfind("line ", 0) == 0);

  auto again = parse_config_file(rewritten, ConfigFileFormat::kFlinkConfYaml);
  FUZZ_CHECK(again.has_value() && again->skipped_lines.empty());
  FUZZ_CHECK(again->config.entries() == parsed->config.entries(), rewritten);
  return 0;
}
