// The bearer-token check for the scheme's own APIs (member APIs, the admin API): who is
// calling, on whose behalf, with which scopes.
//
// RFC 6750 §2.1 only: `Authorization: Bearer <token>`. A token in the query string (§2.3) is
// refused outright (FAPI 2.0 §5.3.3: tokens never in URLs), form-body tokens (§2.2) are not
// read. Then, on every call:
//   1. the token itself (access_token.h): signature by a published scheme key, typ at+jwt, iss,
//      aud, exp; or the opaque token's stored record
//   2. not revoked (revocation.h, by jti)
//   3. the client and its member looked up again in the ClientDirectory: both active, the
//      token's member still the client's member, and the token issued no earlier than the
//      member's last status change, so suspending a member ends its tokens at once and
//      reinstating it does not bring them back (SCHEME.md: "its tokens stop working")
// Failures: no credentials at all -> 401 with a bare `WWW-Authenticate: Bearer` (RFC 6750
// §3.1: no error code then); a bad or no longer valid token -> invalid_token (401, challenge
// with error="invalid_token"); a malformed request -> invalid_request (400); the store down ->
// 503.
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/request.h"
#include "oauth/access_token.h"
#include "oauth/client_directory.h"
#include "store/database.h"

namespace idscheme::oauth {

struct AccessContext {
  std::string client_id;
  std::string member_id;
  std::string member_role;
  std::string subject;
  std::string jti;
  std::vector<std::string> scopes;
  std::vector<std::string> audience;
  std::string issuer;
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  nlohmann::json extra = nlohmann::json::object();  // the token's other claims

  bool HasScope(std::string_view scope) const;
};

// insufficient_scope (403, RFC 6750 §3.1) unless the caller's token carries `scope`.
Status RequireScope(const AccessContext& context, std::string_view scope);

// The token of an `Authorization: Bearer` header value (RFC 6750 §2.1 b64token), or an error.
Result<std::string_view> ParseBearerAuthorization(std::string_view authorization);

class BearerAuthenticator {
 public:
  BearerAuthenticator(const AccessTokenService& tokens, ClientDirectory& clients,
                      store::Database& db);

  Result<AccessContext> Authenticate(const http::Request& request) const;
  // The same for a token already taken from its request (introspection, tests).
  Result<AccessContext> AuthenticateToken(std::string_view token) const;

 private:
  const AccessTokenService& tokens_;
  ClientDirectory& clients_;
  store::Database& db_;
};

}  // namespace idscheme::oauth
