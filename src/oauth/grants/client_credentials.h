// grant_type=client_credentials (RFC 6749 §4.4): a confidential client asks for an access token
// for itself. The token's subject is the client_id; its scope is what the client asked for, each
// scope one the client may have (invalid_scope otherwise), or none when it asked for none.
// With a DPoP proof (RFC 9449) the token is bound to the proof's key (cnf.jkt, token_type DPoP).
//
// Thread-safety: safe from any number of threads.
#pragma once

#include "oauth/access_token.h"
#include "oauth/grant.h"

namespace idscheme::oauth {

inline constexpr std::string_view kGrantClientCredentials = "client_credentials";

class ClientCredentialsGrant final : public GrantHandler {
 public:
  explicit ClientCredentialsGrant(AccessTokenService& tokens) : tokens_(tokens) {}
  std::string_view grant_type() const override { return kGrantClientCredentials; }
  Result<TokenResponse> Handle(const TokenRequest& request) override;

 private:
  AccessTokenService& tokens_;
};

}  // namespace idscheme::oauth
