// The seam between `flink-memguard serve` and the admission decision: which handler the server
// gets for a set of options. Separate from the command so that tests can build the same handler.
#pragma once

#include "memmodel/expected.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"

namespace memguard::cli {

// The handler `serve` injects into the server, or why it cannot be built (an unreadable policy).
Expected<server::AdmissionHandler> make_admission_handler(const server::ServerOptions& options);

}  // namespace memguard::cli
