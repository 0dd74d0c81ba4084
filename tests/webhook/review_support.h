// Test support for admission reviews: fixtures, a parsed view of responses, and an RFC 6902
// implementation over a small mutable JSON tree, so every patch is applied to its object and the
// result re-reviewed (the API server would refuse a patch that does not apply).
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "support/base64.h"
#include "support/read_file.h"

#include "webhook/admission/review_outcome.h"
#include "webhook/engine/handle_review.h"
#include "webhook/json/json_writer.h"

// A failed check on a decision prints its name, as the log line spells it.
template <>
struct Catch::StringMaker<memguard::admission::ReviewDecision> {
  static std::string convert(memguard::admission::ReviewDecision decision) {
    return std::string(memguard::admission::decision_name(decision));
  }
};

namespace memguard::testing {

inline std::string read_fixture(const std::string& name) {
  auto text = read_file(std::string(MEMGUARD_TEST_DATA) + "/reviews/" + name, size_t{16} << 20, "fixture");
  if (!text) throw std::runtime_error(text.error().message);
  return std::move(*text);
}

// A mutable JSON value with ordered object members.
struct Json {
  using Object = std::vector<std::pair<std::string, Json>>;
  using Array = std::vector<Json>;
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> value;

  static Json from(simdjson::dom::element e) {
    Json j;
    switch (e.type()) {
      case simdjson::dom::element_type::OBJECT: {
        Object o;
        simdjson::dom::object obj = e.get_object().value();
        for (auto [k, v] : obj) o.emplace_back(std::string(k), from(v));
        j.value = std::move(o);
        break;
      }
      case simdjson::dom::element_type::ARRAY: {
        Array a;
        simdjson::dom::array arr = e.get_array().value();
        for (auto v : arr) a.push_back(from(v));
        j.value = std::move(a);
        break;
      }
      case simdjson::dom::element_type::STRING: j.value = std::string(e.get_string().value()); break;
      case simdjson::dom::element_type::INT64: j.value = e.get_int64().value(); break;
      case simdjson::dom::element_type::UINT64: j.value = static_cast<int64_t>(e.get_uint64().value()); break;
      case simdjson::dom::element_type::DOUBLE: j.value = e.get_double().value(); break;
      case simdjson::dom::element_type::BOOL: j.value = e.get_bool().value(); break;
      case simdjson::dom::element_type::NULL_VALUE: j.value = nullptr; break;
    }
    return j;
  }

  static Json parse(const std::string& text) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(text).get(root) != simdjson::SUCCESS) throw std::runtime_error("not JSON: " + text);
    return from(root);
  }

  void write(json::Writer& w) const {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) w.null();
          else if constexpr (std::is_same_v<T, bool>) w.boolean(v);
          else if constexpr (std::is_same_v<T, int64_t>) w.integer(v);
          else if constexpr (std::is_same_v<T, double>) w.number(v);
          else if constexpr (std::is_same_v<T, std::string>) w.string(v);
          else if constexpr (std::is_same_v<T, Array>) {
            w.begin_array();
            for (const auto& item : v) item.write(w);
            w.end_array();
          } else {
            w.begin_object();
            for (const auto& [k, item] : v) {
              w.key(k);
              item.write(w);
            }
            w.end_object();
          }
        },
        value);
  }

  std::string dump() const {
    json::Writer w;
    write(w);
    return w.take();
  }

  Json* member(const std::string& key) {
    auto* o = std::get_if<Object>(&value);
    if (!o) return nullptr;
    for (auto& [k, v] : *o) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  const std::string& str() const { return std::get<std::string>(value); }
};

inline std::vector<std::string> pointer_tokens(const std::string& pointer) {
  if (pointer.empty()) return {};
  if (pointer[0] != '/') throw std::runtime_error("bad pointer " + pointer);
  std::vector<std::string> tokens;
  std::string current;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      std::string unescaped;
      for (size_t k = 0; k < current.size(); ++k) {
        if (current[k] == '~' && k + 1 < current.size() && current[k + 1] == '0') { unescaped += '~'; ++k; }
        else if (current[k] == '~' && k + 1 < current.size() && current[k + 1] == '1') { unescaped += '/'; ++k; }
        else unescaped += current[k];
      }
      tokens.push_back(unescaped);
      current.clear();
    } else {
      current += pointer[i];
    }
  }
  return tokens;
}

// Applies an RFC 6902 patch (add, replace, remove) to `doc`; throws where the API server would fail.
inline void apply_patch(Json& doc, const std::string& patch_text) {
  Json patch = Json::parse(patch_text);
  for (auto& op_json : std::get<Json::Array>(patch.value)) {
    std::string op = op_json.member("op")->str();
    auto tokens = pointer_tokens(op_json.member("path")->str());
    if (tokens.empty()) throw std::runtime_error("patch on the root");
    Json* parent = &doc;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      Json* next = parent->member(tokens[i]);
      if (!next) throw std::runtime_error("doc is missing path " + op_json.member("path")->str());
      parent = next;
    }
    auto* object = std::get_if<Json::Object>(&parent->value);
    if (!object) throw std::runtime_error("patch parent is not an object");
    Json* target = parent->member(tokens.back());
    if (op == "add") {
      if (target) *target = *op_json.member("value");
      else object->emplace_back(tokens.back(), *op_json.member("value"));
    } else if (op == "replace") {
      if (!target) throw std::runtime_error("replace of a missing member " + tokens.back());
      *target = *op_json.member("value");
    } else if (op == "remove") {
      if (!target) throw std::runtime_error("remove of a missing member " + tokens.back());
      for (auto it = object->begin(); it != object->end(); ++it) {
        if (it->first == tokens.back()) { object->erase(it); break; }
      }
    } else {
      throw std::runtime_error("unsupported op " + op);
    }
  }
}

// The patch as JSON text ("" when it is not base64: the comparison then fails with both texts shown).
inline std::string base64_decode(const std::string& text) { return memguard::base64_decode(text).value_or(""); }

// The parts of an AdmissionReview response tests look at.
struct Answer {
  admission::ReviewOutcome outcome;
  std::string uid, api_version, kind;
  bool allowed = false;
  int64_t code = 0;
  std::string reason, message;
  std::vector<std::string> warnings;
  std::string patch;  // decoded JSON text, "" when absent
  bool has_patch_type = false;
  std::map<std::string, std::string> audit;
};

inline Answer review(admission::Mode mode, const std::string& body,
                     const engine::Policy& policy = engine::default_policy()) {
  Answer a;
  a.outcome = engine::handle_review(mode, body, policy);
  if (a.outcome.http_status != 200) return a;
  Json root = Json::parse(a.outcome.body);
  a.api_version = root.member("apiVersion")->str();
  a.kind = root.member("kind")->str();
  Json& r = *root.member("response");
  a.uid = r.member("uid")->str();
  a.allowed = std::get<bool>(r.member("allowed")->value);
  if (Json* status = r.member("status")) {
    a.code = std::get<int64_t>(status->member("code")->value);
    a.reason = status->member("reason")->str();
    a.message = status->member("message")->str();
  }
  if (Json* w = r.member("warnings")) {
    for (auto& item : std::get<Json::Array>(w->value)) a.warnings.push_back(item.str());
  }
  if (Json* p = r.member("patch")) a.patch = base64_decode(p->str());
  a.has_patch_type = r.member("patchType") != nullptr;
  if (Json* audit = r.member("auditAnnotations")) {
    for (auto& [k, v] : std::get<Json::Object>(audit->value)) a.audit[k] = v.str();
  }
  return a;
}

// The review with its request.object replaced by `object`.
inline std::string with_object(const std::string& body, const Json& object) {
  Json root = Json::parse(body);
  *root.member("request")->member("object") = object;
  return root.dump();
}

inline Json object_of(const std::string& body) { return *Json::parse(body).member("request")->member("object"); }

// Applies the answer's patch to the review's object and returns the review of the patched object.
inline std::string patched_review(const std::string& body, const std::string& patch) {
  Json object = object_of(body);
  apply_patch(object, patch);
  return with_object(body, object);
}

inline bool any_contains(const std::vector<std::string>& texts, const std::string& needle) {
  for (const auto& t : texts) {
    if (t.find(needle) != std::string::npos) return true;
  }
  return false;
}

// Sets request fields by text replacement on the canonical fixtures ("dryRun": false -> true).
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("fixture has no '" + from + "'");
  return text.replace(at, from.size(), to);
}

}  // namespace memguard::testing
