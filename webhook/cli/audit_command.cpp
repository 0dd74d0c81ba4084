// `flink-memguard audit`: the webhook's judgement of what already runs, like Gatekeeper's audit.
// Lists FlinkDeployments, ConfigMaps and workloads through the API, judges them against each other
// exactly as `check` judges manifests, and reports once, or every --interval seconds with the
// findings exported as Prometheus metrics on --listen.
#include <charconv>
#include <chrono>
#include <functional>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

#include "webhook/cli/commands.h"
#include "webhook/cli/flags.h"
#include "webhook/cli/kube_lookups.h"
#include "webhook/cli/policy_file.h"
#include "webhook/cli/report.h"
#include "webhook/kube/kube_client.h"
#include "webhook/kube/resource.h"

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

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Prometheus text format: per-object findings (Gatekeeper's violations), totals, and run health.
std::string metrics_text(const AuditRun& run, int64_t runs, int64_t errors, double last_run) {
  std::string out;
  out += "# HELP flink_memguard_audit_findings Findings on an existing object at the last audit, by code and action.\n";
  out += "# TYPE flink_memguard_audit_findings gauge\n";
  std::map<admission::ReviewDecision, int64_t> decisions;
  // One series per object, code and action (a ConfigMap can have the same finding for two workloads).
  std::map<std::string, int64_t> series;
  for (const auto& o : run.report.objects) {
    if (o.decision == admission::ReviewDecision::kSkipped) continue;
    ++decisions[o.decision];
    for (const auto& f : o.findings) {
      ++series["{namespace=\"" + escape_label(o.namespace_) + "\",kind=\"" + escape_label(o.kind) + "\",name=\"" +
               escape_label(o.name) + "\",code=\"" + std::string(engine::finding_code_name(f.code)) + "\",action=\"" +
               std::string(engine::action_name(f.action)) + "\"}"];
    }
  }
  for (const auto& [labels, count] : series) out += "flink_memguard_audit_findings" + labels + " " + std::to_string(count) + "\n";
  out += "# HELP flink_memguard_audit_objects Objects judged at the last audit, by the decision creating them would get.\n";
  out += "# TYPE flink_memguard_audit_objects gauge\n";
  for (auto d : {admission::ReviewDecision::kAllowed, admission::ReviewDecision::kDenied, admission::ReviewDecision::kErrored}) {
    out += "flink_memguard_audit_objects{decision=\"" + std::string(admission::decision_name(d)) + "\"} " +
           std::to_string(decisions[d]) + "\n";
  }
  out += "# HELP flink_memguard_audit_runs_total Audits run.\n# TYPE flink_memguard_audit_runs_total counter\n";
  out += "flink_memguard_audit_runs_total " + std::to_string(runs) + "\n";
  out += "# HELP flink_memguard_audit_errors_total Audits that failed to read the API.\n"
         "# TYPE flink_memguard_audit_errors_total counter\n";
  out += "flink_memguard_audit_errors_total " + std::to_string(errors) + "\n";
  out += "# HELP flink_memguard_audit_last_run_timestamp_seconds When the last successful audit finished.\n"
         "# TYPE flink_memguard_audit_last_run_timestamp_seconds gauge\n";
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%.3f", last_run);
  out += "flink_memguard_audit_last_run_timestamp_seconds " + std::string(stamp) + "\n";
  return out;
}

// A minimal plain-HTTP endpoint for scrapes: one request per connection, GET /metrics only.
// Scrapes are served one at a time, so each connection has a deadline for its request and its
// answer: a client that connects and sends nothing (or trickles bytes) costs at most
// kScrapeDeadline before the next scrape is served, and nothing it sends can end the thread.
class MetricsEndpoint {
 public:
  static constexpr std::chrono::seconds kScrapeDeadline{2};

  explicit MetricsEndpoint(boost::asio::ip::tcp::endpoint at) : acceptor_(io_, at) {}
  void publish(std::string text) {
    std::lock_guard lock(mu_);
    text_ = std::move(text);
  }
  void serve_forever() {
    for (;;) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) continue;
      try {
        serve_one(socket);
      } catch (...) {
        // Beast's fields throw on absurd input, and allocation may fail: that scrape is lost, the
        // endpoint is not.
      }
      socket.close(ec);
    }
  }

 private:
  // One request and its answer, with one deadline for both (Beast's stream timeout applies to
  // async operations only, so they run here on the endpoint's own io_context).
  void serve_one(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::tcp_stream stream(std::move(socket));
    stream.expires_after(kScrapeDeadline);
    boost::beast::flat_buffer buffer(8 * 1024);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    boost::system::error_code ec;
    http::async_read(stream, buffer, parser, [&ec](boost::system::error_code e, std::size_t) { ec = e; });
    io_.restart();
    io_.run();
    if (ec) return;
    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(false);
    if (parser.get().method() == http::verb::get && parser.get().target() == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4");
      std::lock_guard lock(mu_);
      res.body() = text_;
    } else {
      res.result(http::status::not_found);
      res.body() = "not found\n";
    }
    res.prepare_payload();
    http::async_write(stream, res, [&ec](boost::system::error_code e, std::size_t) { ec = e; });
    io_.restart();
    io_.run();
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::mutex mu_;
  std::string text_;
};

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
       text_into(listen)},
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

  auto colon = listen.rfind(':');
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(colon == std::string::npos || colon == 0 ? "0.0.0.0" : listen.substr(0, colon), ec);
  unsigned long port = 0;
  try {
    port = std::stoul(listen.substr(colon + 1));
  } catch (const std::exception&) {
    ec = boost::asio::error::invalid_argument;
  }
  if (colon == std::string::npos || ec || port > 65535) return usage_error("--listen needs ADDR:PORT");
  std::unique_ptr<MetricsEndpoint> endpoint;
  try {
    endpoint = std::make_unique<MetricsEndpoint>(boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flink-memguard audit: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 2;
  }
  std::thread scrapes([&endpoint] { endpoint->serve_forever(); });
  scrapes.detach();  // the process ends with SIGTERM; the endpoint lives until then
  int64_t runs = 0, errors = 0;
  double last_run = 0;
  AuditRun last;
  for (;;) {
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
    endpoint->publish(metrics_text(last, runs, errors, last_run));
    std::this_thread::sleep_for(std::chrono::seconds(interval));
  }
}

}  // namespace memguard::cli
