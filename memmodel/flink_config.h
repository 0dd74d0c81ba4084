// A flat Flink configuration (key -> value) as Flink holds it after loading a config file and
// applying dynamic properties. Values keep the type YAML gave them in config.yaml because Flink's
// typed reads depend on it (spec §3, §9.3); flink-conf.yaml and -D values are always strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memmodel/expected.h"

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

  // Sorted by key, each key once. A sorted vector rather than a map: a configuration holds a few
  // dozen keys, is built once and then read by every derivation, and copied by the fix searches;
  // contiguous entries make those lookups and copies cheaper than tree nodes.
  using Entry = std::pair<std::string, ConfigValue>;
  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry>::const_iterator lower_bound(std::string_view key) const;
  std::vector<Entry> entries_;
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
  std::vector<std::string> skipped_lines;  // legacy format: lines Flink would skip with a WARN
};
[[nodiscard]] Expected<ParsedConfigFile> parse_config_file(std::string_view text, ConfigFileFormat format);

// Chooses the format from a file name (`config.yaml` vs anything else) the way Flink does.
ConfigFileFormat config_file_format_for(std::string_view file_name);

// True for keys whose values must never be logged or echoed (password, secret, token, key, ...).
bool is_sensitive_key(std::string_view key);

}  // namespace memguard::memmodel
