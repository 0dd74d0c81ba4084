// Measures the three packaged JSON libraries on the webhook's real job: parse a 13.5 KB UPDATE
// AdmissionReview, pull out uid/kind/spec.flinkConfiguration/resources, and write a response
// with a warning. The result decided which library the project uses (see README "Why RapidJSON").
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

template <class F>
static double per_second(const char* name, F f, const std::string& body, int n) {
  for (int i = 0; i < n / 10; ++i) f(body);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f(body);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%-10s %9.0f reviews/s  %6.2f us/review  %6.0f MB/s\n", name, n / s, 1e6 * s / n,
              static_cast<double>(n) * static_cast<double>(body.size()) / s / 1e6);
  return n / s;
}

int main(int argc, char** argv) {
  std::string body = slurp(argc > 1 ? argv[1] : "../fixtures/update-flinkdeployment-allowed.json");
  int n = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::printf("body %zu bytes, %d iterations\n", body.size(), n);
  per_second("rapidjson", with_rapidjson, body, n);
  per_second("simdjson", with_simdjson, body, n);
  per_second("nlohmann", with_nlohmann, body, n);
  return sink == 0;
}
