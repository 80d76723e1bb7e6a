// Pushed authorization requests (RFC 9126), kept in the store so any node can take them.
//
// Push() stores a client's validated authorization parameters under a fresh request_uri
// ("urn:ietf:params:oauth:request_uri:" + 256 random bits, base64url) and returns it; the store
// keeps only its SHA-256. Take() consumes it with one conditional DELETE ... RETURNING, so it is
// single-use across every node (RFC 9126 §2.2: "one-time use") and refused once expired (its
// lifetime is AuthorizationOptions::pushed_request_lifetime_seconds). Take() for another client
// finds nothing and leaves the request in place.
//
// Schema: migration 700 (table oidc_pushed_requests).
//
// Thread-safety: stateless apart from the store; safe from any thread and any number of nodes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "http/form.h"
#include "oauth/client_auth.h"
#include "store/database.h"

namespace idscheme::oidc {

inline constexpr std::string_view kRequestUriPrefix = "urn:ietf:params:oauth:request_uri:";

struct PushedRequest {
  std::string request_uri;
  int64_t expires_in = 0;  // seconds
};

class PushedRequests {
 public:
  PushedRequests(store::Database& db, const Clock& clock, Random& random)
      : db_(db), clock_(clock), random_(random) {}

  // `jti` (may be null): the pushing client's assertion jti, still pending; accepted in the
  // same write as the request (invalid_client, and nothing stored, when it was used before).
  Result<PushedRequest> Push(std::string_view client_id, const http::FormParams& params,
                             int64_t lifetime_seconds, oauth::PendingJti* jti = nullptr);
  // The parameters pushed under `request_uri` by `client_id`; NotFound when there are none
  // (never pushed, already used, pushed by another client) and FailedPrecondition when expired.
  Result<http::FormParams> Take(std::string_view request_uri, std::string_view client_id);
  // Deletes expired requests (a maintenance task may call it; Take never returns them).
  Status PurgeExpired();

 private:
  store::Database& db_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace idscheme::oidc
