// Open-connection registry with a cap.
#include "webhook/server/connection_tracker.h"

#include <vector>

namespace memguard::server {

bool ConnectionTracker::try_add(const std::shared_ptr<HttpSession>& session) {
  std::lock_guard lock(mu_);
  if (sessions_.size() >= max_) return false;
  sessions_.emplace(session.get(), session);
  return true;
}

void ConnectionTracker::remove(const HttpSession* session) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mu_);
    if (sessions_.erase(session) == 0) return;
    if (sessions_.empty() && when_empty_) notify = std::exchange(when_empty_, nullptr);
  }
  if (notify) notify();
}

std::size_t ConnectionTracker::active() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void ConnectionTracker::for_each(const std::function<void(const std::shared_ptr<HttpSession>&)>& fn) const {
  std::vector<std::shared_ptr<HttpSession>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (const auto& s : live) fn(s);
}

void ConnectionTracker::when_empty(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!sessions_.empty()) {
      when_empty_ = std::move(fn);
      return;
    }
  }
  fn();
}

void ConnectionTracker::clear_when_empty() {
  std::lock_guard lock(mu_);
  when_empty_ = nullptr;
}

}  // namespace memguard::server
