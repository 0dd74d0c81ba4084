// Loading flink-conf.yaml and config.yaml as Flink does (spec §9), and the sensitive-key rule.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "memmodel/flink_config.h"

using memguard::ErrorCode;
using memguard::memmodel::config_file_format_for;
using memguard::memmodel::ConfigFileFormat;
using memguard::memmodel::ConfigValue;
using memguard::memmodel::ignored_lines;
using memguard::memmodel::is_sensitive_key;
using memguard::memmodel::parse_config_file;
using memguard::memmodel::ParsedConfigFile;
using memguard::memmodel::ValueKind;

namespace {

ParsedConfigFile legacy(const std::string& text) {
  auto parsed = parse_config_file(text, ConfigFileFormat::kFlinkConfYaml);
  REQUIRE(parsed.has_value());  // the legacy loader never fails
  return std::move(parsed).value();
}

ParsedConfigFile standard(const std::string& text) {
  auto parsed = parse_config_file(text, ConfigFileFormat::kConfigYaml);
  if (!parsed) FAIL("unexpected error: " << parsed.error().message);
  return std::move(parsed).value();
}

std::string standard_error(const std::string& text) {
  auto parsed = parse_config_file(text, ConfigFileFormat::kConfigYaml);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

// Refused for flink-memguard's work budget (memmodel/input_limits.h), not as invalid YAML.
std::string limit_error(const std::string& text, ConfigFileFormat format = ConfigFileFormat::kConfigYaml) {
  auto parsed = parse_config_file(text, format);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::kLimitExceeded);
  CHECK_THAT(parsed.error().message, Catch::Contains("(README: Limits)"));
  return parsed.error().message;
}

ConfigValue value_of(const ParsedConfigFile& file, const std::string& key) {
  const ConfigValue* value = file.config.find(key);
  if (value == nullptr) FAIL("key not loaded: " << key);
  return *value;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Legacy flink-conf.yaml

TEST_CASE("flink-conf.yaml lines split at the first ': ' and keep everything as strings",
          "[memmodel][config][legacy]") {
  auto file = legacy(
      "taskmanager.memory.process.size: 1728m\n"
      "  jobmanager.memory.process.size  :   1600m   \n"
      "a: b: c\n"
      "quoted: \"1g\"\n"
      "hex: 0x10\n"
      "list: [a, b]\n"
      "flag: true\n");
  CHECK(value_of(file, "taskmanager.memory.process.size") == ConfigValue::string("1728m"));
  CHECK(value_of(file, "jobmanager.memory.process.size") == ConfigValue::string("1600m"));
  CHECK(value_of(file, "a") == ConfigValue::string("b: c"));
  CHECK(value_of(file, "quoted") == ConfigValue::string("\"1g\""));  // quotes are not stripped
  CHECK(value_of(file, "hex") == ConfigValue::string("0x10"));
  CHECK(value_of(file, "list") == ConfigValue::string("[a, b]"));
  CHECK(value_of(file, "flag") == ConfigValue::string("true"));
  CHECK(file.config.size() == 7);
  CHECK(file.skipped_lines.empty());
}

TEST_CASE("flink-conf.yaml cuts every line at its first '#'", "[memmodel][config][legacy]") {
  auto file = legacy(
      "# a comment\n"
      "key: value # trailing comment\n"
      "url: http://host/#anchor\n"
      "#hidden: 1\n"
      "only.comment: # nothing left\n");
  CHECK(value_of(file, "key") == ConfigValue::string("value"));
  CHECK(value_of(file, "url") == ConfigValue::string("http://host/"));
  CHECK_FALSE(file.config.contains("hidden"));
  CHECK_FALSE(file.config.contains("only.comment"));
  REQUIRE(file.skipped_lines.size() == 1);  // "only.comment:" has no ': ' once trimmed
  CHECK(file.skipped_lines[0] == "line 5: not a key-value pair (missing space after ':'?)");
}

TEST_CASE("flink-conf.yaml skips malformed lines and says which, without their content",
          "[memmodel][config][legacy]") {
  auto file = legacy(
      "good: 1\n"
      "s3.secret-key:hunter2\n"   // no space after the colon
      "tabbed:\thunter3\n"        // a tab is not the separator
      ": orphan-value\n"          // empty key
      "no separator at all\n"
      "\n"
      "   \n"
      "after: 2\n");
  CHECK(value_of(file, "good") == ConfigValue::string("1"));
  CHECK(value_of(file, "after") == ConfigValue::string("2"));
  CHECK(file.config.size() == 2);
  REQUIRE(file.skipped_lines.size() == 4);
  CHECK(file.skipped_lines[0] == "line 2: not a key-value pair (missing space after ':'?)");
  CHECK(file.skipped_lines[1] == "line 3: not a key-value pair (missing space after ':'?)");
  CHECK(file.skipped_lines[2] == "line 4: key or value is empty");
  CHECK(file.skipped_lines[3] == "line 5: not a key-value pair (missing space after ':'?)");
  for (const auto& line : file.skipped_lines) CHECK_THAT(line, !Catch::Contains("hunter"));
}

TEST_CASE("flink-conf.yaml keeps the last occurrence of a key", "[memmodel][config][legacy]") {
  auto file = legacy("a: 1\nb: x\na: 2\n");
  CHECK(value_of(file, "a") == ConfigValue::string("2"));
  CHECK(file.config.size() == 2);
}

TEST_CASE("flink-conf.yaml ends lines at LF, CRLF and a lone CR as Java's readLine does",
          "[memmodel][config][legacy]") {
  auto file = legacy("a: 1\r\nb: 2\rc: 3\nd: 4");
  CHECK(value_of(file, "a") == ConfigValue::string("1"));
  CHECK(value_of(file, "b") == ConfigValue::string("2"));
  CHECK(value_of(file, "c") == ConfigValue::string("3"));
  CHECK(value_of(file, "d") == ConfigValue::string("4"));
  SECTION("line numbers count CRLF once") {
    auto numbered = legacy("a: 1\r\nbad\r\n");
    REQUIRE(numbered.skipped_lines.size() == 1);
    CHECK_THAT(numbered.skipped_lines[0], Catch::StartsWith("line 2:"));
  }
}

TEST_CASE("flink-conf.yaml keeps a UTF-8 BOM as part of the first key, as Java's reader does",
          "[memmodel][config][legacy]") {
  auto file = legacy("\xEF\xBB\xBFtaskmanager.memory.process.size: 2g\nx: 1\n");
  CHECK_FALSE(file.config.contains("taskmanager.memory.process.size"));
  CHECK(file.config.contains("\xEF\xBB\xBFtaskmanager.memory.process.size"));
  CHECK(value_of(file, "x") == ConfigValue::string("1"));
}

TEST_CASE("ignored_lines names a key hidden behind a BOM, each skipped line, and how many more were skipped",
          "[memmodel][config][legacy]") {
  CHECK(ignored_lines(legacy("a: 1\n")).empty());
  std::string text = "\xEF\xBB\xBFtaskmanager.memory.process.size: 2g\n";
  for (int i = 0; i < 105; ++i) text += "not a pair\n";
  auto lines = ignored_lines(legacy(text));
  REQUIRE(lines.size() == 1 + 100 + 1);  // the BOM, the first 100 skipped lines, the rest counted
  CHECK(lines.front() ==
        "line 1: starts with a UTF-8 byte order mark, which Flink's reader keeps as part of the first key, so Flink "
        "does not read taskmanager.memory.process.size (save the file without the mark)");
  CHECK(lines[1] == "line 2: not a key-value pair (missing space after ':'?)");
  CHECK(lines[100] == "line 101: not a key-value pair (missing space after ':'?)");
  CHECK(lines.back() == "... and 5 more skipped lines");
}

TEST_CASE("flink-conf.yaml trims control characters as Java's String.trim does",
          "[memmodel][config][legacy]") {
  auto file = legacy("\x01key\x02: \x1fvalue\x7f\n");
  // \x7f (DEL) is above U+0020, so trim keeps it.
  CHECK(value_of(file, "key") == ConfigValue::string("value\x7f"));
}

TEST_CASE("flink-conf.yaml loads empty and large files", "[memmodel][config][legacy]") {
  CHECK(legacy("").config.size() == 0);
  std::string big;
  // As large as the option limit allows (README: Limits).
  for (int i = 0; i < 10000; ++i) big += "key." + std::to_string(i) + ": " + std::to_string(i) + "\n";
  auto file = legacy(big);
  CHECK(file.config.size() == 10000);
  CHECK(value_of(file, "key.9999") == ConfigValue::string("9999"));
}

// ---------------------------------------------------------------------------------------------
// Standard config.yaml

TEST_CASE("config.yaml flattens nested mappings with '.'", "[memmodel][config][standard]") {
  auto file = standard(
      "taskmanager:\n"
      "  memory:\n"
      "    process.size: 1728m\n"
      "    managed:\n"
      "      fraction: 0.4\n"
      "jobmanager.memory.process.size: 1600m\n"
      "empty.map: {}\n");
  CHECK(value_of(file, "taskmanager.memory.process.size") == ConfigValue::string("1728m"));
  CHECK(value_of(file, "taskmanager.memory.managed.fraction") == ConfigValue{ValueKind::kFloat, "0.4"});
  CHECK(value_of(file, "jobmanager.memory.process.size") == ConfigValue::string("1600m"));
  CHECK(file.config.size() == 3);  // an empty mapping contributes no key
}

TEST_CASE("config.yaml resolves plain scalars with the YAML 1.2 core schema",
          "[memmodel][config][standard]") {
  auto [yaml, kind, text] = GENERATE(table<std::string, ValueKind, std::string>({
      {"1024", ValueKind::kInteger, "1024"},
      {"0x10", ValueKind::kInteger, "16"},
      {"0o17", ValueKind::kInteger, "15"},
      {"0xFFFFFFFFFFFFFFFFFF", ValueKind::kInteger, "4722366482869645213695"},
      {"+007", ValueKind::kInteger, "7"},
      {"012", ValueKind::kInteger, "12"},  // YAML 1.2: decimal, not octal
      {"-0", ValueKind::kInteger, "0"},
      {"-42", ValueKind::kInteger, "-42"},
      {"99999999999999999999", ValueKind::kInteger, "99999999999999999999"},
      {"0.4", ValueKind::kFloat, "0.4"},
      {"1e-50", ValueKind::kFloat, "1e-50"},
      {"1.5", ValueKind::kFloat, "1.5"},
      {"1.", ValueKind::kFloat, "1."},
      {".5", ValueKind::kFloat, ".5"},
      {"1E3", ValueKind::kFloat, "1E3"},
      {".inf", ValueKind::kFloat, "Infinity"},
      {"-.Inf", ValueKind::kFloat, "-Infinity"},
      {".NaN", ValueKind::kFloat, "NaN"},
      {"true", ValueKind::kBoolean, "true"},
      {"True", ValueKind::kBoolean, "true"},
      {"FALSE", ValueKind::kBoolean, "false"},
      // YAML 1.1 spellings that 1.2 reads as strings
      {"yes", ValueKind::kString, "yes"},
      {"on", ValueKind::kString, "on"},
      {"0b101", ValueKind::kString, "0b101"},
      {"1_000", ValueKind::kString, "1_000"},
      {"0x", ValueKind::kString, "0x"},
      {"-0x10", ValueKind::kString, "-0x10"},
      {"0o8", ValueKind::kString, "0o8"},
      {".nan.", ValueKind::kString, ".nan."},
      {"1728m", ValueKind::kString, "1728m"},
      {"1.5g", ValueKind::kString, "1.5g"},
      // quoted and explicitly tagged scalars
      {"'1g'", ValueKind::kString, "1g"},
      {"\"0x10\"", ValueKind::kString, "0x10"},
      {"'true'", ValueKind::kString, "true"},
      {"''", ValueKind::kString, ""},
      {"!!str 12", ValueKind::kString, "12"},
      {"!!int 0x1F", ValueKind::kInteger, "31"},
      // an int under !!float is the Double Flink prints the Java way (found by fuzz_config_yaml)
      {"!!float 1", ValueKind::kFloat, "1.0"},
      {"!!float 1024", ValueKind::kFloat, "1024.0"},
      {"!!float -0", ValueKind::kFloat, "-0.0"},
      {"!!float 12345678901234567890", ValueKind::kFloat, "1.2345678901234567E19"},
      {"!!float 1.50", ValueKind::kFloat, "1.50"},
      {"!!bool TRUE", ValueKind::kBoolean, "true"},
  }));
  CAPTURE(yaml);
  auto file = standard("key: " + yaml + "\n");
  CHECK(value_of(file, "key") == ConfigValue{kind, text});
}

TEST_CASE("config.yaml stores lists as their YAML flow string", "[memmodel][config][standard]") {
  auto [yaml, text] = GENERATE(table<std::string, std::string>({
      {"[a, b]", "[a, b]"},
      {"\n  - 1\n  - two\n  - 0x10\n", "[1, two, 16]"},
      {"[]", "[]"},
      {"['1', 'true', \"x y\", 'it''s', '']", "['1', 'true', x y, it's, '']"},
      {"[[a], {b: c}]", "[[a], {b: c}]"},
      {"[a: b]", "[{a: b}]"},
      {"[~, null]", "[null, null]"},
      {"['a,b', '[x]', '#c', ' pad']", "['a,b', '[x]', '#c', ' pad']"},
      {"[\"line\\nbreak\"]", "[\"line\\nbreak\"]"},
      // Other control characters, quotes and backslashes: escaped in double quotes, so the text loads back.
      {R"(["q\"s\\b\tt\x01c"])", R"(["q\"s\\b\tt\x01c"])"},
      // '?' is a flow indicator to yaml-cpp: left plain, the stored text would not load again
      // (found by fuzz_config_yaml).
      {"\n  - jobm? ager\n  - a?b\n", "['jobm? ager', 'a?b']"},
      // Floats as snakeyaml-engine's representer writes them: infinities and NaN in YAML's
      // spelling, not Java's "-Infinity" (a string to YAML; found by fuzz_config_yaml).
      {"[-.inf, .Inf, .NaN, 1.5]", "[-.inf, .inf, .nan, 1.5]"},
  }));
  CAPTURE(yaml);
  auto file = standard("key: " + yaml + "\n");
  CHECK(value_of(file, "key") == ConfigValue{ValueKind::kList, text});
  // The stored flow string is YAML that loads back to the same list.
  CHECK(value_of(standard("key: " + text + "\n"), "key") == ConfigValue{ValueKind::kList, text});
}

TEST_CASE("config.yaml rejects duplicate keys within one mapping", "[memmodel][config][standard]") {
  SECTION("top level") {
    auto message = standard_error("a: 1\nb: 2\na: 3\n");
    CHECK_THAT(message, Catch::Contains("duplicate key 'a'") && Catch::Contains("line 3"));
  }
  SECTION("nested") {
    auto message = standard_error("x:\n  a: 1\n  a: 1\n");
    CHECK_THAT(message, Catch::Contains("duplicate key 'x.a'") && Catch::Contains("line 3"));
  }
  SECTION("keys equal as constructed values: 1 and 01 are both the integer 1") {
    CHECK_THAT(standard_error("1: a\n01: b\n"), Catch::Contains("duplicate key '1'"));
  }
  SECTION("values of secret keys do not appear in the message") {
    CHECK_THAT(standard_error("s3.secret-key: hunter2\ns3.secret-key: hunter3\n"), !Catch::Contains("hunter"));
  }
  SECTION("in a mapping inside a list") {
    CHECK_THAT(standard_error("a: [{x: 1, x: 2}]\n"), Catch::Contains("duplicate key") && Catch::Contains("line 1"));
    CHECK_THAT(standard_error("a:\n  - {1: a, 01: b}\n"), Catch::Contains("duplicate key"));
    CHECK(standard("a: [{x: 1, \"1\": 2, 1: 3}]\n").config.find("a")->text == "[{x: 1, '1': 2, 1: 3}]");
  }
}

TEST_CASE("config.yaml keys that differ in type or spelling are not duplicates, the later wins",
          "[memmodel][config][standard]") {
  SECTION("integer 1 and string '1'") {
    auto file = standard("1: a\n'1': b\n");
    CHECK(value_of(file, "1") == ConfigValue::string("b"));
  }
  SECTION("flat key, then nested spelling") {
    auto file = standard("a.b: 1\na:\n  b: 2\n");
    CHECK(value_of(file, "a.b") == ConfigValue{ValueKind::kInteger, "2"});
  }
  SECTION("nested spelling, then flat key") {
    auto file = standard("a:\n  b: 2\na.b: 1\n");
    CHECK(value_of(file, "a.b") == ConfigValue{ValueKind::kInteger, "1"});
  }
  SECTION("a null key reads as 'null'") {
    auto file = standard("~: 1\n");
    CHECK(value_of(file, "null") == ConfigValue{ValueKind::kInteger, "1"});
  }
}

TEST_CASE("config.yaml fails as a whole on a null value", "[memmodel][config][standard]") {
  auto yaml = GENERATE(as<std::string>{}, "a: 1\nkey:\nb: 2\n", "key: ~\n", "key: null\n", "key: NULL\n",
                       "key: !!null\n");
  CAPTURE(yaml);
  CHECK_THAT(standard_error(yaml), Catch::Contains("key 'key'") && Catch::Contains("no value"));
  SECTION("an explicitly empty string is a value") {
    CHECK(value_of(standard("key: !!str\n"), "key") == ConfigValue::string(""));
    CHECK(value_of(standard("key: \"\"\n"), "key") == ConfigValue::string(""));
  }
}

TEST_CASE("config.yaml must be one mapping", "[memmodel][config][standard]") {
  CHECK_THAT(standard_error("- a\n- b\n"), Catch::Contains("top level"));
  CHECK_THAT(standard_error("just a string\n"), Catch::Contains("top level"));
  CHECK_THAT(standard_error("a: 1\n---\nb: 2\n"), Catch::Contains("2 YAML documents"));
  CHECK_THAT(standard_error("[a]: 1\n"), Catch::Contains("used as a key"));
  SECTION("an empty file or one with only comments is an empty configuration") {
    CHECK(standard("").config.size() == 0);
    CHECK(standard("# nothing\n\n").config.size() == 0);
    CHECK(standard("---\n").config.size() == 0);
  }
}

TEST_CASE("config.yaml reports invalid YAML with its line and column", "[memmodel][config][standard]") {
  CHECK_THAT(standard_error("a: [1\n"), Catch::Contains("invalid YAML at line 2, column 1"));
  CHECK_THAT(standard_error("a:\n  b: 1\n c: 2\n"), Catch::Contains("invalid YAML at line 3"));
  CHECK_THAT(standard_error("a: \"open\n"), Catch::StartsWith("invalid YAML"));
  CHECK_THAT(standard_error("a: \"open\nb: 2\n"), Catch::Contains("never closed"));
  CHECK_THAT(standard_error("a: 'it''s\n"), Catch::Contains("never closed"));
  CHECK_THAT(standard_error("a: 'open\n"), Catch::StartsWith("invalid YAML"));
  SECTION("closed quotes, escaped quotes and a BOM before them are fine") {
    CHECK(value_of(standard("a: \"say \\\"hi\\\"\"\n"), "a") == ConfigValue::string("say \"hi\""));
    CHECK(value_of(standard("\xEF\xBB\xBF" "a: \"x\"\n"), "a") == ConfigValue::string("x"));
    CHECK(value_of(standard("a: 'it''s'\n"), "a") == ConfigValue::string("it's"));
  }
}

TEST_CASE("config.yaml rejects tags Flink's loader cannot construct", "[memmodel][config][standard]") {
  CHECK_THAT(standard_error("a: !foo x\n"), Catch::Contains("'!foo'"));
  CHECK_THAT(standard_error("a: !!int abc\n"), Catch::Contains("!!int"));
  CHECK_THAT(standard_error("a: !!bool yes\n"), Catch::Contains("!!bool"));
  CHECK_THAT(standard_error("a: !!float 0x10\n"), Catch::Contains("!!float"));  // Double.parseDouble fails
  // A tag that names a type the text is not, and a tagged integer past the digit cap, each name key and line.
  CHECK_THAT(standard_error("x: 1\na: !!null x\n"), Catch::Contains("'a' (line 2) is tagged !!null but is not null"));
  CHECK_THAT(standard_error("a: !!int " + std::string(5000, '9') + "\n"),
             Catch::Contains("'a' (line 1) is an integer too long to load"));
  CHECK_THAT(standard_error("a: !!binary aGk=\n"), Catch::Contains("cannot construct"));
  SECTION("on lists and on mappings inside lists") {
    CHECK_THAT(standard_error("a: !!str [x]\n"), Catch::Contains("the list") && Catch::Contains("'tag:yaml.org,2002:str'"));
    CHECK_THAT(standard_error("a: !!map [x]\n"), Catch::Contains("cannot construct"));
    CHECK_THAT(standard_error("a: !custom\n  - x\n"), Catch::Contains("'!custom'"));
    CHECK_THAT(standard_error("a: [!!seq {x: 1}]\n"), Catch::Contains("the mapping"));
    CHECK_THAT(standard_error("a: [!!str [x]]\n"), Catch::Contains("the list"));
  }
  SECTION("but not their own tags") {
    CHECK(standard("a: !!seq [x]\nb: [!!map {y: 1}]\n").config.size() == 2);
  }
}

TEST_CASE("config.yaml handles a BOM, CRLF line ends, anchors and merge-key spellings",
          "[memmodel][config][standard]") {
  SECTION("BOM is part of the YAML stream encoding, not of the first key") {
    auto file = standard("\xEF\xBB\xBFtaskmanager.memory.process.size: 2g\n");
    CHECK(value_of(file, "taskmanager.memory.process.size") == ConfigValue::string("2g"));
  }
  SECTION("CRLF") {
    auto file = standard("a:\r\n  b: 1\r\nc: x\r\n");
    CHECK(value_of(file, "a.b") == ConfigValue{ValueKind::kInteger, "1"});
    CHECK(value_of(file, "c") == ConfigValue::string("x"));
  }
  SECTION("aliases expand; '<<' is an ordinary key in YAML 1.2") {
    auto file = standard("base: &b {size: 1g}\ncopy: *b\nother:\n  <<: *b\n");
    CHECK(value_of(file, "copy.size") == ConfigValue::string("1g"));
    CHECK(value_of(file, "other.<<.size") == ConfigValue::string("1g"));
  }
}

TEST_CASE("config.yaml refuses pathological documents cleanly", "[memmodel][config][standard]") {
  SECTION("billion laughs through aliases") {
    std::string yaml = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    std::string previous = "a";
    for (char name = 'b'; name <= 'j'; ++name) {
      yaml += std::string(1, name) + ": &" + name + " [";
      for (int i = 0; i < 10; ++i) yaml += (i ? ", *" : "*") + previous;
      yaml += "]\n";
      previous = std::string(1, name);
    }
    CHECK_THAT(limit_error(yaml), Catch::Contains("more than 30000 YAML nodes"));
  }
  SECTION("mapping bomb through flattening") {
    std::string yaml = "a: &a {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1, k9: 1}\n";
    std::string previous = "a";
    for (char name = 'b'; name <= 'j'; ++name) {
      yaml += std::string(1, name) + ": &" + name + " {";
      for (int i = 0; i < 10; ++i) yaml += (i ? ", k" : "k") + std::to_string(i) + ": *" + previous;
      yaml += "}\n";
      previous = std::string(1, name);
    }
    // Refused on the parser's events, each alias counted as the nodes it repeats: nothing is flattened.
    CHECK_THAT(limit_error(yaml), Catch::Contains("more than 30000 YAML nodes"));
  }
  SECTION("a large scalar repeated by aliases: bounded text, not a flow string of gigabytes") {
    std::string yaml = "a: &a " + std::string(1 << 20, 'x') + "\nb: [";
    for (int i = 0; i < 20; ++i) yaml += (i ? ", *a" : "*a");
    CHECK_THAT(limit_error(yaml + "]\n"), Catch::Contains("more than 4 MiB of scalar text"));
  }
  SECTION("a self-referencing alias") {
    CHECK_THAT(limit_error("a: &a [*a]\n"), Catch::Contains("nests deeper"));
    CHECK_THAT(limit_error("a: &a {b: *a}\n"), Catch::Contains("nests deeper"));
  }
  SECTION("deep nesting of mappings") {
    std::string yaml;
    for (int i = 0; i < 100; ++i) yaml += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
    yaml += std::string(200, ' ') + "k: 1\n";
    CHECK_THAT(limit_error(yaml), Catch::Contains("nests deeper than 64"));
  }
  SECTION("deep nesting beyond yaml-cpp's own parser guard") {
    // Refused on the parser's events at level 65, before yaml-cpp's recursion guard at 2000.
    const std::string yaml = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
    CHECK_THAT(limit_error(yaml), Catch::Contains("nests deeper than 64"));
  }
  SECTION("an absurdly long integer") {
    CHECK_THAT(standard_error("a: 0x" + std::string(5000, 'f') + "\n"), Catch::Contains("too long"));
  }
  SECTION("a stray ',' that makes yaml-cpp's LoadAll loop forever (found by fuzz_config_yaml)") {
    CHECK_THAT(standard_error(","), Catch::Contains("invalid YAML at line 1, column 1"));
    CHECK_THAT(standard_error(",key: 0.5"), Catch::StartsWith("invalid YAML"));
    CHECK_THAT(standard_error("a: 1\n,\n"), Catch::Contains("invalid YAML at line 2"));
    CHECK_THAT(standard_error("---\na: 1\n--- ,\n"), Catch::StartsWith("invalid YAML"));
  }
}

// ---------------------------------------------------------------------------------------------
// File names and sensitive keys

TEST_CASE("config_file_format_for picks the standard loader only for config.yaml",
          "[memmodel][config]") {
  CHECK(config_file_format_for("config.yaml") == ConfigFileFormat::kConfigYaml);
  CHECK(config_file_format_for("/opt/flink/conf/config.yaml") == ConfigFileFormat::kConfigYaml);
  CHECK(config_file_format_for("flink-conf.yaml") == ConfigFileFormat::kFlinkConfYaml);
  CHECK(config_file_format_for("/opt/flink/conf/flink-conf.yaml") == ConfigFileFormat::kFlinkConfYaml);
  CHECK(config_file_format_for("config.yml") == ConfigFileFormat::kFlinkConfYaml);
  CHECK(config_file_format_for("Config.yaml") == ConfigFileFormat::kFlinkConfYaml);
  CHECK(config_file_format_for("my-config.yaml") == ConfigFileFormat::kFlinkConfYaml);
  CHECK(config_file_format_for("config.yaml/") == ConfigFileFormat::kFlinkConfYaml);
}

TEST_CASE("is_sensitive_key flags Flink's sensitive keys and standalone 'key' words",
          "[memmodel][config][sensitive]") {
  auto key = GENERATE(as<std::string>{}, "password", "Password", "security.ssl.keystore-password",
                      "s3.secret-key", "s3.access-key", "fs.s3a.access.key", "fs.s3a.secret.key",
                      "fs.azure.account.key.acct.blob.core.windows.net", "metrics.reporter.dghttp.apikey",
                      "metrics.reporter.x.api-key", "pulsar.client.auth-params", "gcs.service-key",
                      "kubernetes.token", "TOKEN", "security.delegation.tokens.enabled", "http.basic-auth",
                      "sasl.jaas.config", "rest.http-headers", "kubernetes.secrets", "google.cloud.credentials",
                      "fs.oss.accessKeyId", "ssl.private_key", "my.key", "key", "KEY");
  CAPTURE(key);
  CHECK(is_sensitive_key(key));
}

TEST_CASE("is_sensitive_key leaves memory and ordinary keys alone", "[memmodel][config][sensitive]") {
  auto key = GENERATE(as<std::string>{}, "taskmanager.memory.managed.consumer-weights",
                      "taskmanager.memory.process.size", "state.backend.rocksdb.memory.managed",
                      "state.backend.rocksdb.compaction.style", "state.backend.type", "security.ssl.keystore",
                      "security.kerberos.login.keytab", "jobmanager.rpc.address", "monkey.business", "keyed.state",
                      "hotkeys", "pipeline.auto-watermark-interval", "kubernetes.jobmanager.annotations",
                      "taskmanager.memory.jvm-overhead.fraction", "");
  CAPTURE(key);
  CHECK_FALSE(is_sensitive_key(key));
}

// Issue 12: what a request can put into a config file costs time and memory linear in it, and
// past the documented caps the answer names the cap. Time bounds are >= 50x the measured cost.
TEST_CASE("config files at the caps are loaded in linear time, beyond them refused by name", "[memmodel][config][limits]") {
  using Clock = std::chrono::steady_clock;
  SECTION("flink-conf.yaml lines in descending order: 10000 options load, one more is refused") {
    std::string text;
    for (int i = 10'000; i >= 1; --i) text += "key." + std::to_string(i) + ": v\n";
    auto start = Clock::now();
    ParsedConfigFile file = legacy(text);
    CHECK(Clock::now() - start < std::chrono::seconds(2));  // ~10 ms
    CHECK(file.config.size() == 10'000);
    CHECK(file.config.entries().begin()->first == "key.1");
    CHECK_THAT(limit_error(text + "key.0: v\n", ConfigFileFormat::kFlinkConfYaml),
               Catch::Contains("more than 10000 options"));
    // A key set twice is one option: replacing never counts against the cap.
    CHECK(legacy(text + "key.1: w\n").config.size() == 10'000);
  }
  SECTION("a million skipped lines are counted, and only the first hundred described") {
    std::string text = "taskmanager.memory.process.size: 2g\n";
    for (int i = 0; i < 1'000'000; ++i) text += "x\n";
    auto start = Clock::now();
    ParsedConfigFile file = legacy(text);
    CHECK(Clock::now() - start < std::chrono::seconds(5));  // ~60 ms
    CHECK(file.skipped_line_count == 1'000'000);
    CHECK(file.skipped_lines.size() == 100);
    CHECK(file.skipped_lines.back() == "line 101: not a key-value pair (missing space after ':'?)");
  }
  SECTION("keys longer than the key cap") {
    CHECK_THAT(limit_error(std::string(5000, 'k') + ": v\n", ConfigFileFormat::kFlinkConfYaml),
               Catch::Contains("5000 bytes long, above the limit of 4096"));
    // Explicit keys ("? key"): YAML limits implicit ones to 1024 characters.
    CHECK_THAT(limit_error("a:\n  ? " + std::string(4096, 'k') + "\n  : v\n"), Catch::Contains("4098 bytes long"));
    CHECK(legacy(std::string(4096, 'k') + ": v\n").config.size() == 1);
  }
  SECTION("a config.yaml list too long for the node cap is refused before yaml-cpp builds it") {
    std::string text = "list: [";
    for (int i = 0; i < 1'500'000; ++i) text += "a,";
    text += "a]\n";
    auto start = Clock::now();
    CHECK_THAT(limit_error(text), Catch::Contains("more than 30000 YAML nodes"));
    CHECK(Clock::now() - start < std::chrono::seconds(10));  // ~80 ms: events up to the limit, no node tree
  }
  SECTION("aliases of a long scalar cannot expand past the byte cap") {
    std::string text = "long: &x " + std::string(1 << 20, 's') + "\nlist: [";
    for (int i = 0; i < 20'000; ++i) text += "*x,";
    text += "*x]\n";
    auto start = Clock::now();
    CHECK_THAT(limit_error(text), Catch::Contains("more than 4 MiB of scalar text"));
    CHECK(Clock::now() - start < std::chrono::seconds(20));  // ~350 ms: yaml-cpp reads the 1 MiB scalar twice
    // Aliased keys under a nested mapping amplify the flattened key the same way, bounded by the key cap.
    CHECK_THAT(limit_error("k: &k " + std::string(3000, 'k') + "\n*k : {*k : 1}\n"), Catch::Contains("above the limit of 4096"));
  }
}
