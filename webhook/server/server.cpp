// The webhook server's lifecycle: start, serve on N threads, reload on SIGHUP, drain on SIGTERM, exit.
#include "webhook/server/server.h"

#include <csignal>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>

#include "webhook/server/listen_address.h"

namespace memguard::server {
namespace net = boost::asio;

unsigned effective_threads(unsigned requested) {
  if (requested > 0) return requested;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? cores : 1;
}

Server::Server(const ServerOptions& options, AdmissionHandler handler, std::unique_ptr<const Router> routes, Log& log)
    : options_(options),
      log_(log),
      connections_(options.max_connections),
      plain_(routes != nullptr),
      routes_(plain_ ? std::move(routes)
                     : std::make_unique<Routes>(std::move(handler), metrics_, log_, [this] { return ready(); })),
      body_budget_(options.body_budget),
      context_{options_, *routes_, metrics_, log_, connections_, shutting_down_, body_budget_, decisions_},
      pool_(effective_threads(options.threads)),
      decisions_(effective_threads(options.decision_threads), options.decision_queue,
                 [this](const char* what) { on_uncaught("decision thread", what); }),
      control_(net::make_strand(pool_.first())),
      drain_timer_(control_) {
  metrics_.set_body_bytes_source([this] { return body_budget_.used(); });
}

Server::~Server() = default;

void Server::on_uncaught(const char* where, const char* what) noexcept {
  metrics_.record_session_exception();
  try {
    log_.error("exception escaped a handler: its connection was closed, the server keeps serving",
               {{"thread", where}, {"error", std::string_view(what).substr(0, 256)}});
  } catch (...) {
  }
}

Expected<std::unique_ptr<Server>> Server::create(const ServerOptions& options, AdmissionHandler handler, Log& log) {
  auto endpoint = parse_listen_address(options.listen);
  if (!endpoint) return Unexpected{endpoint.error()};
  std::unique_ptr<Server> server(new Server(options, std::move(handler), nullptr, log));
  Server* raw = server.get();
  server->certificates_ = std::make_shared<CertificateReloader>(
      server->pool_.first().get_executor(),
      TlsFiles{options.tls_cert_file, options.tls_key_file, options.client_ca_file},
      options.cert_poll_interval, server->metrics_, log);
  server->certificates_->on_installed([raw](const CertificateInfo&) { raw->announce_ready(); });
  server->certificates_->poll();  // a few file reads and one key check: startup stays fast

  auto listener = Listener::create(server->pool_, *endpoint, server->context_, server->certificates_.get());
  if (!listener) return Unexpected{listener.error()};
  server->listener_ = std::move(*listener);
  // Batched review lines reach the log within this interval even when traffic is light.
  server->every(Log::kFlushInterval, [raw] { raw->log_.flush(); });
  return server;
}

Expected<std::unique_ptr<Server>> Server::create_plain(const ServerOptions& options, std::unique_ptr<const Router> routes,
                                                       Log& log) {
  auto endpoint = parse_listen_address(options.listen);
  if (!endpoint) return Unexpected{endpoint.error()};
  if (!routes) return make_error(ErrorCode::kInvalidArgument, "a plain-HTTP server needs its routes");
  // Its routes answer every request at once: one idle decision thread, and a queue that takes nothing.
  ServerOptions plain = options;
  plain.decision_threads = 1;
  plain.decision_queue = 0;
  std::unique_ptr<Server> server(new Server(plain, nullptr, std::move(routes), log));
  auto listener = Listener::create(server->pool_, *endpoint, server->context_, nullptr);
  if (!listener) return Unexpected{listener.error()};
  server->listener_ = std::move(*listener);
  Server* raw = server.get();
  server->every(Log::kFlushInterval, [raw] { raw->log_.flush(); });
  return server;
}

bool Server::ready() const {
  if (plain_) return listening_.load() && !shutting_down_.load();
  return listening_.load() && !shutting_down_.load() && certificates_ && certificates_->loaded();
}

void Server::announce_ready() {
  if (!ready() || announced_ready_.exchange(true)) return;
  const auto ep = listener_->local_endpoint();
  log_.event("ready", {{"listen", ep.address().to_string() + ":" + std::to_string(ep.port())}});
}

int Server::run() {
  listener_->run();
  if (certificates_) certificates_->start();
  if (options_.handle_signals) {
    signals_.emplace(control_, SIGINT, SIGTERM, SIGHUP);
    wait_for_signal();
  }
  const auto ep = listener_->local_endpoint();
  log_.event("listening", {{"listen", ep.address().to_string() + ":" + std::to_string(ep.port())},
                           {"threads", std::to_string(pool_.size())},
                           {"decision_threads", std::to_string(decisions_.threads())},
                           {"client_auth", plain_ || options_.client_ca_file.empty() ? "none" : "required"}});
  listening_.store(true);
  announce_ready();

  pool_.run([this](const char* what) { on_uncaught("io", what); });
  log_.event("stopped");
  return 0;
}

void Server::every(std::chrono::milliseconds interval, std::function<void()> task) {
  schedule(*periodic_.emplace_back(
      std::make_unique<PeriodicTask>(PeriodicTask{net::steady_timer(control_), interval, std::move(task)})));
}

void Server::schedule(PeriodicTask& periodic) {
  periodic.timer.expires_after(periodic.interval);
  periodic.timer.async_wait([this, &periodic](boost::system::error_code ec) {
    if (ec || shutting_down_.load()) return;  // cancelled at shutdown
    periodic.task();
    schedule(periodic);
  });
}

void Server::wait_for_signal() {
  signals_->async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;  // cancelled once the drain is over
    if (signo == SIGHUP) {
      // nginx's convention: reload now instead of at the next poll (after a certificate was
      // replaced by hand, say). Never a reason to stop: a SIGHUP from a closing terminal or a
      // process supervisor must not take a webhook replica down.
      if (!shutting_down_.load()) reload_now();
      wait_for_signal();
      return;
    }
    if (shutting_down_.load()) {
      log_.event("second signal: exiting without waiting for in-flight requests",
                 {{"signal", std::to_string(signo)}});
      connections_.clear_when_empty();
      pool_.stop();
      return;
    }
    log_.event("signal received", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    begin_shutdown();
    wait_for_signal();
  });
}

void Server::reload_now() {
  log_.event("reloading on request: certificate and policy files are read now");
  if (certificates_) certificates_->poll();
  for (auto& periodic : periodic_) periodic->task();
}

void Server::shutdown() {
  net::post(control_, [this] { begin_shutdown(); });
}

void Server::begin_shutdown() {
  if (shutting_down_.exchange(true)) return;
  log_.event("shutting down: no new connections; finishing in-flight requests",
             {{"connections", std::to_string(connections_.active())},
              {"inflight_requests", std::to_string(metrics_.inflight())}});
  listener_->stop();
  if (certificates_) certificates_->stop();
  for (auto& periodic : periodic_) periodic->timer.cancel();
  connections_.for_each([](const std::shared_ptr<HttpSession>& s) { s->notify_shutdown(); });

  drain_timer_.expires_after(options_.drain_timeout);
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || drain_done_) return;
    log_.warn("drain timeout: dropping the remaining connections",
              {{"connections", std::to_string(connections_.active())}});
    // Sessions still queued are destroyed with the io_context; none may post to it then.
    connections_.clear_when_empty();
    pool_.stop();
  });
  // When the last connection is gone nothing is left to wait for: let every io_context::run return.
  connections_.when_empty([this] {
    net::post(control_, [this] {
      drain_done_ = true;
      drain_timer_.cancel();
      if (signals_) signals_->cancel();
      pool_.release();
    });
  });
}

}  // namespace memguard::server
