// FlinkConfig: the flat key -> value map and its Flink-like operations.
#include "memmodel/flink_config.h"

#include <algorithm>

namespace memguard::memmodel {

FlinkConfig::FlinkConfig(std::initializer_list<std::pair<const std::string, std::string>> strings) {
  for (const auto& [key, text] : strings) set(key, text);
}

std::vector<FlinkConfig::Entry>::const_iterator FlinkConfig::lower_bound(std::string_view key) const {
  return std::lower_bound(entries_.begin(), entries_.end(), key,
                          [](const Entry& entry, std::string_view k) { return std::string_view(entry.first) < k; });
}

bool FlinkConfig::set(std::string key, ConfigValue value) {
  auto at = entries_.begin() + (lower_bound(key) - entries_.cbegin());
  if (at != entries_.end() && at->first == key) {
    at->second = std::move(value);
    return false;
  }
  entries_.emplace(at, std::move(key), std::move(value));
  return true;
}

bool FlinkConfig::contains(std::string_view key) const { return find(key) != nullptr; }

const ConfigValue* FlinkConfig::find(std::string_view key) const {
  auto at = lower_bound(key);
  return at != entries_.end() && at->first == key ? &at->second : nullptr;
}

void FlinkConfig::erase(std::string_view key) {
  auto at = lower_bound(key);
  if (at != entries_.end() && at->first == key) entries_.erase(at);
}

void FlinkConfig::merge(const FlinkConfig& overrides) {
  for (const auto& [key, value] : overrides.entries_) set(key, value);
}

}  // namespace memguard::memmodel
