// Fuzzes Flink's scalar parsers: MemorySize::parse (and its printing and fraction product), Java's
// number parsing and printing, and FlinkVersion::parse; each result must survive a round trip.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "memmodel/flink_version.h"
#include "memmodel/java_text.h"
#include "memmodel/memory_size.h"

namespace {

using memguard::memmodel::FlinkVersion;
using memguard::memmodel::MemorySize;
namespace java = memguard::memmodel::java;

// [-+]? digits ( . digits? )? ( [eE] [-+]? digits )? : the subset where Java and strtod agree.
bool plain_decimal(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (digits() == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    digits();
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size() && s.size() < 200;
}

bool same_double(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

void check_memory_size(std::string_view text) {
  auto parsed = MemorySize::parse(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().message.empty());
    return;
  }
  const MemorySize size = *parsed;
  FUZZ_CHECK(size.bytes() >= 0);
  // Flink prints what it parses back to the same size.
  const std::string printed = size.to_flink_string();
  auto reparsed = MemorySize::parse(printed);
  FUZZ_CHECK(reparsed.has_value() && *reparsed == size, printed);
  auto bytes = MemorySize::parse(std::to_string(size.bytes()) + "b");
  FUZZ_CHECK(bytes.has_value() && *bytes == size);
  FUZZ_CHECK(!size.to_human().empty());
  FUZZ_CHECK(size.mebibytes() == size.bytes() / (1 << 20));
  // Checked arithmetic agrees with the integers.
  auto twice = size.add(size);
  FUZZ_CHECK(twice.has_value() == (size.bytes() <= MemorySize::kMaxBytes / 2));
  if (twice) {
    auto back = twice->subtract(size);
    FUZZ_CHECK(back.has_value() && *back == size);
  }
}

void check_multiply(std::string_view text, double fraction) {
  auto parsed = MemorySize::parse(text);
  if (!parsed) return;
  auto product = parsed->multiply(fraction);
  if (!(fraction >= 0) || std::isinf(fraction)) {
    FUZZ_CHECK(!product.has_value());
    return;
  }
  if (fraction <= 1.0) {
    // A fraction never grows a size; the product is the truncated exact decimal product.
    FUZZ_CHECK(product.has_value());
    FUZZ_CHECK(product->bytes() >= 0 && product->bytes() <= parsed->bytes());
    const long double approx = static_cast<long double>(parsed->bytes()) * static_cast<long double>(fraction);
    FUZZ_CHECK(std::fabs(static_cast<long double>(product->bytes()) - approx) <= 1.0L + approx * 1e-15L,
               std::to_string(parsed->bytes()) + " x " + java::double_to_string(fraction) + " = " +
                   std::to_string(product->bytes()));
  }
  if (fraction == 1.0) FUZZ_CHECK(*product == *parsed);
}

void check_java_numbers(std::string_view text) {
  auto d = java::parse_double(text);
  auto f = java::parse_float(text);
  FUZZ_CHECK(d.has_value() == f.has_value());  // the same grammar, different rounding
  const std::string plain(java::trim(text));
  if (plain_decimal(plain)) {
    // Correct rounding: the C library rounds decimal text correctly too.
    FUZZ_CHECK(d.has_value() && same_double(*d, std::strtod(plain.c_str(), nullptr)), plain);
    const float c = std::strtof(plain.c_str(), nullptr);
    FUZZ_CHECK(f.has_value() && (std::memcmp(&*f, &c, sizeof c) == 0), plain);
  }
  if (d && std::isfinite(*d)) {
    // Double.toString prints the shortest text that reads back as the same double.
    const std::string printed = java::double_to_string(*d);
    auto back = java::parse_double(printed);
    FUZZ_CHECK(back.has_value() && same_double(*back, *d), printed);
    if (!std::signbit(*d)) {  // shortest_decimal takes non-negative values, -0.0 is not one
      const java::Decimal dec = java::shortest_decimal(*d);
      const std::string sci = "0." + dec.digits + "e" + std::to_string(dec.point);
      FUZZ_CHECK(same_double(std::strtod(sci.c_str(), nullptr), *d), sci);
    }
  }
  auto l = java::parse_long(text);
  auto i = java::parse_int(text);
  if (i) FUZZ_CHECK(l.has_value() && *l == *i);
  if (l) {
    // Long.parseLong takes a sign and ASCII digits, nothing else (no whitespace, no underscores).
    for (size_t k = 0; k < text.size(); ++k) {
      FUZZ_CHECK((text[k] >= '0' && text[k] <= '9') || (k == 0 && (text[k] == '-' || text[k] == '+')));
    }
    auto again = java::parse_long(std::to_string(*l));
    FUZZ_CHECK(again.has_value() && *again == *l);
    FUZZ_CHECK(i.has_value() == (*l >= INT32_MIN && *l <= INT32_MAX));
  }
}

void check_version(std::string_view text) {
  auto v = FlinkVersion::parse(text);
  if (!v) return;
  FUZZ_CHECK(v->at_least(1, 10) && v->major <= 2 && v->minor >= 0 && v->patch >= 0);
  auto back = FlinkVersion::parse(v->to_string());
  FUZZ_CHECK(back.has_value() && *back == *v, v->to_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_memory_size(text);
  check_java_numbers(text);
  check_version(text);
  // Split at the first '*' into a size and a fraction: "1280m*0.4".
  if (const size_t star = text.find('*'); star != std::string_view::npos) {
    if (auto fraction = java::parse_double(text.substr(star + 1))) check_multiply(text.substr(0, star), *fraction);
    if (auto fraction = java::parse_float(text.substr(star + 1))) check_multiply(text.substr(0, star), *fraction);
  }
  return 0;
}
