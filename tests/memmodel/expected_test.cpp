// Expected<T>: the error-as-value type every fallible memmodel call returns.
#include <catch2/catch.hpp>
#include <string>
#include "support/expected.h"

using memguard::ErrorCode;
using memguard::Expected;
using memguard::make_error;

namespace {
Expected<int> half(int n) {
  if (n % 2 != 0) return make_error(ErrorCode::kInvalidArgument, "odd: " + std::to_string(n));
  return n / 2;
}
}  // namespace

TEST_CASE("Expected carries either a value or an error", "[memmodel][expected]") {
  auto ok = half(8);
  REQUIRE(ok.has_value());
  CHECK(*ok == 4);
  auto bad = half(3);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message == "odd: 3");
}
