// ASCII-only text helpers for keys, paths, units and Kubernetes quantities (never locale text):
// one copy of each, and none of the per-character cost of <cctype>'s locale look-ups or of
// find_first_of with a character set (one memchr call per character).
#pragma once

#include <string>
#include <string_view>

namespace memguard::ascii {

// The characters std::isspace accepts in the "C" locale: space, \t, \n, \v, \f, \r.
constexpr bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` without leading and trailing is_space characters.
constexpr std::string_view trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = to_lower(c);
  return out;
}

// Non-empty and every character a digit ("0", "12"; not "", "-1", "1.5").
constexpr bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// Whether `text` holds any character of `set`: one scan of `text` per character of the (small) set,
// each a memchr at run time, rather than a comparison with every character of the set per character
// of the text (JSON pointer tokens are configuration keys of tens of bytes).
constexpr bool contains_any(std::string_view text, std::string_view set) {
  for (char s : set) {
    if (text.find(s) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace memguard::ascii
