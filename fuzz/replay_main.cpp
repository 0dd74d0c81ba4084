// Replays saved inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so every
// build (GCC included) checks the inputs the fuzzers once found (issue 18). Arguments are files
// or directories of files; a violated invariant aborts (FUZZ_CHECK), which fails the test.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/read_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int replay(const std::filesystem::path& file) {
  // Fuzz inputs are bounded by -max_len (a few KiB); the cap is far above any of them.
  auto text = memguard::read_file(file.string(), size_t{64} << 20, "fuzz input");
  if (!text) {
    std::fprintf(stderr, "%s\n", text.error().message.c_str());
    return 1;
  }
  const std::string& bytes = *text;
  std::printf("replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
  std::fflush(stdout);  // so a crash names the input
  // Like libFuzzer, hand the target an exactly-sized heap copy, so reads past the end are visible
  // to sanitizers and valgrind.
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failures = 0, replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) failures += replay(f), ++replayed;
    } else {
      failures += replay(arg), ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "no inputs given\n");
    return 1;
  }
  std::printf("%d input(s) replayed\n", replayed);
  return failures == 0 ? 0 : 1;
}
