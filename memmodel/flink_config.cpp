// FlinkConfig: the flat key -> value map and its Flink-like operations.
#include "memmodel/flink_config.h"

namespace memguard::memmodel {

FlinkConfig::FlinkConfig(std::initializer_list<std::pair<const std::string, std::string>> strings) {
  for (const auto& [key, text] : strings) set(key, text);
}

void FlinkConfig::set(std::string key, ConfigValue value) { entries_.insert_or_assign(std::move(key), std::move(value)); }

bool FlinkConfig::contains(std::string_view key) const { return entries_.find(key) != entries_.end(); }

const ConfigValue* FlinkConfig::find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void FlinkConfig::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
}

void FlinkConfig::merge(const FlinkConfig& overrides) {
  for (const auto& [key, value] : overrides.entries_) set(key, value);
}

}  // namespace memguard::memmodel
