// Policy reload: a changed file swaps in, a bad file keeps the previous policy, reloads are counted.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "server_test_support.h"
#include "webhook/server/policy_store.h"
#include "webhook/server/structured_log.h"

using memguard::engine::Action;
using memguard::engine::FindingCode;
using memguard::server::PolicyStore;
using memguard::testing::written_to;

namespace {
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name) : path("/tmp/memguard-policy-store-test-" + name + ".yaml") {}
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::string& text) const { std::ofstream(path, std::ios::trunc) << text; }
};
}  // namespace

TEST_CASE("Without a file the store holds the embedded policy and never reloads", "[server][policy-store]") {
  PolicyStore store("");
  REQUIRE(store.load());
  CHECK(store.current()->defaults.action(FindingCode::kProcessExceedsLimit) == Action::kDeny);
  CHECK_FALSE(store.poll());
  CHECK(store.reloads() == 0);
}

TEST_CASE("A changed policy file is swapped in, readers keep the policy they hold", "[server][policy-store]") {
  TempFile file("swap");
  file.write("findings:\n  ambiguous-memory-unit: deny\n");
  PolicyStore store(file.path);
  REQUIRE(store.load());
  auto before = store.current();
  CHECK(before->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);
  CHECK_FALSE(store.poll());  // unchanged bytes: nothing to do

  file.write("findings:\n  ambiguous-memory-unit: off\n");
  CHECK(store.poll());
  CHECK(store.reloads() == 1);
  CHECK(store.current()->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kOff);
  CHECK(before->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);
}

TEST_CASE("A bad policy file keeps the previous policy and is reported once", "[server][policy-store]") {
  TempFile file("bad");
  file.write("findings:\n  rocksdb-unmanaged-memory: deny\n");
  PolicyStore store(file.path);
  REQUIRE(store.load());
  file.write("findings:\n  rocksdb-unmanaged-memory: explode\n");
  CHECK_FALSE(store.poll());
  CHECK(store.reload_failures() == 1);
  CHECK_THAT(store.last_error(), Catch::Contains("unknown action 'explode'"));
  CHECK(store.current()->defaults.action(FindingCode::kRocksdbUnmanagedMemory) == Action::kDeny);
  CHECK_FALSE(store.poll());
  CHECK(store.reload_failures() == 1);  // the same bad bytes are not counted again
  file.write("findings:\n  rocksdb-unmanaged-memory: warn\n");
  CHECK(store.poll());
  CHECK(store.last_error().empty());
  CHECK(store.current()->defaults.action(FindingCode::kRocksdbUnmanagedMemory) == Action::kWarn);
}

TEST_CASE("The first load fails on a missing or invalid file", "[server][policy-store]") {
  PolicyStore missing("/tmp/memguard-policy-store-test-does-not-exist.yaml");
  auto loaded = missing.load();
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message, Catch::Contains("cannot be opened"));
  TempFile file("invalid");
  file.write("nonsense: true\n");
  PolicyStore invalid(file.path);
  auto bad = invalid.load();
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("unknown key 'nonsense'"));
}

TEST_CASE("A policy file over 1 MiB is refused, and the previous policy kept", "[server][policy-store]") {
  // A valid policy padded with a comment: only the size is wrong with it, so only the cap refuses it.
  const std::string policy = "findings:\n  ambiguous-memory-unit: deny\n";
  const std::string padding_start = "# padding ";
  auto padded_to = [&](size_t bytes) {
    return policy + padding_start + std::string(bytes - policy.size() - padding_start.size() - 1, 'x') + "\n";
  };
  constexpr size_t kMiB = size_t{1} << 20;
  TempFile file("size-cap");

  SECTION("exactly 1 MiB is read") {
    file.write(padded_to(kMiB));
    PolicyStore store(file.path);
    REQUIRE(store.load());
    CHECK(store.current()->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);
  }
  SECTION("one byte more fails the first load, naming the path and the limit") {
    file.write(padded_to(kMiB + 1));
    PolicyStore store(file.path);
    auto loaded = store.load();
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message == file.path + ": larger than 1 MiB, the limit for a policy file");
  }
  SECTION("a reload that grows the file over the limit keeps the policy loaded before") {
    file.write("findings:\n  ambiguous-memory-unit: warn\n");
    PolicyStore store(file.path);
    REQUIRE(store.load());
    file.write(padded_to(kMiB + 1));
    CHECK_FALSE(store.poll());
    CHECK(store.reloads() == 0);
    CHECK(store.last_error() == file.path + ": larger than 1 MiB, the limit for a policy file");
    CHECK(store.current()->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kWarn);
  }
}

TEST_CASE("Reloads and rejected files are logged once each, a file gone for a moment is not", "[server][policy-store]") {
  TempFile file("logged");
  file.write("findings:\n  ambiguous-memory-unit: warn\n");
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    memguard::server::Log log(out, err, memguard::server::LogLevel::kInfo);
    PolicyStore store(file.path);
    store.report_to(log);
    REQUIRE(store.load());

    file.write("findings:\n  ambiguous-memory-unit: deny\n");
    CHECK(store.poll());
    CHECK_THAT(written_to(out), Catch::Contains(R"("msg":"policy reloaded","file":")" + file.path + R"(","reloads":"1")"));

    file.write("findings:\n  ambiguous-memory-unit: maybe\n");
    CHECK_FALSE(store.poll());
    CHECK_FALSE(store.poll());
    const std::string rejected = written_to(err);
    CHECK_THAT(rejected, Catch::Contains("policy file rejected; keeping the previous policy"));
    CHECK(rejected.find("policy file rejected") == rejected.rfind("policy file rejected"));  // once

    // A ConfigMap update swaps a symlink: for a moment the file is not there. The policy stays,
    // the error is recorded, and nothing is counted or logged as a rejected policy.
    std::remove(file.path.c_str());
    CHECK_FALSE(store.poll());
    CHECK_THAT(store.last_error(), Catch::Contains(file.path));
    CHECK(store.reload_failures() == 1);
    CHECK(written_to(err) == rejected);
    CHECK(store.current()->defaults.action(FindingCode::kAmbiguousMemoryUnit) == Action::kDeny);

    // The same policy as before coming back is no change, and clears the error.
    file.write("findings:\n  ambiguous-memory-unit: deny\n");
    CHECK_FALSE(store.poll());
    CHECK(store.last_error().empty());
    CHECK(store.reloads() == 1);
  }
  std::fclose(out);
  std::fclose(err);
}
