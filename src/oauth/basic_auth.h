// HTTP Basic client credentials at the token endpoint (RFC 6749 §2.3.1 over RFC 7617).
//
// RFC 6749 §2.3.1: the client_id and secret are each application/x-www-form-urlencoded, then
// sent as the Basic user-id and password. Parsing is strict: the scheme name (case-insensitive)
// followed by one or more spaces and a token68 in standard base64 with its padding, decoding to
// `user-id ":" password` split at the first colon; each half form-decoded strictly ('+' is a
// space, bad percent-encoding and control characters are errors). An empty client_id is an
// error; an empty secret is returned as such (the caller refuses it by comparison).
//
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::oauth {

// The longest Authorization header value ParseBasicAuthorization reads, counted as sent. The
// encoder may spell the same credentials longer (a '+' for a space becomes "%20").
inline constexpr size_t kMaxBasicAuthorizationSize = 4096;

struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// True when `authorization` uses the Basic scheme (whatever follows).
bool IsBasicScheme(std::string_view authorization);

// Parses a whole Authorization header value. Errors are invalid_client (401): the client tried
// to authenticate and its credentials cannot be read.
Result<BasicCredentials> ParseBasicAuthorization(std::string_view authorization);

// The header value a client sends (for tests and for the CLI's client).
std::string EncodeBasicAuthorization(std::string_view client_id, std::string_view client_secret);

}  // namespace idscheme::oauth
