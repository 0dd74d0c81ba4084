// What the engine can find wrong with an object: stable kebab-case codes (documented in README.md,
// used in policy files, metrics and audit annotations), and one finding value per occurrence.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memmodel/derivation.h"
#include "webhook/admission/json_patch.h"

namespace memguard::engine {

enum class FindingCode {
  kMemoryConfigRejected,            // Flink rejects the memory configuration: the process fails at start
  kConfigFileInvalid,               // a config file Flink cannot load
  kProcessExceedsLimit,             // total process memory above the container memory limit
  kLimitBelowRequest,               // limit factor < 1, or memory limit below its request
  kPodTemplateResourcesOverwritten, // memory/cpu on flink-main-container, which Flink overwrites
  kAmbiguousMemoryUnit,             // Flink and Kubernetes read the quantity differently
  kProcessSizeNotWholeMib,          // the container gets the floor MiB of the process size
  kRocksdbUnmanagedMemory,          // RocksDB outside managed memory: native memory unbounded
  kRocksdbZeroManagedMemory,        // RocksDB on managed memory, but managed memory is zero
  kHeapBackendManagedMemory,        // heap state backend in streaming mode keeps unused managed memory
  kJvmOverheadBelowDefault,         // JVM overhead below Flink's default minimum
  kWorkloadNoMemoryLimit,           // a Flink container (standalone workload) without a memory limit
  kMemoryRequestBelowProcess,       // a Flink container's memory request below its process size
  kFlinkSizeInContainer,            // a Flink-sized container set by *.memory.flink.size, not the process size
  kBatchManagedMemoryTooSmall,      // BATCH mode with less managed memory per slot than a hash join needs
  kRocksdbFixedMemoryUnbudgeted,    // RocksDB fixed-per-slot/-per-tm memory above the task off-heap budget
};
inline constexpr size_t kFindingCodeCount = 16;

inline constexpr std::array<FindingCode, kFindingCodeCount> kAllFindingCodes = {
    FindingCode::kMemoryConfigRejected,     FindingCode::kConfigFileInvalid,
    FindingCode::kProcessExceedsLimit,      FindingCode::kLimitBelowRequest,
    FindingCode::kPodTemplateResourcesOverwritten, FindingCode::kAmbiguousMemoryUnit,
    FindingCode::kProcessSizeNotWholeMib,   FindingCode::kRocksdbUnmanagedMemory,
    FindingCode::kRocksdbZeroManagedMemory, FindingCode::kHeapBackendManagedMemory,
    FindingCode::kJvmOverheadBelowDefault,  FindingCode::kWorkloadNoMemoryLimit,
    FindingCode::kMemoryRequestBelowProcess, FindingCode::kFlinkSizeInContainer,
    FindingCode::kBatchManagedMemoryTooSmall, FindingCode::kRocksdbFixedMemoryUnbudgeted,
};

std::string_view finding_code_name(FindingCode code);  // "process-exceeds-limit"
std::optional<FindingCode> parse_finding_code(std::string_view name);

// One change a fix suggests, as data a machine can apply (the suggested-fixes test applies each and
// reviews the object again); finding_texts words it into the fix, so text and data cannot drift.
struct SuggestedEdit {
  enum class Kind {
    kField,   // a field of the object, at `pointer` ("/spec/taskManager/resource/memory")
    kOption,  // a Flink option `key` in `file`, the place it lives ("spec.flinkConfiguration",
              // "data.config.yaml", "data.flink-conf.yaml")
  };
  Kind kind = Kind::kOption;
  admission::Pointer pointer;
  std::string key;
  std::string file;
  std::optional<std::string> value;  // nullopt: remove it

  static SuggestedEdit field(admission::Pointer pointer, std::string value) {
    return {Kind::kField, std::move(pointer), {}, {}, std::move(value)};
  }
  static SuggestedEdit option(std::string key, std::string file, std::optional<std::string> value) {
    return {Kind::kOption, {}, std::move(key), std::move(file), std::move(value)};
  }
  friend bool operator==(const SuggestedEdit&, const SuggestedEdit&) = default;
};
// Edits applied together; each one alone of a finding's alternatives is meant to clear the finding.
using SuggestedFix = std::vector<SuggestedEdit>;

// The parts of one finding's text. The message reads "<scope><subject>: <problem><consequence> Fix: <fix>.";
// the warning "<scope><subject>: <brief>; <brief fix>" in at most a line.
struct FindingParts {
  std::string scope;        // where the object holds the subject: "container flink: ", "Deployment ns/x container flink: "
  std::string subject;      // the role or the field it is about
  std::string problem;      // what is wrong
  std::string consequence;  // what then happens, continuing the problem (with its own joining words)
  std::string fix;          // the smallest fix, imperative, without the final stop
  std::string brief;        // the problem and consequence for the warning
  std::optional<std::string> brief_subject;  // the warning's subject, when not `subject` ("" : none)
  std::optional<std::string> brief_fix;      // the warning's fix, when not `fix` ("" : none)
  std::string applied;      // what the patch did, for the warning of /mutate ("" : no patch)
  std::vector<SuggestedFix> suggested;  // the fix's machine-applicable alternatives (make_finding moves them)
};
// Which mutation switch a finding's patch needs: unit/rounding fixes, or opt-in memory tuning.
enum class FixKind { kNone, kCorrection, kTuning };

struct Finding {
  FindingCode code = FindingCode::kMemoryConfigRejected;
  std::optional<memmodel::Role> role;
  // The words, as parts (finding_texts.h); rendered only where a text is needed.
  FindingParts parts;
  // A safe, unambiguous fix (applied by /mutate when the policy allows), and the warning explaining it.
  std::vector<admission::PatchOperation> fix;
  FixKind fix_kind = FixKind::kNone;
  // The alternatives the fix text names, as data (none: the fix is not machine-applicable). Fields
  // point into this object; options live in the named file of this object.
  std::vector<SuggestedFix> suggested;
  // Why this object cannot fix the finding ("" : it can): a ConfigMap judged with a workload whose
  // own FLINK_PROPERTIES or -D arguments set the process size. Such a finding warns, never denies.
  std::string outside_this_object;

  // The full explanation for a denial: which role, what would happen, the breakdown, the fix.
  std::string message() const;
  // The short form for a warning ("field: what; fix").
  std::string warning() const;
  // What the applied fix did ("" without one).
  std::string fix_warning() const;
};

}  // namespace memguard::engine
