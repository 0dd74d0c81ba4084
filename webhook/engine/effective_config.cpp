// Helpers shared by the per-kind builders: role names, size formatting, and safe option patches.
#include "webhook/engine/effective_config.h"

#include <charconv>

namespace memguard::engine {

std::string role_prefix(memmodel::Role role) { return std::string(memmodel::role_name(role)); }

std::string format_mib(int64_t bytes) {
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes < kMiB) return std::to_string(bytes) + " bytes";
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, static_cast<double>(bytes) / static_cast<double>(kMiB),
                           std::chars_format::fixed, 2).ptr;
  std::string text(buf, end);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + " MiB";
}

std::optional<admission::PatchOperation> set_config_option(const EffectiveConfig& effective, const std::string& key,
                                                           const std::string& value) {
  if (!effective.config_patchable) return std::nullopt;
  admission::Pointer config_pointer{"spec", "flinkConfiguration"};
  if (!effective.has_flink_configuration) return admission::PatchOperation::add_map(config_pointer, key, value);
  const admission::FlinkConfigurationEntry* flat = nullptr;
  for (const auto& entry : effective.config_entries) {
    // Another spelling of the same option (nested, or a prefix of it): with both present the
    // operator's HashMap decides which wins, so a patch could not be sure to take effect.
    bool overlaps = entry.key.rfind(key + ".", 0) == 0 || key.rfind(entry.key + ".", 0) == 0;
    if (overlaps || (entry.key == key && entry.nested)) return std::nullopt;
    if (entry.key == key) {
      if (flat != nullptr) return std::nullopt;
      flat = &entry;
    }
  }
  if (flat != nullptr) return admission::PatchOperation::replace_string(flat->pointer, value);
  // The option is absent. A nested object on the way ("taskmanager: {memory: ...}") would make a flat
  // key a second spelling of the same subtree; only add when no nested entry shares the first segment.
  std::string first_segment = key.substr(0, key.find('.'));
  for (const auto& entry : effective.config_entries) {
    if (entry.nested && entry.key.rfind(first_segment + ".", 0) == 0) return std::nullopt;
  }
  admission::Pointer pointer = config_pointer;
  pointer.push_back(key);
  return admission::PatchOperation::add_string(pointer, value);
}

}  // namespace memguard::engine
