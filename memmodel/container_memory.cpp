// Kubernetes container memory as Flink's native integration sizes it (spec §8): request in whole
// MiB (floor) of the process size, limit = (int)(request x limit-factor) MiB since 1.15.
#include <cmath>
#include <limits>

#include "memmodel/config_options.h"
#include "memmodel/derivation.h"
#include "memmodel/java_text.h"

namespace memguard::memmodel {

Expected<ContainerMemory> container_memory(Role role, MemorySize process_total, const FlinkConfig& config,
                                           const FlinkVersion& version) {
  ContainerMemory result;
  result.request_mib = process_total.mebibytes();
  if (result.request_mib > std::numeric_limits<int32_t>::max()) {
    // getMebiBytes() is a checked int cast in Flink.
    return make_error(ErrorCode::kIllegalConfiguration,
                      "the process size " + process_total.to_human() + " is too large for a container (more than "
                      "2^31-1 MiB); lower the process size");
  }
  if (!version.at_least(1, 15)) {
    result.limit_mib = result.request_mib;
    return result;
  }
  const DoubleOption factor_option{
      {role == Role::kTaskManager ? "kubernetes.taskmanager.memory.limit-factor" : "kubernetes.jobmanager.memory.limit-factor"},
      1.0};
  const ConfigReader reader(config);
  auto factor = reader.read(factor_option);
  if (!factor) return Unexpected{factor.error()};
  if (!(*factor >= 1.0)) {
    return make_error(ErrorCode::kIllegalConfiguration,
                      std::string(factor_option.name.key) + " = " + java::double_to_string(*factor) +
                          " should be greater or equal to 1 (the memory limit may not be below the request); "
                          "remove it or set 1.0 or more");
  }
  result.limit_factor = *factor;
  // Java: (int) (mib * factor) -- the request is an int, the product a double, cast saturates.
  const double limit = static_cast<double>(static_cast<int32_t>(result.request_mib)) * *factor;
  result.limit_mib = limit >= static_cast<double>(std::numeric_limits<int32_t>::max())
                         ? std::numeric_limits<int32_t>::max()
                         : static_cast<int64_t>(static_cast<int32_t>(limit));
  return result;
}

}  // namespace memguard::memmodel
