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
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/optional.hpp>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "webhook/server/body_budget.h"
#include "webhook/server/metrics.h"
#include "webhook/server/routes.h"
#include "webhook/server/server_options.h"

namespace memguard::server {

// The bytes of a request body. Unlike std::string, which string_body grows with resize() and so
// zeroes every byte before copying it in (12k instructions for a 13.5 KB review, more than the
// copy), it grows without initialising: each byte is written once, by the copy.
class BodyBytes {
 public:
  BodyBytes() = default;
  BodyBytes(BodyBytes&& o) noexcept
      : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {}
  BodyBytes& operator=(BodyBytes&& o) noexcept {
    data_ = std::move(o.data_);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    return *this;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const char* data() const { return data_.get(); }
  operator std::string_view() const { return {data_.get(), size_}; }
  // Makes room for `total` bytes in all, keeping the content.
  void reserve(std::size_t total) {
    if (total <= capacity_) return;
    std::unique_ptr<char[]> grown(new char[total]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = total;
  }
  void append(const char* bytes, std::size_t n) {
    if (n > capacity_ - size_) reserve(std::max(size_ + n, capacity_ + capacity_ / 2));
    std::memcpy(data_.get() + size_, bytes, n);
    size_ += n;
  }
  // Makes the `n` bytes after the content readable and zero, without changing the content: the
  // padding simdjson may read past the end of a body it parses in place (admission::kBodyPadding).
  // Within the capacity the reader reserved for a body of known length, so only a chunked body is
  // moved once here.
  void pad(std::size_t n) {
    reserve(size_ + n);
    std::memset(data_.get() + size_, 0, n);
  }
  // Gives the memory back.
  void clear() {
    data_.reset();
    size_ = capacity_ = 0;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// A Beast body type (requests only: it has a reader, no writer) over BodyBytes.
struct RequestBody {
  using value_type = BodyBytes;
  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      // As string_body: the whole Content-Length at once (the parser has checked it against the
      // body limit, and the guard has taken it from the body budget), plus the decoder's padding,
      // which pad() then fills without moving the body.
      if (length) body_.reserve(static_cast<std::size_t>(*length) + admission::kBodyPadding);
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

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
