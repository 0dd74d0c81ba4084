// `flink-memguard memory --batch`: answers request lines in the shared/vectors format, one JSON
// line each, so any set of cases can be checked against the model in one run.
#include <istream>
#include <optional>
#include <ostream>
#include <simdjson.h>
#include <string>

#include "webhook/cli/memory_report.h"

namespace memguard::cli {

namespace {

using namespace memguard::memmodel;

// The text Flink would see for a config value written as JSON (vectors use strings only).
bool value_text(simdjson::dom::element value, std::string& out) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: out = std::string(std::string_view(value)); return true;
    case simdjson::dom::element_type::BOOL: out = bool(value) ? "true" : "false"; return true;
    case simdjson::dom::element_type::INT64: out = std::to_string(int64_t(value)); return true;
    case simdjson::dom::element_type::UINT64: out = std::to_string(uint64_t(value)); return true;
    default: return false;
  }
}

// A request is a few hundred bytes; a line (or a stream without newlines, /dev/zero) past this is
// answered with an error and skipped, never held.
constexpr size_t kMaxLineBytes = 1024 * 1024;

// The next line without its '\n'; false at the end of input. Reading stops one byte past
// kMaxLineBytes, and `too_long` says so.
bool next_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* buffer = in.rdbuf();
  bool any = false;
  for (int c = buffer->sbumpc(); c != std::char_traits<char>::eof(); c = buffer->sbumpc()) {
    any = true;
    if (c == '\n') return true;
    if (line.size() == kMaxLineBytes) {
      too_long = true;
      line.clear();
      return true;
    }
    line.push_back(static_cast<char>(c));
  }
  return any;
}

std::string answer(simdjson::dom::parser& parser, const std::string& line) {
  json::Writer w;
  w.begin_object();
  auto error_answer = [&w](std::string_view message) {
    w.member("ok", false).member("error", message).end_object();
    return w.take();
  };
  simdjson::dom::element request;
  if (auto error = parser.parse(line).get(request); error) {
    w.key("id").null();
    return error_answer(std::string("malformed request line: ") + simdjson::error_message(error));
  }
  std::string_view id;
  if (request["id"].get(id) == simdjson::SUCCESS) {
    w.member("id", id);
  } else {
    w.key("id").null();
  }
  if (!request.is_object()) return error_answer("a request must be a JSON object");

  DerivationContext context;
  std::string_view version_text;
  if (request["flinkVersion"].get(version_text) == simdjson::SUCCESS) {
    auto version = FlinkVersion::parse(version_text);
    if (!version) return error_answer(version.error().message);
    context.version = *version;
  }
  std::string_view legacy;
  if (request["legacyHeapMapsTo"].get(legacy) == simdjson::SUCCESS) {
    if (legacy == "processTotal") context.legacy_heap = LegacyHeapTarget::kProcessTotal;
    else if (legacy != "startScripts" && legacy != "default")
      return error_answer("legacyHeapMapsTo must be processTotal (or absent for the start scripts)");
  }
  std::string_view role_text;
  std::optional<Role> named_role;
  if (request["role"].get(role_text) == simdjson::SUCCESS) named_role = role_named(role_text);
  if (!named_role) return error_answer("role must be \"taskmanager\" or \"jobmanager\"");
  FlinkConfig config;
  simdjson::dom::object entries;
  if (auto e = request["config"].get(entries); e == simdjson::SUCCESS) {
    for (auto [key, value] : entries) {
      std::string text;
      if (!value_text(value, text)) return error_answer("config value of '" + std::string(key) + "' must be a string");
      config.set(std::string(key), std::move(text));
    }
  } else if (e != simdjson::NO_SUCH_FIELD) {
    return error_answer("config must be a JSON object of key/value strings");
  }
  const Role role = *named_role;
  // The vectors describe the derivation itself: the container limit-factor is not part of it.
  RoleReport report = derive_role(role, config, context);
  if (!report.ok() && (report.taskmanager || report.jobmanager)) report.error.reset();
  if (!report.ok()) return error_answer(report.error->message);
  w.member("ok", true);
  write_vector_members(w, report);
  w.end_object();
  return w.take();
}

}  // namespace

bool run_batch(std::istream& in, std::ostream& out) {
  simdjson::dom::parser parser;
  std::string line;
  bool too_long = false;
  while (next_line(in, line, too_long)) {
    if (too_long) {
      json::Writer w;
      w.begin_object().key("id").null().member("ok", false);
      w.member("error", "request line longer than " + std::to_string(kMaxLineBytes) +
                            " bytes; it and the rest of the input are not read").end_object();
      out << w.take() << '\n';
      out.flush();
      return false;  // not a request stream (binary data, /dev/zero): stop instead of reading on
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out << answer(parser, line) << '\n';
  }
  out.flush();
  return true;
}

}  // namespace memguard::cli
