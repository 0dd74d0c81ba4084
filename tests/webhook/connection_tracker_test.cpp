// Tests of the connection registry: the cap, removal, and the empty notification used by shutdown.
#include <catch2/catch.hpp>

#include "webhook/server/connection_tracker.h"

using memguard::server::ConnectionTracker;
using memguard::server::HttpSession;

namespace {
// The tracker only stores pointers; it never calls into a session, so opaque handles do here.
std::shared_ptr<HttpSession> handle(int& storage) {
  return std::shared_ptr<HttpSession>(std::shared_ptr<int>(), reinterpret_cast<HttpSession*>(&storage));
}
}  // namespace

TEST_CASE("The tracker refuses connections beyond its cap", "[server][connections]") {
  int s1, s2, s3;
  ConnectionTracker t(2);
  CHECK(t.try_add(handle(s1)));
  CHECK(t.try_add(handle(s2)));
  CHECK_FALSE(t.try_add(handle(s3)));
  CHECK(t.active() == 2);
  t.remove(reinterpret_cast<HttpSession*>(&s3));  // never registered: no effect
  CHECK(t.active() == 2);
  t.remove(reinterpret_cast<HttpSession*>(&s1));
  CHECK(t.try_add(handle(s3)));
}

TEST_CASE("The empty callback runs once the last connection is gone", "[server][connections]") {
  int s1, s2;
  ConnectionTracker t(8);
  int calls = 0;
  SECTION("with connections open") {
    REQUIRE(t.try_add(handle(s1)));
    REQUIRE(t.try_add(handle(s2)));
    t.when_empty([&] { ++calls; });
    t.remove(reinterpret_cast<HttpSession*>(&s1));
    CHECK(calls == 0);
    t.remove(reinterpret_cast<HttpSession*>(&s2));
    CHECK(calls == 1);
    REQUIRE(t.try_add(handle(s1)));
    t.remove(reinterpret_cast<HttpSession*>(&s1));
    CHECK(calls == 1);
  }
  SECTION("with none open it runs at once") {
    t.when_empty([&] { ++calls; });
    CHECK(calls == 1);
  }
  SECTION("cleared, it does not run") {
    REQUIRE(t.try_add(handle(s1)));
    t.when_empty([&] { ++calls; });
    t.clear_when_empty();
    t.remove(reinterpret_cast<HttpSession*>(&s1));
    CHECK(calls == 0);
  }
}

TEST_CASE("At the cap the session idle the longest is evicted, busy ones never are", "[server][connections]") {
  int s1, s2, s3, s4;
  // Owned handles this time: eviction hands the victim back, so it must be lockable.
  auto owner = std::make_shared<int>(0);
  auto owned = [&](int& storage) {
    return std::shared_ptr<HttpSession>(owner, reinterpret_cast<HttpSession*>(&storage));
  };
  auto* p1 = reinterpret_cast<HttpSession*>(&s1);
  auto* p2 = reinterpret_cast<HttpSession*>(&s2);
  ConnectionTracker t(2);
  REQUIRE(t.try_add(owned(s1)));
  REQUIRE(t.try_add(owned(s2)));
  std::shared_ptr<HttpSession> evicted;

  SECTION("both busy: refused, nothing evicted") {
    t.set_idle(p1, false);
    t.set_idle(p2, false);
    CHECK_FALSE(t.try_add(owned(s3), &evicted));
    CHECK_FALSE(evicted);
  }
  SECTION("the one idle longest goes, and stops counting at once") {
    t.set_idle(p2, true);  // s2 became idle after s1 (which is idle since it was added)
    t.set_idle(p1, false);
    t.set_idle(p1, true);  // now s1 is the more recent
    REQUIRE(t.try_add(owned(s3), &evicted));
    CHECK(evicted.get() == p2);
    CHECK(t.active() == 2);
    // It is not chosen twice while it closes.
    evicted.reset();
    t.set_idle(reinterpret_cast<HttpSession*>(&s3), false);
    REQUIRE(t.try_add(owned(s4), &evicted));
    CHECK(evicted.get() == p1);
    t.remove(p2);
    t.remove(p1);
    CHECK(t.active() == 2);
  }
  SECTION("without permission to evict it refuses as before") {
    CHECK_FALSE(t.try_add(owned(s3)));
  }
}
