// JobManager memory (FLIP-116, spec §5): heap / total Flink / total process paths, the 1.11.0-1.11.1
// fine-grained bug, legacy heap keys (1.11-1.20), and Flink 1.10's pre-FLIP-116 JobManager.
#include <cmath>

#include "memmodel/breakdown.h"
#include "memmodel/derivation.h"
#include "memmodel/java_text.h"
#include "memmodel/process_memory.h"

namespace memguard::memmodel {

namespace {

Unexpected reject(std::string message) { return make_error(ErrorCode::kIllegalConfiguration, std::move(message)); }

Unexpected fail(const Error& e) {
  return Unexpected{Error{e.code, "JobManager memory configuration failed: " + e.message}};
}

// Flink 1.10: jobmanager.heap.size (or .mb) is the JVM heap for the start scripts, or the container
// size for YARN/Kubernetes, from which the containerized cut-off is subtracted.
Expected<JobManagerMemory> derive_jobmanager_1_10(const FlinkConfig& config, const DerivationContext& context) {
  const ConfigReader reader(config);
  const MemoryOption heap_option{{"jobmanager.heap.size"}, MemorySize::of_mebibytes(1024)};
  const IntOption heap_mb_option{{"jobmanager.heap.mb"}, 1024};
  MemorySize heap;
  std::string key(heap_option.name.key);
  if (reader.contains(heap_option) || !reader.contains(heap_mb_option)) {
    auto h = reader.read(heap_option);
    if (!h) return fail(h.error());
    heap = *h;
  } else {
    auto mb = reader.read(heap_mb_option);
    if (!mb) return fail(mb.error());
    auto h = MemorySize::parse(std::to_string(*mb) + "m");
    if (!h) return fail(Error{ErrorCode::kIllegalConfiguration, "jobmanager.heap.mb = " + std::to_string(*mb) +
                                                                     " is not a valid size; set a positive number of MiB"});
    heap = *h;
    key = heap_mb_option.name.key;
  }
  JobManagerMemory result;
  result.pre_flip116 = true;
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
  if (!ratio) return fail(ratio.error());
  // BootstrapTools.calculateHeapSize accepts 0 and 1 (a cut-off of everything leaves a 0 MiB heap),
  // and a minimum equal to the container (Flink 1.10.3's own code, run by the oracle).
  if (*ratio > 1 || *ratio < 0) {
    return fail(Error{ErrorCode::kIllegalConfiguration,
                      std::string(reader.lookup(ratio_option.name).key) + " = " +
                          java::double_to_string(*ratio) + " must be between 0 and 1; use e.g. 0.25"});
  }
  auto min_cutoff = reader.read(min_option);
  if (!min_cutoff) return fail(min_cutoff.error());
  if (*min_cutoff > container_mb) {
    return fail(Error{ErrorCode::kIllegalConfiguration,
                      std::string(reader.lookup(min_option.name).key) + " = " + std::to_string(*min_cutoff) +
                          " MiB is larger than the JobManager container (" + std::to_string(container_mb) +
                          " MiB from " + key + "); increase " + key + " or lower the cut-off minimum"});
  }
  // long x float is evaluated in float arithmetic in Java. A NaN ratio passes the range check
  // above (every comparison with NaN is false, in Java too), and Java narrows NaN to 0 (JLS 5.1.3)
  // where a C++ cast is undefined, so the cut-off is then the minimum.
  volatile float product = static_cast<float>(container_mb) * *ratio;
  int64_t cutoff = std::isnan(product) ? 0 : static_cast<int64_t>(product);
  if (cutoff < *min_cutoff) cutoff = *min_cutoff;
  result.jvm_heap = Component{MemorySize::of_mebibytes(container_mb - cutoff), Provenance::kDerived, key};
  result.jvm.overhead = Component{MemorySize::of_mebibytes(cutoff), Provenance::kDerived,
                                  std::string(reader.lookup(ratio_option.name).key)};
  return result;
}

}  // namespace

Expected<JobManagerMemory> derive_jobmanager(const FlinkConfig& config, const DerivationContext& context) {
  const FlinkVersion& version = context.version;
  if (!version.at_least(1, 11)) return derive_jobmanager_1_10(config, context);
  const JobManagerOptions o = jobmanager_options(version);
  JobManagerMemory result;

  std::optional<FlinkConfig> mapped;
  if (!version.at_least(2, 0)) {
    const MemoryOption& target = context.legacy_heap == LegacyHeapTarget::kProcessTotal ? o.process_size : o.heap;
    const ConfigReader plain(config);
    if (!plain.contains(target)) {
      auto legacy = read_legacy_heap(plain, o.legacy_heap, o.legacy_heap_mb, context.legacy_heap_env, "FLINK_JM_HEAP");
      if (!legacy) return fail(legacy.error());
      if (*legacy) {
        mapped = config;
        mapped->set(std::string(target.name.key), std::to_string((*legacy)->bytes()) + "b");
        result.notes.push_back("the legacy JobManager heap size (" + (*legacy)->to_human() + ") is used as " +
                               std::string(target.name.key));
      }
    }
  }
  const ConfigReader reader(mapped ? *mapped : config);
  const JvmOptions jvm_opts = jvm_options(o);

  if (reader.contains(o.heap)) {
    auto heap = read_component(reader, o.heap);
    if (!heap) return fail(heap.error());
    auto off_heap = read_component(reader, o.off_heap);
    if (!off_heap) return fail(off_heap.error());
    if (heap->size < MemorySize::of_mebibytes(128)) {
      result.notes.push_back("the JVM heap " + heap->size.to_human() +
                             " is below the recommended minimum of 128 MiB; Flink only warns");
    }
    if (reader.contains(o.flink_size)) {
      auto flink_total = reader.read(o.flink_size);
      if (!flink_total) return fail(flink_total.error());
      if (reader.contains(o.off_heap)) {
        // FLINK-18993: 1.11.0 and 1.11.1 compare heap + Total Flink (not + off-heap) with Total Flink.
        const bool buggy = version.major == 1 && version.minor == 11 && version.patch < 2;
        auto derived = heap->size.add(buggy ? *flink_total : off_heap->size);
        if (!derived || *derived != *flink_total) {
          return fail(Error{ErrorCode::kIllegalConfiguration,
                            "the configured " +
                                describe_sum({{"JVM Heap", heap->size, heap->key},
                                              {"Off-Heap Memory", off_heap->size, off_heap->key}}) +
                                " does not add up to the configured " +
                                describe(Part{"Total Flink Memory", *flink_total, o.flink_size.name.key}) +
                                (buggy ? " (Flink 1.11.0/1.11.1 bug FLINK-18993 rejects any heap with both "
                                         "jobmanager.memory.flink.size and jobmanager.memory.off-heap.size set; "
                                         "remove one of them or upgrade to 1.11.2+)"
                                       : "; remove one of the three options or make them agree")});
        }
      } else {
        if (*flink_total < heap->size) {
          return fail(Error{ErrorCode::kIllegalConfiguration,
                            "the configured " + describe(Part{"JVM Heap", heap->size, heap->key}) +
                                " exceeds the configured " +
                                describe(Part{"Total Flink Memory", *flink_total, o.flink_size.name.key}) +
                                "; lower the heap or raise the total"});
        }
        off_heap = Component{MemorySize::of_bytes(flink_total->bytes() - heap->size.bytes()), Provenance::kDerived,
                             std::string(o.off_heap.name.key)};
      }
    }
    auto flink_total = heap->size.add(off_heap->size);
    if (!flink_total) return fail(flink_total.error());
    auto jvm = jvm_from_flink(reader, jvm_opts, *flink_total, version, result.notes);
    if (!jvm) return fail(jvm.error());
    result.jvm_heap = *heap;
    result.off_heap = *off_heap;
    result.jvm = *jvm;
  } else if (reader.contains(o.flink_size) || reader.contains(o.process_size)) {
    const bool from_flink = reader.contains(o.flink_size);
    MemorySize flink_total;
    if (from_flink) {
      auto f = reader.read(o.flink_size);
      if (!f) return fail(f.error());
      flink_total = *f;
    } else {
      auto process_total = reader.read(o.process_size);
      if (!process_total) return fail(process_total.error());
      auto jvm = jvm_from_process(reader, jvm_opts, *process_total, result.notes);
      if (!jvm) return fail(jvm.error());
      result.jvm = *jvm;
      flink_total = MemorySize::of_bytes(process_total->bytes() - jvm->metaspace.size.bytes() -
                                         jvm->overhead.size.bytes());
    }
    auto off_heap = read_component(reader, o.off_heap);
    if (!off_heap) return fail(off_heap.error());
    if (flink_total <= off_heap->size) {
      return fail(Error{ErrorCode::kIllegalConfiguration,
                        std::string("the ") + (from_flink ? "configured " : "derived ") +
                            describe(Part{"Total Flink Memory", flink_total,
                                          from_flink ? o.flink_size.name.key : std::string_view()}) +
                            " is less than or equal to the " +
                            describe(Part{"Off-Heap Memory", off_heap->size, off_heap->key}) +
                            ", leaving no JVM Heap; increase " +
                            std::string(from_flink ? o.flink_size.name.key : o.process_size.name.key) +
                            " or reduce " + std::string(o.off_heap.name.key)});
    }
    result.jvm_heap = Component{MemorySize::of_bytes(flink_total.bytes() - off_heap->size.bytes()),
                                Provenance::kDerived, std::string(o.heap.name.key)};
    result.off_heap = *off_heap;
    if (from_flink) {
      auto jvm = jvm_from_flink(reader, jvm_opts, flink_total, version, result.notes);
      if (!jvm) return fail(jvm.error());
      result.jvm = *jvm;
    }
  } else {
    return reject(
        "JobManager memory configuration failed: either the JVM heap (jobmanager.memory.heap.size), or the Total "
        "Flink Memory size (jobmanager.memory.flink.size), or the Total Process Memory size "
        "(jobmanager.memory.process.size) must be configured; for containers set jobmanager.memory.process.size "
        "(for example 1600m)");
  }
  if (result.jvm_heap.size < MemorySize::of_mebibytes(128) && !reader.contains(o.heap)) {
    result.notes.push_back("the derived JVM heap " + result.jvm_heap.size.to_human() +
                           " is below the recommended minimum of 128 MiB; Flink only warns");
  }
  auto total = result.flink_total().add(result.jvm.metaspace.size);
  if (total) total = total->add(result.jvm.overhead.size);
  if (!total) return fail(total.error());
  auto direct = reader.read(o.direct_memory_limit);
  if (!direct) return fail(direct.error());
  result.direct_memory_limit = *direct;
  return result;
}

MemorySize JobManagerMemory::flink_total() const {
  return MemorySize::of_bytes(jvm_heap.size.bytes() + off_heap.size.bytes());
}
MemorySize JobManagerMemory::process_total() const {
  return MemorySize::of_bytes(flink_total().bytes() + jvm.metaspace.size.bytes() + jvm.overhead.size.bytes());
}

}  // namespace memguard::memmodel
