// Fuzzes the manifest reader of `check` and `review --with` (YAML or JSON from any repository or
// chart): no crash, no runaway time or memory (alias bombs, nesting, document floods stop at the
// limits), every document either an object with a kind, an error of its own, or skipped with a
// reason, and every object valid JSON that reads back as the same JSON value.
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "fuzz/fuzz_check.h"
#include "webhook/cli/manifests.h"

namespace {

using memguard::cli::ManifestLimits;
using memguard::cli::Manifests;
using memguard::cli::parse_manifests;

// The defaults' shape, scaled down so that one unit stays within the fuzzer's -timeout and
// -rss_limit_mb even when it hits every limit at once.
ManifestLimits fuzz_limits() {
  ManifestLimits limits;
  limits.max_objects = 10'000;
  limits.max_json_bytes = 32 * 1024 * 1024;
  limits.yaml.max_nodes = 200'000;
  limits.yaml.max_scalar_bytes = 8 * 1024 * 1024;
  return limits;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const ManifestLimits limits = fuzz_limits();
  const Manifests m = parse_manifests(text, "f.yaml", limits);

  static simdjson::dom::parser parser;
  size_t json_bytes = 0;
  for (const auto& object : m.objects) {
    FUZZ_CHECK(starts_with(object.source, "f.yaml"), object.source);
    if (!object.error.empty()) {
      FUZZ_CHECK(object.json.empty(), object.source);
      continue;
    }
    json_bytes += object.json.size();
    simdjson::dom::element root;
    FUZZ_CHECK(parser.parse(object.json).get(root) == simdjson::SUCCESS, object.json);
    FUZZ_CHECK(root.is_object(), object.json);
    // Documents without kind are skipped, never objects.
    simdjson::dom::element kind;
    FUZZ_CHECK(root["kind"].get(kind) == simdjson::SUCCESS && !kind.is_null(), object.json);
    std::string_view kind_text;
    if (kind.get(kind_text) == simdjson::SUCCESS) FUZZ_CHECK(!kind_text.empty(), object.json);
  }
  FUZZ_CHECK(json_bytes <= limits.max_json_bytes);
  FUZZ_CHECK(m.objects.size() + m.skipped.size() <= limits.max_objects + 1);
  for (const auto& skipped : m.skipped) {
    FUZZ_CHECK(starts_with(skipped.source, "f.yaml") && !skipped.reason.empty(), skipped.source);
  }

  // JSON is YAML: an object written as JSON reads back as the same JSON (List items come from
  // simdjson's printer, whose number spelling differs, so only whole documents are compared).
  for (const auto& object : m.objects) {
    if (!object.error.empty() || object.source.find(" items[") != std::string::npos) continue;
    const Manifests again = parse_manifests(object.json, "f.yaml", limits);
    if (again.unreadable() > 0 || again.objects.size() != 1) continue;  // e.g. a key past yaml-cpp's 1024 chars
    // Compared as JSON values: an invalid byte written as "\ufffd" reads back as the character itself.
    simdjson::dom::parser first_parser, again_parser;
    simdjson::dom::element first, second;
    FUZZ_CHECK(first_parser.parse(object.json).get(first) == simdjson::SUCCESS);
    FUZZ_CHECK(again_parser.parse(again.objects[0].json).get(second) == simdjson::SUCCESS, again.objects[0].json);
    FUZZ_CHECK(simdjson::minify(first) == simdjson::minify(second), object.json + "\n" + again.objects[0].json);
  }
  return 0;
}
