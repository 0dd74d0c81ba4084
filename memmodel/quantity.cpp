// Kubernetes resource.Quantity parsing (apimachinery quantity.go, byte-exact) and the Flink
// Kubernetes Operator's reading of `resource.memory` (Flink first, fabric8 Quantity as fallback).
#include "memmodel/quantity.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace memguard::memmodel {
namespace {

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool contains_digit(std::string_view s) {
  for (char c : s) {
    if (is_digit(c)) return true;
  }
  return false;
}

// User text goes into error messages; keep it short and printable so a message stays one line.
std::string quoted(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

std::string strip_leading_zeros(std::string_view digits) {
  size_t i = 0;
  while (i < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

// digits (base 10, most significant first) * factor; factor <= ~1.2e15 keeps every step in uint64.
std::string multiply_digits(std::string_view digits, uint64_t factor) {
  std::string out(digits.size(), '0');
  uint64_t carry = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    const uint64_t cur = static_cast<uint64_t>(digits[i] - '0') * factor + carry;
    out[i] = static_cast<char>('0' + cur % 10);
    carry = cur / 10;
  }
  std::string head;
  while (carry > 0) {
    head.insert(head.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
  return strip_leading_zeros(head + out);
}

// ceil(digits * 10^exp10), i.e. rounded away from zero as Quantity.ScaledValue does on a magnitude;
// nullopt when it exceeds `limit`. `digits` has no leading zeros (empty means zero).
std::optional<uint64_t> ceil_magnitude(const std::string& digits, int64_t exp10, uint64_t limit) {
  if (digits.empty()) return 0;
  std::string_view integer = digits;
  bool fraction = false;
  if (exp10 >= 0) {
    if (static_cast<int64_t>(digits.size()) + exp10 > 19) return std::nullopt;
  } else {
    const auto cut = static_cast<uint64_t>(-exp10);
    if (cut >= digits.size()) {
      integer = {};
      fraction = true;  // digits has no leading zeros, so the fraction is non-zero
    } else {
      integer = std::string_view(digits).substr(0, digits.size() - cut);
      fraction = digits.find_first_not_of('0', digits.size() - cut) != std::string::npos;
    }
    if (integer.size() > 19) return std::nullopt;
  }
  uint64_t value = 0;  // at most 19 digits plus the exponent's zeros below: < 10^19 < 2^64
  for (char c : integer) value = value * 10 + static_cast<uint64_t>(c - '0');
  for (int64_t i = 0; exp10 > 0 && i < exp10; ++i) value *= 10;
  if (fraction) ++value;
  if (value > limit) return std::nullopt;
  return value;
}

struct Suffix {
  int base = 10;
  int32_t exponent = 0;
  QuantityFormat format = QuantityFormat::kDecimalSI;
};

// Go strconv.ParseInt(s, 10, 64): optional sign, at least one digit, no other characters.
std::optional<int64_t> go_parse_int64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    if (magnitude > (kInt64Max + 1 - d) / 10) return std::nullopt;
    magnitude = magnitude * 10 + d;
  }
  if (!negative && magnitude > kInt64Max) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

// suffixer.interpret: the decimal and binary tables, then e/E<signed int> (truncated to int32 as
// Kubernetes does).
std::optional<Suffix> interpret_suffix(std::string_view s) {
  struct Entry {
    std::string_view text;
    int base;
    int32_t exponent;
  };
  static constexpr Entry kDecimal[] = {{"", 10, 0},  {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3},
                                       {"k", 10, 3}, {"M", 10, 6},  {"G", 10, 9},  {"T", 10, 12},
                                       {"P", 10, 15}, {"E", 10, 18}};
  static constexpr Entry kBinary[] = {{"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30},
                                      {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60}};
  for (const auto& e : kDecimal) {
    if (s == e.text) return Suffix{e.base, e.exponent, QuantityFormat::kDecimalSI};
  }
  for (const auto& e : kBinary) {
    if (s == e.text) return Suffix{e.base, e.exponent, QuantityFormat::kBinarySI};
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    auto parsed = go_parse_int64(s.substr(1));
    if (!parsed) return std::nullopt;
    return Suffix{10, static_cast<int32_t>(*parsed), QuantityFormat::kDecimalExponent};
  }
  return std::nullopt;
}

constexpr std::string_view kSuffixChars = "eEinumkKMGTP";

}  // namespace

Expected<Quantity> Quantity::parse(std::string_view text) {
  const auto invalid = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      quoted(text) + " is not a Kubernetes quantity: " + std::string(why));
  };
  constexpr std::string_view kShape =
      "it must be a number (optionally signed, with an optional fraction) followed by one of the "
      "suffixes Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or e<exponent>, with no spaces";
  if (text.empty()) return invalid("it is empty");

  Quantity q;
  q.text = std::string(text);
  if (text == "0") return q;

  // parseQuantityString: sign, leading zeros, integer digits, optional '.' and fraction digits,
  // then suffix letters, an optional sign and exponent digits. Anything left over is an error.
  size_t pos = 0;
  const size_t end = text.size();
  bool positive = true;
  if (text[0] == '-' || text[0] == '+') {
    positive = text[0] == '+';
    ++pos;
  }
  const size_t zeros_start = pos;
  while (pos < end && text[pos] == '0') ++pos;
  const bool had_zeros = pos > zeros_start;
  if (pos == end) return q;  // "-", "+", "000": zero, as Kubernetes reads them
  const size_t num_start = pos;
  while (pos < end && is_digit(text[pos])) ++pos;
  const std::string_view num = text.substr(num_start, pos - num_start);
  std::string_view denom;
  if (pos < end && text[pos] == '.') {
    const size_t denom_start = ++pos;
    while (pos < end && is_digit(text[pos])) ++pos;
    denom = text.substr(denom_start, pos - denom_start);
  }
  const size_t suffix_start = pos;
  while (pos < end && kSuffixChars.find(text[pos]) != std::string_view::npos) ++pos;
  if (pos < end && (text[pos] == '-' || text[pos] == '+')) ++pos;
  while (pos < end && is_digit(text[pos])) ++pos;
  if (pos != end) return invalid(kShape);

  const auto suffix = interpret_suffix(text.substr(suffix_start));
  if (!suffix) return invalid("unknown suffix " + quoted(text.substr(suffix_start)) + "; " + std::string(kShape));
  q.format = suffix->format;

  // Kubernetes takes an int64 fast path or an arbitrary-precision slow path. Both give the same
  // value, except that the slow path rejects a number without any digit ("Pi", "e-10") that the
  // fast path reads as zero ("Mi", "."). Mirror which path is taken to mirror that quirk.
  const auto num_len = static_cast<int32_t>(num.empty() ? 1 : num.size());
  const auto denom_len = static_cast<int32_t>(denom.size());
  bool slow = false;
  if (suffix->base == 10) {
    const int32_t precision = 18 - (num_len + denom_len);
    const int64_t scale = static_cast<int64_t>(suffix->exponent) - denom_len;
    slow = precision < 0 || scale < -9;
  } else if (!denom.empty()) {
    slow = true;
  } else {
    const auto approx_digits = static_cast<int32_t>(static_cast<float>(suffix->exponent) * 3 / 10);
    slow = 15 - num_len - approx_digits - 1 < 0;
  }
  const bool digitless = !had_zeros && num.empty() && denom.empty();
  if (slow && digitless) return invalid("unable to parse numeric part of quantity");

  // Exact value = digits * 10^exp10 (binary suffixes multiplied out), as a magnitude plus sign.
  std::string digits = strip_leading_zeros(std::string(num) + std::string(denom));
  int64_t exp10 = -static_cast<int64_t>(denom.size());
  if (suffix->base == 10) {
    exp10 += suffix->exponent;
  } else {
    digits = multiply_digits(digits, uint64_t{1} << (suffix->exponent / 2));
    digits = multiply_digits(digits, uint64_t{1} << (suffix->exponent - suffix->exponent / 2));
  }

  // Binary quantities are capped at 2^63-1 when parsed; decimal ones are not, and their Value()
  // would silently overflow in Go, so they are an error here.
  const bool capped = suffix->base == 2 && !ceil_magnitude(digits, exp10, kInt64Max).has_value() &&
                      !(digits.empty());
  // A fractional binary quantity below one (after rounding up to 1n) is reported as DecimalSI.
  if (q.format == QuantityFormat::kBinarySI && !digits.empty()) {
    const auto nanos = ceil_magnitude(digits, exp10 + 9, 999'999'999);
    if (nanos.has_value()) q.format = QuantityFormat::kDecimalSI;
  }

  const uint64_t value_limit = positive ? kInt64Max : kInt64Max + 1;
  const auto magnitude = capped ? std::optional<uint64_t>(kInt64Max) : ceil_magnitude(digits, exp10, value_limit);
  if (!magnitude) {
    return make_error(ErrorCode::kOverflow,
                      quoted(text) + " is outside the 64-bit range Kubernetes can convert to an integer");
  }
  const auto milli = capped ? std::nullopt : ceil_magnitude(digits, exp10 + 3, value_limit);
  const auto to_signed = [&](uint64_t m) {
    return positive ? static_cast<int64_t>(m) : static_cast<int64_t>(0 - m);
  };
  q.ceil_value = to_signed(*magnitude);
  // MilliValue() overflows silently in Kubernetes; saturate instead (only CPU reads milli values).
  q.milli_value = milli ? to_signed(*milli)
                        : (positive ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min());
  return q;
}

namespace {

// java.math.BigDecimal as (sign, unscaled digits, scale): value = unscaled * 10^-scale.
struct JavaDecimal {
  bool negative = false;
  std::string unscaled;  // no leading zeros; empty means zero
  int64_t scale = 0;
};

// new BigDecimal(String) for what fabric8 can hand it here: sign, digits, '.', digits.
std::optional<JavaDecimal> java_big_decimal(std::string_view s) {
  JavaDecimal d;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    d.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  bool point = false;
  for (char c : s) {
    if (is_digit(c)) {
      digits += c;
      if (point) ++d.scale;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  d.unscaled = strip_leading_zeros(digits);
  return d;
}

// BigDecimal.toString(): plain when scale is 0, or positive with adjusted exponent >= -6;
// scientific ("1.5E+9") otherwise.
std::string java_to_string(const JavaDecimal& d) {
  const std::string digits = d.unscaled.empty() ? "0" : d.unscaled;
  const std::string sign = d.negative && !d.unscaled.empty() ? "-" : "";
  const int64_t adjusted = -d.scale + static_cast<int64_t>(digits.size()) - 1;
  if (d.scale == 0) return sign + digits;
  if (d.scale > 0 && adjusted >= -6) {
    const auto scale = static_cast<size_t>(d.scale);
    if (digits.size() > scale) return sign + digits.substr(0, digits.size() - scale) + "." + digits.substr(digits.size() - scale);
    return sign + "0." + std::string(scale - digits.size(), '0') + digits;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  return sign + mantissa + "E" + (adjusted >= 0 ? "+" : "") + std::to_string(adjusted);
}

// 10^n as BigDecimal.pow(n, MathContext.DECIMAL64) leaves it: 16 significant digits at most.
JavaDecimal pow10_decimal64(int64_t n) {
  if (n < 0) return {false, "1", -n};
  if (n <= 15) return {false, "1" + std::string(static_cast<size_t>(n), '0'), 0};
  return {false, "1" + std::string(15, '0'), 15 - n};
}

// fabric8 Quantity.getAmountInBytes for the operator's normalised string; the error says why not.
Expected<JavaDecimal> fabric8_amount(const std::string& s, std::string_view original) {
  const auto invalid = [&](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      quoted(original) + " is not a memory size the Flink Kubernetes Operator accepts: " +
                          "Flink's MemorySize rejects it and its Kubernetes-quantity fallback (reading " +
                          quoted(s) + ") " + std::string(why));
  };
  if (s.empty()) return invalid("is empty");
  const size_t unit = s.find_first_of(kSuffixChars);
  std::string amount = s.substr(0, unit == std::string::npos ? s.size() : unit);
  const std::string format = unit == std::string::npos ? std::string() : s.substr(unit);
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (contains_digit(format) && alpha(format.back())) return invalid("has an invalid exponent suffix");
  if (!amount.empty() && amount[0] == '.') amount = "0" + amount;
  auto digit = java_big_decimal(amount);
  if (!digit) return invalid("has no valid number before its unit");

  JavaDecimal multiple{false, "1", 0};
  if (contains_digit(format) && format.size() > 1) {
    auto exponent = go_parse_int64(format.substr(1));  // Java Integer.parseInt: same grammar
    if (!exponent || *exponent < -999'999'999 || *exponent > 999'999'999) return invalid("has an invalid exponent");
    multiple = pow10_decimal64(*exponent);
  } else if (!format.empty()) {
    struct Entry {
      std::string_view text;
      JavaDecimal value;
    };
    const Entry table[] = {
        {"Ki", {false, "1024", 0}},
        {"Mi", {false, "1048576", 0}},
        {"Gi", {false, "1073741824", 0}},
        {"Ti", {false, "1099511627776", 0}},
        {"Pi", {false, "1125899906842624", 0}},
        {"Ei", {false, "1152921504606847", -3}},  // 2^60 rounded to 16 digits by DECIMAL64
        {"n", pow10_decimal64(-9)}, {"u", pow10_decimal64(-6)}, {"m", pow10_decimal64(-3)},
        {"k", pow10_decimal64(3)},  {"M", pow10_decimal64(6)},  {"G", pow10_decimal64(9)},
        {"T", pow10_decimal64(12)}, {"P", pow10_decimal64(15)}, {"E", pow10_decimal64(18)},
    };
    bool found = false;
    for (const auto& e : table) {
      if (format == e.text) {
        multiple = e.value;
        found = true;
      }
    }
    if (!found) return invalid("has the unknown unit " + quoted(format));
  }
  JavaDecimal product;
  product.negative = digit->negative;
  product.unscaled = digit->unscaled.empty() ? std::string() : multiply_digits(digit->unscaled, std::stoull(multiple.unscaled));
  product.scale = digit->scale + multiple.scale;
  return product;
}

}  // namespace

Expected<OperatorMemory> parse_operator_memory(std::string_view text) {
  OperatorMemory out;
  if (auto k8s = Quantity::parse(text); k8s.has_value() && k8s->ceil_value >= 0) {
    out.kubernetes_bytes = k8s->ceil_value;
  }

  if (auto flink = MemorySize::parse(text); flink.has_value()) {
    out.size = *flink;
    out.parsed_by_flink = true;
  } else {
    // ResourceConfigUtils.formatMemoryStringForK8sSpec: trim, drop all whitespace, upper-case,
    // drop one trailing 'B', turn a trailing 'I' back into 'i'.
    std::string s;
    for (char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) {
        return make_error(ErrorCode::kInvalidArgument,
                          quoted(text) + " is not a memory size: it contains non-ASCII characters");
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') continue;
      if (u <= 0x20 && s.empty()) continue;  // String.trim() also drops other leading controls
      s += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.pop_back();
    if (!s.empty() && s.back() == 'B') s.pop_back();
    if (!s.empty() && s.back() == 'I') s.back() = 'i';

    auto amount = fabric8_amount(s, text);
    if (!amount) return Unexpected{amount.error()};
    // The operator writes BigDecimal.toString() into *.memory.process.size, which Flink then parses
    // again with MemorySize: only a plain non-negative integer survives ("1.5G" -> "1500000000.0").
    const std::string written = java_to_string(*amount);
    const bool plain = amount->scale == 0 && !(amount->negative && !amount->unscaled.empty());
    const auto bytes = plain ? ceil_magnitude(amount->unscaled, 0, kInt64Max) : std::nullopt;
    if (!bytes) {
      std::string hint = out.kubernetes_bytes >= 0
                             ? " (Kubernetes reads it as " + std::to_string(out.kubernetes_bytes) + " bytes)"
                             : std::string();
      return make_error(ErrorCode::kInvalidArgument,
                        quoted(text) + " is not a memory size the Flink Kubernetes Operator accepts: Flink's "
                                       "MemorySize rejects it, and the operator's Kubernetes-quantity fallback "
                                       "turns it into " + quoted(written) +
                            ", which Flink cannot parse as a memory size either" + hint +
                            "; write a whole number with a unit, e.g. '1536m' or '2Gi'");
    }
    out.size = MemorySize::of_bytes(static_cast<int64_t>(*bytes));
  }
  out.ambiguous = out.kubernetes_bytes >= 0 && out.kubernetes_bytes != out.size.bytes();
  return out;
}

}  // namespace memguard::memmodel
