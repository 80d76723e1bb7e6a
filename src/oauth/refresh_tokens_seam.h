// RefreshTokensSeam: how POST /introspect and POST /revoke (introspection.h) reach refresh
// tokens (RFC 7662 §2, RFC 7009 §2) without the OAuth part knowing who issues them. The OpenID
// Provider implements it (oidc::RefreshTokens) and registers it on the OAuthContext before
// serving.
//
// Thread-safety: implementations must be safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::oauth {

// What introspection may tell the client a refresh token was issued to (RFC 7662 §2.2).
struct RefreshTokenFacts {
  std::string client_id;
  std::string subject;  // the sub the client knows the person by; "" for rows stored before it
  std::vector<std::string> scopes;
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  std::string person_id;  // whom it was issued for (opaque here; "" when not for a person)
};

enum class RefreshRevocation {
  kRevoked,      // the caller's token: it and its grant's access tokens are revoked
  kUnknown,      // not a refresh token of this server (or malformed): nothing happened
  kOtherClient,  // another client's token: nothing happened
};

class RefreshTokensSeam {
 public:
  virtual ~RefreshTokensSeam() = default;

  // The facts of `token` when it is a refresh token that can be used now: not rotated out,
  // revoked or expired. nullopt otherwise; an error only when the store fails.
  virtual Result<std::optional<RefreshTokenFacts>> Find(std::string_view token) = 0;

  // Revokes `token` when it is a refresh token issued to `client_id`, together with the access
  // tokens of the same grant (RFC 7009 §2.1). An error only when the store fails.
  virtual Result<RefreshRevocation> Revoke(std::string_view client_id, std::string_view token) = 0;

  // Whether the person an access token (its jti) was issued for may still use it: false once
  // their identity is revoked (RFC 7662 §2.2: such a token is not active). True for a token not
  // issued for a person. An error only when the store fails.
  virtual Result<bool> PersonActive(std::string_view access_token_jti) {
    (void)access_token_jti;
    return true;
  }
};

}  // namespace idscheme::oauth
