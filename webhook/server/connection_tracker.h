// Counts and registers open connections: enforces the connection cap, and on shutdown reaches
// every session so that idle keep-alive connections can be closed while busy ones finish.
#pragma once

#include <cstddef>
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

  // Registers a new session; false (and not registered) when the cap is reached.
  bool try_add(const std::shared_ptr<HttpSession>& session);
  // Called from the session's destructor; no-op for a session that was never registered.
  void remove(const HttpSession* session);
  std::size_t active() const;

  // Calls `fn` for each live session (outside the lock).
  void for_each(const std::function<void(const std::shared_ptr<HttpSession>&)>& fn) const;
  // `fn` runs once when no connection is left (immediately if none is open). Used by shutdown.
  void when_empty(std::function<void()> fn);
  void clear_when_empty();

 private:
  mutable std::mutex mu_;
  std::unordered_map<const HttpSession*, std::weak_ptr<HttpSession>> sessions_;
  std::size_t max_;
  std::function<void()> when_empty_;
};

}  // namespace memguard::server
