// Loading Flink's config files as Flink does: the legacy line-based flink-conf.yaml and the standard
// YAML 1.2 config.yaml (spec §9), plus the rule for which keys hold secrets.
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstddef>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memmodel/flink_config.h"
#include "memmodel/input_limits.h"
#include "memmodel/java_text.h"
#include "memmodel/yaml_limits.h"
#include "support/ascii_text.h"

namespace memguard::memmodel {
namespace {

// ----------------------------------------------------------------------------------------------
// Legacy flink-conf.yaml (GlobalConfiguration.loadYAMLResource, 1.10 ... 1.20).

Unexpected limit_error(std::string what) {
  return make_error(ErrorCode::kLimitExceeded, std::move(what) + "; flink-memguard does not judge configurations "
                                                                 "this large (README: Limits)");
}

Unexpected entries_error() {
  return limit_error("the file sets more than " + std::to_string(kMaxConfigEntries) + " options, above the limit");
}

Unexpected key_error(size_t bytes) {
  return limit_error("a key is " + std::to_string(bytes) + " bytes long, above the limit of " +
                     std::to_string(kMaxConfigKeyBytes) + " bytes per option key");
}

}  // namespace

std::vector<std::string> ignored_lines(const ParsedConfigFile& parsed) {
  std::vector<std::string> out;
  if (parsed.key_behind_byte_order_mark) {
    out.push_back("line 1: starts with a UTF-8 byte order mark, which Flink's reader keeps as part of the first key, "
                  "so Flink does not read " + *parsed.key_behind_byte_order_mark + " (save the file without the mark)");
  }
  for (const auto& line : parsed.skipped_lines) out.push_back(line);
  if (parsed.skipped_line_count > parsed.skipped_lines.size()) {
    out.push_back("... and " + std::to_string(parsed.skipped_line_count - parsed.skipped_lines.size()) +
                  " more skipped lines");
  }
  return out;
}

namespace {

// Linear in the text: each line is looked at once and set in O(log n).
Expected<ParsedConfigFile> parse_legacy(std::string_view text) {
  ParsedConfigFile out;
  auto skip = [&](size_t line_no, std::string_view why) {
    // Only the first few are kept as text: a file of a million bad lines must not become a million strings.
    if (out.skipped_lines.size() < kMaxSkippedLineMessages) {
      out.skipped_lines.push_back("line " + std::to_string(line_no) + ": " + std::string(why));
    }
    ++out.skipped_line_count;
  };
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // BufferedReader.readLine ends a line at "\n", "\r\n" or a lone "\r".
    const size_t eol = text.find_first_of("\r\n", pos);
    const std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (eol == std::string_view::npos) {
      pos = text.size();
    } else {
      pos = eol + ((text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n') ? 2 : 1);
    }
    ++line_no;

    const std::string_view conf = java::trim(line.substr(0, line.find('#')));
    if (conf.empty()) continue;
    const size_t sep = conf.find(": ");
    // Flink's WARN lines name the line, never its content (it may hold a secret); so do we.
    if (sep == std::string_view::npos) {
      skip(line_no, "not a key-value pair (missing space after ':'?)");
      continue;
    }
    const std::string_view key = java::trim(conf.substr(0, sep));
    const std::string_view value = java::trim(conf.substr(sep + 2));
    if (key.empty() || value.empty()) {
      skip(line_no, "key or value is empty");
      continue;
    }
    if (key.size() > kMaxConfigKeyBytes) return key_error(key.size());
    if (line_no == 1 && key.substr(0, 3) == "\xEF\xBB\xBF") out.key_behind_byte_order_mark = std::string(key.substr(3));
    if (out.config.set(std::string(key), std::string(value)) && out.config.size() > kMaxConfigEntries) {
      return entries_error();
    }
  }
  return out;
}

// ----------------------------------------------------------------------------------------------
// Standard config.yaml: YAML 1.2 core schema (snakeyaml-engine) on top of yaml-cpp's parser.

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kFloatTag = "tag:yaml.org,2002:float";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";
constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";
constexpr std::string_view kMapTag = "tag:yaml.org,2002:map";
constexpr std::string_view kSeqTag = "tag:yaml.org,2002:seq";

// Bounds that keep hostile input (alias bombs, absurd nesting) cheap; real Flink configs use a few
// hundred nodes and a nesting depth below ten. yaml-cpp's tree costs a few hundred bytes a node, so
// 30,000 nodes (room for the 10,000-option limit, input_limits.h) stay below ~15 MB.
constexpr size_t kMaxNodes = 30'000;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxIntegerDigits = 4'096;
// Scalar text (keys and values, aliases expanded) is held to the configuration byte cap of
// input_limits.h before anything is built, so the walk below never meets more than that.
constexpr YamlLimits kLimits{.max_nodes = kMaxNodes, .max_scalar_bytes = kMaxConfigBytes,
                             .max_depth = static_cast<size_t>(kMaxDepth)};

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}
bool dec_digit(char c) { return c >= '0' && c <= '9'; }
bool oct_digit(char c) { return c >= '0' && c <= '7'; }
bool hex_digit(char c) { return dec_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool is_core_null(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }
bool is_core_bool(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}
bool is_core_int(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o') return all_of(s.substr(2), oct_digit);
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') return all_of(s.substr(2), hex_digit);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return all_of(s, dec_digit);
}
bool is_core_special_float(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s == ".inf" || s == ".Inf" || s == ".INF";
}
// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_core_float(std::string_view s) {
  if (is_core_special_float(s)) return true;
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && dec_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// Decimal text of a core-schema int, as Integer/Long/BigInteger.toString() prints it.
std::string canonical_int(std::string_view s) {
  unsigned base = 10;
  bool negative = false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    base = s[1] == 'o' ? 8 : 16;
    s.remove_prefix(2);
  } else if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  std::string decimal;
  if (base == 10) {
    decimal = std::string(s);
  } else {
    std::vector<unsigned> digits{0};  // little-endian base-10 digits
    for (char c : s) {
      unsigned carry = dec_digit(c) ? static_cast<unsigned>(c - '0')
                                    : static_cast<unsigned>((c | 0x20) - 'a' + 10);
      for (auto& d : digits) {
        const unsigned cur = d * base + carry;
        d = cur % 10;
        carry = cur / 10;
      }
      for (; carry > 0; carry /= 10) digits.push_back(carry % 10);
    }
    while (digits.size() > 1 && digits.back() == 0) digits.pop_back();
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) decimal += static_cast<char>('0' + *it);
  }
  return (negative && decimal != "0" ? "-" : "") + decimal;
}

// Floats keep the text as written (their exact double is what Flink's float narrowing needs),
// except the YAML spellings of infinity and NaN, given as Java prints them.
std::string canonical_float(std::string_view s) {
  if (is_core_special_float(s)) {
    if (s.back() == 'n' || s.back() == 'N') return "NaN";  // .nan .NaN .NAN; the .inf forms end in f/F
    return s[0] == '-' ? "-Infinity" : "Infinity";
  }
  return std::string(s);
}

std::string line_of(const YAML::Node& node) { return "line " + std::to_string(node.Mark().line + 1); }
std::string quoted_key(std::string_view key) { return "'" + std::string(key) + "'"; }

Unexpected nodes_error() {
  return limit_error("config.yaml has more than " + std::to_string(kMaxNodes) +
                     " YAML nodes (counting alias expansions); refusing to load it");
}

// One config.yaml load. Errors name keys and lines, never values (values may be secrets).
class StandardLoader {
 public:
  Expected<FlinkConfig> load(std::string_view text) {
    text_ = text;
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      text_.remove_prefix(3);  // yaml-cpp's marks do not count the BOM
    }
    YAML::Node root;
    try {
      const std::string input(text);
      // Checked on the parser's events before any node is built: alias bombs, absurd nesting and
      // the empty-document loop of yaml-cpp #1040 (found by fuzz_config_yaml) stop here.
      auto documents = check_yaml_limits(input, kLimits);
      if (!documents && documents.error().code == ErrorCode::kLimitExceeded) {
        return limit_error("config.yaml: " + documents.error().message);
      }
      if (!documents) return Unexpected{documents.error()};
      if (*documents > 1) {
        return invalid("config.yaml holds " + std::to_string(*documents) + " YAML documents; Flink expects exactly one");
      }
      if (*documents == 1) root = YAML::Load(input);
    } catch (const YAML::Exception& e) {
      return invalid("invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kInternal, std::string("config.yaml could not be read: ") + e.what());
    }
    if (!root.IsDefined() || root.IsNull()) return FlinkConfig{};  // empty or comments only
    if (!root.IsMap()) return invalid("the top level of config.yaml must be a mapping of keys to values (" + line_of(root) + ")");
    try {
      if (auto walked = walk_map(root, "", 0); !walked) return Unexpected{walked.error()};
    } catch (const YAML::Exception& e) {
      return invalid("invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kInternal, std::string("config.yaml could not be read: ") + e.what());
    }
    return std::move(config_);
  }

 private:
  struct Scalar {
    ValueKind kind = ValueKind::kString;
    std::string text;
    bool is_null = false;
  };

  static Unexpected invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

  // Keys and values produced so far, aliases expanded: what a short document can amplify into.
  Expected<void> spend(size_t bytes) {
    bytes_ += bytes;
    if (bytes_ > kMaxConfigBytes) {
      return limit_error("config.yaml expands to more than " + std::to_string(kMaxConfigBytes >> 20) +
                         " MiB of keys and values (counting alias expansions), above the limit");
    }
    return {};
  }

  Expected<void> set(const std::string& key, ConfigValue value) {
    if (auto ok = spend(value.text.size()); !ok) return ok;
    if (config_.set(key, std::move(value)) && config_.size() > kMaxConfigEntries) return entries_error();
    return {};
  }

  Expected<void> count(const YAML::Node& node, int depth) {
    if (++nodes_ > kMaxNodes) return nodes_error();
    if (depth > kMaxDepth) {
      return limit_error("config.yaml nests deeper than " + std::to_string(kMaxDepth) + " levels (" + line_of(node) +
                     "); refusing to load it");
    }
    return {};
  }

  // yaml-cpp accepts a quoted scalar that runs to the end of the stream without its closing quote
  // (`a: "open`); snakeyaml-engine, hence Flink, rejects it.
  Expected<void> check_closed_quote(const YAML::Node& node) const {
    const auto start = static_cast<size_t>(node.Mark().pos);
    if (start >= text_.size() || (text_[start] != '"' && text_[start] != '\'')) return {};
    const char quote = text_[start];
    for (size_t i = start + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;  // an escaped character
      } else if (quote == '\'' && text_[i] == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
        ++i;  // '' is an escaped single quote
      } else if (text_[i] == quote) {
        return {};
      }
    }
    return invalid("invalid YAML at " + line_of(node) + ", column " + std::to_string(node.Mark().column + 1) +
                   ": a quoted scalar is never closed");
  }

  // Resolves a scalar (or empty) node as snakeyaml-engine's core schema would construct it.
  Expected<Scalar> resolve(const YAML::Node& node, const std::string& what) const {
    const std::string& tag = node.Tag();
    if (node.IsScalar() && tag == "!") {
      if (auto closed = check_closed_quote(node); !closed) return Unexpected{closed.error()};
    }
    if (node.IsNull()) {
      if (tag == "!" || tag == kStrTag) return Scalar{ValueKind::kString, "", false};
      return Scalar{ValueKind::kString, "", true};
    }
    const std::string& text = node.Scalar();
    if (tag == "!" || tag == kStrTag) return Scalar{ValueKind::kString, text, false};
    if (tag == "?") {
      if (is_core_null(text)) return Scalar{ValueKind::kString, "", true};
      if (is_core_bool(text)) return Scalar{ValueKind::kBoolean, (text[0] | 0x20) == 't' ? "true" : "false", false};
      if (is_core_int(text)) {
        if (text.size() > kMaxIntegerDigits) return invalid(what + " (" + line_of(node) + ") is an integer too long to load");
        return Scalar{ValueKind::kInteger, canonical_int(text), false};
      }
      if (is_core_float(text)) return Scalar{ValueKind::kFloat, canonical_float(text), false};
      return Scalar{ValueKind::kString, text, false};
    }
    if (tag == kNullTag) {
      if (!is_core_null(text)) return invalid(what + " (" + line_of(node) + ") is tagged !!null but is not null");
      return Scalar{ValueKind::kString, "", true};
    }
    if (tag == kBoolTag) {
      if (!is_core_bool(text)) return invalid(what + " (" + line_of(node) + ") is tagged !!bool but is not true or false");
      return Scalar{ValueKind::kBoolean, (text[0] | 0x20) == 't' ? "true" : "false", false};
    }
    if (tag == kIntTag) {
      if (!is_core_int(text)) return invalid(what + " (" + line_of(node) + ") is tagged !!int but is not an integer");
      if (text.size() > kMaxIntegerDigits) return invalid(what + " (" + line_of(node) + ") is an integer too long to load");
      return Scalar{ValueKind::kInteger, canonical_int(text), false};
    }
    if (tag == kFloatTag) {
      if (!is_core_float(text)) {
        // Includes 0x10 and 0o17: the float constructor's Double.parseDouble rejects them.
        return invalid(what + " (" + line_of(node) + ") is tagged !!float but is not a number");
      }
      if (is_core_int(text)) {
        // `!!float 1024` loads as the Double 1024.0, which Flink prints as "1024.0" -- not a memory
        // size, nor an int, as the untagged `1024` would be.
        auto value = java::parse_double(text);
        if (!value) return invalid(what + " (" + line_of(node) + ") is tagged !!float but is not a number");
        return Scalar{ValueKind::kFloat, java::double_to_string(*value), false};
      }
      return Scalar{ValueKind::kFloat, canonical_float(text), false};
    }
    return invalid(what + " (" + line_of(node) + ") has the tag '" + tag + "', which Flink's YAML loader cannot construct");
  }

  // A mapping or list may carry no tag, the non-specific ones, or its own (!!map / !!seq); any other
  // tag (`!!str [a]`, `!!seq {a: 1}`, `!custom [a]`) is one snakeyaml-engine cannot construct.
  static Expected<void> check_collection_tag(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string_view own = node.IsMap() ? kMapTag : kSeqTag;
    if (tag.empty() || tag == "?" || tag == "!" || tag == own) return {};
    return invalid(std::string(node.IsMap() ? "the mapping" : "the list") + " at " + line_of(node) + " has the tag '" +
                   tag + "', which Flink's YAML loader cannot construct");
  }

  Expected<void> walk_map(const YAML::Node& map, const std::string& prefix, int depth) {
    if (auto ok = count(map, depth); !ok) return ok;
    if (auto ok = check_collection_tag(map); !ok) return ok;
    // snakeyaml-engine rejects duplicate keys in one mapping (keys compare by constructed value,
    // so `1` and `01` are the same key but `1` and `"1"` are not); yaml-cpp keeps both silently.
    std::set<std::pair<ValueKind, std::string>> seen;
    for (const auto& entry : map) {  // yaml-cpp iterators yield temporaries: copy the nodes out
      const YAML::Node key_node = entry.first;
      const YAML::Node value = entry.second;
      if (auto ok = count(key_node, depth + 1); !ok) return ok;
      if (!key_node.IsScalar() && !key_node.IsNull()) {
        return invalid("config.yaml has a mapping or list used as a key at " + line_of(key_node) +
                       "; keys must be plain scalars");
      }
      auto key_scalar = resolve(key_node, "a key");
      if (!key_scalar) return Unexpected{key_scalar.error()};
      const std::string key_text = key_scalar->is_null ? "null" : key_scalar->text;
      if (prefix.size() + key_text.size() > kMaxConfigKeyBytes) return key_error(prefix.size() + key_text.size());
      if (auto ok = spend(prefix.size() + key_text.size()); !ok) return ok;
      const std::string key = prefix + key_text;
      // A null key (`~: x`) differs from the string "null"; kMap never names a scalar, so it marks null.
      if (!seen.emplace(key_scalar->is_null ? ValueKind::kMap : key_scalar->kind, key_text).second) {
        return invalid("duplicate key " + quoted_key(key) + " at " + line_of(key_node) +
                       "; Flink's YAML loader rejects duplicate keys in one mapping");
      }
      if (value.IsMap()) {
        if (auto ok = walk_map(value, key + ".", depth + 1); !ok) return ok;
      } else if (value.IsSequence()) {
        auto flow = flow_string(value, depth + 1);
        if (!flow) return Unexpected{flow.error()};
        if (auto ok = set(key, ConfigValue{ValueKind::kList, std::move(*flow)}); !ok) return ok;
      } else {
        if (auto ok = count(value, depth + 1); !ok) return ok;
        auto scalar = resolve(value, "the value of " + quoted_key(key));
        if (!scalar) return Unexpected{scalar.error()};
        if (scalar->is_null) {
          return invalid("key " + quoted_key(key) + " at " + line_of(key_node) +
                         " has no value (null); Flink rejects null values in config.yaml");
        }
        if (auto ok = set(key, ConfigValue{scalar->kind, std::move(scalar->text)}); !ok) return ok;
      }
    }
    return {};
  }

  static bool plain_safe(std::string_view s) {
    if (s.empty() || java::trim(s).size() != s.size()) return false;
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s[0]) != std::string_view::npos) return false;
    for (char c : s) {
      // '?' anywhere is a flow indicator to yaml-cpp (and to SnakeYAML's emitter, which quotes it).
      if (static_cast<unsigned char>(c) < 0x20 || c == ',' || c == '[' || c == ']' || c == '{' || c == '}' ||
          c == '?') {
        return false;
      }
    }
    if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos || s.back() == ':') return false;
    // A string that would read back as another type must be quoted.
    return !is_core_null(s) && !is_core_bool(s) && !is_core_int(s) && !is_core_float(s);
  }

  static std::string flow_scalar(const Scalar& scalar) {
    if (scalar.is_null) return "null";
    if (scalar.kind == ValueKind::kFloat) {
      // snakeyaml-engine's representer: YAML's names for the values Java spells otherwise.
      if (scalar.text == "NaN") return ".nan";
      if (scalar.text == "Infinity") return ".inf";
      if (scalar.text == "-Infinity") return "-.inf";
      return scalar.text;
    }
    if (scalar.kind != ValueKind::kString || plain_safe(scalar.text)) return scalar.text;
    bool control = false;
    for (char c : scalar.text) control = control || static_cast<unsigned char>(c) < 0x20;
    if (!control) {
      std::string out = "'";
      for (char c : scalar.text) out += (c == '\'') ? std::string("''") : std::string(1, c);
      return out + "'";
    }
    std::string out = "\"";
    for (char c : scalar.text) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (u < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[u >> 4];
        out += kHex[u & 0xf];
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  // A list value as its YAML flow string ("[a, b]"), the form Flink stores lists in.
  Expected<std::string> flow_string(const YAML::Node& node, int depth) {
    if (auto ok = count(node, depth); !ok) return Unexpected{ok.error()};
    if (node.IsSequence()) {
      if (auto ok = check_collection_tag(node); !ok) return Unexpected{ok.error()};
      std::string out = "[";
      for (const auto& element : node) {
        auto item = flow_string(element, depth + 1);
        if (!item) return item;
        out += (out.size() > 1 ? ", " : "") + *item;
      }
      return out + "]";
    }
    if (node.IsMap()) {
      if (auto ok = check_collection_tag(node); !ok) return Unexpected{ok.error()};
      std::string out = "{";
      // Duplicate keys are rejected in every mapping, also in one nested in a list (`[{a: 1, a: 2}]`).
      std::set<std::pair<ValueKind, std::string>> seen;
      for (const auto& entry : node) {
        const YAML::Node key_node = entry.first;
        auto key = flow_string(key_node, depth + 1);
        if (!key) return key;
        ValueKind kind = ValueKind::kList;  // a collection key compares by its flow text
        if (key_node.IsScalar() || key_node.IsNull()) {
          auto scalar = resolve(key_node, "a key");
          if (!scalar) return Unexpected{scalar.error()};
          kind = scalar->is_null ? ValueKind::kMap : scalar->kind;
        }
        if (!seen.emplace(kind, *key).second) {
          return invalid("duplicate key in the mapping at " + line_of(node) +
                         "; Flink's YAML loader rejects duplicate keys in one mapping");
        }
        auto value = flow_string(entry.second, depth + 1);
        if (!value) return value;
        out += (out.size() > 1 ? ", " : "") + *key + ": " + *value;
      }
      return out + "}";
    }
    auto scalar = resolve(node, "a list item");
    if (!scalar) return Unexpected{scalar.error()};
    std::string text = flow_scalar(*scalar);
    // Counted per scalar as it is written (lists of aliases repeat long ones), and once more for
    // each level of nesting that copies it into its parent's text.
    if (auto ok = spend(text.size() * static_cast<size_t>(depth)); !ok) return Unexpected{ok.error()};
    return text;
  }

  std::string_view text_;
  FlinkConfig config_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

}  // namespace

Expected<ParsedConfigFile> parse_config_file(std::string_view text, ConfigFileFormat format) {
  if (format == ConfigFileFormat::kFlinkConfYaml) return parse_legacy(text);
  auto config = StandardLoader{}.load(text);
  if (!config) return Unexpected{config.error()};
  // Every member named: the standard format skips no lines and keeps no byte order mark in a key.
  return ParsedConfigFile{std::move(*config), {}, 0, std::nullopt};
}

ConfigFileFormat config_file_format_for(std::string_view file_name) {
  const size_t slash = file_name.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  return base == "config.yaml" ? ConfigFileFormat::kConfigYaml : ConfigFileFormat::kFlinkConfYaml;
}

bool is_sensitive_key(std::string_view key) {
  // GlobalConfiguration.SENSITIVE_KEYS (Flink matches them as lower-case substrings), plus
  // "credential" for cloud credential options.
  static constexpr std::array<std::string_view, 12> kSubstrings = {
      "password", "secret",     "fs.azure.account.key", "apikey",      "api-key",      "auth-params",
      "service-key", "token",   "basic-auth",           "jaas.config", "http-headers", "credential"};
  const std::string lower = ascii::lower(key);
  for (std::string_view s : kSubstrings) {
    if (lower.find(s) != std::string::npos) return true;
  }
  // "key" as a word of its own: s3.access-key, fs.s3a.access.key, ssl.private_key, accessKey.
  // Words are split at '.', '-', '_' and lower-to-upper case changes, so keystore, keytab and
  // monkey are not keys.
  size_t start = 0;
  for (size_t i = 0; i <= key.size(); ++i) {
    const bool boundary = i == key.size() || key[i] == '.' || key[i] == '-' || key[i] == '_' ||
                          (i > start && key[i] >= 'A' && key[i] <= 'Z' && key[i - 1] >= 'a' && key[i - 1] <= 'z');
    if (!boundary) continue;
    if (std::string_view(lower).substr(start, i - start) == "key") return true;
    start = (i < key.size() && key[i] >= 'A' && key[i] <= 'Z') ? i : i + 1;
  }
  return false;
}

}  // namespace memguard::memmodel
