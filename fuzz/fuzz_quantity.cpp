// Fuzzes Kubernetes quantity parsing and the operator's `resource.memory` rule: Value() and
// MilliValue() must agree with each other, and what Flink's parser reads must win.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "memmodel/memory_size.h"
#include "memmodel/quantity.h"

namespace {

using memguard::memmodel::MemorySize;
using memguard::memmodel::parse_operator_memory;
using memguard::memmodel::Quantity;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

void check_quantity(std::string_view text) {
  auto q = Quantity::parse(text);
  if (!q) {
    FUZZ_CHECK(!q.error().message.empty());
    return;
  }
  const int64_t value = q->ceil_value;
  const int64_t milli = q->milli_value;
  const std::string context = std::string(text) + " -> " + std::to_string(value) + ", " + std::to_string(milli);
  // Both round the same exact value away from zero, so they have the same sign ...
  FUZZ_CHECK((value > 0) == (milli > 0) && (value < 0) == (milli < 0), context);
  // ... and |MilliValue| = ceil(1000 |v|) lies in (1000 (|Value| - 1), 1000 |Value|] unless saturated.
  const bool saturated = value == kMax || value == kMin || value == -kMax || milli == kMax || milli == kMin ||
                         milli == -kMax;
  int64_t upper = 0;
  if (!saturated && !__builtin_mul_overflow(value < 0 ? -value : value, 1000, &upper)) {
    const int64_t magnitude = milli < 0 ? -milli : milli;
    FUZZ_CHECK(magnitude <= upper && magnitude > upper - 1000, context);
  }
  FUZZ_CHECK(q->text == text);
}

void check_operator_memory(std::string_view text) {
  auto memory = parse_operator_memory(text);
  auto flink = MemorySize::parse(text);
  if (flink) {
    // Flink's own parser wins whenever it accepts the text.
    FUZZ_CHECK(memory.has_value() && memory->parsed_by_flink && memory->size == *flink, std::string(text));
  }
  if (!memory) {
    FUZZ_CHECK(!memory.error().message.empty());
    return;
  }
  FUZZ_CHECK(memory->size.bytes() >= 0);
  FUZZ_CHECK(memory->parsed_by_flink == flink.has_value());
  FUZZ_CHECK(memory->ambiguous == (memory->kubernetes_bytes >= 0 && memory->kubernetes_bytes != memory->size.bytes()));
  if (memory->kubernetes_bytes >= 0) {
    auto q = Quantity::parse(text);
    FUZZ_CHECK(q.has_value() && q->ceil_value == memory->kubernetes_bytes, std::string(text));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_quantity(text);
  check_operator_memory(text);
  return 0;
}
