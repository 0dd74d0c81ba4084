// Finding codes to and from their stable names.
#include "webhook/engine/finding.h"

namespace memguard::engine {

std::string_view finding_code_name(FindingCode code) {
  switch (code) {
    case FindingCode::kMemoryConfigRejected: return "memory-config-rejected";
    case FindingCode::kConfigFileInvalid: return "config-file-invalid";
    case FindingCode::kProcessExceedsLimit: return "process-exceeds-limit";
    case FindingCode::kLimitBelowRequest: return "limit-below-request";
    case FindingCode::kPodTemplateResourcesOverwritten: return "pod-template-resources-overwritten";
    case FindingCode::kAmbiguousMemoryUnit: return "ambiguous-memory-unit";
    case FindingCode::kProcessSizeNotWholeMib: return "process-size-not-whole-mib";
    case FindingCode::kRocksdbUnmanagedMemory: return "rocksdb-unmanaged-memory";
    case FindingCode::kRocksdbZeroManagedMemory: return "rocksdb-zero-managed-memory";
    case FindingCode::kHeapBackendManagedMemory: return "heap-backend-managed-memory";
    case FindingCode::kJvmOverheadBelowDefault: return "jvm-overhead-below-default";
    case FindingCode::kWorkloadNoMemoryLimit: return "workload-no-memory-limit";
    case FindingCode::kMemoryRequestBelowProcess: return "memory-request-below-process";
    case FindingCode::kFlinkSizeInContainer: return "flink-size-in-container";
    case FindingCode::kBatchManagedMemoryTooSmall: return "batch-managed-memory-too-small";
    case FindingCode::kRocksdbFixedMemoryUnbudgeted: return "rocksdb-fixed-memory-unbudgeted";
  }
  return "unknown";
}

std::optional<FindingCode> parse_finding_code(std::string_view name) {
  for (FindingCode code : kAllFindingCodes) {
    if (finding_code_name(code) == name) return code;
  }
  return std::nullopt;
}

}  // namespace memguard::engine
