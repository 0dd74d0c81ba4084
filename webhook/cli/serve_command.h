// The seam between `flink-memguard serve` and the admission decision: which handler the server
// gets for a set of options. Separate from the command so that tests can build the same handler.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "support/expected.h"
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

// Caps the process heap at `bytes`, so that an allocation beyond it throws std::bad_alloc (one
// request fails) instead of the kernel's OOM killer ending the process. The executable installs
// one when it is linked with mimalloc (webhook/cli/main_heap.cpp); without one `serve` runs uncapped.
using HeapLimiter = bool (*)(std::size_t bytes);
void install_heap_limiter(HeapLimiter limiter);

// The memory limit of the process's cgroup (v2 memory.max, or v1 memory.limit_in_bytes), read
// from the files under `root`; nullopt when there is none ("max", absent, or absurdly large).
std::optional<std::size_t> cgroup_memory_limit(std::string_view root = "/sys/fs/cgroup");
// The default heap cap for a cgroup limit: half of it. The cap counts live C++ objects; the rest
// of the limit is for what is not (code, thread stacks, C allocations of OpenSSL, the kernel's
// socket buffers) and for the allocator's free pages, which count in RSS until they are purged.
std::size_t default_heap_cap(std::size_t cgroup_limit);

}  // namespace memguard::cli
