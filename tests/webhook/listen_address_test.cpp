// Tests of --listen parsing.
#include <catch2/catch.hpp>

#include "webhook/server/listen_address.h"

using memguard::server::parse_listen_address;

TEST_CASE("Listen addresses are IP literals with a port", "[server][cli]") {
  auto v4 = parse_listen_address("127.0.0.1:8443");
  REQUIRE(v4);
  CHECK(v4->address().to_string() == "127.0.0.1");
  CHECK(v4->port() == 8443);

  auto any = parse_listen_address(":10250");
  REQUIRE(any);
  CHECK(any->address().to_string() == "0.0.0.0");
  CHECK(any->port() == 10250);

  auto v6 = parse_listen_address("[::]:443");
  REQUIRE(v6);
  CHECK(v6->address().is_v6());

  auto ephemeral = parse_listen_address("127.0.0.1:0");
  REQUIRE(ephemeral);
  CHECK(ephemeral->port() == 0);
}

TEST_CASE("Malformed listen addresses are rejected with a reason", "[server][cli]") {
  auto [text, reason] = GENERATE(table<const char*, const char*>({
      {"8443", "must be HOST:PORT"},
      {"127.0.0.1:", "port must be a number"},
      {"127.0.0.1:65536", "port must be a number"},
      {"127.0.0.1:84x3", "port must be a number"},
      {"localhost:8443", "is not an IP address"},
      {"::1:8443", "brackets"},
      {"[::1:8443", "brackets"},                        // an opening bracket without its closing one
      {"127.0.0.1:https", "port must be a number"},     // service names are not looked up
      {"127.0.0.1:99999999999", "port must be a number"},  // beyond what the number type holds
  }));
  CAPTURE(text);
  auto r = parse_listen_address(text);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains(reason));
}
