// Finds the API server and credentials: service-account files in a pod, explicit files, or kubeconfig.
#include "webhook/kube/cluster_config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "memmodel/java_text.h"
#include "support/base64.h"
#include "support/read_file.h"

namespace memguard::kube {

namespace {

using memmodel::java::trim;  // a token or namespace file's surrounding whitespace and newline

// Kubeconfigs with many contexts and embedded certificates run to a few hundred KiB; the bound
// stops a wrong path (a log, /dev/zero) from being read without end.
constexpr size_t kMaxClusterFileBytes = size_t{4} << 20;

Expected<std::string> read_cluster_file(const std::string& path, std::string_view what) {
  return read_file(path, kMaxClusterFileBytes, what);
}

// Counts the certificates in a PEM bundle; a CA file with none would make every TLS handshake
// fail with an opaque message, so it is refused when the configuration is built.
int count_certificates(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return 0;
  int n = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++n;
  }
  ERR_clear_error();  // the loop ends on a "no start line" error that is not a failure
  BIO_free(bio);
  return n;
}

Expected<std::string> checked_ca(std::string pem, const std::string& origin) {
  if (count_certificates(pem) == 0) {
    return make_error(ErrorCode::kInvalidArgument, "the CA bundle " + origin + " holds no PEM certificate");
  }
  return pem;
}

Expected<std::string> checked_server(std::string server) {
  while (!server.empty() && server.back() == '/') server.pop_back();
  if (server.rfind("https://", 0) != 0 || server.size() == 8) {
    // The bearer token would travel in clear over http, so only https is accepted.
    return make_error(ErrorCode::kInvalidArgument, "the API server URL must start with https:// (got \"" + server + "\")");
  }
  return server;
}

}  // namespace


std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// --- BearerToken ---------------------------------------------------------------------------------

Expected<std::shared_ptr<BearerToken>> BearerToken::from_file(std::string path) {
  std::shared_ptr<BearerToken> token(new BearerToken(path, "token file " + path));
  std::lock_guard lock(token->mutex_);
  if (auto loaded = token->reload_locked(); !loaded) return Unexpected{loaded.error()};
  return token;
}

std::shared_ptr<BearerToken> BearerToken::fixed(std::string value) {
  std::shared_ptr<BearerToken> token(new BearerToken({}, "inline token"));
  token->token_ = std::string(trim(value));
  return token;
}

Expected<void> BearerToken::reload_locked() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    return make_error(ErrorCode::kNotFound, "cannot read " + origin_ + ": " + std::strerror(errno));
  }
  FileStamp stamp{static_cast<unsigned long long>(st.st_ino), static_cast<unsigned long long>(st.st_size),
                  static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec};
  checked_at_ = std::chrono::steady_clock::now();
  if (stamp == stamp_ && !token_.empty()) return {};
  auto text = read_cluster_file(path_, "token file");
  if (!text) return Unexpected{text.error()};
  std::string_view value = trim(*text);
  if (value.empty()) return make_error(ErrorCode::kInvalidArgument, origin_ + " is empty");
  token_ = std::string(value);
  stamp_ = stamp;
  return {};
}

Expected<std::string> BearerToken::current() {
  std::lock_guard lock(mutex_);
  if (!path_.empty()) {
    // A stat per request is cheap next to a TLS round trip, and catches a rotation at once;
    // the periodic re-read covers filesystems whose mtime granularity hides a quick rewrite.
    bool stale = std::chrono::steady_clock::now() - checked_at_ >= kRecheck;
    if (stale) stamp_ = {};
    if (auto reloaded = reload_locked(); !reloaded) {
      // Keep using the last good token if the file vanished for a moment during a swap.
      if (token_.empty()) return Unexpected{reloaded.error()};
    }
  }
  return token_;
}

// --- configurations ------------------------------------------------------------------------------

Expected<ClusterConfig> in_cluster_config(std::string_view sa_dir, const EnvLookup& env) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty() || port->empty()) {
    return make_error(ErrorCode::kNotFound,
                      "not running inside a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                      "are not set (use --server, --token-file and --ca-file, or a kubeconfig)");
  }
  std::string dir(sa_dir);
  // An IPv6 service address needs brackets in a URL.
  std::string authority = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  auto server = checked_server("https://" + authority + ":" + *port);
  if (!server) return Unexpected{server.error()};
  auto token = BearerToken::from_file(dir + "/token");
  if (!token) return Unexpected{token.error()};
  auto ca_text = read_cluster_file(dir + "/ca.crt", "service-account CA");
  if (!ca_text) return Unexpected{ca_text.error()};
  auto ca = checked_ca(std::move(*ca_text), dir + "/ca.crt");
  if (!ca) return Unexpected{ca.error()};
  auto ns = read_cluster_file(dir + "/namespace", "service-account namespace");
  return ClusterConfig{std::move(*server), std::move(*ca), dir + "/ca.crt", std::move(*token),
                       ns ? std::string(trim(*ns)) : std::string()};
}

Expected<ClusterConfig> explicit_config(std::string server_url, const std::string& token_file, const std::string& ca_file) {
  auto server = checked_server(std::move(server_url));
  if (!server) return Unexpected{server.error()};
  auto token = BearerToken::from_file(token_file);
  if (!token) return Unexpected{token.error()};
  auto ca_text = read_cluster_file(ca_file, "CA file");
  if (!ca_text) return Unexpected{ca_text.error()};
  auto ca = checked_ca(std::move(*ca_text), ca_file);
  if (!ca) return Unexpected{ca.error()};
  return ClusterConfig{std::move(*server), std::move(*ca), ca_file, std::move(*token), {}};
}

namespace {

// The `field` map of the entry named `name` in a kubeconfig list (clusters, users, contexts).
YAML::Node named_entry(const YAML::Node& root, const char* list, const char* field, const std::string& name) {
  const YAML::Node entries = root[list];
  if (entries && entries.IsSequence()) {
    for (const auto& entry : entries) {
      if (entry["name"] && entry["name"].as<std::string>() == name) return entry[field];
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

Expected<ClusterConfig> kubeconfig_from_yaml(const YAML::Node& root, const std::string& path, std::string_view context) {
  std::string base = std::filesystem::path(path).parent_path().string();
  auto resolve = [&](const std::string& p) {
    return p.empty() || p.front() == '/' || base.empty() ? p : base + "/" + p;
  };
  std::string ctx_name = context.empty() ? scalar(root, "current-context") : std::string(context);
  if (ctx_name.empty()) return make_error(ErrorCode::kInvalidArgument, "kubeconfig " + path + " has no current-context");
  YAML::Node ctx = named_entry(root, "contexts", "context", ctx_name);
  if (!ctx || !ctx.IsMap()) {
    return make_error(ErrorCode::kNotFound, "kubeconfig " + path + " has no context \"" + ctx_name + "\"");
  }
  std::string cluster_name = scalar(ctx, "cluster"), user_name = scalar(ctx, "user");
  YAML::Node cluster = named_entry(root, "clusters", "cluster", cluster_name);
  if (!cluster || !cluster.IsMap()) {
    return make_error(ErrorCode::kNotFound, "kubeconfig " + path + " has no cluster \"" + cluster_name + "\"");
  }
  if (cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>(false)) {
    return make_error(ErrorCode::kUnsupported, "kubeconfig cluster \"" + cluster_name +
                                                   "\" sets insecure-skip-tls-verify; flink-memguard always verifies the API server");
  }
  auto server = checked_server(scalar(cluster, "server"));
  if (!server) return Unexpected{server.error()};

  std::string ca_pem, ca_origin;
  if (std::string data = scalar(cluster, "certificate-authority-data"); !data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return make_error(ErrorCode::kInvalidArgument, "kubeconfig cluster \"" + cluster_name + "\": certificate-authority-data is not base64");
    ca_pem = std::move(*decoded);
    ca_origin = "certificate-authority-data of kubeconfig cluster \"" + cluster_name + "\"";
  } else if (std::string file = scalar(cluster, "certificate-authority"); !file.empty()) {
    auto text = read_cluster_file(resolve(file), "kubeconfig certificate-authority");
    if (!text) return Unexpected{text.error()};
    ca_pem = std::move(*text);
    ca_origin = resolve(file);
  } else {
    return make_error(ErrorCode::kUnsupported, "kubeconfig cluster \"" + cluster_name +
                                                   "\" names no certificate-authority; flink-memguard trusts only an explicit CA");
  }
  auto ca = checked_ca(std::move(ca_pem), ca_origin);
  if (!ca) return Unexpected{ca.error()};

  YAML::Node user = named_entry(root, "users", "user", user_name);
  if (!user || !user.IsMap()) return make_error(ErrorCode::kNotFound, "kubeconfig " + path + " has no user \"" + user_name + "\"");
  std::shared_ptr<BearerToken> token;
  if (std::string inline_token = scalar(user, "token"); !inline_token.empty()) {
    token = BearerToken::fixed(inline_token);
  } else if (std::string file = scalar(user, "tokenFile"); !file.empty()) {
    auto from_file = BearerToken::from_file(resolve(file));
    if (!from_file) return Unexpected{from_file.error()};
    token = std::move(*from_file);
  } else {
    return make_error(ErrorCode::kUnsupported, "kubeconfig user \"" + user_name +
                                                   "\" has no token or tokenFile; client certificates, exec and auth-provider "
                                                   "plugins are not supported (use a service-account token)");
  }
  return ClusterConfig{std::move(*server), std::move(*ca), std::move(ca_origin), std::move(token), scalar(ctx, "namespace")};
}

}  // namespace

Expected<ClusterConfig> kubeconfig_config(const std::string& path, std::string_view context) {
  auto text = read_cluster_file(path, "kubeconfig");
  if (!text) return Unexpected{text.error()};
  try {
    YAML::Node root = YAML::Load(*text);
    if (!root.IsMap()) return make_error(ErrorCode::kInvalidArgument, "kubeconfig " + path + " is not a YAML mapping");
    return kubeconfig_from_yaml(root, path, context);
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports malformed documents and mistyped scalars by exception; turn them into values here.
    return make_error(ErrorCode::kInvalidArgument, "kubeconfig " + path + ": " + e.what());
  }
}

}  // namespace memguard::kube
