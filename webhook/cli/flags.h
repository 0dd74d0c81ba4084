// One declarative flag table for every flink-memguard command: each flag's long and short name,
// whether it takes a value, its help text and the setter that stores it. One parser gives every
// command the same conventions (--flag=value and --flag value, -h/--help, errors naming the flag).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "webhook/cli/commands.h"

namespace memguard::cli {

struct Flag {
  std::string_view name;        // "--policy"
  std::string_view short_name;  // "-f", or empty
  // The value's placeholder in usage and errors ("FILE"); empty for a switch, which takes no value.
  std::string_view value_name;
  // One line per '\n' in the usage's option list.
  std::string_view help;
  // Stores the value (empty for a switch); returns why the value is refused, or "" when it is taken.
  std::function<std::string(std::string_view value)> set;

  bool takes_value() const { return !value_name.empty(); }
};

// What parse_flags found: help asked for, or the first error (naming the flag), or neither.
struct FlagParse {
  bool help = false;
  std::string error;
  bool ok() const { return error.empty(); }
};

// Applies `args` to `table` in order. A long flag's value follows it ("--policy p.yaml") or is
// joined with '=' ("--policy=p.yaml"); a short flag's value follows it or is attached ("-Dk=v").
// -h and --help stop the parse. There are no positional arguments.
[[nodiscard]] FlagParse parse_flags(Args args, std::span<const Flag> table);

// The option list of a usage text, rendered from the table: "  -f, --file FILE   help".
std::string flag_usage(std::span<const Flag> table);

// A setter that keeps the value as text.
std::function<std::string(std::string_view)> text_into(std::string& target);

// `text` as a whole number: decimal digits only (no sign, space or fraction), within unsigned long.
[[nodiscard]] bool parse_whole_number(std::string_view text, unsigned long& out);

// A setter for a whole number from `low` to `high` (inclusive), refused with `error`. `store` may
// take a narrower type than unsigned long when `high` fits it.
std::function<std::string(std::string_view)> number_in(unsigned long low, unsigned long high, std::string error,
                                                       std::function<void(unsigned long)> store);

// The commands' shared reply to bad usage: "flink-memguard <command>: <message>", a blank line and
// the usage on stderr; returns kUsageExit.
inline constexpr int kUsageExit = 2;
int usage_error(std::string_view command, std::string_view message, std::string_view usage);

// Runs the parse and answers -h/--help (usage on stdout, exit 0) and errors (usage_error). Returns
// the exit code when the command should end, or -1 to continue.
int parse_or_exit(std::string_view command, Args args, std::span<const Flag> table, std::string_view usage);

}  // namespace memguard::cli
