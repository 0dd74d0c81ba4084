// Where the Kubernetes API is and how to authenticate: in-cluster service account, explicit files, or kubeconfig.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "support/expected.h"

namespace memguard::kube {

// Where a pod finds its service account credentials (projected volume).
inline constexpr std::string_view kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// A bearer token that follows its file: bound service-account tokens are rotated by the kubelet
// (hourly by default, through an atomic symlink swap), so the file is re-read whenever its
// inode, size or mtime changes, and at least every `kRecheck` as client-go does.
class BearerToken {
 public:
  static constexpr std::chrono::seconds kRecheck{60};

  static Expected<std::shared_ptr<BearerToken>> from_file(std::string path);
  static std::shared_ptr<BearerToken> fixed(std::string token);

  // The token to send now (surrounding whitespace trimmed). Thread-safe.
  Expected<std::string> current();
  // Where it comes from, for messages ("file /path" or "inline token"); never the token itself.
  const std::string& origin() const { return origin_; }

 private:
  struct FileStamp {
    unsigned long long inode = 0, size = 0;
    long long mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  BearerToken(std::string path, std::string origin) : path_(std::move(path)), origin_(std::move(origin)) {}
  Expected<void> reload_locked();

  std::mutex mutex_;
  std::string path_;  // empty for a fixed token
  std::string origin_;
  std::string token_;
  FileStamp stamp_;
  std::chrono::steady_clock::time_point checked_at_{};
};

struct ClusterConfig {
  std::string server;     // https://host:port, no trailing slash
  std::string ca_pem;     // PEM bundle: the ONLY roots trusted for the server's certificate
  std::string ca_origin;  // where ca_pem came from, for messages
  std::shared_ptr<BearerToken> token;
  std::string ns;         // the service account's namespace or the context's; may be empty
};

// Reads an environment variable; injectable so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const char*)>;
std::optional<std::string> process_env(const char* name);

// In-cluster: KUBERNETES_SERVICE_HOST/PORT and {token,ca.crt,namespace} under `sa_dir`.
Expected<ClusterConfig> in_cluster_config(std::string_view sa_dir = kServiceAccountDir,
                                          const EnvLookup& env = process_env);

// Explicit: `audit --server --token-file --ca-file`, and tests.
Expected<ClusterConfig> explicit_config(std::string server, const std::string& token_file, const std::string& ca_file);

// A kubeconfig's context (current-context when `context` is empty): cluster server and
// certificate-authority(-data), user token or tokenFile. Client certificates and exec plugins are
// refused with a message, since the webhook authenticates with bearer tokens only.
Expected<ClusterConfig> kubeconfig_config(const std::string& path, std::string_view context = {});

}  // namespace memguard::kube
