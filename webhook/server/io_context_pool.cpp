// The server's I/O threads: one single-threaded io_context each.
#include "webhook/server/io_context_pool.h"

#include <exception>
#include <string_view>
#include <thread>

namespace memguard::server {

IoContextPool::IoContextPool(unsigned size) {
  if (size == 0) size = 1;
  contexts_.reserve(size);
  for (unsigned i = 0; i < size; ++i) {
    // Hint 1: one thread runs this context, so the scheduler skips waking other threads. Other
    // threads may still post to it (the acceptor hands sockets over), so locking stays on.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

boost::asio::io_context& IoContextPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

namespace {
// io_context::run may be called again after an exception escaped it, without restart().
void run_guarded(boost::asio::io_context& ctx, const std::function<void(const char*)>& on_exception) {
  for (;;) {
    try {
      ctx.run();
      return;
    } catch (const std::exception& e) {
      if (on_exception) on_exception(e.what());
    } catch (...) {
      if (on_exception) on_exception("non-standard exception");
    }
  }
}
}  // namespace

void IoContextPool::run(const std::function<void(const char*)>& on_exception) {
  std::vector<std::thread> threads;
  threads.reserve(contexts_.size() - 1);
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([ctx = contexts_[i].get(), &on_exception] { run_guarded(*ctx, on_exception); });
  }
  run_guarded(*contexts_.front(), on_exception);
  for (auto& t : threads) t.join();
}

void IoContextPool::release() {
  std::lock_guard lock(guards_mu_);
  for (auto& g : guards_) g.reset();
}

void IoContextPool::stop() {
  for (auto& c : contexts_) c->stop();
}

}  // namespace memguard::server
