// Running the flink-memguard binary from a test: its exit code and output, and throwaway input files.
#pragma once

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace memguard::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

enum class Stderr { kDiscard, kMerge };

// Runs the binary through the shell (arguments are fixed test strings) and captures stdout, and
// stderr too with Stderr::kMerge.
inline CliRun run_cli(const std::string& arguments, Stderr err = Stderr::kDiscard) {
  CliRun r;
  const std::string command = std::string("'") + MEMGUARD_BINARY + "' " + arguments +
                              (err == Stderr::kMerge ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Writes `text` to a file `name` in a directory of this test process (`suite` tells suites apart).
inline std::string temp_file(const std::string& suite, const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("memguard-" + suite + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace memguard::testing
