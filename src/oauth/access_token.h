// Access tokens: issuing them and checking the ones presented back.
//
// Two formats, chosen by configuration for new tokens; both are always accepted while valid, so
// switching formats does not cut off tokens already issued:
//   jwt     RFC 9068 JWT access tokens: header typ "at+jwt", signed with the scheme's active
//           key for the configured algorithm (ES256 by default), claims iss, sub, aud,
//           client_id, scope, iat, exp, jti and the private claim member_id (so the bearer
//           check finds the member without another lookup). Checking needs no store.
//   opaque  32 random bytes (base64url), stored as their SHA-256 with the claims; checking is
//           one store lookup. Never contains a '.', which is how the two are told apart.
// Validate checks what the token itself says (signature or lookup, typ, iss, aud, exp). Whether
// the client and member are still active and the jti is not revoked is the bearer check's job
// (bearer.h), because it needs the registry.
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/jws.h"
#include "keys/key_manager.h"
#include "store/database.h"

namespace idscheme::oauth {

enum class AccessTokenFormat { kJwt, kOpaque };
// "jwt" / "opaque".
Result<AccessTokenFormat> ParseAccessTokenFormat(std::string_view name);

inline constexpr std::string_view kAccessTokenTyp = "at+jwt";  // RFC 9068 §2.1
inline constexpr std::string_view kMemberIdClaim = "member_id";

struct AccessTokenOptions {
  std::string issuer;    // required
  std::string audience;  // the resource; empty: the issuer
  int64_t ttl_seconds = 600;
  crypto::SigAlg signing_alg = crypto::SigAlg::kES256;
  AccessTokenFormat format = AccessTokenFormat::kJwt;
  int64_t leeway_seconds = 5;  // clock skew between this scheme's own nodes
};

struct AccessTokenClaims {
  std::string issuer;
  std::string subject;
  std::vector<std::string> audience;
  std::string client_id;
  std::string member_id;
  std::string scope;  // space-delimited (RFC 6749 §3.3); empty for none
  std::string jti;
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  // Further claims that later grants add (cnf for DPoP, acr, auth_time, authorization_details).
  nlohmann::json extra = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static Result<AccessTokenClaims> FromJson(const nlohmann::json& claims);
};

// What a grant asks for; the service fills in iss, aud (unless given), iat, exp and jti.
struct AccessTokenRequest {
  std::string subject;
  std::string client_id;
  std::string member_id;
  std::string scope;
  std::vector<std::string> audience;  // empty: the configured audience
  nlohmann::json extra = nlohmann::json::object();
  // The token's iat (seconds); 0: now. A grant passes AuthenticatedClient::checked_at, so that
  // the token is never younger than the client check it was issued on.
  int64_t issued_at = 0;
};

struct IssuedAccessToken {
  std::string token;
  AccessTokenClaims claims;
  int64_t expires_in = 0;
};

class AccessTokenService {
 public:
  AccessTokenService(keys::KeyManager& keys, store::Database& db, const Clock& clock,
                     Random& random, AccessTokenOptions options);

  Result<IssuedAccessToken> Issue(const AccessTokenRequest& request);

  // The claims of a token this scheme issued, still within its lifetime and meant for
  // options().audience. Failures are invalid_token (401), or Unavailable when the store is down.
  Result<AccessTokenClaims> Validate(std::string_view token) const;

  const AccessTokenOptions& options() const { return options_; }

 private:
  Result<AccessTokenClaims> ValidateJwt(std::string_view token) const;
  Result<AccessTokenClaims> ValidateOpaque(std::string_view token) const;
  Status CheckLifetimeAndAudience(const AccessTokenClaims& claims) const;

  keys::KeyManager& keys_;
  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  AccessTokenOptions options_;
};

}  // namespace idscheme::oauth
