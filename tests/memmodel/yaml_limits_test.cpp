// Bounded YAML: documents, nodes, scalar text and nesting are counted the way a full walk would
// meet them (each alias as the nodes it repeats), and crossing a limit is an error naming it.
#include <catch2/catch.hpp>

#include <string>

#include "memmodel/yaml_limits.h"

using memguard::memmodel::check_yaml_limits;
using memguard::memmodel::YamlLimits;

namespace {

// A limit crossed is kLimitExceeded (callers may admit what they cannot judge); what yaml-cpp
// cannot parse is kInvalidArgument.
std::string error_of(const std::string& yaml, const YamlLimits& limits = {}) {
  auto checked = check_yaml_limits(yaml, limits);
  REQUIRE_FALSE(checked);
  const bool parse_error = checked.error().message.rfind("invalid YAML", 0) == 0;
  CHECK(checked.error().code ==
        (parse_error ? memguard::ErrorCode::kInvalidArgument : memguard::ErrorCode::kLimitExceeded));
  return checked.error().message;
}

// Nine levels of ten aliases each: 10^9 leaves from a few hundred bytes.
std::string billion_laughs() {
  std::string yaml = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  std::string previous = "a";
  for (char name = 'b'; name <= 'j'; ++name) {
    yaml += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", *" : "*") + previous;
    yaml += "]\n";
    previous = std::string(1, name);
  }
  return yaml;
}

}  // namespace

TEST_CASE("bounded YAML counts documents and accepts what fits", "[memmodel][yaml]") {
  CHECK(*check_yaml_limits("", {}) == 0);
  CHECK(*check_yaml_limits("# only a comment\n", {}) == 0);
  CHECK(*check_yaml_limits("a: 1\n", {}) == 1);
  CHECK(*check_yaml_limits("a: 1\n---\nb: 2\n---\n", {}) == 3);
  CHECK_THAT(error_of("a: 1\n---\nb: 2\n", YamlLimits{.max_documents = 1}), Catch::Contains("more than 1 YAML documents"));
  // Aliases that stay within the limits are fine, anchors redefined too.
  CHECK(*check_yaml_limits("a: &x [1, 2]\nb: *x\nc: &x {k: v}\nd: *x\n", {}) == 1);
}

TEST_CASE("bounded YAML counts each alias as the nodes it repeats", "[memmodel][yaml]") {
  // a: 3 nodes (sequence + 2), b: the sequence of 3 aliases = 1 + 3*3; keys 2; root 1.
  const std::string yaml = "a: &a [x, y]\nb: [*a, *a, *a]\n";
  CHECK(check_yaml_limits(yaml, YamlLimits{.max_nodes = 16}));
  CHECK_THAT(error_of(yaml, YamlLimits{.max_nodes = 15}),
             Catch::Contains("more than 15 YAML nodes in one document (counting alias expansions) at line 2"));
  // Scalar text: "x" and "y" (2 bytes) repeated three times, plus the keys "a" and "b".
  CHECK(check_yaml_limits(yaml, YamlLimits{.max_scalar_bytes = 10}));
  CHECK_THAT(error_of(yaml, YamlLimits{.max_scalar_bytes = 9}), Catch::Contains("more than 9 bytes of scalar text"));
  // Counts start again with each document.
  CHECK(check_yaml_limits("a: [x, y]\n---\na: [x, y]\n", YamlLimits{.max_nodes = 5}));
}

TEST_CASE("bounded YAML stops alias bombs before anything is expanded", "[memmodel][yaml]") {
  CHECK_THAT(error_of(billion_laughs()), Catch::Contains("more than 100000 YAML nodes"));
  // A few nodes, each a large scalar repeated: the text is bounded, not just the nodes.
  const std::string big(1 << 20, 'x');
  std::string yaml = "a: &a " + big + "\nb: [";
  for (int i = 0; i < 20; ++i) yaml += (i ? ", *a" : "*a");
  yaml += "]\n";
  CHECK_THAT(error_of(yaml), Catch::Contains("more than 16 MiB of scalar text"));
}

TEST_CASE("bounded YAML limits nesting, also through aliases and self-reference", "[memmodel][yaml]") {
  const std::string flat_deep = "a: " + std::string(70, '[') + std::string(70, ']') + "\n";
  CHECK_THAT(error_of(flat_deep), Catch::Contains("nests deeper than 64 levels"));
  CHECK(check_yaml_limits(flat_deep, YamlLimits{.max_depth = 71}));
  // Two anchors of depth 40 stacked by an alias: 80 levels, though no line nests past 41.
  const std::string stacked = "a: &a " + std::string(40, '[') + std::string(40, ']') + "\nb: " +
                              std::string(40, '[') + "*a" + std::string(40, ']') + "\n";
  CHECK_THAT(error_of(stacked), Catch::Contains("nests deeper than 64 levels (counting alias expansions)"));
  // yaml-cpp would load these as a node that contains itself: a walk never ends.
  CHECK_THAT(error_of("a: &a [*a]\n"), Catch::Contains("repeats a node that contains it"));
  CHECK_THAT(error_of("a: &a {b: *a}\n"), Catch::Contains("repeats a node that contains it"));
  // Beyond yaml-cpp's own recursion guard: its error, not a crash.
  CHECK_THAT(error_of("a: " + std::string(5000, '[') + std::string(5000, ']') + "\n", YamlLimits{.max_depth = 10000}),
             Catch::StartsWith("invalid YAML"));
}

TEST_CASE("bounded YAML reports yaml-cpp's parse errors and its empty-document loop", "[memmodel][yaml]") {
  CHECK_THAT(error_of("a: [1, 2\n"), Catch::StartsWith("invalid YAML at line"));
  CHECK_THAT(error_of("a: *nowhere\n"), Catch::StartsWith("invalid YAML at line 1"));
  // yaml-cpp #1040: LoadAll would collect empty documents at the ',' until memory runs out.
  CHECK_THAT(error_of(","), Catch::Contains("invalid YAML at line 1, column 1"));
  CHECK_THAT(error_of("a: 1\n---\n,\n"), Catch::Contains("invalid YAML at line 3"));
}
