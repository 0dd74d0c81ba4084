// One io_context per I/O thread, each run by exactly one thread (the io_context-per-core pattern):
// a connection lives on one context for its whole life, so its handlers never run concurrently
// without a strand, and no thread ever wakes another to hand it a completion.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace memguard::server {

class IoContextPool {
 public:
  explicit IoContextPool(unsigned size);
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  // The context of the acceptor, the timers and the signals.
  boost::asio::io_context& first() { return *contexts_.front(); }
  // The context for the next connection, round robin. Thread-safe.
  boost::asio::io_context& next();
  // Runs every context on a thread of its own (the caller's runs the first) and returns once all
  // have returned: after release() when they have run out of work, or after stop(). An exception
  // that escapes a handler (a library bug, an allocation failure) is given to `on_exception` and the
  // context runs on: the handler's connection is gone with it, every other one keeps being served.
  void run(const std::function<void(const char* what)>& on_exception = nullptr);
  // Lets each context's run() return as soon as it has no work left. Thread-safe.
  void release();
  // Abandons all queued work. Thread-safe.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::mutex guards_mu_;
  std::vector<Guard> guards_;  // keep contexts without connections running until release()
  std::atomic<std::size_t> next_{0};
};

}  // namespace memguard::server
