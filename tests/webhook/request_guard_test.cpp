// Tests of the request guard's answer to each way a read can fail (the session and the fuzzer
// both go through it; the server tests show each answer over a socket).
#include <catch2/catch.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "webhook/server/request_guard.h"

using namespace memguard::server;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

TEST_CASE("Each way a read can fail gets its answer, or none when the client is gone", "[server][limits]") {
  ServerOptions options;
  options.body_limit = 1024;
  options.header_limit = 2048;
  BodyBudget budget(4096);
  Metrics metrics;
  RequestGuard guard(options, budget, metrics);
  RequestParser parser;
  guard.arm(parser);

  auto [ec, status, reason] = GENERATE(table<beast::error_code, int, std::string>({
      {http::error::body_limit, 413, "body_limit"},
      {http::error::header_limit, 431, "header_limit"},
      {http::error::buffer_overflow, 431, "header_limit"},
      {http::error::bad_method, 400, "malformed"},
      {http::error::bad_content_length, 400, "malformed"},
      // The client went away, or was too slow: there is no one to answer.
      {http::error::end_of_stream, 0, ""},
      {http::error::partial_message, 0, ""},
      {net::error::connection_reset, 0, ""},
      {net::error::eof, 0, ""},
      {beast::error::timeout, 0, ""},
      {net::error::operation_aborted, 0, ""},
  }));
  CAPTURE(ec.message());
  auto answer = guard.answer_read_error(ec);
  if (status == 0) {
    CHECK_FALSE(answer);
    CHECK(metrics.render().find("memguard_requests_refused_total{") == std::string::npos);
  } else {
    REQUIRE(answer);
    CHECK(answer->status == status);
    CHECK(answer->content_type == "application/json");
    CHECK(metrics.refused().value({{"reason", reason}}) == 1);
  }
}

TEST_CASE("The read buffer holds at least a first read, and otherwise the header limit", "[server][limits]") {
  ServerOptions options;
  options.header_limit = 1024;
  CHECK(read_buffer_limit(options) == 4096);
  options.header_limit = 16 * 1024;
  CHECK(read_buffer_limit(options) == 16 * 1024);
}
