// Counts and registers open connections: enforces the connection cap, and on shutdown reaches
// every session so that idle keep-alive connections can be closed while busy ones finish.
//
// At the cap a new connection does not get refused while some other connection sits idle: the one
// idle longest (between requests, or still in its TLS handshake) is evicted to make room. So a flood
// of idle connections cannot lock the API server or the kubelet's probes out; a connection that is
// in the middle of a request is never evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace memguard::server {

class HttpSession;

class ConnectionTracker {
 public:
  explicit ConnectionTracker(std::size_t max_connections) : max_(max_connections) {}

  // Registers a new session, which starts out idle (a TLS handshake counts as idle). At the cap:
  // with `evicted` null, refuses (false, not registered); otherwise evicts the session idle the
  // longest, if any, stores it in *evicted (the caller tells it to close) and registers the new one.
  // An evicted session stops counting against the cap at once.
  bool try_add(const std::shared_ptr<HttpSession>& session, std::shared_ptr<HttpSession>* evicted = nullptr);
  // A session waiting for its next request (true) or working on one (false).
  void set_idle(const HttpSession* session, bool idle);
  // Called from the session's destructor; no-op for a session that was never registered.
  void remove(const HttpSession* session);
  // Connections counted against the cap (evicted ones that have not closed yet are not).
  std::size_t active() const;

  // Calls `fn` for each live session (outside the lock).
  void for_each(const std::function<void(const std::shared_ptr<HttpSession>&)>& fn) const;
  // `fn` runs once when no connection is left (immediately if none is open). Used by shutdown.
  void when_empty(std::function<void()> fn);
  void clear_when_empty();

 private:
  struct Entry {
    std::weak_ptr<HttpSession> session;
    uint64_t idle_since = 0;  // 0: busy; otherwise the tick at which it became idle
    bool evicting = false;
  };
  mutable std::mutex mu_;
  std::unordered_map<const HttpSession*, Entry> sessions_;
  std::size_t evicting_ = 0;
  uint64_t tick_ = 0;
  std::size_t max_;
  std::function<void()> when_empty_;
};

}  // namespace memguard::server
