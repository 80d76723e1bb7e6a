#include "common/status.h"

namespace idscheme {

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kInvalidArgument:
      return "invalid_argument";
    case Status::Code::kUnauthenticated:
      return "unauthenticated";
    case Status::Code::kPermissionDenied:
      return "permission_denied";
    case Status::Code::kNotFound:
      return "not_found";
    case Status::Code::kAlreadyExists:
      return "already_exists";
    case Status::Code::kFailedPrecondition:
      return "failed_precondition";
    case Status::Code::kResourceExhausted:
      return "resource_exhausted";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName(code_));
  if (!oauth_error_.empty()) s += " (" + oauth_error_ + ")";
  s += ": " + message_;
  return s;
}

}  // namespace idscheme
