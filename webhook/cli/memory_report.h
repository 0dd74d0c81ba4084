// What the memory command reports for one role, shared by the table, JSON and batch outputs.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "memmodel/accepted_size.h"
#include "memmodel/derivation.h"
#include "memmodel/derived_memory.h"
#include "webhook/json/json_writer.h"

namespace memguard::cli {

// One role's derivation (its components as rows) and what follows from it (flags, -D properties,
// container).
struct RoleReport : memmodel::DerivedMemory {
  std::optional<memmodel::ContainerMemory> container;
  std::string jvm_args;
  std::vector<std::pair<std::string, std::string>> dynamic;
  std::optional<Error> error;  // set when Flink would reject the configuration
  // Filled by explain_role, not by derive_role (--batch does without them):
  // the path Flink takes (for a rejection too, from the same selection); nullopt: no size configured;
  std::optional<memmodel::DerivationPath> derivation;
  // the configured options the totals come from, for the path taken (see sized_from_keys);
  std::vector<std::string> sized_from;
  // for a rejection by the derivation, the smallest accepted size of the configured total, if any
  // (a search of about 60 derivations).
  std::optional<memmodel::AcceptedSize> smallest_accepted;

  bool ok() const { return !error.has_value(); }
  // Rejected before anything was sized (not only by the container's limit factor).
  bool derivation_rejected() const { return error.has_value() && !taskmanager && !jobmanager; }
};

RoleReport derive_role(memmodel::Role role, const memmodel::FlinkConfig& config,
                       const memmodel::DerivationContext& context);

// The configured options that size the role on `path`: the fine-grained options (TaskManager task
// heap and managed memory, JobManager heap), then whichever of the Total Flink and Total Process
// sizes is set; a legacy heap key (1.x) where it stands for the total. Empty: none configured.
std::vector<std::string> sized_from_keys(memmodel::Role role, std::optional<memmodel::DerivationPath> path,
                                         const memmodel::FlinkConfig& config, const memmodel::FlinkVersion& version);

// Fills derivation, sized_from and, for a role its derivation rejects, smallest_accepted.
void explain_role(RoleReport& report, const memmodel::FlinkConfig& config,
                       const memmodel::DerivationContext& context);

// Writes "components", "jvmArgs" and "dynamicConfigs" members (field names of shared/vectors).
void write_vector_members(json::Writer& w, const RoleReport& report);

// The error code as a stable machine-readable word ("illegal-configuration"), for JSON reports.
std::string_view error_code_name(ErrorCode code);

// One role's members of `memory --output json` (and of `check --output json`'s memory entries): ok,
// error, derivationPath, sizedFrom, rejection, the vector members, sources, jvmFlags, notes,
// kubernetes. `config` tells configured totals from derived ones.
void write_role_members(json::Writer& w, const RoleReport& report, const memmodel::FlinkConfig& config,
                        const memmodel::FlinkVersion& version);

// --batch: one request per input line in the vectors' format, one JSON answer line each. False when
// it stopped at a line over its length limit (1 MiB): the input is not a request stream.
bool run_batch(std::istream& in, std::ostream& out);

}  // namespace memguard::cli
