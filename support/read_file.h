// Reading files (or stdin) with a bound: no file, pipe or /dev/zero can make a reader read without
// end or hold more than it asked for. Every file flink-memguard reads goes through here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "support/size_text.h"

namespace memguard {

struct InputText {
  std::string text;        // at most max_bytes
  bool too_large = false;  // there was more: the caller refuses the input, naming its limit
};

// Reads `path` ("-" for stdin) up to `max_bytes`. Errors (kNotFound: cannot open; kInvalidArgument:
// a directory, a read error) say what went wrong; the caller names the path. A FIFO named
// explicitly is read (`-f <(helm template ...)`), as `cat` would; it blocks until a writer opens it.
[[nodiscard]] Expected<InputText> read_input(const std::string& path, size_t max_bytes);

// The whole of `path`, or an error that names what the file is (`what`: "policy file", "CA file")
// and its path: kNotFound "<what> <path> cannot be opened: <reason>", kInvalidArgument for a
// directory or a read error, kLimitExceeded "<path>: larger than <max>, the limit for a <what>".
[[nodiscard]] Expected<std::string> read_file(const std::string& path, size_t max_bytes, std::string_view what);

}  // namespace memguard
