// What the memory command reports for one role, shared by the table, JSON and batch outputs.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

  bool ok() const { return !error.has_value(); }
};

RoleReport derive_role(memmodel::Role role, const memmodel::FlinkConfig& config,
                       const memmodel::DerivationContext& context);

// Writes "components", "jvmArgs" and "dynamicConfigs" members (field names of shared/vectors).
void write_vector_members(json::Writer& w, const RoleReport& report);

// --batch: one request per input line in the vectors' format, one JSON answer line each. False when
// it stopped at a line over its length limit (1 MiB): the input is not a request stream.
bool run_batch(std::istream& in, std::ostream& out);

}  // namespace memguard::cli
