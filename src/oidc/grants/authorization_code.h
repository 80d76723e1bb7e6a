// grant_type=authorization_code (RFC 6749 §4.1.3, OIDC Core §3.1.3) and, for clients registered
// with it, grant_type=refresh_token (RFC 6749 §6, OIDC Core §12). Both are oauth::GrantHandlers
// that the node adds to the token endpoint (oauth::TokenEndpoint::AddGrant).
//
// authorization_code, in order:
//   1. code, redirect_uri present (RFC 6749 §4.1.3; OIDC always sends redirect_uri)
//   2. AuthorizationCodes::Redeem: single use, 60 s, same client, same redirect_uri, PKCE S256
//   3. a public client (auth method none) must have used PKCE (RFC 9700 §2.1.1)
//   4. DPoP: a code issued for dpop_jkt is redeemed only with a proof by that key (RFC 9449 §10)
//   5. the client (registry) still usable, the identity still active, the login still within
//      the member's agreement (current_agreement.h: claims it no longer lists are dropped)
//   6. the access token (oauth::AccessTokenService; sub = the client's sub for the person, scope
//      = the approved scopes, acr and auth_time; DPoP-bound when a proof came), recorded for the
//      code (reuse revokes it) and for userinfo (TokenGrants)
//   7. the ID token (IdTokenIssuer) with the claims release placed in it and at_hash
//   8. a refresh token when the client registered the refresh_token grant
// refresh_token: checks the refresh token (RefreshTokens::Check), the client and identity
// again, takes the token and records its replacement in the transaction that records the new
// access token (RefreshTokens::TakeIn), and answers a new access token, ID token (OIDC Core §12.2:
// same sub, auth_time of the original login, no nonce) and refresh token. scope may narrow the
// original (RFC 6749 §6); a wider scope is invalid_scope.
//
// Thread-safety: safe from any number of threads (everything it holds is).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "identity/identities.h"
#include "oauth/access_token.h"
#include "oauth/grant.h"
#include "oidc/authorization_codes.h"
#include "oidc/claims_release.h"
#include "oidc/id_token.h"
#include "oidc/refresh_tokens.h"
#include "oidc/token_grants.h"
#include "registry/client_directory.h"
#include "registry/policy.h"

namespace idscheme::oidc {

inline constexpr std::string_view kGrantAuthorizationCode = "authorization_code";
inline constexpr std::string_view kGrantRefreshToken = "refresh_token";

// What both grants need; everything must outlive the grants.
struct PersonTokenDeps {
  AuthorizationCodes& codes;
  RefreshTokens& refresh_tokens;
  TokenGrants& token_grants;
  registry::ClientDirectory& clients;
  identity::Identities& identities;
  oauth::AccessTokenService& access_tokens;
  const IdTokenIssuer& id_tokens;
  store::Database& db;
  const Clock& clock;
  std::vector<uint8_t> subject_secret;  // pairwise sub secret (subject.h), >= 32 bytes
  ClaimsReleaseOptions release;
  // The agreement asked again at every exchange and refresh (current_agreement.h); none in
  // tests that have no registry.
  registry::Policy* policy = nullptr;
};

class AuthorizationCodeGrant final : public oauth::GrantHandler {
 public:
  explicit AuthorizationCodeGrant(PersonTokenDeps deps) : deps_(std::move(deps)) {}
  std::string_view grant_type() const override { return kGrantAuthorizationCode; }
  Result<oauth::TokenResponse> Handle(const oauth::TokenRequest& request) override;
  // The client assertion's jti is accepted in the transaction that takes the code.
  bool accepts_jti_in_transaction() const override { return true; }

 private:
  PersonTokenDeps deps_;
};

class RefreshTokenGrant final : public oauth::GrantHandler {
 public:
  explicit RefreshTokenGrant(PersonTokenDeps deps) : deps_(std::move(deps)) {}
  std::string_view grant_type() const override { return kGrantRefreshToken; }
  Result<oauth::TokenResponse> Handle(const oauth::TokenRequest& request) override;
  // The client assertion's jti is accepted in the transaction that takes the refresh token.
  bool accepts_jti_in_transaction() const override { return true; }

 private:
  PersonTokenDeps deps_;
};

}  // namespace idscheme::oidc
