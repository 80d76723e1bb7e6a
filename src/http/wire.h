// From bytes on the wire to a Request: the checks the server applies to every request head, and
// a one-shot parser over a complete buffer (for fuzzing and tests) that runs the same steps the
// connection loop does, with the same limits.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <string_view>

#include "common/status.h"
#include "http/request.h"

namespace idscheme::http {

// Fills method, target (strictly decoded), headers and request id from a parsed head.
// invalid_request when the target is malformed or an HTTP/1.1 request lacks exactly one Host.
Status FillRequestHead(const boost::beast::http::request_header<>& head, Request& req);

// Parses one complete request from `bytes` under the given limits into `req`.
// Errors: invalid_request (malformed), resource_exhausted (a limit, with message "header" or
// "body").
Status ParseRequestBytes(std::string_view bytes, size_t header_limit, size_t body_limit,
                         Request& req);

}  // namespace idscheme::http
