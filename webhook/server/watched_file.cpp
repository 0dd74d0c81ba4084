// The digest of a watched file's version and the timer that polls it.
#include "webhook/server/watched_file.h"

#include <openssl/evp.h>

#include <boost/asio/post.hpp>

namespace memguard::server {

FileDigest digest_of(const FileVersion& version) {
  FileDigest out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const std::string& part : version.parts) {
    const uint64_t len = part.size();  // length-prefixed, so moving bytes between files changes the digest
    EVP_DigestUpdate(ctx, &len, sizeof len);
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &n);
  EVP_MD_CTX_free(ctx);
  return out;
}

PollTimer::PollTimer(boost::asio::any_io_executor executor, std::chrono::milliseconds interval,
                     std::function<void()> poll)
    : strand_(boost::asio::make_strand(executor)), timer_(strand_), interval_(interval), poll_(std::move(poll)) {}

void PollTimer::start() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->schedule(); });
}

void PollTimer::schedule() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  timer_.expires_after(interval_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled by stop()
    self->poll_();
    self->schedule();
  });
}

void PollTimer::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  boost::asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
}

}  // namespace memguard::server
