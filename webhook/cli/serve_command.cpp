// `flink-memguard serve`: the admission webhook over TLS. Parses flags, builds the admission
// handler, runs the server until SIGTERM/SIGINT.
#include <charconv>
#include <csignal>
#include <cstdio>
#include <string>

#include <simdjson.h>

#include "webhook/cli/commands.h"
#include "webhook/cli/serve_command.h"
#include "webhook/json/json_writer.h"
#include "webhook/server/server.h"
#include "webhook/server/structured_log.h"

namespace memguard::cli {
namespace {

constexpr const char* kUsage =
    "usage: flink-memguard serve --tls-cert FILE --tls-key FILE [options]\n"
    "\n"
    "Serves the admission webhook over HTTPS: POST /validate and /mutate (AdmissionReview v1),\n"
    "GET /healthz, /readyz and /metrics.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT        address to listen on (default 127.0.0.1:8443; :8443 = all IPv4)\n"
    "  --tls-cert FILE           PEM certificate chain, leaf first (re-read when it changes)\n"
    "  --tls-key FILE            PEM private key of the certificate (re-read when it changes)\n"
    "  --client-ca FILE          require client certificates signed by these CAs (default: none)\n"
    "  --policy FILE             decision policy (default: the built-in policy)\n"
    "  --threads N               I/O threads (default: one per core)\n"
    "  --log-level info|warn     info: one line per review; warn: only reviews not allowed\n"
    "  --cert-poll-interval SEC  how often the TLS files are checked for changes (default 10)\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "flink-memguard serve: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

bool parse_unsigned(std::string_view text, unsigned& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// --- The admission handler until the decision engine is merged --------------------------------
// It decodes the envelope as the engine will (simdjson), answers "allowed" for every well-formed
// AdmissionReview and 400 for anything else, so the server can be deployed and tested end to end.

admission::ReviewOutcome bad_review(std::string message) {
  admission::ReviewOutcome out;
  out.http_status = 400;
  out.decision = "errored";
  json::Writer w;
  w.begin_object().member("error", message).end_object();
  out.body = w.take();
  out.error = std::move(message);
  return out;
}

std::string_view string_or_empty(simdjson::dom::element parent, std::string_view key) {
  std::string_view value;
  if (parent[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return value;
}

admission::ReviewOutcome allow_every_review(admission::Mode, std::string_view body) noexcept {
  try {
    thread_local simdjson::dom::parser parser;  // dom::parser is not thread-safe; one per I/O thread
    simdjson::dom::element doc;
    if (auto error = parser.parse(body.data(), body.size()).get(doc)) {
      return bad_review(std::string("request body is not valid JSON: ") + simdjson::error_message(error));
    }
    std::string_view api_version = string_or_empty(doc, "apiVersion");
    if (string_or_empty(doc, "kind") != "AdmissionReview" ||
        (api_version != "admission.k8s.io/v1" && api_version != "admission.k8s.io/v1beta1")) {
      return bad_review("request body is not an AdmissionReview (apiVersion admission.k8s.io/v1, kind AdmissionReview)");
    }
    simdjson::dom::element request;
    if (doc["request"].get(request) != simdjson::SUCCESS || !request.is_object()) {
      return bad_review("AdmissionReview has no request object");
    }
    admission::ReviewOutcome out;
    out.uid = std::string(string_or_empty(request, "uid"));
    if (out.uid.empty()) return bad_review("AdmissionReview request has no uid");
    simdjson::dom::element kind;
    if (request["kind"].get(kind) == simdjson::SUCCESS) out.kind = std::string(string_or_empty(kind, "kind"));
    out.namespace_ = std::string(string_or_empty(request, "namespace"));
    out.name = std::string(string_or_empty(request, "name"));
    out.operation = std::string(string_or_empty(request, "operation"));
    bool dry_run = false;
    if (request["dryRun"].get_bool().get(dry_run) == simdjson::SUCCESS) out.dry_run = dry_run;
    out.decision = "allowed";
    json::Writer w;
    w.begin_object()
        .member("apiVersion", api_version)
        .member("kind", "AdmissionReview")
        .key("response")
        .begin_object()
        .member("uid", out.uid)
        .member("allowed", true)
        .end_object()
        .end_object();
    out.body = w.take();
    return out;
  } catch (const std::exception& e) {  // allocation failure: still an answer, never a crash
    admission::ReviewOutcome out;
    out.http_status = 500;
    out.decision = "errored";
    out.error = e.what();
    out.body = R"({"error":"internal error"})";
    return out;
  }
}

}  // namespace

Expected<server::AdmissionHandler> make_admission_handler(const server::ServerOptions& options) {
  if (!options.policy_file.empty()) {
    return make_error(ErrorCode::kUnsupported,
                      "--policy: policies are applied by the decision engine, which this build does not include yet");
  }
  return server::AdmissionHandler(allow_every_review);
}

int serve_command(Args args) {
  server::ServerOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::string_view value;
    bool has_value = false;
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    } else if (i + 1 < args.size()) {
      value = args[i + 1];
      has_value = true;
    }
    auto take = [&](std::string& target) {
      if (!has_value) return false;
      target = std::string(value);
      if (args[i].find('=') == std::string_view::npos) ++i;
      return true;
    };
    std::string text;
    if (flag == "--listen") {
      if (!take(options.listen)) return usage_error("--listen needs ADDR:PORT");
    } else if (flag == "--tls-cert") {
      if (!take(options.tls_cert_file)) return usage_error("--tls-cert needs a file");
    } else if (flag == "--tls-key") {
      if (!take(options.tls_key_file)) return usage_error("--tls-key needs a file");
    } else if (flag == "--client-ca") {
      if (!take(options.client_ca_file)) return usage_error("--client-ca needs a file");
    } else if (flag == "--policy") {
      if (!take(options.policy_file)) return usage_error("--policy needs a file");
    } else if (flag == "--threads") {
      if (!take(text) || !parse_unsigned(text, options.threads) || options.threads == 0 || options.threads > 256) {
        return usage_error("--threads needs a number from 1 to 256");
      }
    } else if (flag == "--log-level") {
      if (!take(text) || (text != "info" && text != "warn")) return usage_error("--log-level must be info or warn");
      options.log_level = text == "info" ? server::LogLevel::kInfo : server::LogLevel::kWarn;
    } else if (flag == "--cert-poll-interval") {
      unsigned seconds = 0;
      if (!take(text) || !parse_unsigned(text, seconds) || seconds == 0 || seconds > 3600) {
        return usage_error("--cert-poll-interval needs a number of seconds from 1 to 3600");
      }
      options.cert_poll_interval = std::chrono::seconds(seconds);
    } else {
      return usage_error("unknown option '" + std::string(args[i]) + "'");
    }
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return usage_error("--tls-cert and --tls-key are required (the API server only calls webhooks over HTTPS)");
  }

  auto handler = make_admission_handler(options);
  if (!handler) {
    std::fprintf(stderr, "flink-memguard serve: %s\n", handler.error().message.c_str());
    return 2;
  }
  // A closed stdout (log collector gone) must not kill the server; socket writes never raise it.
  std::signal(SIGPIPE, SIG_IGN);
  server::Log log(stdout, stderr, options.log_level);
  auto server = server::Server::create(options, std::move(*handler), log);
  if (!server) {
    log.warn("cannot start", {{"error", server.error().message}});
    return server.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  return (*server)->run();
}

}  // namespace memguard::cli
