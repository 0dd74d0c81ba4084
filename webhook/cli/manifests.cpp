// Manifest loading and YAML -> JSON conversion through the project's JSON writer.
#include "webhook/cli/manifests.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>

#include "webhook/json/json_writer.h"

namespace memguard::cli {

namespace {

namespace fs = std::filesystem;

bool is_null_word(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> bool_word(const std::string& s) {
  static const std::set<std::string> yes = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> no = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (yes.count(s) != 0) return true;
  if (no.count(s) != 0) return false;
  return std::nullopt;
}

std::optional<int64_t> int_word(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return std::nullopt;
  bool negative = s[0] == '-';
  size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::string digits = s.substr(start);
  int base = 10;
  if (digits.rfind("0x", 0) == 0) { base = 16; digits = digits.substr(2); }
  else if (digits.rfind("0o", 0) == 0) { base = 8; digits = digits.substr(2); }
  else if (digits.rfind("0b", 0) == 0) { base = 2; digits = digits.substr(2); }
  else if (digits.size() > 1 && digits[0] == '0') { base = 8; digits = digits.substr(1); }
  if (digits.empty()) return std::nullopt;
  const std::string allowed = base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : base == 2 ? "01" : "0123456789";
  if (digits.find_first_not_of(allowed) != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(digits.c_str(), &end, base);
  if (errno == ERANGE || end != digits.c_str() + digits.size()) return std::nullopt;
  return negative ? -value : value;
}

std::optional<double> float_word(const std::string& s) {
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") return HUGE_VAL;
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -HUGE_VAL;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::nan("");
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++int_digits; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++frac_digits; }
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++exp_digits; }
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

std::string where(const YAML::Node& node) {
  auto mark = node.Mark();
  return mark.line >= 0 ? "line " + std::to_string(mark.line + 1) : "unknown line";
}

Expected<void> write_node(const YAML::Node& node, json::Writer& w) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: w.null(); return {};
    case YAML::NodeType::Sequence:
      w.begin_array();
      for (const auto& item : node) {
        auto inner = write_node(item, w);
        if (!inner) return inner;
      }
      w.end_array();
      return {};
    case YAML::NodeType::Map:
      w.begin_object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return make_error(ErrorCode::kInvalidArgument, where(entry.first) + ": a mapping key must be a scalar");
        }
        w.key(entry.first.Scalar());
        auto inner = write_node(entry.second, w);
        if (!inner) return inner;
      }
      w.end_object();
      return {};
    case YAML::NodeType::Scalar: break;
  }
  const std::string& text = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") {  // quoted, or explicitly a string
    w.string(text);
    return {};
  }
  if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" ||
      tag == "tag:yaml.org,2002:null" || tag == "?" || tag.empty()) {
    if (is_null_word(text) && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:float") {
      w.null();
    } else if (auto b = bool_word(text)) {
      w.boolean(*b);
    } else if (auto i = int_word(text)) {
      w.integer(*i);
    } else if (auto f = float_word(text)) {
      w.number(*f);
    } else {
      w.string(text);
    }
    return {};
  }
  w.string(text);  // any other tag (!!binary, custom): its text
  return {};
}

Expected<void> add_document(const YAML::Node& doc, const std::string& source, std::vector<ManifestObject>& out) {
  if (doc.IsNull() || !doc.IsDefined()) return {};  // an empty document between separators
  if (!doc.IsMap()) return make_error(ErrorCode::kInvalidArgument, source + ": a manifest document must be an object");
  YAML::Node kind = doc["kind"];
  YAML::Node items = doc["items"];
  bool list = kind.IsScalar() && kind.Scalar().size() >= 4 &&
              kind.Scalar().compare(kind.Scalar().size() - 4, 4, "List") == 0 && items.IsSequence();
  if (list) {
    size_t index = 0;
    for (const auto& item : items) {
      std::string item_source = source + " items[" + std::to_string(index++) + "]";
      if (!item.IsMap()) return make_error(ErrorCode::kInvalidArgument, item_source + ": a List item must be an object");
      auto text = yaml_to_json(item);
      if (!text) return make_error(ErrorCode::kInvalidArgument, item_source + ": " + text.error().message);
      out.push_back({item_source, std::move(*text)});
    }
    return {};
  }
  auto text = yaml_to_json(doc);
  if (!text) return make_error(ErrorCode::kInvalidArgument, source + ": " + text.error().message);
  out.push_back({source, std::move(*text)});
  return {};
}

}  // namespace

Expected<std::string> yaml_to_json(const YAML::Node& node) {
  json::Writer w;
  auto written = write_node(node, w);
  if (!written) return Unexpected{written.error()};
  return w.take();
}

Expected<std::vector<ManifestObject>> parse_manifests(std::string_view text, const std::string& name) {
  std::vector<ManifestObject> out;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      name + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    // The line where the document starts, so people can find it.
    auto mark = docs[i].Mark();
    std::string source = name + ":" + std::to_string(mark.line >= 0 ? mark.line + 1 : static_cast<int>(i) + 1);
    auto added = add_document(docs[i], source, out);
    if (!added) return Unexpected{added.error()};
  }
  return out;
}

Expected<std::vector<ManifestObject>> load_manifests(const std::vector<std::string>& paths) {
  std::vector<ManifestObject> out;
  auto read_one = [&](const std::string& path) -> Expected<void> {
    std::string text;
    if (path == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) return make_error(ErrorCode::kInvalidArgument, path + ": cannot open");
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (in.bad()) return make_error(ErrorCode::kInvalidArgument, path + ": read error");
    }
    auto objects = parse_manifests(text, path == "-" ? "<stdin>" : path);
    if (!objects) return Unexpected{objects.error()};
    for (auto& o : *objects) out.push_back(std::move(o));
    return {};
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (path != "-" && fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::string ext = it->path().extension().string();
        if (ext == ".yaml" || ext == ".yml" || ext == ".json") files.push_back(it->path().string());
      }
      if (ec) return make_error(ErrorCode::kInvalidArgument, path + ": " + ec.message());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        auto r = read_one(f);
        if (!r) return Unexpected{r.error()};
      }
    } else {
      auto r = read_one(path);
      if (!r) return Unexpected{r.error()};
    }
  }
  return out;
}

}  // namespace memguard::cli
