// The smallest accepted size of the configured total (see accepted_size.h).
#include "memmodel/accepted_size.h"

#include <algorithm>
#include <vector>

#include "memmodel/derived_memory.h"

namespace memguard::memmodel {

namespace {

// 16 TiB in MiB: far above any container, far below where MiB counts overflow anything.
constexpr int64_t kCeilingMib = int64_t{1} << 24;

}  // namespace

std::optional<AcceptedSize> smallest_accepted_size(Role role, const FlinkConfig& config,
                                                   const DerivationContext& context) {
  if (role == Role::kJobManager && !context.version.at_least(1, 11)) return std::nullopt;
  if (derive_memory(role, config, context)) return std::nullopt;
  const std::string prefix(role_name(role));
  const std::string process_key = prefix + ".memory.process.size";
  const std::string flink_key = prefix + ".memory.flink.size";
  const std::optional<DerivationPath> path = derivation_path(role, config, context);
  std::string key;
  if (config.contains(process_key) || path == DerivationPath::kTotalProcess) {
    key = process_key;
  } else if (config.contains(flink_key) || path == DerivationPath::kTotalFlink) {
    key = flink_key;
  } else {
    return std::nullopt;
  }
  auto accepted = [&](int64_t mib) {
    FlinkConfig probe = config;
    probe.set(key, std::to_string(mib) + "m");
    return derive_memory(role, probe, context).has_value();
  };

  std::vector<int64_t> candidates;
  for (int64_t mib = 1; mib <= kCeilingMib; mib *= 2) candidates.push_back(mib);
  // Without the varied key the derivation sizes that total itself; where the accepted sizes are a
  // narrow range (a fixed Flink memory and the overhead's [min, max]), that total lies inside it.
  FlinkConfig without = config;
  without.erase(key);
  if (auto derived = derive_memory(role, without, context)) {
    const MemorySize total = key == process_key ? derived->process_total() : derived->flink_total();
    const int64_t mib = (total.bytes() + (int64_t{1} << 20) - 1) >> 20;
    if (mib >= 1 && mib <= kCeilingMib) candidates.push_back(mib);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  int64_t rejected = 0;  // 0 MiB: no memory at all, below every candidate
  std::optional<int64_t> hit;
  for (int64_t mib : candidates) {
    if (accepted(mib)) {
      hit = mib;
      break;
    }
    rejected = mib;
  }
  if (!hit) return std::nullopt;
  // Bisection keeps `rejected` rejected and `*hit` accepted until they are 1 MiB apart.
  int64_t lo = rejected, hi = *hit;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (accepted(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return AcceptedSize{key, MemorySize::of_mebibytes(hi)};
}

}  // namespace memguard::memmodel
