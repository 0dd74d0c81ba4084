// The global budget for request-body bytes held in memory across all connections. A body is
// reserved before it is read (its Content-Length, or each chunk's size as the chunk header
// arrives), and released when its response has been written and its decision has let go of it.
// Without it, 100 connections each announcing 3 MiB made the server hold 300 MiB.
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace memguard::server {

class BodyBudget {
 public:
  explicit BodyBudget(std::size_t limit) : limit_(limit) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Takes `bytes` from the budget; false (nothing taken) when that would pass the limit.
  bool try_take(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || used > limit_ - bytes) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void give_back(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }

 private:
  std::atomic<std::size_t> used_{0};
  const std::size_t limit_;
};

// What one request holds of the budget; gives it back when destroyed. Movable, so the body and its
// share can travel together to the decision pool.
class BodyReservation {
 public:
  BodyReservation() = default;
  explicit BodyReservation(BodyBudget& budget) : budget_(&budget) {}
  BodyReservation(BodyReservation&& o) noexcept
      : budget_(std::exchange(o.budget_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  BodyReservation& operator=(BodyReservation&& o) noexcept {
    if (this != &o) {
      release();
      budget_ = std::exchange(o.budget_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  ~BodyReservation() { release(); }

  // Grows the reservation by `bytes`; false if the budget is exhausted (the reservation is unchanged).
  bool grow(std::size_t bytes) {
    if (!budget_ || !budget_->try_take(bytes)) return false;
    bytes_ += bytes;
    return true;
  }
  std::size_t bytes() const { return bytes_; }
  void release() {
    if (budget_ && bytes_ > 0) budget_->give_back(bytes_);
    bytes_ = 0;
  }

 private:
  BodyBudget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace memguard::server
