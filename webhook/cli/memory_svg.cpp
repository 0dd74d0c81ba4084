// Draws each role as a column of boxes stacked like Flink's memory diagram: heap, off-heap and
// managed memory inside Total Flink Memory, then metaspace and overhead, inside the process; the
// JVM flags bracket the boxes they bound, and the container limit is drawn against the process.
#include "webhook/cli/memory_svg.h"

#include <algorithm>
#include <cstdio>

#include "memmodel/memory_size.h"

namespace memguard::cli {

using namespace memguard::memmodel;

std::string xml_text(std::string_view text, size_t max_chars) {
  std::string out;
  const bool cut = text.size() > max_chars;
  if (cut) text = text.substr(0, max_chars);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += ((c < 0x20 && ch != '\n' && ch != '\t') || c >= 0x7f) ? '?' : ch;
    }
  }
  if (cut) out += "...";
  return out;
}

namespace {

constexpr int kTop = 70;             // below the column's title
constexpr int kBottom = kSvgHeight - 20;
constexpr int kBoxX = 110;           // left of the boxes, inside a column (room for the Flink bracket)
constexpr int kBoxWidth = 270;
constexpr int kMinBox = 30;          // a tiny component still gets two readable lines

std::string human(int64_t bytes) { return MemorySize::of_bytes(bytes).to_human(); }

std::string fmt(const char* format, auto... values) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, values...);
  return buf;
}

const char* fill_for(const MemoryRow& row) {
  switch (row.bound) {
    case JvmBound::kHeap: return "#cfe2f3";
    case JvmBound::kDirect: return "#d9ead3";
    case JvmBound::kMetaspace: return "#fff2cc";
    case JvmBound::kNone: break;
  }
  return row.flink_memory ? "#ead1dc" : "#eeeeee";
}

// Heights proportional to bytes, each at least kMinBox, summing to `total_height`.
std::vector<int> box_heights(const std::vector<MemoryRow>& rows, int total_height) {
  std::vector<int> heights(rows.size(), kMinBox);
  int64_t large_bytes = 0;
  int small = 0;
  int64_t all = 0;
  for (const auto& r : rows) all += std::max<int64_t>(r.bytes, 0);
  if (all <= 0) return heights;
  // Components whose share would be under the minimum take the minimum; the rest share what remains.
  std::vector<bool> is_small(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    is_small[i] = static_cast<double>(rows[i].bytes) / static_cast<double>(all) * total_height < kMinBox;
    if (is_small[i]) ++small;
    else large_bytes += rows[i].bytes;
  }
  const int remaining = std::max(0, total_height - small * kMinBox);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (is_small[i] || large_bytes <= 0) continue;
    heights[i] = std::max(kMinBox, static_cast<int>(static_cast<double>(rows[i].bytes) /
                                                    static_cast<double>(large_bytes) * remaining));
  }
  return heights;
}

// Flink's reason, in lines short enough for a column.
std::vector<std::string> wrap(std::string_view text, size_t width, size_t max_lines) {
  std::vector<std::string> lines;
  while (!text.empty() && lines.size() < max_lines) {
    size_t n = std::min(width, text.size());
    if (n < text.size()) {
      const size_t space = text.substr(0, n).rfind(' ');
      if (space != std::string_view::npos && space > width / 2) n = space;
    }
    lines.emplace_back(text.substr(0, n));
    text.remove_prefix(n);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  if (!text.empty() && !lines.empty()) lines.back() += " ...";
  return lines;
}

void bracket(std::string& out, int x, int y0, int y1, int direction, std::string_view label, std::string_view sub) {
  const int tick = 6 * direction;
  out += fmt("<path d=\"M%d %d h%d V%d h%d\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.5\"/>\n", x, y0 + 1, tick,
             y1 - 1, -tick);
  const int tx = x + tick + 4 * direction;
  const char* anchor = direction > 0 ? "start" : "end";
  const int mid = (y0 + y1) / 2;
  out += fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" font-weight=\"bold\">%s</text>\n", tx, mid - 2, anchor,
             xml_text(label).c_str());
  out += fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>\n", tx, mid + 11, anchor, xml_text(sub).c_str());
}

void draw_rejection(std::string& out, int x, int y, std::string_view reason) {
  const auto lines = wrap(reason, 70, 8);
  const int height = 34 + static_cast<int>(lines.size()) * 14;
  out += fmt("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fde0dc\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n",
             x, y, kSvgColumnWidth - 40, height);
  out += fmt("<text x=\"%d\" y=\"%d\" font-weight=\"bold\" fill=\"#c0392b\">REJECTED: Flink would refuse to start</text>\n",
             x + 8, y + 18);
  for (size_t i = 0; i < lines.size(); ++i) {
    out += fmt("<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>\n", x + 8, y + 34 + static_cast<int>(i) * 14,
               xml_text(lines[i]).c_str());
  }
}

void draw_role(std::string& out, const RoleRows& role, int column_x) {
  out += fmt("<text x=\"%d\" y=\"28\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", column_x + 10,
             std::string(memmodel::role_title(role.role)).c_str());
  if (!role.derived) {
    out += fmt("<text x=\"%d\" y=\"48\">no memory sizes: the configuration is rejected</text>\n", column_x + 10);
    draw_rejection(out, column_x + 10, kTop, role.rejection.value_or(""));
    return;
  }
  out += fmt("<text x=\"%d\" y=\"48\">%s: %s (%s)</text>\n", column_x + 10, role.process_total.name.c_str(),
             human(role.process_total.bytes).c_str(), role.process_total.provenance.c_str());
  const int64_t process = role.process_total.bytes;
  const int64_t limit = role.container_limit_bytes.value_or(0);
  const int64_t scale_bytes = std::max(process, limit);
  int available = kBottom - kTop;
  if (role.rejection) available -= 150;  // room for the reason under the column
  const int column_bottom = role.rejection ? kBottom - 150 : kBottom;
  // The process's height against the container's, at least room for every box's minimum.
  const int min_total = static_cast<int>(role.components.size()) * kMinBox;
  const int process_height = std::max(
      min_total, scale_bytes > 0 ? static_cast<int>(static_cast<double>(process) / static_cast<double>(scale_bytes) * available) : available);
  const auto heights = box_heights(role.components, process_height);
  int y = column_bottom - process_height;
  const int x = column_x + kBoxX;
  std::vector<int> tops;
  for (size_t i = 0; i < role.components.size(); ++i) {
    const MemoryRow& row = role.components[i];
    tops.push_back(y);
    out += fmt("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#333\"/>\n", x, y, kBoxWidth,
               heights[i], fill_for(row));
    const int text_y = y + std::min(heights[i] / 2, 16) + (heights[i] > 40 ? 0 : -1);
    out += fmt("<text x=\"%d\" y=\"%d\"><tspan font-weight=\"bold\">%s</tspan> %s</text>\n", x + 6, text_y,
               xml_text(row.name).c_str(), human(row.bytes).c_str());
    out += fmt("<text x=\"%d\" y=\"%d\" font-size=\"9\" fill=\"#444\">%s (%s)</text>\n", x + 6, text_y + 12,
               xml_text(row.key.empty() ? "no key" : row.key).c_str(), row.provenance.c_str());
    y += heights[i];
  }
  tops.push_back(y);
  // Total Flink Memory on the left; the flags on the right, each against the boxes it bounds.
  size_t flink_end = 0;
  while (flink_end < role.components.size() && role.components[flink_end].flink_memory) ++flink_end;
  if (flink_end > 0) {
    bracket(out, x - 4, tops[0], tops[flink_end], -1, "Total Flink",
            human(role.flink_total.bytes) + " " + role.flink_total.provenance);
  }
  for (const JvmFlag& flag : role.flags) {
    size_t first = role.components.size(), last = 0;
    for (size_t i = 0; i < role.components.size(); ++i) {
      if (role.components[i].bound != flag.bound) continue;
      first = std::min(first, i);
      last = i;
    }
    if (first > last) continue;
    bracket(out, x + kBoxWidth + 4, tops[first], tops[last + 1], 1, flag.flag, human(flag.bytes));
  }
  if (role.container_limit_bytes) {
    const int limit_height = static_cast<int>(static_cast<double>(limit) / static_cast<double>(scale_bytes) * available);
    const bool over = limit < process;
    const int limit_y = column_bottom - limit_height;
    out += fmt("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
               "stroke-dasharray=\"6 4\"/>\n",
               x - 2, limit_y, kBoxWidth + 4, limit_height, over ? "#c0392b" : "#1f6fb2");
    out += fmt("<text x=\"%d\" y=\"%d\" fill=\"%s\">container limit %s%s</text>\n", x, limit_y - 4,
               over ? "#c0392b" : "#1f6fb2", human(limit).c_str(), over ? " (below the process: over limit)" : "");
  }
  if (role.rejection) draw_rejection(out, column_x + 10, column_bottom + 12, *role.rejection);
}

}  // namespace

std::string render_svg(const std::vector<RoleRows>& roles, std::string_view flink_version) {
  const int width = svg_width(roles.size());
  std::string out = fmt(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"11\">\n",
      width, kSvgHeight, width, kSvgHeight);
  out += "<title>Flink " + xml_text(flink_version, 16) + " memory</title>\n";
  out += fmt("<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, kSvgHeight);
  for (size_t i = 0; i < roles.size(); ++i) draw_role(out, roles[i], 10 + static_cast<int>(i) * kSvgColumnWidth);
  out += "</svg>\n";
  return out;
}

std::string render_html(const std::vector<RoleRows>& roles, std::string_view flink_version) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Flink " +
      xml_text(flink_version, 16) +
      " memory</title>\n<style>body{font-family:sans-serif}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #999;padding:2px 8px}td.n{text-align:right}.rejected{color:#c0392b}</style>\n"
      "</head>\n<body>\n";
  out += render_svg(roles, flink_version);
  for (const RoleRows& role : roles) {
    out += "<h2>" + std::string(memmodel::role_title(role.role)) + "</h2>\n";
    if (role.rejection) out += "<p class=\"rejected\">REJECTED: " + xml_text(*role.rejection, 4096) + "</p>\n";
    if (!role.derived) {
      for (const std::string& line : role.summary) out += "<p>" + xml_text(line, 4096) + "</p>\n";
      continue;
    }
    out += "<table>\n<tr><th>Component</th><th>Size</th><th>Bytes</th><th>Provenance</th><th>Flink key</th></tr>\n";
    auto row = [&out](const MemoryRow& r) {
      out += "<tr><td>" + xml_text(r.name) + "</td><td class=\"n\">" + human(r.bytes) + "</td><td class=\"n\">" +
             std::to_string(r.bytes) + "</td><td>" + r.provenance + "</td><td>" + xml_text(r.key) + "</td></tr>\n";
    };
    for (size_t i = 0; i < role.components.size(); ++i) {
      row(role.components[i]);
      const bool last_flink = role.components[i].flink_memory &&
                              (i + 1 == role.components.size() || !role.components[i + 1].flink_memory);
      if (last_flink) row(role.flink_total);
    }
    row(role.process_total);
    out += "</table>\n<p>JVM flags:";
    for (const JvmFlag& f : role.flags) out += " " + f.flag + "=" + std::to_string(f.bytes);
    out += "</p>\n";
    if (role.container_limit_bytes) out += "<p>Container limit: " + human(*role.container_limit_bytes) + "</p>\n";
    for (const std::string& line : role.summary) out += "<p>" + xml_text(line, 4096) + "</p>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace memguard::cli
