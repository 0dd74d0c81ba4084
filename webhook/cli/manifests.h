// Kubernetes manifests from files: multi-document YAML (or JSON), kind: List expanded, directories
// walked, each object turned into the JSON text the API server would store (YAML scalars resolved
// the way kubectl's sigs.k8s.io/yaml resolves them), so `check` feeds the webhook's own decoders.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "memmodel/expected.h"

namespace memguard::cli {

struct ManifestObject {
  std::string source;  // "k8s/flink.yaml:2" (document), "k8s/list.yaml:1 items[3]" (List item)
  std::string json;    // the object as JSON text
};

// One YAML node as JSON text. Plain scalars resolve as YAML 1.1 (go-yaml v2, what kubectl uses):
// null/~ -> null, true/yes/on... -> booleans, integers (decimal, 0x, 0o, 0b) and floats -> numbers;
// quoted or !!str scalars stay strings. Errors: mapping keys that are not scalars.
[[nodiscard]] Expected<std::string> yaml_to_json(const YAML::Node& node);

// Reads every object in `paths` (files, directories walked recursively for *.yaml, *.yml, *.json
// in name order, "-" for stdin). Errors name the file and line: unreadable files, invalid YAML,
// documents that are not objects.
[[nodiscard]] Expected<std::vector<ManifestObject>> load_manifests(const std::vector<std::string>& paths);

// The same for text already in memory (tests, stdin); `name` labels the sources.
[[nodiscard]] Expected<std::vector<ManifestObject>> parse_manifests(std::string_view text, const std::string& name);

}  // namespace memguard::cli
