// Manifest loading: YAML scalars become the JSON types the API server would store, documents and
// List items are split with their sources, documents without kind are skipped with a note, and bad
// or hostile input is an error of its own file or document, naming the place or the limit, while
// everything else is still read.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "webhook/cli/manifests.h"

using memguard::cli::load_manifests;
using memguard::cli::ManifestLimits;
using memguard::cli::Manifests;
using memguard::cli::parse_manifests;

namespace {

// The one object of a document that must read cleanly.
std::string json_of(const std::string& yaml) {
  Manifests m = parse_manifests(yaml, "t.yaml");
  REQUIRE(m.unreadable() == 0);
  REQUIRE(m.objects.size() == 1);
  return m.objects[0].json;
}

// The error of the one unreadable entry.
std::string error_of(const std::string& yaml, const ManifestLimits& limits = {}) {
  Manifests m = parse_manifests(yaml, "t.yaml", limits);
  REQUIRE(m.unreadable() == 1);
  for (const auto& o : m.objects) {
    if (!o.error.empty()) return o.error;
  }
  return {};
}

std::string billion_laughs() {
  std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol, lol, lol, lol, lol]\n";
  std::string previous = "a";
  for (char name = 'b'; name <= 'n'; ++name) {
    yaml += std::string("  ") + name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", *" : "*") + previous;
    yaml += "]\n";
    previous = std::string(1, name);
  }
  return yaml;
}

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("memguard-manifests-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("plain YAML scalars resolve as kubectl resolves them, quoted ones stay strings", "[cli][manifests]") {
  CHECK(json_of(R"(kind: T
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
)") == R"({"kind":"T","int":2,"hex":16,"octal":493,"float":0.4,"exp":1000,"yes":true,"off":false,"null1":null,)"
       R"("null2":null,"text":"2048m","quoted":"2","single":"true","tagged":"12","list":["a",1,false]})");
}

TEST_CASE("aliases repeat their anchor's value, as keys and values", "[cli][manifests]") {
  CHECK(json_of("kind: T\nbase: &b {cpu: 1, mem: \"2Gi\"}\ncopy: *b\nlist: [*b, *b]\n") ==
        R"({"kind":"T","base":{"cpu":1,"mem":"2Gi"},"copy":{"cpu":1,"mem":"2Gi"},"list":[{"cpu":1,"mem":"2Gi"},{"cpu":1,"mem":"2Gi"}]})");
  // A scalar keeps its resolution when repeated; an anchored key can be a key again or a value.
  CHECK(json_of("kind: T\na: &n 0x10\nb: *n\n&k name: x\n*k : other\nc: *k\nd: &z ~\ne: *z\n") ==
        R"({"kind":"T","a":16,"b":16,"name":"x","name":"other","c":"name","d":null,"e":null})");
  // The first document's anchors are not the second's.
  Manifests m = parse_manifests("kind: T\na: &x 1\n---\nkind: T\nb: *x\n", "t.yaml");
  CHECK(m.objects.size() == 2);
  CHECK(m.objects[0].error.empty());
  CHECK(m.objects[1].source == "t.yaml");
  CHECK_THAT(m.objects[1].error, Catch::StartsWith("invalid YAML at line 5"));
}

TEST_CASE("multi-document files and kind: List items are objects with their sources", "[cli][manifests]") {
  Manifests m = parse_manifests(R"(apiVersion: v1
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
  REQUIRE(m.objects.size() == 3);
  CHECK(m.unreadable() == 0);
  CHECK(m.skipped.empty());
  CHECK(m.objects[0].source == "k8s/all.yaml:1");
  CHECK(m.objects[1].source == "k8s/all.yaml:6 items[0]");
  CHECK(m.objects[2].source == "k8s/all.yaml:6 items[1]");
  CHECK(m.objects[2].json == R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"c"}})");
}

TEST_CASE("documents without kind are skipped with a note, the others read", "[cli][manifests]") {
  const std::string note = "no kind, so not a Kubernetes object (Helm values or another tool's YAML?)";
  SECTION("Helm values, JSON without kind, kind null or empty") {
    for (const std::string text : {"replicaCount: 1\nimage: {repository: flink}\n", "{\"a\":1}", "a: 1\n",
                                   "kind:\nspec: {}\n", "kind: \"\"\n"}) {
      Manifests m = parse_manifests(text, "values.yaml");
      CHECK(m.objects.empty());
      REQUIRE(m.skipped.size() == 1);
      CHECK(m.skipped[0].source == "values.yaml:1");
      CHECK(m.skipped[0].reason == note);
    }
  }
  SECTION("a second document without kind, and a List item without kind") {
    Manifests m = parse_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nfoo: bar\n---\n"
                                  "kind: List\nitems:\n- {metadata: {name: b}}\n- {kind: ConfigMap, metadata: {name: c}}\n",
                                  "k.yaml");
    REQUIRE(m.objects.size() == 2);
    CHECK(m.objects[0].source == "k.yaml:1");
    CHECK(m.objects[1].source == "k.yaml:7 items[1]");
    REQUIRE(m.skipped.size() == 2);
    CHECK(m.skipped[0].source == "k.yaml:5");
    CHECK(m.skipped[1].source == "k.yaml:7 items[0]");
  }
  SECTION("a kind that is not a string is the decoder's to refuse, not skipped") {
    Manifests m = parse_manifests("kind: [a]\n", "k.yaml");
    CHECK(m.objects.size() == 1);
    CHECK(m.skipped.empty());
  }
}

TEST_CASE("invalid YAML and documents that are not objects are errors of their own", "[cli][manifests]") {
  Manifests invalid = parse_manifests("kind: ConfigMap\n---\nkind: ConfigMap\ndata: {a: [1, 2}\n", "bad.yaml");
  REQUIRE(invalid.objects.size() == 2);
  CHECK(invalid.objects[0].error.empty());  // the document before the error was read in full
  CHECK(invalid.objects[1].source == "bad.yaml");
  CHECK_THAT(invalid.objects[1].error, Catch::StartsWith("invalid YAML at line 4, column"));

  Manifests mixed = parse_manifests("just text\n---\n- a\n---\nkind: T\n[a]: 1\n---\nkind: T\n", "text.yaml");
  REQUIRE(mixed.objects.size() == 4);
  CHECK(mixed.objects[0].source == "text.yaml:1");
  CHECK(mixed.objects[0].error == "a manifest document must be an object");
  CHECK(mixed.objects[1].error == "a manifest document must be an object, not a list");
  CHECK(mixed.objects[2].source == "text.yaml:5");
  CHECK(mixed.objects[2].error == "a mapping key must be a scalar, not a list (line 6)");
  CHECK(mixed.objects[3].error.empty());
  CHECK(mixed.first_error() == "text.yaml:1: a manifest document must be an object");

  CHECK(error_of("kind: T\n~: 1\n") == "a mapping key must be a scalar, not null or empty (line 2)");
  CHECK(error_of("kind: List\nitems: [1]\n") == "a List item must be an object");
}

TEST_CASE("hostile YAML is refused by the reader's limits, cheaply", "[cli][manifests]") {
  // 5 * 10^13 nodes if expanded; refused on the parser's events in milliseconds.
  CHECK_THAT(error_of(billion_laughs()),
             Catch::Contains("more than 1000000 YAML nodes in one document (counting alias expansions)"));
  CHECK_THAT(error_of("kind: T\na: &a [*a]\n"), Catch::Contains("repeats a node that contains it"));
  CHECK_THAT(error_of("kind: T\na: " + std::string(150, '[') + std::string(150, ']') + "\n"),
             Catch::Contains("nests deeper than 100 levels"));
  CHECK_THAT(error_of("kind: T\na: " + std::string(5000, '[') + "\n"), Catch::Contains("nests deeper than 100 levels"));
  // yaml-cpp #1040: a stray ',' would make it report empty documents without end.
  CHECK_THAT(error_of("kind: T\n---\n,\n"), Catch::StartsWith("invalid YAML at line 3, column 1"));
  // Binary garbage and empty input.
  CHECK(parse_manifests("", "empty.yaml").objects.empty());
  CHECK(parse_manifests(std::string("\0\1\2\3", 4), "nul.yaml").objects.size() <= 1);

  ManifestLimits small;
  small.yaml.max_scalar_bytes = 1000;
  CHECK_THAT(error_of("kind: T\na: &a " + std::string(400, 'x') + "\nb: [*a, *a]\n", small),
             Catch::Contains("more than 1000 bytes of scalar text in one YAML document"));
}

TEST_CASE("totals over all inputs are bounded: JSON, objects, bytes", "[cli][manifests]") {
  SECTION("JSON after alias expansion, across documents") {
    ManifestLimits limits;
    limits.max_json_bytes = 200;
    const std::string doc = "kind: T\na: &a [" + std::string(60, 'x') + "]\nb: *a\n";  // about 140 bytes of JSON
    Manifests m = parse_manifests(doc + "---\n" + doc + "---\n" + doc, "j.yaml", limits);
    REQUIRE(m.objects.size() == 2);
    CHECK(m.objects[0].error.empty());
    CHECK(m.objects[1].source == "j.yaml");
    CHECK_THAT(m.objects[1].error, Catch::StartsWith("the objects read exceed 200 bytes of JSON in total"));
  }
  SECTION("documents and List items") {
    ManifestLimits limits;
    limits.max_objects = 3;
    Manifests m = parse_manifests("kind: T\n---\na: 1\n---\nkind: List\nitems: [{kind: T}, {kind: T}, {kind: T}]\n",
                                  "o.yaml", limits);
    // Two objects and a skipped document count three; the List's second item is one too many.
    CHECK(m.skipped.size() == 1);
    REQUIRE(m.objects.size() == 3);
    CHECK(m.objects[1].source == "o.yaml:5 items[0]");
    CHECK(m.objects[2].source == "o.yaml:5 items[1]");
    CHECK_THAT(m.objects[2].error, Catch::StartsWith("more than 3 documents and List items in total"));
  }
  SECTION("bytes of one file and of all files") {
    const auto dir = fresh_dir("bytes");
    write(dir / "a.yaml", "kind: T\n" + std::string(100, '#') + "\n");
    write(dir / "b.yaml", "kind: T\n" + std::string(300, '#') + "\n");
    write(dir / "c.yaml", "kind: T\n");
    ManifestLimits limits;
    limits.max_file_bytes = 150;
    limits.max_total_bytes = 200;
    Manifests m = load_manifests({dir.string(), (dir / "c.yaml").string(), (dir / "a.yaml").string()}, limits);
    REQUIRE(m.objects.size() == 5);
    CHECK(m.objects[0].error.empty());
    CHECK(m.objects[1].error == "larger than 150 bytes, the limit for one file; not read");
    CHECK(m.objects[2].error.empty());  // c.yaml, from the directory
    CHECK(m.objects[3].error.empty());  // c.yaml again, named
    CHECK(m.objects[4].error == "the inputs exceed 200 bytes in total; nothing more is read");
    std::filesystem::remove_all(dir);
  }
  SECTION("/dev/zero is one file too large, not a hang") {
    ManifestLimits limits;
    limits.max_file_bytes = 1 << 20;
    Manifests m = load_manifests({"/dev/zero"}, limits);
    REQUIRE(m.objects.size() == 1);
    CHECK(m.objects[0].error == "larger than 1 MiB, the limit for one file; not read");
  }
}

TEST_CASE("a directory is read file by file: what cannot be read is that file's error", "[cli][manifests]") {
  const auto dir = fresh_dir("walk");
  std::filesystem::create_directories(dir / "sub");
  write(dir / "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  write(dir / "sub" / "b.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
  write(dir / "values.yaml", "replicaCount: 1\n");
  write(dir / "notes.txt", "not a manifest\n");
  write(dir / "z.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"z\"}}");
  std::filesystem::create_symlink("nowhere.yaml", dir / "dangling.yaml");
  std::filesystem::create_symlink("loop.yaml", dir / "loop.yaml");
  std::filesystem::create_directory_symlink("..", dir / "sub" / "up");  // not entered: no loop
  std::filesystem::create_symlink(dir / "a.yaml", dir / "link.yaml");   // a file: followed
  REQUIRE(::mkfifo((dir / "fifo.yaml").c_str(), 0600) == 0);          // would block: not read

  Manifests m = load_manifests({dir.string(), (dir / "missing.yaml").string()});
  std::vector<std::string> sources, errors;
  for (const auto& o : m.objects) {
    sources.push_back(o.source.substr(dir.string().size() + 1));
    errors.push_back(o.error);
  }
  CHECK(sources == std::vector<std::string>{"a.yaml:1", "dangling.yaml", "fifo.yaml", "link.yaml:1", "loop.yaml",
                                            "sub/b.yml:1", "z.json:1", "missing.yaml"});
  CHECK(errors[0].empty());
  CHECK(errors[1] == "cannot read: No such file or directory");
  CHECK(errors[2] == "not a regular file (a FIFO, socket or device); not read");
  CHECK(errors[3].empty());
  CHECK(errors[4] == "cannot read: Too many levels of symbolic links");
  CHECK(errors[5].empty());
  CHECK(errors[6].empty());
  CHECK(errors[7] == "cannot open: No such file or directory");
  REQUIRE(m.skipped.size() == 1);
  CHECK(m.skipped[0].source == (dir / "values.yaml").string() + ":1");
  std::filesystem::remove_all(dir);
}
