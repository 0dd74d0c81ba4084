// Cache answers -> engine answers: decode what the cache holds with the admission decoders.
#include "webhook/kube/cache_counterparts.h"

#include <simdjson.h>

#include <optional>

namespace memguard::kube {

namespace {

// List items come without apiVersion and kind (only single gets and watch events carry them), so
// objects are decoded as the kind the cache says they are.
std::optional<admission::WorkloadObject> decode_workload_json(std::string_view json, std::string_view kind) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  if (!root.is_object()) return std::nullopt;
  if (kind.empty()) {
    // Deployments, StatefulSets and Jobs have a pod template; Pods have the pod spec itself.
    simdjson::dom::element tmpl;
    kind = root.at_pointer("/spec/template").get(tmpl) == simdjson::SUCCESS ? "Deployment" : "Pod";
  }
  auto decoded = admission::decode_workload(root, kind);
  if (!decoded) return std::nullopt;
  return std::move(*decoded);
}

std::string_view kind_of(std::string_view qualified_resource) {
  for (const auto& r : kWorkloadResources) {
    if (r.qualified_name() == qualified_resource) return r.kind;
  }
  return {};
}

}  // namespace

std::vector<std::string> workload_configmaps(std::string_view object_json) {
  auto workload = decode_workload_json(object_json, {});
  if (!workload) return {};
  return admission::mounted_configmaps(*workload);
}

engine::ConfigMapAnswer CacheCounterparts::configmap(std::string_view namespace_, std::string_view name) const {
  engine::ConfigMapAnswer answer;
  ObjectLookup lookup = cache_->get(kConfigMaps, namespace_, name, deadline_);
  switch (lookup.presence) {
    case Presence::kUnknown:
      answer.state = engine::ConfigMapAnswer::State::kUnknown;
      answer.reason = lookup.reason.empty() ? "no answer from the Kubernetes API" : lookup.reason;
      return answer;
    case Presence::kAbsent:
      answer.state = engine::ConfigMapAnswer::State::kAbsent;
      return answer;
    case Presence::kFound: break;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::optional<admission::ConfigMapObject> configmap;
  if (parser.parse(lookup.object).get(root) == simdjson::SUCCESS) {
    auto decoded = admission::decode_configmap(root);
    if (decoded) configmap = std::move(*decoded);
  }
  if (!configmap) {
    answer.state = engine::ConfigMapAnswer::State::kUnknown;
    answer.reason = "the API returned a ConfigMap flink-memguard cannot read";
    return answer;
  }
  answer.state = engine::ConfigMapAnswer::State::kFound;
  answer.configmap = std::move(*configmap);
  return answer;
}

engine::WorkloadsAnswer CacheCounterparts::workloads_mounting(std::string_view namespace_,
                                                              std::string_view configmap) const {
  engine::WorkloadsAnswer answer;
  MountersLookup lookup = cache_->mounting(namespace_, configmap, deadline_);
  if (!lookup.known) {
    answer.reason = lookup.reason.empty() ? "the workload cache has not synced" : lookup.reason;
    return answer;
  }
  answer.known = true;
  for (const auto& cached : lookup.workloads) {
    if (auto workload = decode_workload_json(cached.json, kind_of(cached.resource))) {
      answer.workloads.push_back(std::move(*workload));
    }
  }
  return answer;
}

}  // namespace memguard::kube
