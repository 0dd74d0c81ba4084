// Options of `flink-memguard serve`, with the limits that keep the server alive under abuse.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace memguard::server {

enum class LogLevel { kInfo, kWarn };

struct ServerOptions {
  std::string listen = "127.0.0.1:8443";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;  // empty: no client-certificate verification
  std::string policy_file;     // empty: the embedded default policy
  LogLevel log_level = LogLevel::kInfo;

  // kube-apiserver refuses request bodies above 3 MiB (kubernetes #105863), so no object it sends
  // us on CREATE is larger; beyond this we answer 413 without buffering. An UPDATE review carries
  // object and oldObject, and two objects near etcd's 1.5 MiB limit plus the envelope can pass
  // 3 MiB (controller-runtime moved to 7 MiB for that); FlinkDeployments and ConfigMaps are tiny.
  std::size_t body_limit = 3 * 1024 * 1024;
  // Request line plus headers. The apiserver sends a handful of short headers; 16 KiB is generous
  // and bounds what a client can make us hold before the body limit even applies.
  std::size_t header_limit = 16 * 1024;
  // From a request's first byte to its last: kube-apiserver's webhook timeout is at most 30 s and
  // usually 10 s, so a request still arriving after 10 s is useless to it; slow-loris clients get
  // cut off here. Also bounds the TLS handshake and each response write.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};
  // Idle keep-alive connections. Longer than the Go client's 90 s idle timeout so that we never
  // close a pooled connection the apiserver is about to reuse for a POST (Go does not retry it).
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  // At the cap a new connection evicts the connection idle the longest (between requests or in its
  // TLS handshake); only when every connection is busy with a request is the new one accepted and
  // closed at once, so clients fail fast (and kube-apiserver applies its failurePolicy) instead of
  // waiting in the kernel backlog.
  // An idle TLS connection that has carried a 13.5 KB review costs about 27 KB (its read buffer and
  // OpenSSL's connection state; OpenSSL frees its record buffers while idle; bench/idle_connections.sh):
  // 512 of them are ~14 MB of the chart's 128Mi (110 KB and 56 MB while TLS went through Asio's BIO
  // pair). Eviction makes a lower cap harmless to the apiserver, which keeps a few keep-alive
  // connections per replica.
  std::size_t max_connections = 512;
  // Request-body bytes held across all connections (reserved from Content-Length, or chunk by
  // chunk), until the response is written. Beyond it a request gets 503 at once. 16 MiB is five
  // bodies at the 3 MiB limit; real reviews are a few KiB. Sized with the chart's 128Mi limit
  // (bench/RESULTS.md, Hostile input).
  std::size_t body_budget = 16 * 1024 * 1024;
  // Threads that decide reviews (0: one per core), apart from the I/O threads, and how many reviews
  // may wait for one; beyond that a review gets 503 at once.
  unsigned decision_threads = 0;
  std::size_t decision_queue = 64;
  // Our own cap on the time from a review's last byte to its answer. kube-apiserver's `?timeout=`
  // (the webhook's timeoutSeconds, 10 s by default, at most 30 s) lowers it; past the deadline the
  // review is answered 503 with a JSON error instead of being worked on for a client that has gone.
  std::chrono::milliseconds decision_timeout{std::chrono::seconds(10)};
  // On SIGTERM/SIGINT: how long in-flight requests may take before the process exits anyway.
  // Below Kubernetes' default 30 s termination grace period.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(25)};
  // How often the certificate, key and client CA files are re-read (kubelet refreshes mounted
  // Secrets within about a minute; cert-manager renews days ahead).
  std::chrono::milliseconds cert_poll_interval{std::chrono::seconds(10)};
  unsigned threads = 0;        // 0: one per core
  bool handle_signals = true;  // false in in-process tests, which stop the server themselves
};

}  // namespace memguard::server
