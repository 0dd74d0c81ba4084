// `flink-memguard audit`: the webhook's judgement of what already runs, like Gatekeeper's audit.
// Lists FlinkDeployments, ConfigMaps and workloads through the API, judges them against each other
// exactly as `check` judges manifests, and reports once, or every --interval seconds with the
// findings exported as Prometheus metrics on --listen by the webhook server over plain HTTP.
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "webhook/cli/commands.h"
#include "webhook/cli/flags.h"
#include "webhook/cli/kube_lookups.h"
#include "webhook/cli/policy_file.h"
#include "webhook/cli/report.h"
#include "webhook/kube/kube_client.h"
#include "webhook/kube/resource.h"
#include "webhook/server/listen_address.h"
#include "webhook/server/metrics.h"
#include "webhook/server/server.h"

namespace memguard::cli {

namespace {

constexpr std::string_view kUsageHead =
    "usage: flink-memguard audit [--namespace NS]... [--output text|json] [--policy FILE]\n"
    "                            [--kube-api MODE | --kubeconfig FILE | --in-cluster |\n"
    "                             --server URL --token-file F --ca-file F]\n"
    "                            [--flink-version X.Y] [--page-size N] [--interval SECONDS --listen ADDR:PORT]\n"
    "\n"
    "Lists FlinkDeployments, ConfigMaps, Deployments, StatefulSets, Jobs and Pods (all namespaces, or\n"
    "those given) and reports what the webhook would deny or warn about if they were created now.\n"
    "Exit status (one run): 0 nothing would be denied, 1 something would be, 2 API or usage error.\n"
    "The cluster flags are serve's; without one, --kube-api auto.\n"
    "\n";


// The scrape endpoint's limits, apart from the server's defaults (header limit, read deadline, idle
// timeout): scrapers are Prometheus and a probe or two, and a GET has no body.
constexpr std::size_t kScrapeConnections = 64;
constexpr std::size_t kScrapeBodyLimit = 16 * 1024;
// On SIGTERM, how long scrapes under way may take: well within Kubernetes' 30 s grace period.
constexpr std::chrono::seconds kScrapeDrainTimeout{5};

// The kinds audited, in report order.
constexpr kube::ApiResource kAudited[] = {kube::kFlinkDeployments, kube::kConfigMaps, kube::kDeployments,
                                          kube::kStatefulSets, kube::kJobs, kube::kPods};

std::string api_version_of(const kube::ApiResource& r) {
  return r.group.empty() ? std::string(r.version) : std::string(r.group) + "/" + std::string(r.version);
}

// List items carry no apiVersion/kind; the decoders dispatch on them, so they are put back.
std::string with_type(const kube::ApiResource& r, const std::string& item) {
  return R"({"apiVersion":")" + api_version_of(r) + R"(","kind":")" + std::string(r.kind) + "\"," +
         (item.size() > 2 ? item.substr(1) : "}");
}

// Pods a ReplicaSet, StatefulSet or Job controls are judged through that workload.
bool controlled_pod(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::array owners;
  if (parser.parse(json)["metadata"]["ownerReferences"].get(owners) != simdjson::SUCCESS) return false;
  for (auto owner : owners) {
    bool controller = false;
    std::string_view kind;
    if (owner["controller"].get(controller) == simdjson::SUCCESS && controller &&
        owner["kind"].get(kind) == simdjson::SUCCESS && (kind == "ReplicaSet" || kind == "StatefulSet" || kind == "Job")) {
      return true;
    }
  }
  return false;
}

struct AuditRun {
  Report report;
  std::string error;  // an API failure: nothing reliable to report
  std::vector<std::string> notes;
};

AuditRun run_audit(const kube::KubeClient& client, const std::vector<std::string>& namespaces, int64_t page_size,
                   const JudgeOptions& judge) {
  AuditRun run;
  std::vector<ManifestObject> objects;
  for (const auto& ns : namespaces) {
    for (const auto& r : kAudited) {
      kube::ListOptions list_options;
      list_options.limit = page_size;
      auto list = client.list(r, ns, list_options);
      if (!list) {
        if (r == kube::kFlinkDeployments && list.error().code == ErrorCode::kNotFound) {
          run.notes.push_back("FlinkDeployments not audited: the flink.apache.org CRD is not installed");
          continue;
        }
        run.error = list.error().message;
        return run;
      }
      for (const auto& item : list->items) {
        std::string json = with_type(r, item);
        if (r == kube::kPods && controlled_pod(json)) continue;
        objects.push_back({r.qualified_name(), std::move(json)});
      }
    }
  }
  run.report = judge_objects(objects, judge);
  return run;
}

// Prometheus text format through the server's writer: per-object findings (Gatekeeper's
// violations), totals, and run health. Each family is a fresh snapshot of the last good audit.
std::string metrics_text(const AuditRun& run, int64_t runs, int64_t errors, double last_run) {
  using server::LabeledCounter;
  constexpr auto kUnbounded = std::numeric_limits<std::size_t>::max();  // one series per object: no cap
  // One series per object, code and action (a ConfigMap can have the same finding for two workloads).
  LabeledCounter findings(kUnbounded), objects(kUnbounded);
  for (auto d : {admission::ReviewDecision::kAllowed, admission::ReviewDecision::kDenied, admission::ReviewDecision::kErrored}) {
    objects.add({{"decision", admission::decision_name(d)}}, 0);  // every decision, 0 included
  }
  for (const auto& o : run.report.objects) {
    if (o.decision == admission::ReviewDecision::kSkipped) continue;
    objects.add({{"decision", admission::decision_name(o.decision)}});
    for (const auto& f : o.findings) {
      findings.add({{"namespace", o.namespace_},
                    {"kind", o.kind},
                    {"name", o.name},
                    {"code", engine::finding_code_name(f.code)},
                    {"action", engine::action_name(f.action)}});
    }
  }
  std::string out;
  server::append_family(out, "flink_memguard_audit_findings", "gauge",
                        "Findings on an existing object at the last audit, by code and action.");
  findings.render(out, "flink_memguard_audit_findings");
  server::append_family(out, "flink_memguard_audit_objects", "gauge",
                        "Objects judged at the last audit, by the decision creating them would get.");
  objects.render(out, "flink_memguard_audit_objects");
  server::append_family(out, "flink_memguard_audit_runs_total", "counter", "Audits run.");
  server::append_sample(out, "flink_memguard_audit_runs_total", runs);
  server::append_family(out, "flink_memguard_audit_errors_total", "counter", "Audits that failed to read the API.");
  server::append_sample(out, "flink_memguard_audit_errors_total", errors);
  server::append_family(out, "flink_memguard_audit_last_run_timestamp_seconds", "gauge",
                        "When the last successful audit finished.");
  server::append_sample_fixed(out, "flink_memguard_audit_last_run_timestamp_seconds", last_run, 3);
  return out;
}

}  // namespace

int audit_command(Args args) {
  std::vector<std::string> namespaces;
  std::string output = "text", policy_file, flink_version;
  std::string listen = "127.0.0.1:9090";
  unsigned interval = 0;
  int64_t page_size = kube::ListOptions{}.limit;
  ClusterSelection cluster;
  std::vector<Flag> table = {
      {"--namespace", "-n", "NS", "audit only NS (repeatable; default: all namespaces)",
       [&](std::string_view v) {
         namespaces.emplace_back(v);
         return std::string();
       }},
      {"--output", "", "FORMAT", "text or json: report format (default text)",
       [&](std::string_view v) {
         output = std::string(v);
         return output == "text" || output == "json" ? std::string() : std::string("--output must be text or json");
       }},
      {"--policy", "", "FILE", "decision policy (default: the embedded policy)", text_into(policy_file)},
      {"--flink-version", "", "X.Y", "Flink version of objects that declare none",
       [&](std::string_view v) {
         auto parsed = memmodel::FlinkVersion::parse(v);
         if (!parsed) return "--flink-version: " + parsed.error().message;
         flink_version = parsed->to_string();
         return std::string();
       }},
      {"--page-size", "", "N",
       "objects per list request, the rest follow by continue token\n"
       "(1 to 10000; default 500, client-go's pager default)",
       number_in(1, 10000, "--page-size needs a number of objects from 1 to 10000",
                 [&](unsigned long n) { page_size = static_cast<int64_t>(n); })},
      {"--interval", "", "SECONDS", "audit again every SECONDS until stopped, serving metrics on --listen",
       number_in(1, 86400, "--interval needs a number of seconds from 1 to 86400",
                 [&](unsigned long n) { interval = static_cast<unsigned>(n); })},
      {"--listen", "", "ADDR:PORT", "where GET /metrics answers (plain HTTP; default 127.0.0.1:9090)",
       [&](std::string_view v) {
         // serve's parser and its error texts
         if (auto endpoint = server::parse_listen_address(v); !endpoint) return endpoint.error().message;
         listen = std::string(v);
         return std::string();
       }},
  };
  for (Flag& f : cluster_flags(cluster)) table.push_back(std::move(f));
  const std::string usage = std::string(kUsageHead) + flag_usage(table);
  auto usage_error = [&usage](const std::string& message) { return cli::usage_error("audit", message, usage); };
  if (int exit = parse_or_exit("audit", args, table, usage); exit >= 0) return exit;
  if (std::string error = cluster_flags_error(cluster); !error.empty()) return usage_error(error);
  if (cluster.api == "off") return usage_error("--kube-api off: audit reads the cluster, it needs one");
  if (namespaces.empty()) namespaces.emplace_back();  // all namespaces

  JudgeOptions judge;
  judge.flink_version = flink_version;
  auto policy = policy_from_file(policy_file);
  if (!policy) {
    if (policy.error().code == ErrorCode::kNotFound) return usage_error(policy.error().message);
    std::fprintf(stderr, "flink-memguard audit: %s\n", policy.error().message.c_str());
    return 2;
  }
  judge.policy = std::move(*policy);

  // Without a cluster flag: in-cluster in a pod, else $KUBECONFIG or ~/.kube/config, as kubectl.
  auto config = select_cluster(cluster, "auto");
  if (!config) {
    std::fprintf(stderr, "flink-memguard audit: %s\n", config.error().message.c_str());
    return 2;
  }
  kube::KubeClient client(std::move(**config));

  auto print = [&](const AuditRun& run) {
    if (!run.error.empty()) {
      std::fprintf(stderr, "flink-memguard audit: %s\n", run.error.c_str());
      return 2;
    }
    for (const auto& n : run.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    std::fputs((output == "json" ? report_json(run.report) : report_text(run.report)).c_str(), stdout);
    std::fflush(stdout);
    return run.report.exit_code();
  };

  if (interval == 0) return print(run_audit(client, namespaces, page_size, judge));

  // The webhook server's own listener and sessions over plain HTTP, with a route table of
  // GET /metrics (the last published audit) and GET /healthz: the server's deadlines and limits
  // apply, so no scraper (silent, trickling or flooding) holds up another. It runs on this thread
  // until SIGTERM or SIGINT; the audits run on their own, between waits on `wake`.
  struct Published {
    std::mutex mu;
    std::string text;
  };
  auto published = std::make_shared<Published>();
  std::vector<server::TextRoutes::Entry> routes;
  routes.push_back({"/metrics", std::string(server::kPrometheusContentType), [published] {
                      std::lock_guard lock(published->mu);
                      return published->text;
                    }});
  routes.push_back({"/healthz", "text/plain; charset=utf-8", [] { return std::string("ok\n"); }});
  server::ServerOptions options;
  options.listen = listen;
  options.threads = 1;
  options.max_connections = kScrapeConnections;
  options.body_limit = kScrapeBodyLimit;
  options.body_budget = kScrapeBodyLimit * 4;
  options.drain_timeout = kScrapeDrainTimeout;
  // A closed stdout must not kill the audit; socket writes never raise SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // Server events (listening, signal received, stopped) go to stderr: stdout carries the reports.
  server::Log log(stderr, stderr, server::LogLevel::kWarn);
  auto scrapes = server::Server::create_plain(options, std::make_unique<server::TextRoutes>(std::move(routes)), log);
  if (!scrapes) {
    std::fprintf(stderr, "flink-memguard audit: %s\n", scrapes.error().message.c_str());
    return 2;
  }

  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;  // under mu
  std::thread audits([&] {
    int64_t runs = 0, errors = 0;
    double last_run = 0;
    AuditRun last;
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      AuditRun run = run_audit(client, namespaces, page_size, judge);
      ++runs;
      if (run.error.empty()) {
        last = run;
        last_run = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch()).count()) / 1000.0;
      } else {
        ++errors;  // keep exporting the last good audit; the error counter says it is getting old
      }
      print(run);
      std::string text = metrics_text(last, runs, errors, last_run);
      {
        std::lock_guard published_lock(published->mu);
        published->text = std::move(text);
      }
      lock.lock();
      wake.wait_for(lock, std::chrono::seconds(interval), [&stopping] { return stopping; });
    }
  });
  // Returns once a signal has stopped the listener and the scrapes under way have been answered.
  const int exit = (*scrapes)->run();
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  wake.notify_all();
  audits.join();  // an audit under way finishes first (each API request is bounded by its timeout)
  return exit;
}

}  // namespace memguard::cli
