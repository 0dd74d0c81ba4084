// Open-connection registry with a cap that evicts the longest-idle connection.
#include "webhook/server/connection_tracker.h"

#include <vector>

namespace memguard::server {

bool ConnectionTracker::try_add(const std::shared_ptr<HttpSession>& session, std::shared_ptr<HttpSession>* evicted) {
  std::lock_guard lock(mu_);
  if (sessions_.size() - evicting_ >= max_) {
    if (!evicted) return false;
    // A linear scan, only at the cap: cheaper than keeping an ordered index on every request.
    Entry* oldest = nullptr;
    for (auto& [key, entry] : sessions_) {
      if (entry.evicting || entry.idle_since == 0) continue;
      if (!oldest || entry.idle_since < oldest->idle_since) oldest = &entry;
    }
    if (!oldest) return false;
    auto victim = oldest->session.lock();
    if (!victim) return false;  // being destroyed; its remove() is about to free the slot
    oldest->evicting = true;
    ++evicting_;
    *evicted = std::move(victim);
  }
  sessions_.emplace(session.get(), Entry{session, ++tick_, false});
  return true;
}

void ConnectionTracker::set_idle(const HttpSession* session, bool idle) {
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(session); it != sessions_.end()) it->second.idle_since = idle ? ++tick_ : 0;
}

void ConnectionTracker::remove(const HttpSession* session) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    if (it->second.evicting) --evicting_;
    sessions_.erase(it);
    if (sessions_.empty() && when_empty_) notify = std::exchange(when_empty_, nullptr);
  }
  if (notify) notify();
}

std::size_t ConnectionTracker::active() const {
  std::lock_guard lock(mu_);
  return sessions_.size() - evicting_;
}

void ConnectionTracker::for_each(const std::function<void(const std::shared_ptr<HttpSession>&)>& fn) const {
  std::vector<std::shared_ptr<HttpSession>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, entry] : sessions_) {
      if (auto s = entry.session.lock()) live.push_back(std::move(s));
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
