// Kubernetes resource.Quantity parsing, and the Flink Kubernetes Operator's rule for
// `resource.memory` (Flink's MemorySize parser first, Kubernetes' as fallback;
// flink-on-kubernetes.md §2.3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "support/expected.h"
#include "memmodel/memory_size.h"

namespace memguard::memmodel {

enum class QuantityFormat { kDecimalSI, kBinarySI, kDecimalExponent };

struct Quantity {
  // Exact value as a rational-free decimal: value = mantissa * 10^exponent10 (binary suffixes are
  // expanded), so that 1.5Gi, 100m and 1e3 are all exact.
  // Rounded up to whole bytes as Kubernetes' Value() does when used as a byte count.
  int64_t ceil_value = 0;        // Quantity.Value(): ceil to integer
  int64_t milli_value = 0;       // Quantity.MilliValue(): ceil(value*1000)
  QuantityFormat format = QuantityFormat::kDecimalSI;
  std::string text;              // as written

  [[nodiscard]] static Expected<Quantity> parse(std::string_view text);
};

// How the operator turns `jobManager.resource.memory` into bytes for `*.memory.process.size`.
struct OperatorMemory {
  MemorySize size;
  bool parsed_by_flink = false;   // true: Flink's MemorySize read it ("2048m" = 2048 MiB)
  bool ambiguous = false;         // Flink and Kubernetes read it differently ("2048m", "2G", "1.5G")
  int64_t kubernetes_bytes = -1;  // what Kubernetes would read, when it can (-1: not a quantity)
};
[[nodiscard]] Expected<OperatorMemory> parse_operator_memory(std::string_view text);

}  // namespace memguard::memmodel
