// Flink's memory component diagram drawn with a derivation's real sizes: a self-contained SVG
// (no script, fonts or external files), and an HTML page holding it with the table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "webhook/cli/memory_rows.h"

namespace memguard::cli {

// The SVG's fixed size: one column per role, so the rendered picture's size is known in advance.
constexpr int kSvgColumnWidth = 520;
constexpr int kSvgHeight = 760;
inline int svg_width(size_t roles) { return 80 + static_cast<int>(roles) * kSvgColumnWidth; }

std::string render_svg(const std::vector<RoleRows>& roles, std::string_view flink_version);
std::string render_html(const std::vector<RoleRows>& roles, std::string_view flink_version);

// Text made safe for XML: markup characters escaped, bytes XML 1.0 forbids (and any non-ASCII,
// since the text may be a hostile file's bytes) replaced with '?', cut to `max_chars`.
std::string xml_text(std::string_view text, size_t max_chars = 240);

}  // namespace memguard::cli
