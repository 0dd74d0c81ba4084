// Reading HTTP header values: optional whitespace trimmed (RFC 9110 5.6.3) and tokens compared
// case-insensitively, in one place for the request guard and the route table.
#pragma once

#include <string_view>

#include <boost/beast/core/string.hpp>

namespace memguard::server {

// A field value without the spaces and tabs around it.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a header value, less its optional whitespace, is `token` in any case.
inline bool header_value_is(std::string_view value, std::string_view token) {
  return boost::beast::iequals(trim_ows(value), token);
}

}  // namespace memguard::server
