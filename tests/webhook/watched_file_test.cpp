// The watched file both reloaders share: a changed version is installed, a bad one keeps the current
// value and is reported once; the policy store's log lines come from it; the poll timer stops.
#include <catch2/catch.hpp>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "webhook/server/policy_store.h"
#include "webhook/server/watched_file.h"

using namespace memguard;
using server::FileVersion;
using server::PollResult;
using server::WatchedFile;

namespace {

// A file that is read from memory: its bytes, or an error when it is "missing".
struct FakeFile {
  std::string bytes;
  bool missing = false;
  bool in_flux = false;
  Expected<FileVersion> read() const {
    if (missing) return make_error(ErrorCode::kNotFound, "file cannot be opened");
    return FileVersion{{bytes}, in_flux};
  }
};

Expected<int> parse_number(const FileVersion& version) {
  int value = 0;
  const std::string& text = version.parts[0];
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return make_error(ErrorCode::kInvalidArgument, "not a number");
  return value;
}

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  if (!out.empty() && std::fread(out.data(), 1, out.size(), f) != out.size()) out.clear();
  std::fseek(f, 0, SEEK_END);
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("A watched file installs changed versions and reports each failure once", "[server][watched-file]") {
  FakeFile file{"1"};
  WatchedFile<int> watched([&] { return file.read(); }, parse_number);
  CHECK(watched.current() == nullptr);
  REQUIRE(watched.load());
  CHECK(*watched.current() == 1);
  CHECK(watched.poll().result == PollResult::kUnchanged);

  SECTION("a version that does not parse") {
    file.bytes = "x";
    auto first = watched.poll();
    CHECK(first.result == PollResult::kFailed);
    CHECK(first.failure == WatchedFile<int>::Failure::kRejected);
    CHECK(first.error == "not a number");
    CHECK(first.first_report);
    auto again = watched.poll();
    CHECK(again.result == PollResult::kFailed);
    CHECK_FALSE(again.first_report);
    CHECK(*watched.current() == 1);  // the current value stays
    file.bytes = "2";
    auto fixed = watched.poll();
    CHECK(fixed.result == PollResult::kInstalled);
    CHECK(*fixed.installed == 2);
    CHECK(*watched.current() == 2);
  }
  SECTION("files that cannot be read") {
    file.missing = true;
    auto first = watched.poll();
    CHECK(first.result == PollResult::kFailed);
    CHECK(first.failure == WatchedFile<int>::Failure::kUnreadable);
    CHECK(first.first_report);
    CHECK_FALSE(watched.poll().first_report);
    file.missing = false;
    CHECK(watched.poll().result == PollResult::kUnchanged);
    CHECK(*watched.current() == 1);
  }
  SECTION("files caught half way through a swap") {
    file.bytes = "3";
    file.in_flux = true;
    CHECK(watched.poll().result == PollResult::kInFlux);
    CHECK(*watched.current() == 1);
    file.in_flux = false;
    CHECK(watched.poll().result == PollResult::kInstalled);
  }
}

TEST_CASE("The first load of a watched file returns its error and remembers nothing", "[server][watched-file]") {
  FakeFile file{"x"};
  WatchedFile<int> watched([&] { return file.read(); }, parse_number);
  auto loaded = watched.load();
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message == "not a number");
  CHECK(watched.current() == nullptr);
  auto polled = watched.poll();  // the same bytes: not yet reported, so reported now
  CHECK(polled.result == PollResult::kFailed);
  CHECK(polled.first_report);
}

TEST_CASE("The policy store logs a reload and a rejected file once each", "[server][watched-file][policy-store]") {
  const std::string path = "/tmp/memguard-watched-file-test-policy.yaml";
  std::ofstream(path, std::ios::trunc) << "findings:\n  ambiguous-memory-unit: deny\n";
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  {
    server::Log log(out, err, server::LogLevel::kInfo);
    server::PolicyStore store(path);
    store.report_to(log);
    REQUIRE(store.load());
    std::ofstream(path, std::ios::trunc) << "findings:\n  no-such-finding: deny\n";
    CHECK_FALSE(store.poll());
    CHECK_FALSE(store.poll());
    CHECK_FALSE(store.poll());
    std::ofstream(path, std::ios::trunc) << "findings:\n  ambiguous-memory-unit: off\n";
    CHECK(store.poll());
    CHECK_FALSE(store.poll());
    log.flush();
  }
  const std::string text = contents(out) + contents(err);
  CHECK(count(text, "policy file rejected; keeping the previous policy") == 1);
  CHECK(count(text, "no-such-finding") == 1);
  CHECK(count(text, R"("msg":"policy reloaded")") == 1);
  std::fclose(out);
  std::fclose(err);
  std::remove(path.c_str());
}

TEST_CASE("A poll timer polls on its strand until stopped", "[server][watched-file]") {
  boost::asio::io_context ioc;
  std::atomic<int> polls{0};
  auto timer = std::make_shared<server::PollTimer>(ioc.get_executor(), std::chrono::milliseconds(5), [&] { ++polls; });
  timer->start();
  std::thread runner([&] { ioc.run_for(std::chrono::milliseconds(200)); });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (polls.load() < 3 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  timer->stop();
  runner.join();  // run_for returns once the cancelled timer leaves nothing to do, or at 200 ms
  const int stopped_at = polls.load();
  ioc.restart();
  ioc.run_for(std::chrono::milliseconds(30));
  CHECK(stopped_at >= 3);
  CHECK(polls.load() == stopped_at);
}
