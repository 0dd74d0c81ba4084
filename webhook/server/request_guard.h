// The limits every request is read under, apart from sockets and TLS so that the fuzzer
// (fuzz/fuzz_http_request.cpp) drives exactly what a session does: Beast's parser with the body and
// header limits, chunk extensions counted against the header limit, the body budget taken before
// body bytes are read, Transfer-Encoding and Expect checked once the header is in, and the answer
// for each way a read can fail. The read buffer itself is bounded by the header limit
// (read_buffer_limit), so a chunk header or a trailer can never grow it: Beast refuses with
// buffer_overflow instead (without the bound, a 64 KiB trailer field threw length_error from
// basic_fields and aborted the process, and a 100 MB chunk extension was buffered whole).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "webhook/server/body_budget.h"
#include "webhook/server/request_body.h"
#include "webhook/server/metrics.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"

namespace memguard::server {

using RequestParser = boost::beast::http::request_parser<RequestBody>;

// The most bytes a session's read buffer may hold.
std::size_t read_buffer_limit(const ServerOptions& options);

class RequestGuard {
 public:
  RequestGuard(const ServerOptions& options, BodyBudget& budget, Metrics& metrics);
  RequestGuard(const RequestGuard&) = delete;  // the parser holds a reference to our callback
  RequestGuard& operator=(const RequestGuard&) = delete;

  // Before a request: a fresh parser with our limits and callbacks, and a fresh reservation.
  void arm(RequestParser& parser);

  enum class AfterHeader { kReadBody, kSendContinue, kRefuse };
  // Once the header is parsed: refuse (refusal() says how), send "100 Continue" first, or read on.
  AfterHeader on_header(const RequestParser& parser);

  // The answer for a failed read (header or body), or nullopt when the connection just ended or
  // failed and there is no one to answer. Call it with the read's error code.
  std::optional<HttpResponse> answer_read_error(boost::beast::error_code ec);
  std::optional<HttpResponse> take_refusal();

  // The request's share of the body budget; moved out with the body when it goes to a decision.
  BodyReservation& reservation() { return reservation_; }

 private:
  void on_chunk_header(std::uint64_t size, boost::beast::string_view extensions, boost::beast::error_code& ec);
  HttpResponse budget_refusal() const;

  const ServerOptions& options_;
  BodyBudget& budget_;
  Metrics& metrics_;
  std::function<void(std::uint64_t, boost::beast::string_view, boost::beast::error_code&)> chunk_header_callback_;
  std::size_t chunk_extension_bytes_ = 0;
  BodyReservation reservation_;
  std::optional<HttpResponse> refusal_;
};

}  // namespace memguard::server
