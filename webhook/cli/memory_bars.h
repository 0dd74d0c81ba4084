// The memory table's pictures in text: a bar per component proportional to the process, and the
// one-line summary of where the process memory goes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "webhook/cli/memory_report.h"

namespace memguard::cli {

enum class BarStyle { kAscii, kUnicode };

// Unicode eighth-blocks when stdout is a terminal and the locale (LC_ALL, else LC_CTYPE, else LANG)
// is UTF-8; `#` otherwise, and always with --ascii. FLINK_MEMGUARD_BARS=unicode or =ascii overrides
// the terminal and locale test (for scripts and tests; --ascii still wins).
BarStyle bar_style(bool ascii_flag);

inline constexpr int kBarWidth = 20;  // cells for the whole process

// `part` of `whole` as a bar of at most `width` cells, padded with spaces to `width` cells. ASCII:
// whole cells of '#', rounded; Unicode: full blocks and one partial block, rounded to an eighth.
std::string bar(int64_t part, int64_t whole, BarStyle style, int width = kBarWidth);

// "process 1728 MiB = framework heap 7% + task heap 22% + ... + JVM overhead 11%": each non-zero
// component's share in Flink's order, whole percents that add up to 100 (largest remainders).
std::string where_it_goes(const RoleReport& report);

// The lines under the table, without indentation, shared by the table and the HTML page:
// "Where it goes: ..." (derived roles), "Sized from: ... (derivation path: ...)" (when a size is
// configured) and "Smallest accepted: <key> = <n>m (...)" (a rejection that a total fixes).
std::vector<std::string> summary_lines(const RoleReport& report);

}  // namespace memguard::cli
