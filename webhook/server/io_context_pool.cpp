// The server's I/O threads: one single-threaded io_context each.
#include "webhook/server/io_context_pool.h"

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

void IoContextPool::run() {
  std::vector<std::thread> threads;
  threads.reserve(contexts_.size() - 1);
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  }
  contexts_.front()->run();
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
