// FlinkConfig: the flat key -> value map and its Flink-like operations.
#include "memmodel/flink_config.h"


namespace memguard::memmodel {

FlinkConfig::FlinkConfig(std::initializer_list<std::pair<const std::string, std::string>> strings) {
  for (const auto& [key, text] : strings) set(key, text);
}

bool FlinkConfig::set(std::string key, ConfigValue value) {
  key_bits_ |= key_bit(key);
  auto at = entries_.lower_bound(key);
  if (at != entries_.end() && at->first == key) {
    at->second = std::move(value);
    return false;
  }
  entries_.emplace_hint(at, std::move(key), std::move(value));
  return true;
}

bool FlinkConfig::contains(std::string_view key) const { return find(key) != nullptr; }

const ConfigValue* FlinkConfig::find(std::string_view key) const {
  if ((key_bits_ & key_bit(key)) == 0) return nullptr;
  auto at = entries_.find(key);
  return at != entries_.end() ? &at->second : nullptr;
}

void FlinkConfig::erase(std::string_view key) {
  auto at = entries_.find(key);
  if (at != entries_.end()) entries_.erase(at);
}

void FlinkConfig::merge(const FlinkConfig& overrides) {
  for (const auto& [key, value] : overrides.entries_) set(key, value);
}

}  // namespace memguard::memmodel
