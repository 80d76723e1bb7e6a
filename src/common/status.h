// Status and Result<T>: how every fallible call in idscheme reports failure.
//
// Expected failures (bad input, wrong PIN, expired code, a store that is down) are values, never
// exceptions. A Status has a broad Code, a message meant for logs and for the client's
// `error_description`, and, where the failure is an OAuth/OIDC one, the protocol `error` code
// (`invalid_grant`, `invalid_client`, ...). The HTTP status a Status becomes is decided in one
// place: http/error_response.h.
//
// Thread-safety: value types; safe to copy and to read from several threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace idscheme {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // malformed or unacceptable input (400)
    kUnauthenticated,     // who is calling could not be established (401)
    kPermissionDenied,    // caller known, not allowed (403)
    kNotFound,            // (404)
    kAlreadyExists,       // unique value taken / accepted-once value seen again (409)
    kFailedPrecondition,  // state forbids it: expired, locked, suspended (400)
    kResourceExhausted,   // rate or size limit (429 / 413)
    kUnavailable,         // a dependency (store, network) is down (503)
    kInternal,            // a bug or an impossible state (500)
  };

  Status() = default;
  Status(Code code, std::string message, std::string oauth_error = {})
      : code_(code), message_(std::move(message)), oauth_error_(std::move(oauth_error)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {Code::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  // An OAuth 2.0 / OIDC protocol error: `error` is the registered code (RFC 6749 §5.2 etc.).
  static Status OAuth(std::string error, std::string description,
                      Code code = Code::kInvalidArgument) {
    return {code, std::move(description), std::move(error)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& oauth_error() const { return oauth_error_; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const {
    Status s = *this;
    s.message_ = std::string(context) + ": " + message_;
    return s;
  }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string oauth_error_;
};

std::string_view CodeName(Status::Code code);

// Result<T>: a T, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace idscheme

// Returns early with the error of a Status-returning expression.
#define IDS_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::idscheme::Status ids_status_ = (expr);   \
    if (!ids_status_.ok()) return ids_status_; \
  } while (0)

#define IDS_CONCAT_INNER_(a, b) a##b
#define IDS_CONCAT_(a, b) IDS_CONCAT_INNER_(a, b)
// IDS_ASSIGN_OR_RETURN(auto x, F()): x = *F(), or return F()'s error.
#define IDS_ASSIGN_OR_RETURN(lhs, expr) \
  IDS_ASSIGN_OR_RETURN_IMPL_(IDS_CONCAT_(ids_result_, __LINE__), lhs, expr)
#define IDS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
