// The pieces of a session that work without a socket: the answer's bytes on the wire and the body
// type requests are read into.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>

#include <boost/beast/http.hpp>

#include "webhook/server/http_session.h"
#include "webhook/server/request_guard.h"

using namespace memguard::server;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
// What the session wrote before it formatted answers itself: Beast's serializer over a
// response<string_body> built this way.
std::string beast_bytes(const HttpResponse& r, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(static_cast<unsigned>(r.status));
  res.set(http::field::server, "flink-memguard");
  res.set(http::field::content_type, r.content_type);
  if (!r.allow.empty()) res.set(http::field::allow, r.allow);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}
}  // namespace

TEST_CASE("An answer's bytes are those Beast's serializer wrote for the same response", "[server][response]") {
  const auto [status, content_type, body, allow, keep_alive] =
      GENERATE(table<int, std::string, std::string, std::string, bool>({
          {200, "application/json", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})", "", true},
          {200, "text/plain; charset=utf-8", "ok\n", "", false},
          {405, "application/json", R"({"error":"use POST for /validate"})", "POST", true},
          {413, "application/json", R"({"error":"too large"})", "", false},
          {503, "application/json", R"({"error":"busy"})", "", true},
          {500, "application/json", "", "", false},
      }));
  const HttpResponse r{status, content_type, body, allow};
  std::string out = "left over from the previous answer";
  format_response(out, r, keep_alive);
  CHECK(out == beast_bytes(r, keep_alive));
}

TEST_CASE("A request body is read whole, with Content-Length or chunked, and moves out whole", "[server][limits]") {
  const std::string body(20000, 'x');
  const std::string chunked = "POST /validate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" "3\r\nabc\r\n" "4\r\ndefg\r\n"
                              "0\r\n\r\n";
  const std::string sized = "POST /validate HTTP/1.1\r\nContent-Length: 20000\r\n\r\n" + body;
  const auto [wire, expected] = GENERATE_COPY(table<std::string, std::string>({{sized, body}, {chunked, "abcdefg"}}));
  RequestParser parser;
  parser.body_limit(1 << 20);
  beast::error_code ec;
  // Fed in pieces, as reads deliver it.
  std::size_t window = 1000;
  for (std::size_t at = 0; at < wire.size() && !ec;) {
    const std::size_t n = std::min(window, wire.size() - at);
    const std::size_t used = parser.put(boost::asio::buffer(wire.data() + at, n), ec);
    if (ec == http::error::need_more) ec = {};
    at += used;
    window = used == 0 ? window * 2 : 1000;  // the header must be put whole
  }
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_done());
  CHECK(std::string_view(parser.get().body()) == expected);
  BodyBytes moved = std::move(parser.get().body());
  CHECK(std::string_view(moved) == expected);
  CHECK(parser.get().body().empty());
  // The decoder's padding: readable zeros after the content, which stays as it was. A body of known
  // length already has room for it (the reader reserved it with the Content-Length): not moved.
  const char* before = moved.data();
  moved.pad(memguard::admission::kBodyPadding);
  CHECK(std::string_view(moved) == expected);
  if (wire == sized) CHECK(moved.data() == before);
  for (std::size_t i = 0; i < memguard::admission::kBodyPadding; ++i) REQUIRE(moved.data()[moved.size() + i] == '\0');
  moved.clear();
  CHECK(moved.size() == 0);
}
