// The JSON writer: structure, escaping, and the UTF-8 safety the API server relies on.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include "webhook/json/json_writer.h"

using memguard::json::Writer;

TEST_CASE("The writer separates members and elements with commas", "[json][writer]") {
  Writer w;
  w.begin_object().member("uid", "abc").member("allowed", true).key("warnings").begin_array();
  w.string("one").string("two").end_array().key("n").integer(-42).key("x").number(0.5).key("z").null().end_object();
  CHECK(w.str() == R"({"uid":"abc","allowed":true,"warnings":["one","two"],"n":-42,"x":0.5,"z":null})");
}

TEST_CASE("Nested empty containers are valid JSON", "[json][writer]") {
  Writer w;
  w.begin_array().begin_object().end_object().begin_array().end_array().end_array();
  CHECK(w.str() == "[{},[]]");
}

TEST_CASE("Commas stay right in containers nested deeper than 64 levels", "[json][writer]") {
  // The first 64 levels keep their state in a word, deeper ones in a vector: cross the boundary.
  Writer w;
  std::string expected;
  for (int depth = 0; depth < 70; ++depth) {
    w.begin_array().integer(depth);
    expected += "[" + std::to_string(depth) + ",";
  }
  expected.pop_back();
  // Closing each array, its parent gets one more element after it: [0,[1,...[69],68],...,0]
  for (int depth = 69; depth > 0; --depth) {
    w.end_array().integer(depth - 1);
    expected += "]," + std::to_string(depth - 1);
  }
  w.end_array();
  expected += "]";
  CHECK(w.str() == expected);
  simdjson::dom::parser parser;
  REQUIRE(parser.parse(w.str()).error() == simdjson::SUCCESS);
}

TEST_CASE("Strings are escaped and invalid UTF-8 is replaced, so output always parses", "[json][writer]") {
  Writer w;
  std::string nasty = "q\"b\\s\n\t\x01 \xC3\xA9 \xFF\xFE \xED\xA0\x80 \xF0\x9F\x98\x80";
  w.begin_object().member("v", nasty).end_object();
  CHECK(w.str() == "{\"v\":\"q\\\"b\\\\s\\n\\t\\u0001 \xC3\xA9 \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \xF0\x9F\x98\x80\"}");
  simdjson::dom::parser parser;
  auto doc = parser.parse(w.str());
  REQUIRE(doc.error() == simdjson::SUCCESS);
}

TEST_CASE("Non-finite numbers become null", "[json][writer]") {
  Writer w;
  w.begin_array().number(1.0 / 0.0).end_array();
  CHECK(w.str() == "[null]");
}
