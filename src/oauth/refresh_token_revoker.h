// RefreshTokenRevoker: the seam through which POST /revoke (introspection.h) revokes refresh
// tokens (RFC 7009 §2) without the OAuth part knowing who issues them. The OpenID Provider
// implements it (oidc::RefreshTokens) and registers it on the OAuthContext before serving.
//
// Thread-safety: implementations must be safe from any thread.
#pragma once

#include <string_view>

#include "common/status.h"

namespace idscheme::oauth {

class RefreshTokenRevoker {
 public:
  virtual ~RefreshTokenRevoker() = default;

  // Revokes `token` when it is a refresh token issued to `client_id`, together with the access
  // tokens of the same grant (RFC 7009 §2.1). True when it was one; false when it is unknown or
  // another client's (nothing is revoked then). An error only when the store fails.
  virtual Result<bool> Revoke(std::string_view client_id, std::string_view token) = 0;
};

}  // namespace idscheme::oauth
