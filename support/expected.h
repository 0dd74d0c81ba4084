// Errors as values: a small expected<T, Error> for every fallible call (no exceptions from the model),
// shared by memmodel and webhook; support/ holds what both use and neither owns.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace memguard {

// What went wrong, coarsely; the message says it precisely, for a person.
enum class ErrorCode : int {
  kInvalidArgument,     // malformed input: a size, a quantity, a number, a YAML document
  kIllegalConfiguration,  // Flink would reject the configuration (IllegalConfigurationException)
  kOverflow,            // 64-bit arithmetic overflow (Flink's ArithmeticException)
  kUnsupported,         // a version, kind or option we do not handle
  kNotFound,
  kInternal,
  kTimeout,             // no answer within the deadline
  kUnavailable,         // a transport or TLS failure, or a remote service that could not answer
  // Input beyond flink-memguard's documented work budget (memmodel/input_limits.h): not judged.
  kLimitExceeded,
  // Values from here on belong to the module that names them, for outcomes only its callers react
  // to (kube/api_error.h: the API server's 401, 403 and 410), so this header stays domain-free.
  kFirstModuleCode = 100,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// Tag type so that `return Unexpected{...}` reads as the error branch.
struct Unexpected {
  Error error;
};

inline Unexpected make_error(ErrorCode code, std::string message) {
  return Unexpected{Error{code, std::move(message)}};
}

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Unexpected u) : state_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(state_); }
  const T& value() const& { assert(has_value()); return std::get<0>(state_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!has_value()); return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Expected<void>: success or an error.
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace memguard
