// Adds to a role's component rows (memmodel's components() and vector_rows(), the one data source
// of table, JSON, SVG and HTML) only what the picture needs: which JVM flag bounds each box.
#include "webhook/cli/memory_rows.h"

#include "support/size_text.h"
#include "webhook/cli/memory_bars.h"

namespace memguard::cli {

using namespace memguard::memmodel;

std::string_view provenance_name(Provenance p) {
  switch (p) {
    case Provenance::kConfigured: return "configured";
    case Provenance::kDefault: return "default";
    case Provenance::kDerived: return "derived";
  }
  return "";
}

namespace {

MemoryRow presented(const ComponentRow& c, JvmBound bound) {
  return MemoryRow{std::string(c.name), c.size.bytes(), std::string(c.key), std::string(provenance_name(c.provenance)),
                   bound, c.kind == ComponentRow::Kind::kFlinkPart};
}

// The flag that bounds a component, by its field name; the JobManager's off-heap is bounded only
// with its direct-memory limit, and its metaspace only from Flink 1.16 on (pre_flip116).
JvmBound bound_of(std::string_view field, const RoleReport& r) {
  if (field == "frameworkHeap" || field == "taskHeap" || field == "jvmHeap") return JvmBound::kHeap;
  if (field == "frameworkOffHeap" || field == "taskOffHeap" || field == "network") return JvmBound::kDirect;
  if (field == "offHeap") return r.jobmanager && r.jobmanager->direct_memory_limit ? JvmBound::kDirect : JvmBound::kNone;
  if (field == "jvmMetaspace") return r.jobmanager && r.jobmanager->pre_flip116 ? JvmBound::kNone : JvmBound::kMetaspace;
  return JvmBound::kNone;
}

}  // namespace

RoleRows memory_rows(const RoleReport& r, const FlinkConfig& config) {
  RoleRows rows;
  rows.role = r.role;
  if (r.error) rows.rejection = r.error->message;
  rows.derived = r.taskmanager.has_value() || r.jobmanager.has_value();
  if (rows.derived) {
    for (const ComponentRow& c : r.components()) rows.components.push_back(presented(c, bound_of(c.field, r)));
    bool has_direct_part = false;
    for (const MemoryRow& m : rows.components) has_direct_part = has_direct_part || m.bound == JvmBound::kDirect;
    for (const ComponentRow& c : r.vector_rows()) {
      if (c.kind != ComponentRow::Kind::kSum && c.field != "jvmMetaspace") continue;
      if (c.field == "flinkTotal") rows.flink_total = presented(c, JvmBound::kNone);
      if (c.field == "processTotal") rows.process_total = presented(c, JvmBound::kNone);
      if (c.field == "jvmHeap") rows.flags.push_back({"-Xmx/-Xms", JvmBound::kHeap, c.size.bytes()});
      if (c.field == "jvmDirect" && has_direct_part)
        rows.flags.push_back({"-XX:MaxDirectMemorySize", JvmBound::kDirect, c.size.bytes()});
      if (c.field == "jvmMetaspace" && bound_of(c.field, r) == JvmBound::kMetaspace)
        rows.flags.push_back({"-XX:MaxMetaspaceSize", JvmBound::kMetaspace, c.size.bytes()});
    }
    // The JobManager's heap is a component, not a sum, in the vectors: its flag comes from the row.
    if (r.jobmanager) rows.flags.insert(rows.flags.begin(), {"-Xmx/-Xms", JvmBound::kHeap, r.jobmanager->jvm_heap.size.bytes()});
  }
  const std::string prefix(role_name(r.role));
  if (config.contains(prefix + ".memory.flink.size")) rows.flink_total.provenance = "configured";
  if (config.contains(prefix + ".memory.process.size")) rows.process_total.provenance = "configured";
  if (r.container) rows.container_limit_bytes = r.container->limit_mib * kMiB;
  rows.summary = summary_lines(r);
  return rows;
}

}  // namespace memguard::cli
