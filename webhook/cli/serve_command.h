// The seam between `flink-memguard serve` and the admission decision: which handler the server
// gets for a set of options. Separate from the command so that tests can build the same handler.
#pragma once

#include <memory>

#include "memmodel/expected.h"
#include "webhook/cli/kube_lookups.h"
#include "webhook/server/policy_store.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"

namespace memguard::cli {

// The handler `serve` injects into the server (the decision engine with the current policy) and the
// policy store it reads, or why they cannot be built (an unreadable or invalid policy file).
struct AdmissionSetup {
  server::AdmissionHandler handler;
  std::shared_ptr<server::PolicyStore> policy;
  KubeLookups lookups;  // empty with --kube-api off
};
Expected<AdmissionSetup> make_admission_handler(const server::ServerOptions& options);
// With counterpart lookups for standalone workloads (`--kube-api`).
Expected<AdmissionSetup> make_admission_handler(const server::ServerOptions& options, KubeLookups lookups);

}  // namespace memguard::cli
