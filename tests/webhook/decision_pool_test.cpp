// Tests of the decision threads: a job that throws is reported and the thread carries on, the
// queue is bounded, and a stopped pool takes no more jobs.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "webhook/server/decision_pool.h"

using memguard::server::DecisionPool;

TEST_CASE("A job that throws is reported and the thread goes on with the next job", "[server][decisions]") {
  std::mutex mu;
  std::vector<std::string> reported;
  std::promise<void> after_both;
  DecisionPool pool(0, 8, [&](const char* what) {  // 0 threads asked for: one is started
    std::lock_guard lock(mu);
    reported.emplace_back(what);
  });
  CHECK(pool.threads() == 1);
  REQUIRE(pool.try_submit([] { throw std::runtime_error("boom"); }));
  REQUIRE(pool.try_submit([] { throw 42; }));
  REQUIRE(pool.try_submit([&] { after_both.set_value(); }));
  // One thread runs the jobs in order: when the third runs, the first two have been reported.
  REQUIRE(after_both.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  std::lock_guard lock(mu);
  CHECK(reported == std::vector<std::string>{"boom", "non-standard exception"});
}

TEST_CASE("Without a handler a throwing job is dropped quietly", "[server][decisions]") {
  std::promise<void> ran;
  DecisionPool pool(1, 4);
  REQUIRE(pool.try_submit([] { throw std::runtime_error("nobody listens"); }));
  REQUIRE(pool.try_submit([] { throw 1; }));
  REQUIRE(pool.try_submit([&] { ran.set_value(); }));
  CHECK(ran.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
}

TEST_CASE("A full queue and a stopped pool refuse jobs at once", "[server][decisions]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  DecisionPool pool(1, 1);
  REQUIRE(pool.try_submit([&] {
    started.set_value();
    released.wait();
  }));
  REQUIRE(started.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(pool.try_submit([] {}));        // the one queue place
  CHECK_FALSE(pool.try_submit([] {}));  // full
  CHECK(pool.queued() == 1);
  pool.stop();
  CHECK(pool.queued() == 0);  // the queued job was dropped
  CHECK_FALSE(pool.try_submit([] {}));
  release.set_value();
}
