// SARIF and JUnit renderings of the check report; texts only, the decisions are the report's.
#include "webhook/cli/report_formats.h"

#include <cctype>

#include "webhook/cli/memory_svg.h"
#include "webhook/engine/finding.h"
#include "webhook/json/json_writer.h"

namespace memguard::cli {

namespace {

constexpr std::string_view kUnreadableRule = "unreadable";
constexpr size_t kXmlTextLimit = 16384;  // a message longer than this is cut in the XML report

std::string object_name(const JudgedObject& j) {
  return j.kind + "/" + (j.namespace_.empty() ? "" : j.namespace_ + "/") + j.name;
}

void sarif_result(json::Writer& w, std::string_view rule, std::string_view level, const std::string& message,
                  const JudgedObject& j) {
  w.begin_object().member("ruleId", rule).member("level", level);
  w.key("message").begin_object().member("text", message).end_object();
  w.key("locations").begin_array().begin_object();
  w.key("physicalLocation").begin_object();
  w.key("artifactLocation").begin_object().member("uri", source_file(j.source)).end_object();
  w.end_object();
  w.key("logicalLocations").begin_array().begin_object().member("fullyQualifiedName", object_name(j));
  w.member("kind", "object").end_object().end_array();
  w.end_object().end_array();
  w.key("properties").begin_object().member("source", j.source).member("decision", admission::decision_name(j.decision)).end_object();
  w.end_object();
}

}  // namespace

std::string source_file(const std::string& source) {
  // A document number (":2") and a List item (" items[3]") follow the path.
  std::string file = source;
  if (const auto item = file.find(" items["); item != std::string::npos) file.resize(item);
  const auto colon = file.rfind(':');
  if (colon != std::string::npos && colon + 1 < file.size()) {
    bool digits = true;
    for (size_t i = colon + 1; i < file.size(); ++i) digits = digits && std::isdigit(static_cast<unsigned char>(file[i]));
    if (digits) file.resize(colon);
  }
  return file;
}

std::string report_sarif(const Report& report) {
  json::Writer w;
  w.begin_object()
      .member("$schema", "https://json.schemastore.org/sarif-2.1.0.json")
      .member("version", "2.1.0");
  w.key("runs").begin_array().begin_object();
  w.key("tool").begin_object().key("driver").begin_object().member("name", "flink-memguard");
  w.member("informationUri", "https://nightlies.apache.org/flink/flink-docs-stable/docs/deployment/memory/mem_setup/");
  w.key("rules").begin_array();
  for (const auto code : engine::kAllFindingCodes) {
    const std::string_view id = engine::finding_code_name(code);
    w.begin_object().member("id", id).key("shortDescription").begin_object().member("text", id).end_object().end_object();
  }
  w.begin_object().member("id", kUnreadableRule).key("shortDescription").begin_object();
  w.member("text", "a file or document that could not be read").end_object().end_object();
  w.end_array().end_object().end_object();
  w.key("results").begin_array();
  for (const auto& j : report.objects) {
    if (j.decision == admission::ReviewDecision::kSkipped) continue;
    if (j.decision == admission::ReviewDecision::kErrored) sarif_result(w, kUnreadableRule, "error", j.error, j);
    for (const auto& f : j.findings) {
      if (f.action == engine::Action::kOff) continue;
      sarif_result(w, engine::finding_code_name(f.code), f.action == engine::Action::kDeny ? "error" : "warning",
                   f.message, j);
    }
  }
  w.end_array().end_object().end_array().end_object();
  return w.take() + "\n";
}

std::string report_junit(const Report& report) {
  std::string cases;
  size_t tests = 0, failures = 0, errors = 0;
  for (const auto& j : report.objects) {
    if (j.decision == admission::ReviewDecision::kSkipped) continue;
    ++tests;
    cases += "  <testcase classname=\"" + xml_text(source_file(j.source), kXmlTextLimit) + "\" name=\"" +
             xml_text(object_name(j) + " (" + j.source + ")", kXmlTextLimit) + "\">\n";
    std::string denials, warnings;
    for (const auto& f : j.findings) {
      const std::string line = std::string(engine::finding_code_name(f.code)) + ": " + f.message + "\n";
      if (f.action == engine::Action::kDeny) denials += line;
      else if (f.action == engine::Action::kWarn) warnings += line;
    }
    if (j.decision == admission::ReviewDecision::kErrored) {
      ++errors;
      cases += "    <error message=\"" + xml_text(j.error, kXmlTextLimit) + "\"/>\n";
    } else if (j.decision == admission::ReviewDecision::kDenied) {
      ++failures;
      cases += "    <failure message=\"denied\">" + xml_text(denials, kXmlTextLimit) + "</failure>\n";
    }
    if (!warnings.empty()) cases += "    <system-out>" + xml_text(warnings, kXmlTextLimit) + "</system-out>\n";
    cases += "  </testcase>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"flink-memguard check\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
         std::to_string(errors) + "\">\n" + cases + "</testsuite>\n";
}

}  // namespace memguard::cli
