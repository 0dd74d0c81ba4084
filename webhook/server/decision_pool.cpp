// A fixed set of threads over one bounded FIFO.
#include "webhook/server/decision_pool.h"

#include <exception>
#include <utility>

namespace memguard::server {

DecisionPool::DecisionPool(unsigned threads, std::size_t queue_capacity,
                           std::function<void(const char*)> on_exception)
    : capacity_(queue_capacity), on_exception_(std::move(on_exception)) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

DecisionPool::~DecisionPool() {
  stop();
  for (auto& t : threads_) t.join();
}

bool DecisionPool::try_submit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void DecisionPool::stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    dropped.swap(queue_);
  }
  ready_.notify_all();
  // Destroyed here, outside the lock: a job may own the last reference to a session.
}

std::size_t DecisionPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void DecisionPool::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
      job = nullptr;
    } catch (const std::exception& e) {
      if (on_exception_) on_exception_(e.what());
    } catch (...) {
      if (on_exception_) on_exception_("non-standard exception");
    }
  }
}

}  // namespace memguard::server
