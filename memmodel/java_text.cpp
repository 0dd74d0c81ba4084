// Java number parsing/printing and String/HashMap hashing (see java_text.h for why they matter).
#include "memmodel/java_text.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <type_traits>
#include <unordered_set>

namespace memguard::memmodel::java {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

Unexpected number_format(std::string_view text, std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument,
                    "'" + std::string(text) + "' is not a valid " + std::string(what));
}

// Adds a digit to a decimal exponent while keeping it far from int64 overflow; any exponent this
// large already means infinity or zero.
int64_t accumulate_exponent(int64_t exp, char digit) {
  constexpr int64_t kClamp = 1'000'000'000'000LL;
  return std::min(kClamp, exp * 10 + (digit - '0'));
}

// Java's FloatingDecimal grammar, normalised into a locale-free text strtof/strtod understand:
// "[-]DIGITSeEXP" (no decimal point) or "[-]0xHEXpEXP". Returns false when Java would throw.
bool normalise_java_float(std::string_view text, std::string& out, bool& nan, int& infinity_sign) {
  std::string_view s = trim(text);
  nan = false;
  infinity_sign = 0;
  out.clear();
  if (s.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++i;
  }
  std::string_view rest = s.substr(i);
  if (!rest.empty() && rest[0] == 'N') {
    nan = rest == "NaN";
    return nan;
  }
  if (!rest.empty() && rest[0] == 'I') {
    if (rest != "Infinity") return false;
    infinity_sign = negative ? -1 : 1;
    return true;
  }
  if (negative) out.push_back('-');
  // Hexadecimal: 0x<hex>[.<hex>]p[+-]<dec>[fFdD]
  if (rest.size() >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')) {
    size_t j = 2;
    std::string mantissa;
    size_t fraction_digits = 0;
    while (j < rest.size() && is_hex_digit(rest[j])) mantissa.push_back(rest[j++]);
    if (j < rest.size() && rest[j] == '.') {
      ++j;
      while (j < rest.size() && is_hex_digit(rest[j])) {
        mantissa.push_back(rest[j++]);
        ++fraction_digits;
      }
    }
    if (mantissa.empty()) return false;
    if (j >= rest.size() || (rest[j] != 'p' && rest[j] != 'P')) return false;
    ++j;
    bool exp_negative = false;
    if (j < rest.size() && (rest[j] == '+' || rest[j] == '-')) exp_negative = rest[j++] == '-';
    if (j >= rest.size() || !is_digit(rest[j])) return false;
    int64_t exp = 0;
    while (j < rest.size() && is_digit(rest[j])) exp = accumulate_exponent(exp, rest[j++]);
    if (j < rest.size()) {
      if (j != rest.size() - 1) return false;
      char t = rest[j];
      if (t != 'f' && t != 'F' && t != 'd' && t != 'D') return false;
    }
    int64_t binary_exp = (exp_negative ? -exp : exp) - 4 * static_cast<int64_t>(fraction_digits);
    binary_exp = std::clamp<int64_t>(binary_exp, -999'999'999, 999'999'999);
    out += "0x" + mantissa + "p" + std::to_string(binary_exp);
    return true;
  }
  // Decimal: <dec>[.<dec>] or .<dec>, then optional e[+-]<dec>, optional fFdD.
  size_t j = 0;
  std::string mantissa;
  size_t fraction_digits = 0;
  while (j < rest.size() && is_digit(rest[j])) mantissa.push_back(rest[j++]);
  if (j < rest.size() && rest[j] == '.') {
    ++j;
    while (j < rest.size() && is_digit(rest[j])) {
      mantissa.push_back(rest[j++]);
      ++fraction_digits;
    }
  }
  if (mantissa.empty()) return false;
  int64_t exp = 0;
  if (j < rest.size() && (rest[j] == 'e' || rest[j] == 'E')) {
    ++j;
    bool exp_negative = false;
    if (j < rest.size() && (rest[j] == '+' || rest[j] == '-')) exp_negative = rest[j++] == '-';
    if (j >= rest.size() || !is_digit(rest[j])) return false;
    while (j < rest.size() && is_digit(rest[j])) exp = accumulate_exponent(exp, rest[j++]);
    if (exp_negative) exp = -exp;
  }
  if (j < rest.size()) {
    if (j != rest.size() - 1) return false;
    char t = rest[j];
    if (t != 'f' && t != 'F' && t != 'd' && t != 'D') return false;
  }
  int64_t decimal_exp = exp - static_cast<int64_t>(fraction_digits);
  decimal_exp = std::clamp<int64_t>(decimal_exp, -999'999'999, 999'999'999);
  out += mantissa + "e" + std::to_string(decimal_exp);
  return true;
}

template <class T>
Expected<T> parse_java_floating(std::string_view text, std::string_view type_name) {
  std::string normalised;
  bool nan = false;
  int infinity_sign = 0;
  if (!normalise_java_float(text, normalised, nan, infinity_sign)) return number_format(text, type_name);
  if (nan) return std::numeric_limits<T>::quiet_NaN();
  if (infinity_sign != 0) return static_cast<T>(infinity_sign) * std::numeric_limits<T>::infinity();
  // strtof/strtod are correctly rounded (glibc) and see no locale-dependent characters here;
  // ERANGE still yields Java's answer (infinity or a correctly rounded tiny/zero value).
  errno = 0;
  if constexpr (std::is_same_v<T, float>) {
    return std::strtof(normalised.c_str(), nullptr);
  } else {
    return std::strtod(normalised.c_str(), nullptr);
  }
}

template <class T>
Expected<T> parse_java_integer(std::string_view text, std::string_view type_name) {
  if (text.empty()) return number_format(text, type_name);
  size_t i = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++i;
  }
  if (i == text.size()) return number_format(text, type_name);
  // Accumulate negatively so that MIN_VALUE parses, as Java does.
  __extension__ using Wide = __int128;
  Wide value = 0;
  for (; i < text.size(); ++i) {
    if (!is_digit(text[i])) return number_format(text, type_name);
    value = value * 10 - (text[i] - '0');
    if (value < static_cast<Wide>(std::numeric_limits<T>::min()) - 1) return number_format(text, type_name);
  }
  if (!negative) value = -value;
  if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max())
    return number_format(text, std::string(type_name) + " (out of range)");
  return static_cast<T>(value);
}

}  // namespace

std::string_view trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && static_cast<unsigned char>(text[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(text[end - 1]) <= 0x20) --end;
  return text.substr(begin, end - begin);
}

Expected<float> parse_float(std::string_view text) { return parse_java_floating<float>(text, "float"); }
Expected<double> parse_double(std::string_view text) { return parse_java_floating<double>(text, "double"); }
Expected<int32_t> parse_int(std::string_view text) { return parse_java_integer<int32_t>(text, "integer"); }
Expected<int64_t> parse_long(std::string_view text) { return parse_java_integer<int64_t>(text, "long integer"); }

namespace {

// The shortest digits of `value` (not zero), printed and read back: about 850 instructions.
DecimalDigits print_shortest_digits(double value) {
  DecimalDigits result;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  (void)ec;  // 64 chars always suffice for a double
  const std::string_view s(buf, static_cast<size_t>(end - buf));
  const size_t e = s.find('e');
  int count = 0, trailing_zeros = 0;
  for (char c : s.substr(0, e)) {
    if (!is_digit(c)) continue;
    result.significand = result.significand * 10 + static_cast<uint64_t>(c - '0');
    ++count;
    trailing_zeros = c == '0' ? trailing_zeros + 1 : 0;
  }
  for (int i = 0; i < trailing_zeros && count > 1; ++i, --count) result.significand /= 10;
  int exponent = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exponent);
  // d.ddd x 10^exponent with `count` digits = significand x 10^(exponent - count + 1)
  result.exponent = exponent - count + 1;
  return result;
}

}  // namespace

DecimalDigits shortest_digits(double value) {
  if (value == 0) return DecimalDigits{};
  // A derivation multiplies by the same few fractions (the managed, network and overhead fractions,
  // their defaults) about seven times per role: the digits of the last fractions seen are kept, in a
  // small table of each thread (bounded, and no lock), keyed by the double's exact bits.
  struct Remembered {
    std::uint64_t bits = 0;  // 0 is +0.0, which never gets here: an empty slot
    DecimalDigits digits;
  };
  constexpr size_t kSlots = 16;
  thread_local std::array<Remembered, kSlots> remembered{};
  const auto bits = std::bit_cast<std::uint64_t>(value);
  Remembered& slot = remembered[(bits * 0x9E3779B97F4A7C15ull) >> 60];
  static_assert(kSlots == 16, "the slot is the hash's top four bits");
  if (slot.bits == bits) return slot.digits;
  const DecimalDigits digits = print_shortest_digits(value);
  slot = Remembered{bits, digits};
  return digits;
}

Decimal shortest_decimal(double value) {
  const DecimalDigits d = shortest_digits(value);
  Decimal result;
  result.digits = std::to_string(d.significand);  // "0" for zero
  result.point = d.exponent + static_cast<int>(result.digits.size());
  return result;
}

namespace {

// Double.toString's layout of a shortest decimal, which Float.toString shares: plain from 10^-3 up to
// 10^7, "d.dddE<n>" outside it.
std::string java_layout(std::string sign, double magnitude, const Decimal& d) {
  std::string out = std::move(sign);
  const int n = static_cast<int>(d.digits.size());
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (d.point <= 0) {
      out += "0." + std::string(static_cast<size_t>(-d.point), '0') + d.digits;
    } else if (d.point >= n) {
      out += d.digits + std::string(static_cast<size_t>(d.point - n), '0') + ".0";
    } else {
      out += d.digits.substr(0, static_cast<size_t>(d.point)) + "." + d.digits.substr(static_cast<size_t>(d.point));
    }
    return out;
  }
  out += d.digits.substr(0, 1) + ".";
  out += n > 1 ? d.digits.substr(1) : "0";
  out += "E" + std::to_string(d.point - 1);
  return out;
}

// The shortest digits that read back as this float ("1.5e-01" -> digits 15, point 0); in E-notation
// at least two, the second the nearest one, as Java writes it.
Decimal shortest_float_decimal(float value) {
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific);
  const std::string_view scientific(text, static_cast<size_t>(written.ptr - text));
  const size_t e = scientific.find('e');
  Decimal d;
  for (char c : scientific.substr(0, e)) {
    if (c != '.') d.digits.push_back(c);
  }
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  d.point = std::atoi(std::string(scientific.substr(e + 1)).c_str()) + 1;
  // "d.dE<n>" has a second digit even where one is enough; Java writes the nearest one there, which is
  // not always 0 where a float is far apart from its neighbours (Float.MIN_VALUE: 1.4E-45, not 1.0E-45).
  const bool plain = value >= 1e-3f && value < 1e7f;
  if (!plain && d.digits.size() == 1) {
    const auto two = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific, 1);
    const std::string_view rounded(text, static_cast<size_t>(two.ptr - text));  // "1.4e-45"
    d.digits = {rounded[0], rounded[2]};
    if (d.digits[1] == '0') d.digits.pop_back();
    d.point = std::atoi(std::string(rounded.substr(rounded.find('e') + 1)).c_str()) + 1;
  }
  return d;
}

// Double.toString and Float.toString: NaN, the infinities, a signed zero, else the sign and the
// layout of `shortest` (the type's own shortest decimal) of the magnitude.
template <class Real>
std::string java_real_to_string(Real value, Decimal (*shortest)(Real)) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  std::string sign = std::signbit(value) ? "-" : "";
  value = std::fabs(value);
  if (value == 0) return sign + "0.0";
  return java_layout(std::move(sign), static_cast<double>(value), shortest(value));
}

}  // namespace

std::string double_to_string(double value) { return java_real_to_string(value, &shortest_decimal); }

std::string float_to_string(float value) { return java_real_to_string(value, &shortest_float_decimal); }

int32_t string_hash(std::string_view text) {
  uint32_t h = 0;
  auto add_unit = [&h](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0x80 && c < 0xC0) {
      cp = 0xFFFD;  // stray continuation byte
    } else if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    }
    if (len > 1 && i + len <= text.size()) {
      bool valid = true;
      for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xC0u) != 0x80u) valid = false;
        cp = (cp << 6) | (cc & 0x3Fu);
      }
      if (!valid) {
        len = 1;
        cp = 0xFFFD;  // Java's decoder replaces malformed input
      }
    } else if (len > 1) {
      len = 1;
      cp = 0xFFFD;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add_unit(0xD800 + (cp >> 10));
      add_unit(0xDC00 + (cp & 0x3FF));
    } else {
      add_unit(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

std::vector<size_t> hash_map_order(const std::vector<std::string>& keys) {
  // Distinct keys in first-insertion order; the table doubles when size exceeds 0.75 x capacity.
  std::vector<size_t> distinct;
  std::unordered_set<std::string_view> seen;  // hashed: n keys cost O(n), not O(n^2)
  seen.reserve(keys.size());
  size_t capacity = 16;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!seen.insert(keys[i]).second) continue;
    distinct.push_back(i);
    if (distinct.size() > capacity * 3 / 4) capacity *= 2;
  }
  auto bucket = [&](size_t i) {
    const auto h = static_cast<uint32_t>(string_hash(keys[i]));
    return (h ^ (h >> 16)) & (capacity - 1);
  };
  // Resizing splits each bucket preserving relative order, so each final bucket lists its
  // entries in insertion order.
  std::stable_sort(distinct.begin(), distinct.end(), [&](size_t a, size_t b) { return bucket(a) < bucket(b); });
  return distinct;
}

}  // namespace memguard::memmodel::java
