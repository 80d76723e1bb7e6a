// The UserInfo endpoint (OIDC Core §5.3): GET or POST /userinfo with the access token of a login
// in the Authorization header (RFC 6750 §2.1 `Bearer`, or `DPoP` for DPoP-bound tokens, RFC 9449
// §7, once the bearer check has DPoP enabled).
//
// Pipeline:
//   1. AuthenticateToken   oauth::BearerAuthenticator: signature or lookup, not revoked, client
//                          and member active; failures are 401 with a WWW-Authenticate
//                          challenge (RFC 6750 §3, RFC 9449 §7.1)
//   2. RequireOpenid       the token carries scope openid (OIDC Core §5.3: insufficient_scope,
//                          403)
//   3. FindGrant           the login behind the token (TokenGrants, by jti); a token not issued
//                          for a person (client_credentials) is invalid_token
//   4. ActivePerson        the identity still active (else invalid_token), the login still
//                          within the member's agreement (current_agreement.h: else
//                          invalid_token; claims it no longer lists are not released)
//   5. Release             claims release's userinfo member plus sub (OIDC Core §5.3.2: always)
//   6. Respond             application/json, or application/jwt signed (with iss and aud) and/or
//                          encrypted per the client's userinfo_signed_response_alg /
//                          userinfo_encrypted_response_alg / _enc (OIDC Core §5.3.2); no-store.
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <string>

#include "http/request.h"
#include "http/response.h"
#include "identity/identities.h"
#include "oauth/bearer.h"
#include "oidc/claims_release.h"
#include "oidc/id_token.h"
#include "oidc/token_grants.h"
#include "registry/client_directory.h"
#include "registry/policy.h"

namespace idscheme::oidc {

struct UserinfoDeps {
  const oauth::BearerAuthenticator& bearer;
  TokenGrants& grants;
  registry::ClientDirectory& clients;
  identity::Identities& identities;
  JwtResponseSigner signer;
  const Clock& clock;  // the verification's max_age (OIDC4IDA §6)
  // The agreement asked again at every call (current_agreement.h); none in tests that have no
  // registry.
  registry::Policy* policy = nullptr;
};

struct UserinfoOptions {
  std::string issuer;  // iss of signed responses
  ClaimsReleaseOptions release;
  // DpopVerifier::AlgsValue() when DPoP is enabled, for the challenge's algs (RFC 9449 §7.1);
  // empty otherwise.
  std::string dpop_algs;
};

class UserinfoEndpoint {
 public:
  UserinfoEndpoint(UserinfoDeps deps, UserinfoOptions options)
      : deps_(std::move(deps)), options_(std::move(options)) {}

  http::Response Handle(const http::Request& request) const;

  // Steps 1-5: the claims to answer (tests).
  Result<nlohmann::json> Claims(const http::Request& request,
                                registry::ClientAuthRecord* client) const;

 private:
  http::Response Error(const http::Request& request, const Status& status) const;

  UserinfoDeps deps_;
  UserinfoOptions options_;
};

}  // namespace idscheme::oidc
