// `check --output sarif|junit`: the SARIF log has the 2.1.0 structure code scanning reads (a run,
// the tool's rules, a result per finding whose ruleId is one of them, locations at the file), and
// the JUnit report is well-formed XML (checked with xmllint) with a failing case per denied object.
#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cstdlib>
#include <set>
#include <string>

#include "tests/webhook/cli_test_support.h"
#include "webhook/cli/report_formats.h"

namespace {

using memguard::testing::run_cli;
const std::string kManifests = MEMGUARD_TEST_DATA "/manifests";

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("check --output sarif has SARIF 2.1.0's structure with a result per finding", "[webhook][cli][check][sarif]") {
  const auto run = run_cli("check --output sarif -f '" + kManifests + "/standalone-session'");
  CHECK(run.exit_code == 1);  // the exit code is the report's, whatever the format
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(run.out).get(root) == simdjson::SUCCESS);
  CHECK(std::string(root["version"].get_string().value()) == "2.1.0");
  CHECK_THAT(std::string(root["$schema"].get_string().value()), Catch::Contains("sarif-2.1.0"));
  simdjson::dom::array runs;
  REQUIRE(root["runs"].get_array().get(runs) == simdjson::SUCCESS);
  REQUIRE(runs.size() == 1);
  simdjson::dom::element the_run = runs.at(0).value();
  CHECK(std::string(the_run["tool"]["driver"]["name"].get_string().value()) == "flink-memguard");
  std::set<std::string> rule_ids;
  simdjson::dom::array rules, results;
  REQUIRE(the_run["tool"]["driver"]["rules"].get_array().get(rules) == simdjson::SUCCESS);
  REQUIRE(the_run["results"].get_array().get(results) == simdjson::SUCCESS);
  for (simdjson::dom::element rule : rules) {
    rule_ids.insert(std::string(rule["id"].get_string().value()));
    std::string_view description;
    CHECK(rule["shortDescription"]["text"].get_string().get(description) == simdjson::SUCCESS);
    CHECK(!description.empty());
  }
  CHECK(rule_ids.count("process-exceeds-limit") == 1);
  size_t errors = 0;
  for (simdjson::dom::element result : results) {
    CHECK(rule_ids.count(std::string(result["ruleId"].get_string().value())) == 1);
    const std::string level(result["level"].get_string().value());
    CHECK((level == "error" || level == "warning"));
    errors += level == "error";
    std::string_view message;
    CHECK(result["message"]["text"].get_string().get(message) == simdjson::SUCCESS);
    CHECK(!message.empty());
    simdjson::dom::array locations;
    REQUIRE(result["locations"].get_array().get(locations) == simdjson::SUCCESS);
    REQUIRE(locations.size() == 1);
    simdjson::dom::element location = locations.at(0).value();
    const std::string uri(location["physicalLocation"]["artifactLocation"]["uri"].get_string().value());
    CHECK(uri.rfind(kManifests + "/standalone-session/", 0) == 0);
    CHECK(uri.find(".yaml") + 5 == uri.size());  // the file, without the document number
  }
  CHECK(errors >= 3);  // three objects are denied
}

TEST_CASE("check --output sarif and junit report an unreadable file as an error", "[webhook][cli][check][sarif]") {
  const std::string bad = memguard::testing::temp_file("formats-test", "bad.yaml", "kind: [unclosed\n");
  const auto sarif = run_cli("check --output sarif -f '" + bad + "'");
  CHECK(sarif.exit_code == 2);
  CHECK_THAT(sarif.out, Catch::Contains("\"ruleId\":\"unreadable\""));
  const auto junit = run_cli("check --output junit -f '" + bad + "'");
  CHECK(junit.exit_code == 2);
  CHECK_THAT(junit.out, Catch::Contains("errors=\"1\""));
  CHECK(count(junit.out, "<error message=") == 1);
}

TEST_CASE("check --output junit is well-formed XML with a failure per denied object", "[webhook][cli][check][junit]") {
  const auto denied = run_cli("check --output junit -f '" + kManifests + "/standalone-session'");
  CHECK(denied.exit_code == 1);
  const std::string path = memguard::testing::temp_file("formats-test", "denied.xml", denied.out);
  REQUIRE(std::system(("xmllint --noout '" + path + "'").c_str()) == 0);
  CHECK_THAT(denied.out, Catch::Contains("tests=\"3\" failures=\"3\" errors=\"0\""));
  CHECK(count(denied.out, "<testcase ") == 3);
  CHECK(count(denied.out, "<failure ") == 3);

  const auto fits = run_cli("check --output junit -f '" + kManifests + "/standalone-fits'");
  CHECK(fits.exit_code == 0);
  const std::string fits_path = memguard::testing::temp_file("formats-test", "fits.xml", fits.out);
  REQUIRE(std::system(("xmllint --noout '" + fits_path + "'").c_str()) == 0);
  CHECK_THAT(fits.out, Catch::Contains("failures=\"0\""));
  CHECK(count(fits.out, "<failure ") == 0);
}

TEST_CASE("source_file keeps the path of a source and drops its document and item", "[webhook][cli][check][sarif]") {
  using memguard::cli::source_file;
  CHECK(source_file("k8s/a.yaml:2") == "k8s/a.yaml");
  CHECK(source_file("k8s/list.yaml:1 items[3]") == "k8s/list.yaml");
  CHECK(source_file("k8s/x.yaml") == "k8s/x.yaml");
  CHECK(source_file("c:/x.yaml") == "c:/x.yaml");
}
