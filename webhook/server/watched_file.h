// A watched file: polled, digested, parsed when its bytes change and swapped in; a version that
// cannot be read or parsed keeps the current value and is reported once, not on every poll. The
// certificate reloader (certificate, key and client CA read as one version) and the policy store are
// its two instances; PollTimer polls on a strand until stopped.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "support/expected.h"

namespace memguard::server {

// One version of the watched files, as one poll read them.
struct FileVersion {
  std::vector<std::string> parts;  // the bytes of each file, in a fixed order
  bool in_flux = false;            // caught half way through a swap: the next poll sees it whole
};

using FileDigest = std::array<unsigned char, 32>;
// SHA-256 over the parts, each length-prefixed (moving bytes from one file to the next changes it).
FileDigest digest_of(const FileVersion& version);

enum class PollResult { kInstalled, kUnchanged, kInFlux, kFailed };

template <class Value>
class WatchedFile {
 public:
  using Read = std::function<Expected<FileVersion>()>;
  using Parse = std::function<Expected<Value>(const FileVersion&)>;

  enum class Failure { kNone, kUnreadable, kRejected };
  struct Polled {
    PollResult result = PollResult::kUnchanged;
    std::shared_ptr<const Value> installed;  // kInstalled: the value now current
    Failure failure = Failure::kNone;        // kFailed: the files could not be read, or did not parse
    std::string error;                       // kFailed: why ("" for a version rejected before)
    bool first_report = false;               // kFailed: the first poll to see this failure (report it)
  };

  WatchedFile(Read read, Parse parse) : read_(std::move(read)), parse_(std::move(parse)) {}

  // The first version: an error is returned, not remembered (the caller refuses to start with it).
  [[nodiscard]] Expected<void> load() {
    std::lock_guard poll_lock(poll_mu_);
    auto version = read_();
    if (!version) return Unexpected{version.error()};
    auto value = parse_(*version);
    if (!value) return Unexpected{value.error()};
    install(digest_of(*version), std::make_shared<const Value>(std::move(*value)));
    return {};
  }

  // Reads the files once; parses and installs a changed version. Thread-safe, one poll at a time.
  Polled poll() {
    std::lock_guard poll_lock(poll_mu_);
    Polled out;
    auto version = read_();
    if (!version) {
      out.result = PollResult::kFailed;
      out.failure = Failure::kUnreadable;
      out.error = version.error().message;
      std::lock_guard lock(mu_);
      out.first_report = unreadable_ != out.error;
      unreadable_ = out.error;
      return out;
    }
    if (version->in_flux) {
      out.result = PollResult::kInFlux;
      return out;
    }
    const FileDigest digest = digest_of(*version);
    {
      std::lock_guard lock(mu_);
      if (installed_ == digest) return out;  // kUnchanged
      if (rejected_ == digest) {
        out.result = PollResult::kFailed;
        out.failure = Failure::kRejected;
        return out;
      }
    }
    auto value = parse_(*version);
    if (!value) {
      out.result = PollResult::kFailed;
      out.failure = Failure::kRejected;
      out.error = value.error().message;
      out.first_report = true;
      std::lock_guard lock(mu_);
      rejected_ = digest;
      return out;
    }
    out.result = PollResult::kInstalled;
    out.installed = std::make_shared<const Value>(std::move(*value));
    install(digest, out.installed);
    return out;
  }

  // The current value; null until a version has been installed.
  std::shared_ptr<const Value> current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

 private:
  void install(const FileDigest& digest, std::shared_ptr<const Value> value) {
    std::lock_guard lock(mu_);
    current_ = std::move(value);
    installed_ = digest;
    rejected_.reset();
    unreadable_.clear();
  }

  Read read_;
  Parse parse_;
  std::mutex poll_mu_;     // one poll at a time
  mutable std::mutex mu_;  // guards everything below
  std::shared_ptr<const Value> current_;
  std::optional<FileDigest> installed_;
  std::optional<FileDigest> rejected_;  // a version that did not parse, reported once
  std::string unreadable_;              // likewise for the last read error
};

// Runs `poll` on its own strand every `interval` until stop(). Hold it in a shared_ptr.
class PollTimer : public std::enable_shared_from_this<PollTimer> {
 public:
  PollTimer(boost::asio::any_io_executor executor, std::chrono::milliseconds interval, std::function<void()> poll);

  void start();
  void stop();

 private:
  void schedule();

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  std::function<void()> poll_;
  std::mutex mu_;
  bool stopped_ = false;
};

}  // namespace memguard::server
