// Limits and checks of one request, shared by the session and the HTTP fuzzer.
#include "webhook/server/request_guard.h"

#include <algorithm>
#include <string>
#include <string_view>

#include <boost/beast/http/error.hpp>

#include "webhook/server/header_text.h"

namespace memguard::server {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// The first read of a request reads up to this much (http_session.cpp).
constexpr std::size_t kMinReadBuffer = 4096;


// RFC 9112 §6.1: a request whose Transfer-Encoding does not end in chunked has no reliable length
// and must be answered 400. We accept only a single "chunked": kube-apiserver never compresses
// requests, and any other coding (gzip, identity) is one we would not undo.
bool transfer_encoding_acceptable(const http::request<RequestBody>& req) {
  std::size_t count = 0;
  for (const auto& f : req) {
    if (f.name() != http::field::transfer_encoding) continue;
    if (++count > 1 || !header_value_is(f.value(), "chunked")) return false;
  }
  return true;
}

bool is_parse_error(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

HttpResponse json_error(int status, std::string_view message) {
  return HttpResponse{status, "application/json", error_body(message), ""};
}

}  // namespace

std::size_t read_buffer_limit(const ServerOptions& options) {
  return std::max(options.header_limit, kMinReadBuffer);
}

RequestGuard::RequestGuard(const ServerOptions& options, BodyBudget& budget, Metrics& metrics)
    : options_(options), budget_(budget), metrics_(metrics) {
  chunk_header_callback_ = [this](std::uint64_t size, beast::string_view extensions, beast::error_code& ec) {
    on_chunk_header(size, extensions, ec);
  };
}

void RequestGuard::arm(RequestParser& parser) {
  parser.body_limit(options_.body_limit);
  parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
  parser.on_chunk_header(chunk_header_callback_);
  chunk_extension_bytes_ = 0;
  reservation_ = BodyReservation(budget_);
  refusal_.reset();
}

HttpResponse RequestGuard::budget_refusal() const {
  return json_error(503, "the server is holding its limit of request bodies in flight (" +
                             std::to_string(budget_.limit()) + " bytes); retry shortly");
}

RequestGuard::AfterHeader RequestGuard::on_header(const RequestParser& parser) {
  const auto& req = parser.get();
  if (!transfer_encoding_acceptable(req)) {
    metrics_.record_refused("transfer_encoding");
    refusal_ = json_error(400,
                          "Transfer-Encoding must be exactly \"chunked\" (RFC 9112 section 6.1: the length of a "
                          "request with any other coding cannot be determined)");
    return AfterHeader::kRefuse;
  }
  // The body's share of the budget is taken before any of it is read (string_body reserves the
  // whole Content-Length at once); a chunked body takes its share chunk by chunk.
  if (const auto length = parser.content_length(); length && *length > 0 && !reservation_.grow(*length)) {
    metrics_.record_refused("body_budget");
    refusal_ = budget_refusal();
    return AfterHeader::kRefuse;
  }
  const auto expect = req[http::field::expect];
  if (!expect.empty() && !parser.is_done()) {
    if (!header_value_is(expect, "100-continue")) {
      metrics_.record_refused("expect");
      refusal_ = json_error(417, "the only expectation supported is 100-continue");
      return AfterHeader::kRefuse;
    }
    // The client waits for it before sending the body (curl waits 1 s for bodies over 1 MiB).
    return AfterHeader::kSendContinue;
  }
  return AfterHeader::kReadBody;
}

void RequestGuard::on_chunk_header(std::uint64_t size, beast::string_view extensions, beast::error_code& ec) {
  // Beast parses chunk extensions and drops them, but reading them costs time: together they
  // count against the header limit. kube-apiserver never sends any.
  chunk_extension_bytes_ += extensions.size();
  if (chunk_extension_bytes_ > options_.header_limit) {
    metrics_.record_refused("chunk_extensions");
    refusal_ = json_error(431, "chunk extensions exceed the header limit of " + std::to_string(options_.header_limit) +
                                   " bytes");
    ec = http::error::header_limit;
    return;
  }
  if (size > 0 && !reservation_.grow(static_cast<std::size_t>(size))) {
    metrics_.record_refused("body_budget");
    refusal_ = budget_refusal();
    ec = http::error::body_limit;
  }
}

std::optional<HttpResponse> RequestGuard::take_refusal() {
  auto r = std::move(refusal_);
  refusal_.reset();
  return r;
}

std::optional<HttpResponse> RequestGuard::answer_read_error(beast::error_code ec) {
  if (refusal_) return take_refusal();  // a callback of ours stopped the parser
  if (ec == http::error::body_limit) {
    metrics_.record_refused("body_limit");
    return json_error(413, "request body exceeds the limit of " + std::to_string(options_.body_limit) +
                               " bytes (kube-apiserver never sends larger reviews)");
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    // buffer_overflow: a chunk header or the trailer did not fit in the read buffer.
    metrics_.record_refused("header_limit");
    return json_error(431, "request headers, a chunk header or the trailer exceed the limit of " +
                               std::to_string(options_.header_limit) + " bytes");
  }
  if (is_parse_error(ec)) {
    metrics_.record_refused("malformed");
    return json_error(400, "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

}  // namespace memguard::server
