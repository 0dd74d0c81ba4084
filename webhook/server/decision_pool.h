// The threads that decide admission reviews, apart from the I/O threads: a decision that takes long
// (a worst-case review, a slow counterpart lookup) never stops the server from accepting, reading,
// answering probes or answering other reviews. The queue is bounded: when it is full a review is
// refused at once (503) instead of waiting behind work that would outlive its deadline anyway.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace memguard::server {

class DecisionPool {
 public:
  using Job = std::function<void()>;
  // `on_exception` is called (on the pool thread) with the text of anything a job lets escape;
  // the thread carries on with the next job.
  DecisionPool(unsigned threads, std::size_t queue_capacity,
               std::function<void(const char* what)> on_exception = nullptr);
  ~DecisionPool();  // stop(), then waits for the running jobs
  DecisionPool(const DecisionPool&) = delete;
  DecisionPool& operator=(const DecisionPool&) = delete;

  // Queues `job`; false (the job is dropped at once) when the queue is full or the pool stopped.
  bool try_submit(Job job);
  // Drops the queued jobs (destroying them on the caller's thread) and lets the threads end.
  void stop();
  std::size_t queued() const;
  std::size_t threads() const { return threads_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  void work();

  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Job> queue_;
  const std::size_t capacity_;
  bool stopped_ = false;
  std::function<void(const char*)> on_exception_;
  std::vector<std::thread> threads_;
};

}  // namespace memguard::server
