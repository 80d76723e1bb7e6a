// The one place where a Status becomes an HTTP error: status code, OAuth `error` code,
// `error_description`, and the WWW-Authenticate challenge where the specs ask for one.
//
// OAuth/OIDC errors (Status::oauth_error() set) map by their registered code (RFC 6749 §5.2,
// RFC 6750 §3.1, OIDC Core §3.1.2.6, RFC 9449 §5/§7, CIBA Core §11/§13, RFC 7591 §3.2.2,
// RFC 9396 §5); a few codes whose status depends on where they arise (access_denied,
// invalid_dpop_proof, use_dpop_nonce) follow the Status::Code: kPermissionDenied gives 403 and
// kUnauthenticated 401 (resource server), otherwise 400 (token endpoint). Other statuses map by
// their Code. 5xx errors never carry the Status message to the client (it may name internals);
// it is kept in HttpError::internal_detail for the server's log line.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::http {

struct HttpError {
  int status = 500;
  std::string error;             // the `error` member / challenge parameter
  std::string description;       // `error_description`, already sanitised (RFC 6749 §5.2 charset)
  std::string www_authenticate;  // empty when no challenge is due
  std::string internal_detail;   // for logs only (set for 5xx): never sent
};

// `auth_scheme` names the scheme of the WWW-Authenticate challenge for 401/403 errors that carry
// one ("Bearer", "DPoP", "Basic"); empty picks the default for the error (Bearer for resource
// errors, DPoP for DPoP errors, Basic for invalid_client).
HttpError MapStatus(const Status& status, std::string_view auth_scheme = {});

// Keeps only the characters RFC 6749 §5.2 allows in error_description (%x20-21 / %x23-5B /
// %x5D-7E): `"`/`\` become `'`, the messages' "§" becomes "section ", any other character
// outside them one '?'. Cut at 512 characters.
std::string SanitizeErrorDescription(std::string_view text);

}  // namespace idscheme::http
