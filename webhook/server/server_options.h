// Options of `flink-memguard serve`, with the limits that keep the server alive under abuse.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace memguard::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8443";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;  // empty: no client-certificate verification
  std::string policy_file;     // empty: the embedded default policy
  // kube-apiserver caps request bodies at 3 MiB for etcd objects; a review carries object and
  // oldObject, but anything above 3 MiB is not an object the API server could have stored.
  std::size_t body_limit = 3 * 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::seconds read_timeout{10};   // kube-apiserver's own webhook timeout is at most 30 s
  std::chrono::seconds idle_timeout{90};   // apiserver keeps pooled connections idle up to 90 s
  std::size_t max_connections = 1024;
  unsigned threads = 0;                    // 0: one per core
};

}  // namespace memguard::server
