// JSON output for the whole project. simdjson (our one JSON library, chosen by measurement: see
// README) parses but has no writer in Debian 12's 3.0, so responses, patches and CLI output are
// produced through this small streaming writer: structure by calls, escaping in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace memguard::json {

class Writer {
 public:
  Writer() = default;
  // Room for `bytes` of output before the first reallocation (a caller that knows its size).
  explicit Writer(size_t bytes) { out_.reserve(bytes); }

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view name);
  Writer& string(std::string_view value);  // escaped; invalid UTF-8 becomes U+FFFD
  Writer& integer(int64_t value);
  Writer& number(double value);            // shortest round-trip form; NaN/Inf become null
  Writer& boolean(bool value);
  Writer& null();
  // A value that is already valid JSON text (for example a sub-document copied from input).
  Writer& raw(std::string_view json_text);

  // Convenience for `"name": value` members.
  Writer& member(std::string_view name, std::string_view value) { return key(name).string(value); }
  Writer& member(std::string_view name, const char* value) { return key(name).string(value); }
  Writer& member(std::string_view name, int64_t value) { return key(name).integer(value); }
  Writer& member(std::string_view name, int value) { return key(name).integer(value); }
  Writer& member(std::string_view name, bool value) { return key(name).boolean(value); }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  void open();
  void close();
  std::string out_;
  // Per open container: true once it holds an element (so the next needs a comma). The first 64
  // levels are bits of a word (no allocation for any document we write); deeper ones spill over.
  size_t depth_ = 0;
  uint64_t has_element_ = 0;
  std::vector<bool> deeper_has_element_;
  bool after_key_ = false;
};

// Appends `text` as a JSON string literal (with quotes) to `out`.
void append_escaped(std::string& out, std::string_view text);
// Appends `value` as Writer::number writes it: shortest round-trip form, NaN/Inf as null.
void append_number(std::string& out, double value);

}  // namespace memguard::json
