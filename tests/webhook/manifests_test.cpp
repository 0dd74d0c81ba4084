// Manifest loading: YAML scalars become the JSON types the API server would store, documents and
// List items are split with their sources, and bad input is an error naming file and line.
#include <catch2/catch.hpp>

#include "webhook/cli/manifests.h"

using memguard::cli::parse_manifests;
using memguard::cli::yaml_to_json;

TEST_CASE("plain YAML scalars resolve as kubectl resolves them; quoted ones stay strings", "[cli][manifests]") {
  auto json = yaml_to_json(YAML::Load(R"(
int: 2
hex: 0x10
octal: 0755
float: 0.4
exp: 1e3
yes: yes
off: off
null1: ~
null2:
text: 2048m
quoted: "2"
single: 'true'
tagged: !!str 12
list: [a, 1, false]
)"));
  REQUIRE(json);
  CHECK(*json == R"({"int":2,"hex":16,"octal":493,"float":0.4,"exp":1000,"yes":true,"off":false,"null1":null,)"
                 R"("null2":null,"text":"2048m","quoted":"2","single":"true","tagged":"12","list":["a",1,false]})");
}

TEST_CASE("multi-document files and kind: List items are objects with their sources", "[cli][manifests]") {
  auto objects = parse_manifests(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: c}}
)", "k8s/all.yaml");
  REQUIRE(objects);
  REQUIRE(objects->size() == 3);
  CHECK((*objects)[0].source == "k8s/all.yaml:1");
  CHECK((*objects)[1].source == "k8s/all.yaml:6 items[0]");
  CHECK((*objects)[2].source == "k8s/all.yaml:6 items[1]");
  CHECK((*objects)[2].json == R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"c"}})");
}

TEST_CASE("invalid YAML and documents that are not objects are errors naming the place", "[cli][manifests]") {
  auto invalid = parse_manifests("kind: ConfigMap\ndata: {a: [1, 2}\n", "bad.yaml");
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().message.rfind("bad.yaml:2: invalid YAML", 0) == 0);
  auto scalar = parse_manifests("just text\n", "text.yaml");
  REQUIRE_FALSE(scalar);
  CHECK(scalar.error().message == "text.yaml:1: a manifest document must be an object");
  auto missing = memguard::cli::load_manifests({"/nonexistent/flink-memguard/k8s.yaml"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "/nonexistent/flink-memguard/k8s.yaml: cannot open");
}
