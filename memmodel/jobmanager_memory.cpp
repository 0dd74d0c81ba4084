// JobManager memory (FLIP-116, spec §5): heap / total Flink / total process paths, the 1.11.0-1.11.1
// fine-grained bug, legacy heap keys (1.11-1.20), and Flink 1.10's pre-FLIP-116 JobManager.
#include <array>
#include <cmath>

#include "memmodel/breakdown.h"
#include "memmodel/derivation.h"
#include "memmodel/java_text.h"
#include "memmodel/process_memory.h"

namespace memguard::memmodel {

namespace {

Unexpected jobmanager_failure(const Error& e) {
  return Unexpected{role_failure(role_title(Role::kJobManager), e)};
}

// Flink 1.10: jobmanager.heap.size (or .mb) is the JVM heap for the start scripts, or the container
// size for YARN/Kubernetes, from which the containerized cut-off is subtracted.
Expected<JobManagerMemory> derive_jobmanager_1_10(const FlinkConfig& config, const DerivationContext& context) {
  const ConfigReader reader(config);
  const MemoryOption heap_option{{"jobmanager.heap.size"}, MemorySize::of_mebibytes(1024)};
  const IntOption heap_mb_option{{"jobmanager.heap.mb"}, 1024};
  MemorySize heap;
  std::string_view key = heap_option.name.key;
  if (reader.contains(heap_option) || !reader.contains(heap_mb_option)) {
    auto h = reader.read(heap_option);
    if (!h) return jobmanager_failure(h.error());
    heap = *h;
  } else {
    auto mb = reader.read(heap_mb_option);
    if (!mb) return jobmanager_failure(mb.error());
    auto h = MemorySize::parse(std::to_string(*mb) + "m");
    if (!h) return jobmanager_failure(Error{ErrorCode::kIllegalConfiguration, "jobmanager.heap.mb = " + std::to_string(*mb) +
                                                                     " is not a valid size; set a positive number of MiB"});
    heap = *h;
    key = heap_mb_option.name.key;
  }
  JobManagerMemory result;
  result.pre_flip116 = true;
  result.path = context.legacy_heap == LegacyHeapTarget::kProcessTotal ? DerivationPath::kTotalProcess
                                                                       : DerivationPath::kFineGrained;
  const Provenance provenance = reader.contains(heap_option) || reader.contains(heap_mb_option)
                                    ? Provenance::kConfigured
                                    : Provenance::kDefault;
  if (context.legacy_heap != LegacyHeapTarget::kProcessTotal) {
    result.jvm_heap = Component{MemorySize::of_mebibytes(heap.mebibytes()), provenance, key};
    result.notes.push_back("Flink 1.10's JobManager limits only the JVM heap (in whole MiB); metaspace and other "
                           "native memory come on top");
    return result;
  }
  const int64_t container_mb = heap.mebibytes();
  const FloatOption ratio_option{{"containerized.heap-cutoff-ratio", {"yarn.heap-cutoff-ratio"}}, 0.25f};
  const IntOption min_option{{"containerized.heap-cutoff-min", {"yarn.heap-cutoff-min"}}, 600};
  auto ratio = reader.read(ratio_option);
  if (!ratio) return jobmanager_failure(ratio.error());
  // BootstrapTools.calculateHeapSize accepts 0 and 1 (a cut-off of everything leaves a 0 MiB heap),
  // and a minimum equal to the container (Flink 1.10.3's own code, run by the oracle).
  if (*ratio > 1 || *ratio < 0) {
    return jobmanager_failure(Error{ErrorCode::kIllegalConfiguration,
                      std::string(reader.lookup(ratio_option.name).key) + " = " +
                          java::double_to_string(*ratio) + " must be between 0 and 1; use e.g. 0.25"});
  }
  auto min_cutoff = reader.read(min_option);
  if (!min_cutoff) return jobmanager_failure(min_cutoff.error());
  if (*min_cutoff > container_mb) {
    return jobmanager_failure(Error{ErrorCode::kIllegalConfiguration,
                      std::string(reader.lookup(min_option.name).key) + " = " + std::to_string(*min_cutoff) +
                          " MiB is larger than the JobManager container (" + std::to_string(container_mb) +
                          " MiB from " + std::string(key) + "); increase " + std::string(key) +
                          " or lower the cut-off minimum"});
  }
  // long x float is evaluated in float arithmetic in Java. A NaN ratio passes the range check
  // above (every comparison with NaN is false, in Java too), and Java narrows NaN to 0 (JLS 5.1.3)
  // where a C++ cast is undefined, so the cut-off is then the minimum.
  volatile float product = static_cast<float>(container_mb) * *ratio;
  int64_t cutoff = std::isnan(product) ? 0 : static_cast<int64_t>(product);
  if (cutoff < *min_cutoff) cutoff = *min_cutoff;
  result.jvm_heap = Component{MemorySize::of_mebibytes(container_mb - cutoff), Provenance::kDerived, key};
  result.jvm.overhead = Component{MemorySize::of_mebibytes(cutoff), Provenance::kDerived,
                                  reader.lookup(ratio_option.name).key};
  return result;
}

// The JobManager's Flink memory: JVM heap and off-heap.
struct FlinkParts {
  Component jvm_heap, off_heap;
  std::array<const Component*, 2> components() const { return {&jvm_heap, &off_heap}; }
};

// The JobManager strategy of the process layer (Flink's JobManagerFlinkMemoryUtils).
class JobManagerDerivation {
 public:
  using Parts = FlinkParts;

  JobManagerDerivation(const ConfigReader& reader, const FlinkVersion& version, const JobManagerOptions& options,
                       std::vector<std::string>& notes)
      : r_(reader), v_(version), o_(options), notes_(notes) {}

  bool has_fine_grained() const { return r_.contains(o_.heap); }

  // The heap is configured; off-heap is configured, the default, or what Total Flink leaves.
  Expected<FlinkParts> derive_from_fine_grained() const {
    auto heap = read_component(r_, o_.heap);
    if (!heap) return Unexpected{heap.error()};
    auto off_heap = read_component(r_, o_.off_heap);
    if (!off_heap) return Unexpected{off_heap.error()};
    if (heap->size < MemorySize::of_mebibytes(128)) {
      notes_.push_back("the JVM heap " + heap->size.to_human() +
                       " is below the recommended minimum of 128 MiB; Flink only warns");
    }
    if (r_.contains(o_.flink_size)) {
      auto flink_total = r_.read(o_.flink_size);
      if (!flink_total) return Unexpected{flink_total.error()};
      if (r_.contains(o_.off_heap)) {
        // FLINK-18993: 1.11.0 and 1.11.1 compare heap + Total Flink (not + off-heap) with Total Flink.
        const bool buggy = v_.major == 1 && v_.minor == 11 && v_.patch < 2;
        auto derived = heap->size.add(buggy ? *flink_total : off_heap->size);
        if (!derived || *derived != *flink_total) {
          return illegal_configuration("the configured " +
                        describe_sum({{"JVM Heap", heap->size, heap->key},
                                      {"Off-Heap Memory", off_heap->size, off_heap->key}}) +
                        " does not add up to the configured " +
                        describe(Part{"Total Flink Memory", *flink_total, o_.flink_size.name.key}) +
                        (buggy ? " (Flink 1.11.0/1.11.1 bug FLINK-18993 rejects any heap with both "
                                 "jobmanager.memory.flink.size and jobmanager.memory.off-heap.size set; "
                                 "remove one of them or upgrade to 1.11.2+)"
                               : "; remove one of the three options or make them agree"));
        }
      } else {
        if (*flink_total < heap->size) {
          return illegal_configuration("the configured " + describe(Part{"JVM Heap", heap->size, heap->key}) +
                        " exceeds the configured " +
                        describe(Part{"Total Flink Memory", *flink_total, o_.flink_size.name.key}) +
                        "; lower the heap or raise the total");
        }
        off_heap = Component{MemorySize::of_bytes(flink_total->bytes() - heap->size.bytes()), Provenance::kDerived,
                             o_.off_heap.name.key};
      }
    }
    return FlinkParts{std::move(*heap), std::move(*off_heap)};
  }

  // Total Flink is known (configured, or derived from the process size): the heap is what off-heap leaves.
  Expected<FlinkParts> derive_from_total_flink(MemorySize flink_total) const {
    const bool from_flink = r_.contains(o_.flink_size);
    auto off_heap = read_component(r_, o_.off_heap);
    if (!off_heap) return Unexpected{off_heap.error()};
    if (flink_total <= off_heap->size) {
      return illegal_configuration(std::string("the ") + (from_flink ? "configured " : "derived ") +
                    describe(Part{"Total Flink Memory", flink_total,
                                  from_flink ? o_.flink_size.name.key : std::string_view()}) +
                    " is less than or equal to the " +
                    describe(Part{"Off-Heap Memory", off_heap->size, off_heap->key}) +
                    ", leaving no JVM Heap; increase " +
                    std::string(from_flink ? o_.flink_size.name.key : o_.process_size.name.key) + " or reduce " +
                    std::string(o_.off_heap.name.key));
    }
    return FlinkParts{Component{MemorySize::of_bytes(flink_total.bytes() - off_heap->size.bytes()),
                                Provenance::kDerived, o_.heap.name.key},
                      std::move(*off_heap)};
  }

 private:
  const ConfigReader& r_;
  FlinkVersion v_;
  const JobManagerOptions& o_;
  std::vector<std::string>& notes_;
};

}  // namespace

Expected<JobManagerMemory> derive_jobmanager(const FlinkConfig& config, const DerivationContext& context) {
  const FlinkVersion& version = context.version;
  if (!version.at_least(1, 11)) return derive_jobmanager_1_10(config, context);
  const JobManagerOptions o = jobmanager_options(version);
  const ProcessMemoryOptions process_options = process_memory_options(o);
  JobManagerMemory result;
  auto role_failed = [&process_options](const Error& e) { return Unexpected{role_failure(process_options.role, e)}; };

  auto mapped = map_legacy_heap(config, context, process_options, result.notes);
  if (!mapped) return role_failed(mapped.error());
  const ConfigReader reader(*mapped ? **mapped : config);
  const JobManagerDerivation derivation(reader, version, o, result.notes);
  auto process = derive_process_memory(reader, process_options, derivation, version, result.notes);
  if (!process) return role_failed(process.error());
  result.jvm_heap = std::move(process->flink.jvm_heap);
  result.off_heap = std::move(process->flink.off_heap);
  result.jvm = std::move(process->jvm);
  result.path = process->path;
  if (result.jvm_heap.size < MemorySize::of_mebibytes(128) && !reader.contains(o.heap)) {
    result.notes.push_back("the derived JVM heap " + result.jvm_heap.size.to_human() +
                           " is below the recommended minimum of 128 MiB; Flink only warns");
  }
  auto direct = reader.read(o.direct_memory_limit);
  if (!direct) return role_failed(direct.error());
  result.direct_memory_limit = *direct;
  return result;
}

std::optional<DerivationPath> jobmanager_derivation_path(const FlinkConfig& config, const DerivationContext& context) {
  if (!context.version.at_least(1, 11)) {
    return context.legacy_heap == LegacyHeapTarget::kProcessTotal ? DerivationPath::kTotalProcess
                                                                  : DerivationPath::kFineGrained;
  }
  const JobManagerOptions o = jobmanager_options(context.version);
  const ProcessMemoryOptions process_options = process_memory_options(o);
  std::vector<std::string> notes;
  auto mapped = map_legacy_heap(config, context, process_options, notes);
  if (!mapped) return std::nullopt;
  const ConfigReader reader(*mapped ? **mapped : config);
  return select_path(reader, process_options, JobManagerDerivation(reader, context.version, o, notes));
}

MemorySize JobManagerMemory::flink_total() const {
  return MemorySize::of_bytes(jvm_heap.size.bytes() + off_heap.size.bytes());
}
MemorySize JobManagerMemory::process_total() const {
  return MemorySize::of_bytes(flink_total().bytes() + jvm.metaspace.size.bytes() + jvm.overhead.size.bytes());
}

}  // namespace memguard::memmodel
