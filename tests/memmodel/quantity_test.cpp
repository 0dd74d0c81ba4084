// Kubernetes quantities (cases from apimachinery's quantity_test.go) and the operator's memory rule.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <tuple>

#include "memmodel/quantity.h"

using memguard::ErrorCode;
using memguard::memmodel::parse_operator_memory;
using memguard::memmodel::Quantity;
using memguard::memmodel::QuantityFormat;

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr auto kDec = QuantityFormat::kDecimalSI;
constexpr auto kBin = QuantityFormat::kBinarySI;
constexpr auto kExp = QuantityFormat::kDecimalExponent;
}  // namespace

TEST_CASE("Quantity::parse reads what Kubernetes reads, with Value() and MilliValue() rounded up",
          "[memmodel][quantity]") {
  // input, Value(), MilliValue() (saturated where Go would overflow), format
  auto [input, value, milli, format] = GENERATE(table<std::string, int64_t, int64_t, QuantityFormat>({
      {"0", 0, 0, kDec},
      {"0n", 0, 0, kDec},
      {"0m", 0, 0, kDec},
      {"0k", 0, 0, kDec},
      {"0Ki", 0, 0, kBin},
      {"0Mi", 0, 0, kBin},
      {"0Ti", 0, 0, kBin},
      {"1", 1, 1000, kDec},
      {"1Ki", 1024, 1024000, kBin},
      {"8Ki", 8192, 8192000, kBin},
      {"7Mi", 7340032, 7340032000, kBin},
      {"6Gi", 6442450944, 6442450944000, kBin},
      {"5Ti", 5497558138880, 5497558138880000, kBin},
      {"4Pi", 4503599627370496, 4503599627370496000, kBin},
      {"3Ei", 3458764513820540928, kMax, kBin},
      {"5n", 1, 1, kDec},
      {"4u", 1, 1, kDec},
      {"3m", 1, 3, kDec},
      {"2048m", 3, 2048, kDec},
      {"9", 9, 9000, kDec},
      {"8k", 8000, 8000000, kDec},
      {"50k", 50000, 50000000, kDec},
      {"7M", 7000000, 7000000000, kDec},
      {"6G", 6000000000, 6000000000000, kDec},
      {"5T", 5000000000000, 5000000000000000, kDec},
      {"300T", 300000000000000, 300000000000000000, kDec},
      {"2P", 2000000000000000, 2000000000000000000, kDec},
      {"1E", 1000000000000000000, kMax, kDec},
      {"1E-3", 1, 1, kExp},
      {"1e3", 1000, 1000000, kExp},
      {"1E6", 1000000, 1000000000, kExp},
      {"1e9", 1000000000, 1000000000000, kExp},
      {"1E18", 1000000000000000000, kMax, kExp},
      {"100.035k", 100035, 100035000, kDec},
      {"0.001", 1, 1, kDec},
      {"0.0005k", 1, 500, kDec},
      {"0.5", 1, 500, kDec},
      {"0.5e0", 1, 500, kExp},
      {"0.5e-1", 1, 50, kExp},
      {"0.5e-2", 1, 5, kExp},
      {"10.035M", 10035000, 10035000000, kDec},
      {"1.2e3", 1200, 1200000, kExp},
      {"1.3E+6", 1300000, 1300000000, kExp},
      {"1.40e9", 1400000000, 1400000000000, kExp},
      {"1.7E18", 1700000000000000000, kMax, kExp},
      {"9.01", 10, 9010, kDec},
      {"8.1k", 8100, 8100000, kDec},
      {"6.987654321G", 6987654321, 6987654321000, kDec},
      {"2.5P", 2500000000000000, 2500000000000000000, kDec},
      {"1.01E", 1010000000000000000, kMax, kDec},
      {"3.001n", 1, 1, kDec},
      {"0.0000000001", 1, 1, kDec},
      {"0.00000012345", 1, 1, kDec},
      {"9Ei", kMax, kMax, kBin},                    // binary quantities are capped at 2^63-1
      {"9223372036854775807Ki", kMax, kMax, kBin},
      {"100.035Ki", 102436, 102435840, kBin},
      {"0.5Mi", 524288, 524288000, kBin},
      {"0.05Gi", 53687092, 53687091200, kBin},
      {"0.025Ti", 27487790695, 27487790694400, kBin},
      {"0.000000000001Ki", 1, 1, kDec},              // below one: reported as DecimalSI
      {".001", 1, 1, kDec},
      {".0001k", 1, 100, kDec},
      {"1.", 1, 1000, kDec},
      {"1.G", 1000000000, 1000000000000, kDec},
      {"00017Mi", 17825792, 17825792000, kBin},
      {"-1.5", -2, -1500, kDec},                      // away from zero, as Go rounds
      {"-1Gi", -1073741824, -1073741824000, kBin},
      {"+1Gi", 1073741824, 1073741824000, kBin},
      {"-9Ei", -kMax, kMin, kBin},
      // Quirks of the Go scanner that the API server accepts, so we must too.
      {"Mi", 0, 0, kBin},
      {"Ti", 0, 0, kBin},
      {".", 0, 0, kDec},
      {"-", 0, 0, kDec},
      {"+", 0, 0, kDec},
      {"1e4294967296", 1, 1000, kExp},  // the exponent is truncated to int32 (2^32 -> 0)
  }));
  CAPTURE(input);
  auto q = Quantity::parse(input);
  REQUIRE(q.has_value());
  CHECK(q->ceil_value == value);
  CHECK(q->milli_value == milli);
  CHECK(q->format == format);
  CHECK(q->text == input);
}

TEST_CASE("Quantity::parse rejects what Kubernetes rejects", "[memmodel][quantity]") {
  auto input = GENERATE(as<std::string>{}, "", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i",
                        "-3.01i", "-3.01e-", " 1", "1 ", "1KiB", "1 Gi", "1.5.5", "1e", "1ki", "1K", "1e1.5",
                        "Non-Numeric", "1Ki3", "1EE3", "1e+", "0x10", "1,5Gi", "2GB",
                        // digit-less numbers that take Go's arbitrary-precision path
                        "Pi", "Ei", "e-10", ".e-10",
                        // exponents Go's strconv.ParseInt(s, 10, 64) refuses: 2^64 + 1 (which a parser
                        // without its overflow check wraps to 1), int64 max + 1, 2^64 - 1
                        "1e18446744073709551617", "1e9223372036854775808", "1e-18446744073709551615");
  CAPTURE(input);
  auto q = Quantity::parse(input);
  REQUIRE_FALSE(q.has_value());
  CHECK(q.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(q.error().message, Catch::Contains("is not a Kubernetes quantity"));
}

TEST_CASE("Quantity::parse reports decimal quantities beyond 64 bits as overflow",
          "[memmodel][quantity]") {
  // Kubernetes keeps such values exactly but its Value() would silently wrap; we refuse them.
  auto input = GENERATE(as<std::string>{}, "12E", "9223372036854775808", "1e19", "-9223372036854775809",
                        "100000000000000000000000000");
  CAPTURE(input);
  auto q = Quantity::parse(input);
  REQUIRE_FALSE(q.has_value());
  CHECK(q.error().code == ErrorCode::kOverflow);
  SECTION("the most negative int64 itself still fits") {
    auto min = Quantity::parse("-9223372036854775808");
    REQUIRE(min.has_value());
    CHECK(min->ceil_value == kMin);
  }
}

TEST_CASE("Quantity::parse error messages stay short for huge input", "[memmodel][quantity]") {
  const std::string huge(100000, 'x');
  auto q = Quantity::parse(huge);
  REQUIRE_FALSE(q.has_value());
  CHECK(q.error().message.size() < 400);
  auto digits = Quantity::parse("0." + std::string(50000, '0') + "1Gi");  // exact, tiny, rounds up
  REQUIRE(digits.has_value());
  CHECK(digits->ceil_value == 1);
}

TEST_CASE("parse_operator_memory gives Flink's reading precedence and flags Kubernetes disagreement",
          "[memmodel][quantity][operator]") {
  // input, bytes, parsed_by_flink, ambiguous, kubernetes_bytes
  auto [input, bytes, by_flink, ambiguous, k8s] =
      GENERATE(table<std::string, int64_t, bool, bool, int64_t>({
          {"2048m", 2147483648, true, true, 3},
          {"2g", 2147483648, true, false, -1},
          {"2G", 2147483648, true, true, 2000000000},
          {"2gb", 2147483648, true, false, -1},
          {"2 g", 2147483648, true, false, -1},
          {"500M", 524288000, true, true, 500000000},
          {"1k", 1024, true, true, 1000},
          {"1K", 1024, true, false, -1},
          {"2147483648", 2147483648, true, false, 2147483648},
          {"0", 0, true, false, 0},
          {"2Gi", 2147483648, false, false, 2147483648},
          {"2 Gi", 2147483648, false, false, -1},
          {"2gi", 2147483648, false, false, -1},
          {"2gib", 2147483648, false, false, -1},
          {"2GiB", 2147483648, false, false, -1},
          {"1KiB", 1024, false, false, -1},
          {"2048Mi", 2147483648, false, false, 2147483648},
          {"+1Gi", 1073741824, false, false, 1073741824},
          {"2e9", 2000000000, false, false, 2000000000},
          {"2P", 2000000000000000, false, false, 2000000000000000},
          {"1.Gi", 1073741824, false, false, 1073741824},
      }));
  CAPTURE(input);
  auto m = parse_operator_memory(input);
  REQUIRE(m.has_value());
  CHECK(m->size.bytes() == bytes);
  CHECK(m->parsed_by_flink == by_flink);
  CHECK(m->ambiguous == ambiguous);
  CHECK(m->kubernetes_bytes == k8s);
}

TEST_CASE("parse_operator_memory rejects fractions because fabric8 keeps the BigDecimal scale",
          "[memmodel][quantity][operator]") {
  // The operator writes getNumericalAmount().toString() into *.memory.process.size; "1.5G" becomes
  // "1500000000.0", which Flink's MemorySize cannot parse, so the deployment fails.
  auto [input, written] = GENERATE(table<std::string, std::string>({
      {"1.5G", "'1500000000.0'"},
      {"1.5g", "'1500000000.0'"},
      {"1.5Gi", "'1610612736.0'"},
      {"0.5Gi", "'536870912.0'"},
      {"1Ei", "'1.152921504606847E+18'"},  // 2^60 rounded to 16 digits by MathContext.DECIMAL64
      {"1E", "'1.000000000000000E+18'"},
      {"-1Gi", "'-1073741824'"},
  }));
  CAPTURE(input);
  auto m = parse_operator_memory(input);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(m.error().message, Catch::Contains(written));
}

TEST_CASE("parse_operator_memory rejects strings neither parser can read", "[memmodel][quantity][operator]") {
  auto input = GENERATE(as<std::string>{}, "", "   ", "abc", "1,5G", "9999999999999t", "1e3x", "Gi",
                        "2\xc3\xa9");
  CAPTURE(input);
  auto m = parse_operator_memory(input);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().code == ErrorCode::kInvalidArgument);
}
