// `flink-memguard memory`: explains, for a person or a script, the memory Flink derives from a
// configuration (files and -D properties), or why Flink would reject it.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "memmodel/java_text.h"
#include "webhook/cli/commands.h"
#include "webhook/cli/flags.h"
#include "support/read_file.h"
#include "webhook/cli/memory_bars.h"
#include "webhook/cli/memory_report.h"
#include "webhook/cli/memory_rows.h"
#include "webhook/cli/memory_svg.h"

namespace memguard::cli {

namespace {

using namespace memguard::memmodel;

constexpr int kOk = 0;
constexpr int kRejected = 1;
constexpr int kUsage = 2;

constexpr std::string_view kUsageHead =
    "usage: flink-memguard memory [-f FILE]... [-D key=value]... [--flink-version X.Y]\n"
    "                             [--role taskmanager|jobmanager|both] [--output table|json|svg|html]\n"
    "                             [--legacy-heap start-scripts|process-total] [--ascii]\n"
    "       flink-memguard memory --batch < requests.jsonl\n"
    "\n"
    "Derives TaskManager and JobManager memory exactly as Flink does.\n";
constexpr std::string_view kUsageTail =
    "Exit codes: 0 accepted, 1 Flink would reject the configuration, 2 bad usage or unreadable input.\n";

struct CommandLine {
  std::vector<std::string> files;
  std::vector<std::pair<std::string, std::string>> properties;
  DerivationContext context;
  bool taskmanager = true;
  bool jobmanager = true;
  enum class Output { kTable, kJson, kSvg, kHtml } output = Output::kTable;
  bool batch = false;
  bool ascii = false;
};

std::vector<Flag> flag_table(CommandLine& cl) {
  return {
      {"--file", "-f", "FILE", "a flink-conf.yaml or config.yaml (repeatable; later files override earlier)",
       [&cl](std::string_view v) {
         cl.files.emplace_back(v);
         return std::string();
       }},
      {"-D", "", "key=value", "a dynamic property, applied after the files (repeatable)",
       [&cl](std::string_view property) {
         const size_t eq = property.find('=');
         if (eq == std::string_view::npos || eq == 0) {
           return "-D " + std::string(property) + " is not key=value (for example -D taskmanager.memory.process.size=4g)";
         }
         cl.properties.emplace_back(std::string(property.substr(0, eq)), std::string(property.substr(eq + 1)));
         return std::string();
       }},
      {"--flink-version", "", "X.Y", "1.10 ... 2.x (default 1.20)",
       [&cl](std::string_view v) {
         auto version = FlinkVersion::parse(v);
         if (!version) return version.error().message;
         cl.context.version = *version;
         return std::string();
       }},
      {"--role", "", "ROLE", "taskmanager, jobmanager or both (default both)",
       [&cl](std::string_view v) {
         const std::optional<Role> role = role_named(v);  // none: both
         if (!role && v != "both") return std::string("--role must be taskmanager, jobmanager or both");
         cl.taskmanager = role != Role::kJobManager;
         cl.jobmanager = role != Role::kTaskManager;
         return std::string();
       }},
      {"--output", "", "FORMAT",
       "table (default), json, svg (Flink's memory diagram with these sizes) or html\n"
       "(the diagram and the table in one page, no script or external files)",
       [&cl](std::string_view v) {
         if (v != "table" && v != "json" && v != "svg" && v != "html") {
           return std::string("--output must be table, json, svg or html");
         }
         cl.output = v == "json"   ? CommandLine::Output::kJson
                     : v == "svg"  ? CommandLine::Output::kSvg
                     : v == "html" ? CommandLine::Output::kHtml
                                   : CommandLine::Output::kTable;
         return std::string();
       }},
      {"--legacy-heap", "", "TARGET",
       "what taskmanager.heap.size / jobmanager.heap.size stand for (1.x): start-scripts\n"
       "(default: TM total Flink memory, JM heap) or process-total (Kubernetes, YARN)",
       [&cl](std::string_view v) {
         if (v != "start-scripts" && v != "process-total") {
           return std::string("--legacy-heap must be start-scripts or process-total");
         }
         cl.context.legacy_heap =
             v == "process-total" ? LegacyHeapTarget::kProcessTotal : LegacyHeapTarget::kDeploymentDefault;
         return std::string();
       }},
      {"--ascii", "", "",
       "the table's bars in '#' (default: Unicode blocks on a UTF-8 terminal, '#' otherwise;\n"
       "FLINK_MEMGUARD_BARS=unicode|ascii overrides the terminal test)",
       [&cl](std::string_view) {
         cl.ascii = true;
         return std::string();
       }},
      {"--batch", "", "", "read vector-format request lines on stdin, answer one JSON line each",
       [&cl](std::string_view) {
         cl.batch = true;
         return std::string();
       }},
  };
}

// Flink configuration files are a few KiB; this bounds what a wrong path (a log, /dev/zero) costs.
constexpr size_t kMaxConfigFileBytes = 16 * 1024 * 1024;

// `notes` gets what Flink ignores in each file ("flink-conf.yaml: line 3: not a key-value pair ...").
Expected<FlinkConfig> load_config(const CommandLine& cl, std::vector<std::string>& notes) {
  FlinkConfig config;
  for (const std::string& file : cl.files) {
    auto input = read_input(file, kMaxConfigFileBytes);
    if (!input) {
      std::string message = file + ": " + input.error().message;
      if (input.error().message == "is a directory") message += " (-f takes a flink-conf.yaml or config.yaml file)";
      return make_error(input.error().code, message);
    }
    if (input->too_large) {
      return make_error(ErrorCode::kInvalidArgument,
                        file + ": larger than " + size_text(kMaxConfigFileBytes) + ", the limit for a configuration file");
    }
    auto parsed = parse_config_file(input->text, config_file_format_for(file));
    if (!parsed) return make_error(parsed.error().code, file + ": " + parsed.error().message);
    for (const auto& line : ignored_lines(*parsed)) notes.push_back(file + ": " + line);
    config.merge(parsed->config);
  }
  FlinkConfig dynamic;
  for (const auto& [key, value] : cl.properties) dynamic.set(key, value);
  config.merge(dynamic);
  return config;
}

// A fixed-width row: label, human size, bytes, the share bar (already padded), source, key.
void row(std::string& out, std::string_view label, MemorySize size, std::string_view bar_text,
         std::string_view source = {}, std::string_view key = {}) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-24.*s %14s %20lld  ", static_cast<int>(label.size()), label.data(),
                size.to_human().c_str(), static_cast<long long>(size.bytes()));
  out += buf;
  out += bar_text;
  std::snprintf(buf, sizeof buf, "  %-10.*s %.*s", static_cast<int>(source.size()), source.data(),
                static_cast<int>(key.size()), key.data());
  out += buf;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
}

std::string total_source(const FlinkConfig& config, std::string_view key) {
  return config.contains(key) ? "configured" : "derived";
}

std::string render_table(const RoleReport& r, const FlinkConfig& config, const FlinkVersion& version, BarStyle style) {
  std::string out;
  out += std::string(role_title(r.role)) + " memory (Flink " + version.to_string() + ")\n";
  if (r.derivation_rejected()) {
    out += "  REJECTED: Flink would refuse to start with this configuration.\n  " + r.error->message + "\n";
    for (const std::string& line : summary_lines(r)) out += "  " + line + "\n";
    return out;
  }
  char header[200];
  std::snprintf(header, sizeof header, "  %-24s %14s %20s  %-*s  %-10s %s\n", "Component", "Size", "Bytes", kBarWidth,
                "Share of process", "Source", "Key");
  out += header;
  // The Flink parts, Total Flink, the JVM parts, Total Process: the rows in Flink's order.
  const std::string flink_key = std::string(role_name(r.role)) + ".memory.flink.size";
  const std::string process_key = std::string(role_name(r.role)) + ".memory.process.size";
  const int64_t process = r.process_total().bytes();
  const std::string no_bar(kBarWidth, ' ');
  bool flink_total_shown = false;
  for (const ComponentRow& c : r.components()) {
    if (c.kind == ComponentRow::Kind::kJvmPart && !flink_total_shown) {
      row(out, "Total Flink Memory", r.flink_total(), bar(r.flink_total().bytes(), process, style),
          total_source(config, flink_key), flink_key);
      flink_total_shown = true;
    }
    row(out, c.name, c.size, bar(c.size.bytes(), process, style), provenance_name(c.provenance), c.key);
  }
  row(out, "Total Process Memory", r.process_total(), bar(process, process, style), total_source(config, process_key),
      process_key);
  if (r.taskmanager) {
    const TaskManagerMemory& m = *r.taskmanager;
    row(out, "JVM Heap (-Xmx)", m.jvm_heap(), no_bar, "", "framework heap + task heap");
    row(out, "JVM Direct", m.jvm_direct(), no_bar, "", "framework off-heap + task off-heap + network");
  } else {
    const JobManagerMemory& m = *r.jobmanager;
    row(out, "JVM Direct limit", m.jvm_direct(), no_bar, m.direct_memory_limit ? "enabled" : "not set",
        "jobmanager.memory.enable-jvm-direct-memory-limit");
  }
  for (const std::string& line : summary_lines(r)) out += "  " + line + "\n";
  if (r.taskmanager) {
    const TaskManagerMemory& m = *r.taskmanager;
    out += "  CPU cores " + java::double_to_string(m.cpu_cores) + ", task slots " + std::to_string(m.num_slots) + "\n";
  }
  const std::vector<std::string>& notes = r.notes();
  out += "  JVM flags: " + r.jvm_args + "\n";
  if (!r.dynamic.empty()) {
    out += "  Dynamic properties (in Flink's order):\n";
    for (const auto& [key, value] : r.dynamic) out += "    -D " + key + "=" + value + "\n";
  }
  if (r.container) {
    out += "  Kubernetes container: memory request " + std::to_string(r.container->request_mib) + "Mi, limit " +
           std::to_string(r.container->limit_mib) + "Mi (limit-factor " +
           java::double_to_string(r.container->limit_factor) + ")\n";
  }
  if (!r.ok()) out += "  REJECTED: " + r.error->message + "\n";
  for (const std::string& note : notes) out += "  Note: " + note + "\n";
  return out;
}

void write_json_role(json::Writer& w, const RoleReport& r, const FlinkConfig& config, const FlinkVersion& version) {
  w.key(role_name(r.role)).begin_object();
  write_role_members(w, r, config, version);
  w.end_object();
}

}  // namespace

int memory_command(Args args) {
  CommandLine command_line;
  const std::vector<Flag> table = flag_table(command_line);
  const std::string usage = std::string(kUsageHead) + flag_usage(table) + std::string(kUsageTail);
  if (int exit = parse_or_exit("memory", args, table, usage); exit >= 0) return exit;
  if (command_line.batch && (!command_line.files.empty() || !command_line.properties.empty())) {
    return usage_error("memory", "--batch reads its requests from stdin and takes no -f or -D", usage);
  }
  const CommandLine* cl = &command_line;
  if (cl->batch) {
    return run_batch(std::cin, std::cout) ? kOk : kUsage;
  }
  std::vector<std::string> file_notes;
  auto config = load_config(*cl, file_notes);
  if (!config) {
    std::fprintf(stderr, "flink-memguard memory: %s\n", config.error().message.c_str());
    return kUsage;
  }
  std::vector<RoleReport> reports;
  if (cl->taskmanager) reports.push_back(derive_role(Role::kTaskManager, *config, cl->context));
  if (cl->jobmanager) reports.push_back(derive_role(Role::kJobManager, *config, cl->context));
  for (RoleReport& r : reports) explain_role(r, *config, cl->context);
  bool all_ok = true;
  for (const auto& r : reports) all_ok = all_ok && r.ok();

  if (cl->output == CommandLine::Output::kSvg || cl->output == CommandLine::Output::kHtml) {
    std::vector<RoleRows> rows;
    for (const auto& r : reports) rows.push_back(memory_rows(r, *config));
    const std::string version = cl->context.version.to_string();
    const std::string out =
        cl->output == CommandLine::Output::kSvg ? render_svg(rows, version) : render_html(rows, version);
    std::fwrite(out.data(), 1, out.size(), stdout);
    // The picture has no place for them: the lines Flink ignores go to stderr.
    for (const auto& note : file_notes) std::fprintf(stderr, "flink-memguard memory: note: %s\n", note.c_str());
  } else if (cl->output == CommandLine::Output::kJson) {
    json::Writer w;
    w.begin_object().member("flinkVersion", cl->context.version.to_string()).member("ok", all_ok);
    w.key("fileNotes").begin_array();
    for (const auto& note : file_notes) w.string(note);
    w.end_array();
    for (const auto& r : reports) write_json_role(w, r, *config, cl->context.version);
    w.end_object();
    std::printf("%s\n", w.str().c_str());
  } else {
    const BarStyle style = bar_style(cl->ascii);
    std::string out;
    for (const auto& r : reports) {
      if (!out.empty()) out += "\n";
      out += render_table(r, *config, cl->context.version, style);
    }
    if (!file_notes.empty()) out += "\nIgnored by Flink:\n";
    for (const auto& note : file_notes) out += "  " + note + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return all_ok ? kOk : kRejected;
}

}  // namespace memguard::cli
