// Tests of the I/O thread pool: its size, round robin, and what becomes of an escaping exception.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>

#include "webhook/server/io_context_pool.h"

using memguard::server::IoContextPool;

TEST_CASE("A pool asked for no threads has one", "[server][io]") {
  IoContextPool pool(0);
  CHECK(pool.size() == 1);
  CHECK(&pool.next() == &pool.first());
  CHECK(&pool.next() == &pool.first());
}

TEST_CASE("Connections are spread over the contexts round robin", "[server][io]") {
  IoContextPool pool(3);
  REQUIRE(pool.size() == 3);
  boost::asio::io_context* a = &pool.next();
  boost::asio::io_context* b = &pool.next();
  boost::asio::io_context* c = &pool.next();
  CHECK(a != b);
  CHECK(b != c);
  CHECK(a != c);
  CHECK(&pool.next() == a);
}

TEST_CASE("An exception escaping a handler is reported and its thread goes on with the next handler", "[server][io]") {
  IoContextPool pool(2);
  std::mutex mu;
  std::vector<std::string> reported;
  int ran_after = 0;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    auto& ctx = pool.next();
    boost::asio::post(ctx, [] { throw std::runtime_error("allocation failed in a handler"); });
    boost::asio::post(ctx, [] { throw 42; });
    boost::asio::post(ctx, [&] {
      std::lock_guard lock(mu);
      ++ran_after;
    });
  }
  pool.release();  // run() returns once the queued handlers are done
  pool.run([&](const char* what) {
    std::lock_guard lock(mu);
    reported.emplace_back(what);
  });
  CHECK(ran_after == 2);
  REQUIRE(reported.size() == 4);
  CHECK(std::count(reported.begin(), reported.end(), "allocation failed in a handler") == 2);
  CHECK(std::count(reported.begin(), reported.end(), "non-standard exception") == 2);
}

TEST_CASE("Without a reporter an escaping exception is dropped and the thread goes on", "[server][io]") {
  IoContextPool pool(1);
  bool ran_after = false;
  boost::asio::post(pool.first(), [] { throw std::runtime_error("dropped"); });
  boost::asio::post(pool.first(), [] { throw 42; });
  boost::asio::post(pool.first(), [&] { ran_after = true; });
  pool.release();
  pool.run();
  CHECK(ran_after);
}
