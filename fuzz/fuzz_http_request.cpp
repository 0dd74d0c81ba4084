// Fuzzes the raw HTTP request path of one connection, without TLS: the bytes a client sends go
// through Beast's parser with exactly the limits and checks a session applies (RequestGuard, the
// read buffer bounded by read_buffer_limit), then the route table, for keep-alive request after
// request. No exception may escape (issue 12: a 64 KiB trailer field threw length_error from
// Beast and aborted the server), the read buffer never passes its bound, every answer the server
// makes itself is a JSON error, and every request's share of the body budget comes back.
//
// The first input byte sets how many bytes each read returns (1-256), so that the fuzzer also
// explores requests split at every point, as TCP may deliver them.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include "fuzz/fuzz_check.h"
#include "webhook/server/request_guard.h"
#include "webhook/server/routes.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace memguard::server;

// Limits far below the server's defaults, so that short inputs reach every one of them; the code
// paths are the same at any size.
ServerOptions fuzz_options() {
  ServerOptions o;
  o.header_limit = 1024;
  o.body_limit = 8192;
  o.body_budget = 6000;
  return o;
}

struct World {
  ServerOptions options = fuzz_options();
  std::FILE* devnull = std::fopen("/dev/null", "w");
  Log log{devnull, devnull, LogLevel::kWarn};
  Metrics metrics;
  BodyBudget budget{options.body_budget};
  Routes routes{[](memguard::admission::Mode, std::string_view body) {
                  memguard::admission::ReviewOutcome o;
                  // An error answer in text, as the engine gives for a body that is not a review:
                  // the route table must turn it into JSON.
                  if (body.empty() || body.front() != '{') {
                    o.http_status = 400;
                    o.content_type = "text/plain; charset=utf-8";
                    o.error = "request body is not JSON: " + std::string(body.substr(0, 64));
                    o.body = o.error + "\n";
                  } else {
                    o.body = "{}";
                  }
                  o.decision = memguard::admission::ReviewDecision::kAllowed;
                  return o;
                },
                metrics, log, [] { return true; }};
};

void check_error_answer(const HttpResponse& r) {
  if (r.status == 200) return;
  FUZZ_CHECK(r.content_type == "application/json", r.content_type);
  FUZZ_CHECK(r.body.rfind(R"({"error":)", 0) == 0, r.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  if (size == 0) return 0;
  const std::size_t read_max = 1 + data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  boost::asio::io_context ioc;
  beast::test::stream client(ioc, bytes);
  client.read_size(read_max);
  client.close_remote();  // after the bytes, end of stream
  beast::flat_buffer buffer(read_buffer_limit(world.options));
  RequestGuard guard(world.options, world.budget, world.metrics);

  for (int request = 0; request < 64; ++request) {
    RequestParser parser;
    guard.arm(parser);
    beast::error_code ec;
    http::read_header(client, buffer, parser, ec);
    FUZZ_CHECK(buffer.size() <= read_buffer_limit(world.options));
    if (ec) {
      if (auto answer = guard.answer_read_error(ec)) check_error_answer(*answer);
      break;
    }
    const auto next = guard.on_header(parser);
    if (next == RequestGuard::AfterHeader::kRefuse) {
      auto refusal = guard.take_refusal();
      FUZZ_CHECK(refusal.has_value());
      check_error_answer(*refusal);
      break;  // the session drains and closes
    }
    http::read(client, buffer, parser, ec);
    FUZZ_CHECK(buffer.size() <= read_buffer_limit(world.options));
    if (ec) {
      if (auto answer = guard.answer_read_error(ec)) check_error_answer(*answer);
      break;
    }
    const auto& req = parser.get();
    FUZZ_CHECK(req.body().size() <= world.options.body_limit);
    FUZZ_CHECK(guard.reservation().bytes() >= req.body().size());
    const HttpRequest http_request{req.method_string(), req.target(), req[http::field::content_type], req.body()};
    Dispatch dispatch = world.routes.route(http_request);
    const HttpResponse response =
        dispatch.answer ? std::move(*dispatch.answer)
                        : world.routes.admit(dispatch.mode, dispatch.webhook, std::string_view(req.body()));
    check_error_answer(response);
    (void)request_timeout(req.target());
    if (!req.keep_alive()) break;
    guard.reservation().release();
  }
  guard.reservation().release();
  FUZZ_CHECK(world.budget.used() == 0);
  return 0;
}
