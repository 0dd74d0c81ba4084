// `flink-memguard serve`: the admission webhook over TLS. Parses flags, builds the admission
// handler, runs the server until SIGTERM/SIGINT.
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "webhook/cli/commands.h"
#include "webhook/cli/flags.h"
#include "webhook/cli/serve_command.h"
#include "webhook/engine/handle_review.h"
#include "webhook/server/server.h"
#include "webhook/server/structured_log.h"

namespace memguard::cli {
namespace {

constexpr std::string_view kUsageHead =
    "usage: flink-memguard serve --tls-cert FILE --tls-key FILE [options]\n"
    "\n"
    "Serves the admission webhook over HTTPS: POST /validate and /mutate (AdmissionReview v1),\n"
    "GET /healthz, /readyz and /metrics. With a cluster (--kube-api, --kubeconfig, --in-cluster or\n"
    "--server; the same flags as audit, default off) a standalone workload is judged against the\n"
    "ConfigMap it mounts; without one it is allowed with a warning that its ConfigMap was not checked.\n"
    "\n"
    "options:\n";

HeapLimiter g_heap_limiter = nullptr;

}  // namespace

void install_heap_limiter(HeapLimiter limiter) { g_heap_limiter = limiter; }

std::optional<std::size_t> cgroup_memory_limit(std::string_view root) {
  for (const char* file : {"/memory.max", "/memory/memory.limit_in_bytes"}) {
    std::FILE* f = std::fopen((std::string(root) + file).c_str(), "r");
    if (!f) continue;
    char text[64] = {};
    const std::size_t n = std::fread(text, 1, sizeof text - 1, f);
    std::fclose(f);
    std::string_view value(text, n);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    std::size_t bytes = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), bytes);
    // "max" (v2) or a page-rounded 2^63 (v1): no limit.
    if (ec != std::errc() || end != value.data() + value.size() || bytes == 0 || bytes > (std::size_t{1} << 50)) {
      return std::nullopt;
    }
    return bytes;
  }
  return std::nullopt;
}

std::size_t default_heap_cap(std::size_t cgroup_limit) { return cgroup_limit / 2; }

Expected<AdmissionSetup> make_admission_handler(const server::ServerOptions& options) {
  return make_admission_handler(options, KubeLookups{});
}

Expected<AdmissionSetup> make_admission_handler(const server::ServerOptions& options, KubeLookups lookups) {
  auto policy = std::make_shared<server::PolicyStore>(options.policy_file);
  if (auto loaded = policy->load(); !loaded) return Unexpected{loaded.error()};
  // Each review decides with the policy current when it started; a reload swaps the pointer.
  server::AdmissionHandler handler = [policy, counterparts = lookups.counterparts](admission::Mode mode,
                                                                                    admission::ReviewBody body) {
    return engine::handle_review(mode, body, *policy->current(), counterparts.get());
  };
  return AdmissionSetup{std::move(handler), std::move(policy), std::move(lookups)};
}

int serve_command(Args args) {
  server::ServerOptions options;
  KubeLookupOptions kube_options;
  ClusterSelection cluster;
  std::optional<unsigned long> heap_cap_mb;
  bool heap_cap_auto = false;
  std::vector<Flag> table = {
      {"--listen", "", "ADDR:PORT", "address to listen on (default 127.0.0.1:8443; :8443 = all IPv4)",
       text_into(options.listen)},
      {"--tls-cert", "", "FILE", "PEM certificate chain, leaf first (re-read when it changes)",
       text_into(options.tls_cert_file)},
      {"--tls-key", "", "FILE", "PEM private key of the certificate (re-read when it changes)",
       text_into(options.tls_key_file)},
      {"--client-ca", "", "FILE", "require client certificates signed by these CAs (default: none)",
       text_into(options.client_ca_file)},
      {"--policy", "", "FILE", "decision policy YAML (default: the built-in policy; re-read when it changes)",
       text_into(options.policy_file)},
      {"--threads", "", "N", "I/O threads (default: one per core)",
       number_in(1, 256, "--threads needs a number from 1 to 256", [&](unsigned n) { options.threads = n; })},
      {"--log-level", "", "LEVEL", "info: one line per review; warn: only reviews not allowed",
       [&](std::string_view v) {
         if (v != "info" && v != "warn") return std::string("--log-level must be info or warn");
         options.log_level = v == "info" ? server::LogLevel::kInfo : server::LogLevel::kWarn;
         return std::string();
       }},
      {"--cert-poll-interval", "", "SEC", "how often the TLS and policy files are checked for changes (default 10)",
       number_in(1, 3600, "--cert-poll-interval needs a number of seconds from 1 to 3600",
                 [&](unsigned n) { options.cert_poll_interval = std::chrono::seconds(n); })},
      {"--kube-timeout-ms", "", "MS",
       "how long one admission waits for a lookup before allowing with a warning\n(default 1000)",
       number_in(1, 30000, "--kube-timeout-ms needs a number of milliseconds from 1 to 30000",
                 [&](unsigned n) { kube_options.timeout = std::chrono::milliseconds(n); })},
      {"--kube-watch-timeout", "", "SEC",
       "timeoutSeconds of each informer watch; it then resumes, or relists after\n410 Gone (default 300)",
       number_in(1, 3600, "--kube-watch-timeout needs a number of seconds from 1 to 3600",
                 [&](unsigned n) { kube_options.watch_timeout_seconds = static_cast<int>(n); })},
      {"--max-heap-mb", "", "N|auto",
       "cap the heap so that running out fails one request with a 500 instead of\n"
       "the OOM killer ending the process (auto: half the cgroup memory limit;\n"
       "default: no cap)",
       [&](std::string_view v) {
         unsigned long mb = 0;
         if (v == "auto") {
           heap_cap_auto = true;
         } else if (!parse_whole_number(v, mb) || mb < 16 || mb > 1024 * 1024) {
           return std::string("--max-heap-mb needs a number of MiB from 16, or auto");
         } else {
           heap_cap_mb = mb;
         }
         return std::string();
       }},
      {"--body-budget-mb", "", "N",
       "request-body bytes held across all connections before new ones get 503\n(default 16)",
       number_in(3, 64 * 1024, "--body-budget-mb needs a number of MiB from 3 (one body at the limit) to 65536",
                 [&](unsigned n) { options.body_budget = std::size_t{n} * 1024 * 1024; })},
      {"--decision-threads", "", "N", "threads that decide reviews, apart from the I/O threads (default: one per core)",
       number_in(1, 256, "--decision-threads needs a number from 1 to 256",
                 [&](unsigned n) { options.decision_threads = n; })},
      {"--decision-timeout-ms", "", "MS",
       "our cap on deciding one review; the API server's ?timeout= lowers it\n(default 10000)",
       number_in(100, 60000, "--decision-timeout-ms needs a number of milliseconds from 100 to 60000",
                 [&](unsigned n) { options.decision_timeout = std::chrono::milliseconds(n); })},
  };
  {
    // The cluster flags (shared with audit) come before the lookup's own.
    std::vector<Flag> kube = cluster_flags(cluster);
    auto at = std::find_if(table.begin(), table.end(), [](const Flag& f) { return f.name == "--kube-timeout-ms"; });
    table.insert(at, kube.begin(), kube.end());
  }
  const std::string usage = std::string(kUsageHead) + flag_usage(table);
  auto usage_error = [&usage](const std::string& message) { return cli::usage_error("serve", message, usage); };
  if (int exit = parse_or_exit("serve", args, table, usage); exit >= 0) return exit;
  if (std::string error = cluster_flags_error(cluster); !error.empty()) return usage_error(error);
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return usage_error("--tls-cert and --tls-key are required (the API server only calls webhooks over HTTPS)");
  }

  // Without a cluster flag the webhook looks nothing up: standalone workloads are allowed with a warning.
  auto chosen = select_cluster(cluster, "off");
  if (!chosen) {
    std::fprintf(stderr, "flink-memguard serve: %s\n", chosen.error().message.c_str());
    return 2;
  }
  auto admission = make_admission_handler(options, make_kube_lookups(std::move(*chosen), kube_options));
  if (!admission) {
    std::fprintf(stderr, "flink-memguard serve: %s\n", admission.error().message.c_str());
    return 2;
  }
  // A closed stdout (log collector gone) must not kill the server; socket writes never raise it.
  std::signal(SIGPIPE, SIG_IGN);
  server::Log log(stdout, stderr, options.log_level);
  {
    std::optional<std::size_t> cap;
    std::string source;
    if (heap_cap_mb) {
      cap = std::size_t{*heap_cap_mb} * 1024 * 1024;
      source = "--max-heap-mb";
    } else if (heap_cap_auto) {
      if (const auto limit = cgroup_memory_limit()) {
        cap = default_heap_cap(*limit);
        source = "half the cgroup memory limit";
      } else {
        log.warn("--max-heap-mb auto: no cgroup memory limit found; the heap is not capped");
      }
    }
    if (cap && !g_heap_limiter) {
      log.warn("heap cap not applied: this build is not linked with mimalloc", {{"requested_by", source}});
    } else if (cap && g_heap_limiter(*cap)) {
      log.event("heap capped", {{"bytes", std::to_string(*cap)}, {"source", source}});
    } else if (cap) {
      log.warn("heap cap not applied: cannot reserve the address space", {{"bytes", std::to_string(*cap)}});
    }
  }
  auto server = server::Server::create(options, std::move(admission->handler), log);
  if (!server) {
    log.warn("cannot start", {{"error", server.error().message}});
    return server.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  if (auto cache = admission->lookups.cache) {
    (*server)->add_metrics_source([cache] { return cache_metrics_text(cache->stats()); });
  }
  if (!options.policy_file.empty()) {
    // The policy ConfigMap is a mounted file that kubelet swaps atomically: poll it like the cert.
    // The store logs a reload and a rejected file (once per file).
    admission->policy->report_to(log);
    (*server)->every(options.cert_poll_interval, [policy = admission->policy] { policy->poll(); });
  }
  return (*server)->run();
}

}  // namespace memguard::cli
