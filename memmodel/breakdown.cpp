// The shared message formatter for memory breakdowns (see breakdown.h).
#include "memmodel/breakdown.h"

namespace memguard::memmodel {

std::string describe(const Part& part) {
  std::string out(part.label);
  if (!part.key.empty()) out += " (" + std::string(part.key) + ")";
  out += " = " + part.size.to_human();
  if (part.size.bytes() >= 1024) out += " (" + std::to_string(part.size.bytes()) + " bytes)";
  return out;
}

std::string describe(std::initializer_list<Part> parts) {
  std::string out;
  for (const Part& p : parts) {
    if (!out.empty()) out += ", ";
    out += describe(p);
  }
  return out;
}

std::string describe_sum(std::initializer_list<Part> parts) {
  std::string out;
  __extension__ unsigned __int128 total = 0;
  for (const Part& p : parts) {
    if (!out.empty()) out += " + ";
    out += describe(p);
    total += static_cast<unsigned>(0) + static_cast<uint64_t>(p.size.bytes());
  }
  if (parts.size() > 1) {
    if (total <= static_cast<uint64_t>(MemorySize::kMaxBytes)) {
      const auto sum = MemorySize::of_bytes(static_cast<int64_t>(total));
      out += " = " + sum.to_human() + " (" + std::to_string(sum.bytes()) + " bytes) in total";
    } else {
      out += " = more than 2^63-1 bytes in total";
    }
  }
  return out;
}

}  // namespace memguard::memmodel
