// Tests of the global request-body budget and of one request's reservation from it.
#include <catch2/catch.hpp>

#include <utility>

#include "webhook/server/body_budget.h"

using memguard::server::BodyBudget;
using memguard::server::BodyReservation;

TEST_CASE("The body budget hands out bytes up to its limit and takes them back", "[server][limits]") {
  BodyBudget budget(100);
  CHECK_FALSE(budget.try_take(101));  // more than the whole budget: refused, and nothing wraps around
  CHECK(budget.used() == 0);
  CHECK(budget.try_take(60));
  CHECK_FALSE(budget.try_take(41));
  CHECK(budget.try_take(40));
  CHECK(budget.used() == 100);
  budget.give_back(60);
  CHECK(budget.used() == 40);
  CHECK(budget.limit() == 100);
}

TEST_CASE("A reservation grows within the budget and gives everything back once", "[server][limits]") {
  BodyBudget budget(100);
  {
    BodyReservation r(budget);
    CHECK(r.grow(30));
    CHECK(r.grow(30));
    CHECK_FALSE(r.grow(50));  // unchanged by a refusal
    CHECK(r.bytes() == 60);
    CHECK(budget.used() == 60);

    BodyReservation moved(std::move(r));  // the body travels to a decision thread with its share
    CHECK(r.bytes() == 0);
    CHECK(moved.bytes() == 60);
    r.release();  // the moved-from one has nothing to give back
    CHECK(budget.used() == 60);

    BodyReservation other(budget);
    CHECK(other.grow(10));
    other = std::move(moved);  // gives its own 10 back, takes over the 60
    CHECK(budget.used() == 60);
    CHECK(other.bytes() == 60);
  }
  CHECK(budget.used() == 0);
  BodyReservation none;  // not attached to a budget: nothing can be reserved
  CHECK_FALSE(none.grow(1));
}
