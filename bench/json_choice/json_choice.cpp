// Measures the three packaged JSON libraries on the webhook's real job: parse a 13.5 KB UPDATE
// AdmissionReview, pull out uid/kind/spec.flinkConfiguration/resources, and write a response
// with a warning. The result decided which library the project uses (see README "Why simdjson").
// simdjson is measured twice: DOM (what the project uses) and On-Demand, which reads forward and
// never materialises what it skips (managedFields, status, most of oldObject).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

static std::string slurp(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

static size_t sink = 0;

static void with_rapidjson(const std::string& body) {
  // In-situ parsing into a reused buffer: strings are decoded in place, no per-string allocation.
  static std::string buffer;
  static char value_pool[64 * 1024];
  buffer.assign(body);
  rapidjson::MemoryPoolAllocator<> values(value_pool, sizeof value_pool);
  rapidjson::Document doc(&values);
  doc.ParseInsitu(buffer.data());
  const auto& req = doc["request"];
  std::string uid = req["uid"].GetString();
  const auto& spec = req["object"]["spec"];
  for (auto it = spec["flinkConfiguration"].MemberBegin(); it != spec["flinkConfiguration"].MemberEnd(); ++it)
    sink += it->value.GetStringLength();
  sink += spec["taskManager"]["resource"]["memory"].GetStringLength();
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("apiVersion"); w.String("admission.k8s.io/v1");
  w.Key("kind"); w.String("AdmissionReview");
  w.Key("response"); w.StartObject();
  w.Key("uid"); w.String(uid.c_str());
  w.Key("allowed"); w.Bool(true);
  w.Key("warnings"); w.StartArray(); w.String("taskmanager: process size 4096m is not a whole MiB"); w.EndArray();
  w.EndObject(); w.EndObject();
  sink += out.GetSize();
}

static void with_nlohmann(const std::string& body) {
  auto doc = nlohmann::json::parse(body);
  const auto& req = doc["request"];
  std::string uid = req["uid"].get<std::string>();
  const auto& spec = req["object"]["spec"];
  for (auto& [k, v] : spec["flinkConfiguration"].items()) sink += v.get_ref<const std::string&>().size();
  sink += spec["taskManager"]["resource"]["memory"].get_ref<const std::string&>().size();
  nlohmann::json resp = {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"},
      {"response", {{"uid", uid}, {"allowed", true},
                    {"warnings", {"taskmanager: process size 4096m is not a whole MiB"}}}}};
  sink += resp.dump().size();
}

static simdjson::dom::parser simd_parser;
static void with_simdjson(const std::string& body) {
  simdjson::dom::element doc = simd_parser.parse(body);
  auto req = doc["request"];
  std::string uid{std::string_view(req["uid"])};
  auto spec = req["object"]["spec"];
  for (auto field : simdjson::dom::object(spec["flinkConfiguration"])) sink += std::string_view(field.value).size();
  sink += std::string_view(spec["taskManager"]["resource"]["memory"]).size();
  // simdjson 3.0 has no writer: the response has to be assembled by hand (escaping included).
  std::string out = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"" + uid +
                    "\",\"allowed\":true,\"warnings\":[\"taskmanager: process size 4096m is not a whole MiB\"]}}";
  sink += out.size();
}

// The same reads forward-only. The change check the webhook makes on an UPDATE (is spec the same in
// object and oldObject?) becomes a comparison of the two specs' bytes, since kube-apiserver writes
// both with one encoder; that needs where each spec starts and ends in the body.
static simdjson::ondemand::parser ondemand_parser;
static std::string_view skip_and_span(simdjson::ondemand::document& doc, simdjson::ondemand::value value) {
  const char* begin = value.raw_json_token().data();
  for (auto field : value.get_object()) (void)field;  // skipping a member consumes it
  const char* end = doc.current_location().value();
  return {begin, static_cast<size_t>(end - begin)};
}
static void with_simdjson_ondemand(const std::string& body) {
  simdjson::padded_string padded(body);  // the DOM parser makes the same padded copy internally
  auto doc = ondemand_parser.iterate(padded).value();
  std::string uid;
  std::string_view spec_now, spec_before;
  for (auto review_field : doc.get_object()) {
    if (review_field.unescaped_key().value() != "request") continue;
    for (auto field : review_field.value().get_object()) {
      std::string_view key = field.unescaped_key().value();
      if (key == "uid") {
        uid = std::string(field.value().get_string().value());
      } else if (key == "object") {
        for (auto member : field.value().get_object()) {
          if (member.unescaped_key().value() != "spec") continue;
          auto spec = member.value();
          const char* begin = spec.raw_json_token().value().data();
          for (auto spec_field : spec.get_object()) {
            std::string_view name = spec_field.unescaped_key().value();
            if (name == "flinkConfiguration") {
              for (auto option : spec_field.value().get_object()) sink += option.value().get_string().value().size();
            } else if (name == "taskManager") {
              sink += spec_field.value()["resource"]["memory"].get_string().value().size();
            }
          }
          spec_now = {begin, static_cast<size_t>(doc.current_location().value() - begin)};
        }
      } else if (key == "oldObject") {
        for (auto member : field.value().get_object()) {
          if (member.unescaped_key().value() == "spec") spec_before = skip_and_span(doc, member.value());
        }
      }
    }
  }
  sink += spec_now == spec_before;
  std::string out = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"" + uid +
                    "\",\"allowed\":true,\"warnings\":[\"taskmanager: process size 4096m is not a whole MiB\"]}}";
  sink += out.size();
}

template <class F>
static double per_second(const char* name, F f, const std::string& body, int n) {
  for (int i = 0; i < n / 10; ++i) f(body);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f(body);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%-11s %9.0f reviews/s  %6.2f us/review  %6.0f MB/s\n", name, n / s, 1e6 * s / n,
              static_cast<double>(n) * static_cast<double>(body.size()) / s / 1e6);
  return n / s;
}

int main(int argc, char** argv) {
  std::string body = slurp(argc > 1 ? argv[1] : "../fixtures/update-flinkdeployment-allowed.json");
  int n = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::printf("body %zu bytes, %d iterations\n", body.size(), n);
  per_second("rapidjson", with_rapidjson, body, n);
  per_second("simdjson", with_simdjson, body, n);
  per_second("simdjson-od", with_simdjson_ondemand, body, n);
  per_second("nlohmann", with_nlohmann, body, n);
  return sink == 0;
}
