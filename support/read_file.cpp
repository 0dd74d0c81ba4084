// Bounded reads of files and stdin.
#include "support/read_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

namespace memguard {

namespace {

Expected<InputText> read_stream(std::FILE* file, size_t max_bytes) {
  InputText input;
  char buffer[65536];
  while (input.text.size() <= max_bytes) {  // one byte past the limit tells that there is more
    const size_t n = std::fread(buffer, 1, std::min(sizeof buffer, max_bytes + 1 - input.text.size()), file);
    if (n == 0) break;
    input.text.append(buffer, n);
  }
  if (std::ferror(file)) {
    return make_error(ErrorCode::kInvalidArgument, std::string("read error: ") + std::strerror(errno));
  }
  if (input.text.size() > max_bytes) {
    input.text.resize(max_bytes);
    input.too_large = true;
  }
  return input;
}

}  // namespace

Expected<InputText> read_input(const std::string& path, size_t max_bytes) {
  if (path == "-") return read_stream(stdin, max_bytes);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::kInvalidArgument, "is a directory");
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return make_error(ErrorCode::kNotFound, std::string("cannot open: ") + std::strerror(errno));
  return read_stream(file.get(), max_bytes);
}

Expected<std::string> read_file(const std::string& path, size_t max_bytes, std::string_view what) {
  const std::string named = std::string(what) + " " + path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return make_error(ErrorCode::kInvalidArgument, named + ": is a directory");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return make_error(ErrorCode::kNotFound, named + " cannot be opened: " + std::strerror(errno));
  auto input = read_stream(file.get(), max_bytes);
  if (!input) return make_error(input.error().code, named + ": " + input.error().message);
  if (input->too_large) {
    return make_error(ErrorCode::kLimitExceeded,
                      path + ": larger than " + size_text(max_bytes) + ", the limit for a " + std::string(what));
  }
  return std::move(input->text);
}

}  // namespace memguard
