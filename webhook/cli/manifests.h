// Kubernetes manifests from files: multi-document YAML (or JSON), kind: List expanded, directories
// walked, each object turned into the JSON text the API server would store (YAML scalars resolved
// the way kubectl's sigs.k8s.io/yaml resolves them), so `check` feeds the webhook's own decoders.
//
// Every byte read may be hostile (a repository, a Helm chart's output): reading is bounded in
// bytes, objects, nodes, scalar text and nesting (ManifestLimits), YAML is converted on the
// parser's events without building yaml-cpp's node tree, and what cannot be read is that file's or
// that document's error while everything else is still read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "support/expected.h"
#include "memmodel/yaml_limits.h"

namespace memguard::cli {

struct ManifestLimits {
  size_t max_file_bytes = 32 * 1024 * 1024;    // one file, or stdin
  size_t max_total_bytes = 128 * 1024 * 1024;  // every input together
  size_t max_objects = 100'000;                // objects (documents and List items) in total
  size_t max_json_bytes = 256 * 1024 * 1024;   // the objects as JSON, in total (aliases expanded)
  size_t max_files = 100'000;                  // manifest files found in directories
  // Per document. No document limit: empty documents cost only their parsing.
  memmodel::YamlLimits yaml{.max_nodes = 1'000'000, .max_scalar_bytes = 64 * 1024 * 1024, .max_depth = 100};
};

struct ManifestObject {
  std::string source;  // "k8s/flink.yaml:2" (document), "k8s/list.yaml:1 items[3]" (List item), "k8s/x.yaml"
  std::string json;        // the object as JSON text; empty when `error` is set
  std::string error = {};  // set when this file or document could not be read: unreadable input
};

// A document (or List item) that is not a Kubernetes object, and why it was passed over.
struct SkippedDocument {
  std::string source;
  std::string reason;
};

struct Manifests {
  std::vector<ManifestObject> objects;  // in input order, unreadable files and documents included
  std::vector<SkippedDocument> skipped;
  size_t unreadable() const;
  // The message of the first unreadable entry, or "" if there is none.
  std::string first_error() const;
};

// Reads every object in `paths`: files, directories walked recursively for *.yaml, *.yml, *.json
// (regular files, symlinks to them followed, symlinked directories not entered; in name order),
// "-" for stdin. YAML scalars resolve as YAML 1.1 (go-yaml v2, what kubectl uses): plain null/~
// -> null, true/yes/on... -> booleans, integers (decimal, 0x, 0o, 0b) and floats -> numbers; quoted
// or !!str scalars stay strings; a mapping key must be a scalar. A file that cannot be read or
// parsed, or crosses a limit, is an entry with its error (documents before the error are kept);
// a document that is not a mapping is an error of its own; a document without kind (Helm values,
// other tools' YAML) is skipped with a note.
[[nodiscard]] Manifests load_manifests(const std::vector<std::string>& paths, const ManifestLimits& limits = {});

// The same for text already in memory (tests, fuzzing); `name` labels the sources.
[[nodiscard]] Manifests parse_manifests(std::string_view text, const std::string& name,
                                        const ManifestLimits& limits = {});

}  // namespace memguard::cli
