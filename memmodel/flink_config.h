// A flat Flink configuration (key -> value) as Flink holds it after loading a config file and
// applying dynamic properties. Values keep the type YAML gave them in config.yaml because Flink's
// typed reads depend on it (spec §3, §9.3); flink-conf.yaml and -D values are always strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.h"

namespace memguard::memmodel {

enum class ValueKind { kString, kInteger, kFloat, kBoolean, kList, kMap };

struct ConfigValue {
  ValueKind kind = ValueKind::kString;
  std::string text;  // the value as Flink would stringify it (YAML scalars: their canonical text)

  static ConfigValue string(std::string s) { return {ValueKind::kString, std::move(s)}; }
  friend bool operator==(const ConfigValue&, const ConfigValue&) = default;
};

class FlinkConfig {
 public:
  FlinkConfig() = default;
  FlinkConfig(std::initializer_list<std::pair<const std::string, std::string>> strings);

  // Both return true when `key` was not set before (false: its value was replaced).
  bool set(std::string key, ConfigValue value);
  bool set(std::string key, std::string text) { return set(std::move(key), ConfigValue::string(std::move(text))); }
  bool contains(std::string_view key) const;
  const ConfigValue* find(std::string_view key) const;
  void erase(std::string_view key);
  // Configuration.addAll: `overrides` win (how -D dynamic properties are applied).
  void merge(const FlinkConfig& overrides);

  // Sorted by key, each key once. A tree, not a sorted vector: keys arrive in whatever order the
  // request gives them, and inserting into a vector costs O(n) per key (O(n^2) for a descending
  // file of 50,000 lines: seconds of one review). Every operation here is O(log n).
  using Entries = std::map<std::string, ConfigValue, std::less<>>;
  using Entry = Entries::value_type;
  const Entries& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  // One bit per key ever set, chosen by a few of its bytes: a lookup whose bit is clear is a miss
  // without walking the tree. The derivation asks for ~150 keys per role, most of them absent
  // (fallback and deprecated keys, options left at their defaults), of a configuration with a
  // few dozen keys. Bits are never cleared (erase is rare), so a set bit only means "look".
  static std::uint64_t key_bit(std::string_view key) {
    const size_t n = key.size();
    if (n == 0) return 1;
    const auto byte = [&](size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(key[i])); };
    return std::uint64_t{1} << ((n * 7 + byte(n - 1) * 3 + byte(n / 2) + byte(n / 3) * 5) & 63);
  }

  Entries entries_;
  std::uint64_t key_bits_ = 0;
};

enum class ConfigFileFormat {
  kFlinkConfYaml,  // legacy `flink-conf.yaml`: line-based `key: value`, everything a string (§9.2)
  kConfigYaml,     // standard `config.yaml` (1.19+): YAML 1.2, nested keys flattened (§9.3)
};

// Parses a config file's text as Flink's loader for that format would. The legacy format never
// fails (malformed lines are skipped, listed in `skipped_lines`); the standard one fails on invalid
// YAML, a non-mapping top level, duplicate keys and null values, as Flink's loader does.
struct ParsedConfigFile {
  FlinkConfig config;
  // Legacy format: lines Flink would skip with a WARN, counted, and the first few described.
  std::vector<std::string> skipped_lines;
  size_t skipped_line_count = 0;
  // Legacy format: the first line's key as written after a UTF-8 byte order mark. Java's reader keeps
  // the mark in the key, so Flink does not read this option (nor do we); callers tell the user.
  std::optional<std::string> key_behind_byte_order_mark;
};
inline constexpr size_t kMaxSkippedLineMessages = 100;
[[nodiscard]] Expected<ParsedConfigFile> parse_config_file(std::string_view text, ConfigFileFormat format);
// What Flink ignores in a parsed file, one line each, never with a value: "line 1: starts with a
// UTF-8 byte order mark ...", "line 3: not a key-value pair ...", "... and 7 more skipped lines".
std::vector<std::string> ignored_lines(const ParsedConfigFile& parsed);

// Chooses the format from a file name (`config.yaml` vs anything else) the way Flink does.
ConfigFileFormat config_file_format_for(std::string_view file_name);

// True for keys whose values must never be logged or echoed (password, secret, token, key, ...).
bool is_sensitive_key(std::string_view key);

}  // namespace memguard::memmodel
