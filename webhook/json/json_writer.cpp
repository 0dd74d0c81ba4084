// The streaming JSON writer: commas, escaping and number formatting in one place.
#include "webhook/json/json_writer.h"

#include <array>

#include <charconv>
#include <cmath>

namespace memguard::json {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

// Bytes copied as they are: printable ASCII other than '"' and '\\'. A table, so that scanning a run
// costs one load and one test per byte (every response's warnings and every log line pass here).
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();
}  // namespace

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    // Plain bytes are copied a run at a time (most text is one run).
    size_t run = i;
    while (run < text.size() && kPlainByte[static_cast<unsigned char>(text[run])]) ++run;
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      out += "\\ufffd";  // never emit invalid UTF-8: the API server would reject the response
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  out.push_back('"');
}

void Writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const size_t level = depth_ - 1;
  if (level < 64) {
    const uint64_t bit = uint64_t{1} << level;
    if ((has_element_ & bit) != 0) out_.push_back(',');
    has_element_ |= bit;
  } else {
    if (deeper_has_element_[level - 64]) out_.push_back(',');
    deeper_has_element_[level - 64] = true;
  }
}

void Writer::open() {
  if (depth_ < 64) {
    has_element_ &= ~(uint64_t{1} << depth_);
  } else {
    deeper_has_element_.push_back(false);
  }
  ++depth_;
}

void Writer::close() {
  --depth_;
  if (depth_ >= 64) deeper_has_element_.pop_back();
}

Writer& Writer::begin_object() {
  before_value();
  out_.push_back('{');
  open();
  return *this;
}

Writer& Writer::end_object() {
  out_.push_back('}');
  close();
  return *this;
}

Writer& Writer::begin_array() {
  before_value();
  out_.push_back('[');
  open();
  return *this;
}

Writer& Writer::end_array() {
  out_.push_back(']');
  close();
  return *this;
}

Writer& Writer::key(std::string_view name) {
  before_value();
  append_escaped(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

Writer& Writer::string(std::string_view value) {
  before_value();
  append_escaped(out_, value);
  return *this;
}

Writer& Writer::integer(int64_t value) {
  before_value();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[32];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

Writer& Writer::number(double value) {
  before_value();
  append_number(out_, value);
  return *this;
}

Writer& Writer::boolean(bool value) {
  before_value();
  out_ += value ? "true" : "false";
  return *this;
}

Writer& Writer::null() {
  before_value();
  out_ += "null";
  return *this;
}

Writer& Writer::raw(std::string_view json_text) {
  before_value();
  out_.append(json_text);
  return *this;
}

}  // namespace memguard::json
