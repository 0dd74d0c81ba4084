// `flink-memguard review`: answers one AdmissionReview from stdin exactly as the webhook would, and
// shows on stderr what kubectl would print (warnings, denial) and the decoded patch.
#include <cstdio>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "webhook/admission/objects.h"
#include "webhook/cli/commands.h"
#include "webhook/cli/flags.h"
#include "support/base64.h"
#include "support/read_file.h"
#include "webhook/cli/manifests.h"
#include "webhook/cli/policy_file.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/handle_review.h"
#include "webhook/engine/policy.h"
#include "webhook/json/json_writer.h"
#include "webhook/server/server_options.h"

namespace memguard::cli {

namespace {

constexpr std::string_view kUsageHead =
    "usage: flink-memguard review [--mutate] [--policy FILE] [-f FILE] [--with MANIFESTS]... < admissionreview.json\n"
    "\n"
    "Prints the AdmissionReview response the webhook would give (stdout) and what kubectl would show\n"
    "(stderr). Exit status: 0 allowed, 1 denied, 2 unreadable input or policy, or bad usage.\n"
    "\n";

// Indented JSON for people; strings go through the project's escaper.
void pretty(simdjson::dom::element value, int depth, std::string& out) {
  std::string indent(static_cast<size_t>(depth + 1) * 2, ' '), closing(static_cast<size_t>(depth) * 2, ' ');
  if (value.is_object()) {
    simdjson::dom::object object = value.get_object().value();
    if (object.size() == 0) { out += "{}"; return; }
    out += "{\n";
    bool first = true;
    for (auto [key, member] : object) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      json::append_escaped(out, key);
      out += ": ";
      pretty(member, depth + 1, out);
    }
    out += "\n" + closing + "}";
  } else if (value.is_array()) {
    simdjson::dom::array array = value.get_array().value();
    if (array.size() == 0) { out += "[]"; return; }
    out += "[\n";
    bool first = true;
    for (auto item : array) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      pretty(item, depth + 1, out);
    }
    out += "\n" + closing + "]";
  } else if (value.is_string()) {
    json::append_escaped(out, value.get_string().value());
  } else {
    out += simdjson::minify(value);
  }
}

// What stops a review (not a usage error): the message on stderr, exit status 2.
int review_error(const std::string& message) {
  std::fprintf(stderr, "flink-memguard review: %s\n", message.c_str());
  return 2;
}

}  // namespace

int review_command(Args args) {
  bool mutate = false;
  std::string policy_file, input_file;
  std::vector<std::string> with;
  const Flag table[] = {
      {"--mutate", "", "", "answer as /mutate (patches) instead of /validate",
       [&](std::string_view) {
         mutate = true;
         return std::string();
       }},
      {"--policy", "", "FILE", "decision policy (default: the embedded policy)",
       [&](std::string_view v) {
         policy_file = std::string(v);
         return std::string();
       }},
      {"-f", "", "FILE", "read the review from FILE instead of stdin",
       [&](std::string_view v) {
         input_file = std::string(v);
         return std::string();
       }},
      {"--with", "", "PATH",
       "manifests (file or directory) standing in for the cluster: the ConfigMap a\n"
       "workload mounts, the workloads mounting a ConfigMap (repeatable). Without it,\n"
       "workloads are allowed with a warning that their ConfigMap was not checked.",
       [&](std::string_view v) {
         with.emplace_back(v);
         return std::string();
       }},
  };
  const std::string usage = std::string(kUsageHead) + flag_usage(table);
  if (int exit = parse_or_exit("review", args, table, usage); exit >= 0) return exit;

  auto policy = policy_from_file(policy_file);
  if (!policy) return review_error(policy.error().message);

  // The webhook answers 413 to a larger body without reading it; so do we, without reading more.
  const size_t body_limit = server::ServerOptions{}.body_limit;
  const std::string input_name = input_file.empty() ? "<stdin>" : input_file;
  auto input = read_input(input_file.empty() ? "-" : input_file, body_limit);
  if (!input) return review_error(input_name + ": " + input.error().message);
  if (input->too_large) {
    return review_error(input_name + ": larger than " + size_text(body_limit) +
                ", the largest request body the webhook accepts (it would answer 413)");
  }
  const std::string& body = input->text;

  std::optional<engine::StaticCounterparts> counterparts;
  if (!with.empty()) {
    // The answer depends on every counterpart: one that cannot be read fails the review.
    Manifests manifests = load_manifests(with);
    if (manifests.unreadable() > 0) return review_error(manifests.first_error());
    for (const auto& s : manifests.skipped) {
      std::fprintf(stderr, "flink-memguard review: note: %s: skipped: %s\n", s.source.c_str(), s.reason.c_str());
    }
    counterparts.emplace();
    simdjson::dom::parser manifest_parser;
    for (const auto& m : manifests.objects) {
      simdjson::dom::element element;
      if (manifest_parser.parse(m.json).get(element) != simdjson::SUCCESS) return review_error(m.source + ": not JSON");
      auto decoded = admission::decode_object(element);
      if (!decoded) return review_error(m.source + ": " + decoded.error().message);
      counterparts->add(*decoded, "default");
    }
  }

  auto mode = mutate ? admission::Mode::kMutate : admission::Mode::kValidate;
  admission::ReviewOutcome outcome =
      engine::handle_review(mode, body, *policy, counterparts ? &*counterparts : nullptr);
  if (outcome.http_status != 200) {
    return review_error("HTTP " + std::to_string(outcome.http_status) + ": " + outcome.error);
  }

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(outcome.body).get(root) != simdjson::SUCCESS) {
    return review_error("internal error: response is not JSON");
  }
  std::string text;
  pretty(root, 0, text);
  std::fputs((text + "\n").c_str(), stdout);

  // What kubectl would show (spec admission-webhooks §2).
  simdjson::dom::element response = root["response"].value();
  simdjson::dom::array warnings;
  if (response["warnings"].get(warnings) == simdjson::SUCCESS) {
    for (auto w : warnings) std::fprintf(stderr, "Warning: %s\n", std::string(w.get_string().value()).c_str());
  }
  std::string_view patch;
  if (response["patch"].get(patch) == simdjson::SUCCESS) {
    std::fprintf(stderr, "Patch: %s\n", base64_decode(patch).value_or("").c_str());
  }
  bool allowed = response["allowed"].get_bool().value();
  if (allowed) return 0;
  int64_t code = 0;
  std::string_view message;
  if (response["status"]["code"].get(code) != simdjson::SUCCESS) code = 0;
  if (response["status"]["message"].get(message) != simdjson::SUCCESS) message = "";
  std::string webhook = mutate ? "mutate.flink-memguard.io" : "validate.flink-memguard.io";
  std::string reason = code == 403 ? "Forbidden" : code >= 500 ? "InternalError" : "BadRequest";
  std::fprintf(stderr, "Error from server (%s): admission webhook \"%s\" denied the request: %s\n", reason.c_str(),
               webhook.c_str(), std::string(message).c_str());
  return code == 403 ? 1 : 2;
}

}  // namespace memguard::cli
