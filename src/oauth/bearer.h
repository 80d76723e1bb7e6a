// The bearer-token check for the scheme's own APIs (member APIs, the admin API): who is
// calling, on whose behalf, with which scopes.
//
// RFC 6750 §2.1: `Authorization: Bearer <token>`, or §2.2: `access_token` in a form-encoded
// body (not GET; OIDC Core §5.3.1 lets userinfo be called by POST), but never both (§2: one
// method per request). A token in the query string (§2.3) is refused outright (FAPI 2.0 §5.3.3:
// tokens never in URLs). Then, on every call:
//   1. the token itself (access_token.h): signature by a published scheme key, typ at+jwt, iss,
//      aud, exp; or the opaque token's stored record
//   2. not revoked (revocation.h, by jti)
//   3. the client and its member looked up again in the ClientDirectory: both active, the
//      token's member still the client's member, and the token issued no earlier than the
//      member's last status change, so suspending a member ends its tokens at once and
//      reinstating it does not bring them back (SCHEME.md: "its tokens stop working")
// DPoP (RFC 9449 §7), once EnableDpop is called: `Authorization: DPoP <token>` with a DPoP proof
// (dpop.h) for this request that hashes the token (ath), by the key the token is bound to
// (cnf.jkt). A DPoP-bound token sent as `Bearer` is refused (§7.2), and so is an unbound token
// sent as `DPoP`. Answer failures with ResourceErrorResponse (dpop.h) so a DPoP caller gets a
// DPoP challenge listing the accepted algorithms (§7.1).
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
#include "oauth/dpop.h"
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
  std::string dpop_jkt;  // RFC 9449 §6: the key the token is bound to (cnf.jkt); empty if none

  bool HasScope(std::string_view scope) const;
};

// insufficient_scope (403, RFC 6750 §3.1) unless the caller's token carries `scope`.
Status RequireScope(const AccessContext& context, std::string_view scope);

// The token of an `Authorization: Bearer` header value (RFC 6750 §2.1 b64token), or an error.
Result<std::string_view> ParseBearerAuthorization(std::string_view authorization);
// The same for `Authorization: DPoP <token>` (RFC 9449 §7.1: token68 syntax as for Bearer).
Result<std::string_view> ParseDpopAuthorization(std::string_view authorization);

class BearerAuthenticator {
 public:
  BearerAuthenticator(const AccessTokenService& tokens, ClientDirectory& clients,
                      store::Database& db);

  // Accept DPoP-bound tokens: proofs checked by `verifier` with htu `base_url` followed by the
  // request's path (base_url is where clients reach this server, e.g. the issuer). Call before
  // serving; `verifier` must outlive this object.
  void EnableDpop(const DpopVerifier& verifier, std::string base_url);

  Result<AccessContext> Authenticate(const http::Request& request) const;
  // The same for a token already taken from its request (introspection, tests). No DPoP check:
  // dpop_jkt tells whether the token is bound.
  Result<AccessContext> AuthenticateToken(std::string_view token) const;
  // AuthenticateToken for a token sent as a bearer token: a DPoP-bound one is refused.
  Result<AccessContext> AuthenticateBearerToken(std::string_view token) const;
  // The DPoP half of Authenticate: `token` came as `Authorization: DPoP`; the request's proof
  // must be by the token's key and hash the token (RFC 9449 §7.1).
  Result<AccessContext> AuthenticateDpop(const http::Request& request,
                                         std::string_view token) const;

 private:
  const AccessTokenService& tokens_;
  ClientDirectory& clients_;
  store::Database& db_;
  const DpopVerifier* dpop_ = nullptr;
  std::string dpop_base_url_;
};

}  // namespace idscheme::oauth
