// Bounded YAML: one place that keeps every YAML stream we read (config.yaml, the policy, Kubernetes
// manifests) within limits on documents, nodes, scalar text and nesting, counting each alias as the
// nodes it repeats. yaml-cpp itself shares an aliased node instead of copying it, so an alias bomb
// ("billion laughs") loads small and explodes only when walked; it also has no limit of its own
// but the parser's recursion guard, and an alias may refer to the node that contains it. The
// limits are checked on the parser's events, before anything is built or walked.
#pragma once

#include <cstddef>
#include <limits>
#include <string_view>

#include <yaml-cpp/eventhandler.h>

#include "support/expected.h"

namespace memguard::memmodel {

struct YamlLimits {
  size_t max_documents = std::numeric_limits<size_t>::max();
  size_t max_nodes = 100'000;               // per document, an alias counting as the nodes it repeats
  size_t max_scalar_bytes = 16 * 1024 * 1024;  // per document (keys too), aliases counted likewise
  size_t max_depth = 64;                    // nesting below the root, aliases at the depth they reach
};

// Reads the YAML stream `text` event by event and hands every event to `handler` after checking it
// against `limits`. Returns the number of documents, or an error (kInvalidArgument): "invalid YAML
// at line L, column C: ..." for what yaml-cpp cannot parse (and for a token no document can start
// with, on which yaml-cpp 0.7 would report empty documents forever, yaml-cpp #1040), or a message
// naming the limit and the line where it was crossed. `handler` may throw a YAML::Exception to
// stop; it is reported the same way. No node tree is built here.
[[nodiscard]] Expected<size_t> read_yaml_events(std::string_view text, const YamlLimits& limits,
                                                YAML::EventHandler& handler);

// The same check without a consumer: call it before YAML::Load/LoadAll on untrusted text.
[[nodiscard]] Expected<size_t> check_yaml_limits(std::string_view text, const YamlLimits& limits);

}  // namespace memguard::memmodel
