// JSON Pointer escaping (RFC 6901) in one place, and the dotted names people read in messages.
#include "webhook/admission/pointer.h"

#include "support/ascii_text.h"

namespace memguard::admission {

namespace {

void append_escaped(std::string& out, std::string_view token) {
  out.push_back('/');
  if (!ascii::contains_any(token, "~/")) {
    out.append(token);  // the usual case: nothing to escape
    return;
  }
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
}

// Appends the escaped reference token `raw` unescaped ("~1" is '/', "~0" '~').
void append_unescaped(std::string& out, std::string_view raw) {
  if (raw.find('~') == std::string_view::npos) {
    out.append(raw);  // the usual case: nothing to unescape
    return;
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '~' && i + 1 < raw.size()) {
      out.push_back(raw[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      out.push_back(raw[i]);
    }
  }
}

}  // namespace

Pointer::Pointer(std::initializer_list<std::string_view> tokens) {
  for (std::string_view token : tokens) append_escaped(encoded_, token);
}

Pointer Pointer::child(std::string_view token) const {
  Pointer p;
  p.encoded_.reserve(encoded_.size() + 1 + token.size());  // exact unless the token needs escaping
  p.encoded_.append(encoded_);
  append_escaped(p.encoded_, token);
  return p;
}

void Pointer::push_back(std::string_view token) { append_escaped(encoded_, token); }

std::string Pointer::back() const {
  std::string last;
  size_t slash = encoded_.rfind('/');
  if (slash == std::string::npos) return last;
  append_unescaped(last, std::string_view(encoded_).substr(slash + 1));
  return last;
}

std::string field_path(const Pointer& pointer) {
  // One pass over the encoded pointer, appending each token as it is read (messages name several
  // fields per review, and a token string per token made this cost more than the message).
  const std::string_view encoded = pointer.encoded();
  std::string out;
  out.reserve(encoded.size() + 8);
  size_t at = 0;
  while (at < encoded.size()) {
    size_t end = encoded.find('/', at + 1);
    if (end == std::string_view::npos) end = encoded.size();
    const std::string_view raw = encoded.substr(at + 1, end - at - 1);
    // Array indices read as [i]; in our objects numeric tokens only ever appear under arrays
    // (containers), because map keys such as flinkConfiguration keys are never plain digits. A
    // token of digits is the same escaped or not ('~' never is a digit).
    if (ascii::all_digits(raw) && !out.empty()) {
      out.push_back('[');
      out.append(raw);
      out.push_back(']');
    } else {
      if (!out.empty()) out.push_back('.');
      append_unescaped(out, raw);
    }
    at = end;
  }
  return out;
}

}  // namespace memguard::admission
