// The webhook server: N threads with an io_context each, the listener, certificate reloading (on a
// timer and on SIGHUP), and graceful shutdown on SIGTERM/SIGINT (stop accepting, finish in-flight
// requests within the drain timeout, close idle keep-alive connections). The same server runs over
// plain HTTP with a route table of its caller's (create_plain: audit's metrics).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <vector>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "support/expected.h"
#include "webhook/server/certificate_reloader.h"
#include "webhook/server/connection_tracker.h"
#include "webhook/server/http_session.h"
#include "webhook/server/io_context_pool.h"
#include "webhook/server/listener.h"
#include "webhook/server/metrics.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"
#include "webhook/server/structured_log.h"

namespace memguard::server {

class Server {
 public:
  // Binds the listen address and loads the certificate once (a missing certificate is not an
  // error: the server starts unready and keeps polling). Fails on a bad address or a taken port.
  static Expected<std::unique_ptr<Server>> create(const ServerOptions& options, AdmissionHandler handler, Log& log);
  // The same server over plain HTTP, answering only `routes` (audit's metrics): no certificate, no
  // client authentication, no decisions; the same limits, deadlines, connection cap, threads,
  // signals and drain. Ready once listening. The TLS file options are ignored.
  static Expected<std::unique_ptr<Server>> create_plain(const ServerOptions& options,
                                                        std::unique_ptr<const Router> routes, Log& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const { return listener_->local_endpoint(); }
  // Serves until shut down; returns the process exit code (0).
  int run();
  // Same as receiving SIGTERM. Thread-safe.
  void shutdown();
  bool ready() const;
  const Metrics& metrics() const { return metrics_; }
  // More /metrics text from outside the server (see Metrics::set_extra_source). Call before run().
  void add_metrics_source(std::function<std::string()> source) { metrics_.set_extra_source(std::move(source)); }
  // Reviews waiting for a decision thread (for tests and the queue-full answer's log line).
  std::size_t queued_decisions() const { return decisions_.queued(); }
  // Runs `task` on the server's control strand every `interval` until shutdown begins (for
  // reloading files other than the certificate, such as the policy). Call before run().
  void every(std::chrono::milliseconds interval, std::function<void()> task);

 private:
  // `routes` null: the webhook's Routes over `handler`.
  Server(const ServerOptions& options, AdmissionHandler handler, std::unique_ptr<const Router> routes, Log& log);
  void begin_shutdown();
  void wait_for_signal();
  // SIGHUP: polls the certificate files and runs every periodic task (the policy reload, the log
  // flush) now. On control_.
  void reload_now();
  void announce_ready();
  void on_uncaught(const char* where, const char* what) noexcept;

  ServerOptions options_;
  Log& log_;
  Metrics metrics_;
  ConnectionTracker connections_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> listening_{false};
  std::atomic<bool> announced_ready_{false};
  const bool plain_;  // plain HTTP: no certificates_
  std::unique_ptr<const Router> routes_;
  BodyBudget body_budget_;  // before pool_: sessions the contexts still hold give their share back
  ServerContext context_;
  // Declared after everything sessions refer to and before everything that refers to it, so that
  // the contexts are destroyed (with any sessions their queues still hold) while those are alive.
  IoContextPool pool_;
  // After pool_, so destroyed before it: its threads are joined (and queued reviews, which hold
  // sessions, dropped) while the io_contexts the sessions post to still exist.
  DecisionPool decisions_;
  boost::asio::strand<boost::asio::io_context::executor_type> control_;
  std::shared_ptr<CertificateReloader> certificates_;  // null over plain HTTP
  std::shared_ptr<Listener> listener_;
  std::optional<boost::asio::signal_set> signals_;
  boost::asio::steady_timer drain_timer_;
  bool drain_done_ = false;  // on control_
  struct PeriodicTask {
    boost::asio::steady_timer timer;
    std::chrono::milliseconds interval;
    std::function<void()> task;
  };
  void schedule(PeriodicTask& periodic);
  std::vector<std::unique_ptr<PeriodicTask>> periodic_;  // timers on control_
};

// 0 means one thread per core.
unsigned effective_threads(unsigned requested);

}  // namespace memguard::server
