// What handing a decision to the decision pool and its answer back costs (issue 12): an I/O
// thread's io_context submits a job to DecisionPool, the job posts its result back to the
// io_context, N times in sequence (the latency of one hop there and back) and with K in flight (the
// throughput the hop allows). The job itself does nothing, so the figures are the hop alone.
//
//   decision_hop_bench [rounds=200000] [in_flight=64]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "webhook/server/decision_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace net = boost::asio;

// Runs `rounds` hops with `in_flight` of them outstanding at any time; returns seconds.
double run(memguard::server::DecisionPool& pool, long rounds, int in_flight) {
  net::io_context io(1);
  auto guard = net::make_work_guard(io);
  long started = 0, done = 0;
  std::function<void()> start_one = [&] {
    ++started;
    if (!pool.try_submit([&] { net::post(io, [&] {
          if (++done == rounds) guard.reset();
          else if (started < rounds) start_one();
        }); })) {
      std::fprintf(stderr, "queue full\n");
      std::exit(1);
    }
  };
  const auto t0 = Clock::now();
  net::post(io, [&] {
    for (int i = 0; i < in_flight && started < rounds; ++i) start_one();
  });
  io.run();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 200000;
  const int in_flight = argc > 2 ? std::atoi(argv[2]) : 64;
  memguard::server::DecisionPool pool(2, 1024);
  run(pool, rounds / 10, 1);  // warm-up
  const double serial = run(pool, rounds, 1);
  const double parallel = run(pool, rounds, in_flight);
  std::printf("one at a time: %.2f us per hop (there and back), %.0f hops/s\n", serial / rounds * 1e6, rounds / serial);
  std::printf("%d in flight:  %.2f us per hop, %.0f hops/s\n", in_flight, parallel / rounds * 1e6, rounds / parallel);
}
