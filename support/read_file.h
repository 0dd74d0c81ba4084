// Reading a command's input files (or stdin) with a bound: no file, pipe or /dev/zero can make a
// command read without end or hold more than it asked for.
#pragma once

#include <cstddef>
#include <string>

#include "memmodel/expected.h"

namespace memguard::cli {

struct InputText {
  std::string text;        // at most max_bytes
  bool too_large = false;  // there was more: the caller refuses the input, naming its limit
};

// Reads `path` ("-" for stdin) up to `max_bytes`. Errors (kNotFound: cannot open; kInvalidArgument:
// a directory, a read error) say what went wrong; the caller names the path. A FIFO named
// explicitly is read (`-f <(helm template ...)`), as `cat` would; it blocks until a writer opens it.
[[nodiscard]] Expected<InputText> read_input(const std::string& path, size_t max_bytes);

// "32 MiB", or "1000 bytes" for a size that is not whole MiB: limits as people read them.
std::string size_text(size_t bytes);

}  // namespace memguard::cli
