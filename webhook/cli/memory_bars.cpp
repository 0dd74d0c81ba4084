// Bars and the where-it-goes summary of the memory table (see memory_bars.h).
#include "webhook/cli/memory_bars.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "support/ascii_text.h"

namespace memguard::cli {

using namespace memguard::memmodel;

namespace {

bool utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    const std::string v = ascii::lower(value);
    return v.find("utf-8") != std::string::npos || v.find("utf8") != std::string::npos;
  }
  return false;
}

// U+2588 FULL BLOCK, then U+2589 ... U+258F: seven eighths down to one eighth.
constexpr std::string_view kFull = "\u2588";
constexpr std::string_view kEighths[8] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};

}  // namespace

BarStyle bar_style(bool ascii_flag) {
  if (ascii_flag) return BarStyle::kAscii;
  if (const char* forced = std::getenv("FLINK_MEMGUARD_BARS")) {
    if (std::string_view(forced) == "unicode") return BarStyle::kUnicode;
    if (std::string_view(forced) == "ascii") return BarStyle::kAscii;
  }
  return ::isatty(STDOUT_FILENO) == 1 && utf8_locale() ? BarStyle::kUnicode : BarStyle::kAscii;
}

std::string bar(int64_t part, int64_t whole, BarStyle style, int width) {
  std::string out;
  int cells = 0;
  if (whole > 0 && part > 0) {
    const int unit = style == BarStyle::kUnicode ? 8 : 1;
    // Rounded to the nearest unit, in long double: sizes reach 2^63 bytes.
    const long double exact = static_cast<long double>(part) * width * unit / static_cast<long double>(whole);
    const int units = std::min(width * unit, static_cast<int>(exact + 0.5L));
    if (style == BarStyle::kUnicode) {
      for (int i = 0; i < units / 8; ++i) out += kFull;
      out += kEighths[units % 8];
      cells = units / 8 + (units % 8 != 0 ? 1 : 0);
    } else {
      out.append(static_cast<size_t>(units), '#');
      cells = units;
    }
  }
  out.append(static_cast<size_t>(width - cells), ' ');
  return out;
}

std::string where_it_goes(const RoleReport& report) {
  const int64_t process = report.process_total().bytes();
  struct Share {
    std::string_view phrase;
    int64_t bytes;
    int percent;
    long double remainder;
  };
  std::vector<Share> shares;
  int given = 0;
  for (const ComponentRow& c : report.components()) {
    if (c.size.bytes() == 0 || process == 0) continue;
    const long double exact = static_cast<long double>(c.size.bytes()) * 100 / static_cast<long double>(process);
    const int whole = static_cast<int>(exact);
    shares.push_back({c.phrase, c.size.bytes(), whole, exact - whole});
    given += whole;
  }
  // Largest remainders: the percents add up to 100 (ties to the earlier component).
  std::vector<size_t> order(shares.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return shares[a].remainder > shares[b].remainder; });
  for (size_t i = 0; i < order.size() && given < 100 && process > 0; ++i, ++given) ++shares[order[i]].percent;
  std::string out = "process " + report.process_total().to_human() + " =";
  bool first = true;
  for (const Share& s : shares) {
    out += first ? " " : " + ";
    out += std::string(s.phrase) + " " + std::to_string(s.percent) + "%";
    first = false;
  }
  return out;
}

std::vector<std::string> summary_lines(const RoleReport& r) {
  std::vector<std::string> lines;
  if (r.taskmanager || r.jobmanager) lines.push_back("Where it goes: " + where_it_goes(r));
  if (r.derivation) {
    std::string keys;
    for (const std::string& key : r.sized_from) keys += (keys.empty() ? "" : ", ") + key;
    lines.push_back("Sized from: " + keys + " (derivation path: " + std::string(derivation_path_name(*r.derivation)) + ")");
  }
  if (r.smallest_accepted) {
    lines.push_back("Smallest accepted: " + r.smallest_accepted->key + " = " +
                    std::to_string(r.smallest_accepted->size.mebibytes()) + "m (" +
                    r.smallest_accepted->size.to_human() + ", everything else unchanged)");
  }
  return lines;
}

}  // namespace memguard::cli
