// Grant handlers: one per grant_type the token endpoint serves (RFC 6749 §4, §6; OIDC Core
// §3.1.3; CIBA Core §10). The token endpoint (token_endpoint.h) runs the checks every grant
// shares (form body, client authentication, grant type allowed for the client) and hands the
// request to the handler registered for its grant_type; each handler lives in grants/.
//
// Thread-safety: handlers are called from many threads at once and must be safe for that.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/form.h"
#include "http/request.h"
#include "oauth/client_auth.h"

namespace idscheme::oauth {

// One token request after the shared checks passed.
struct TokenRequest {
  const http::Request& http;
  const http::FormParams& params;  // no parameter appears twice
  std::string_view grant_type;
  const AuthenticatedClient& client;
  // RFC 9449: the thumbprint (jkt) of the key of the request's verified DPoP proof, when one was
  // sent. A grant binds the tokens it issues to it (BindToDpopKey, dpop.h), and the
  // authorization_code grant checks it against the code's dpop_jkt (RFC 9449 §10).
  std::optional<std::string> dpop_jkt = std::nullopt;
  // The client assertion's jti, still to be accepted (client_auth.h), for a grant that
  // accepts_jti_in_transaction(): it accepts it in the write transaction that records what it
  // issues, and on any path that has an effect before that transaction, first on its own
  // (PendingJti::Settle). Null when there is nothing to accept.
  PendingJti* pending_jti = nullptr;
};

// RFC 6749 §5.1.
struct TokenResponse {
  std::string access_token;
  std::string token_type = "Bearer";  // "DPoP" for DPoP-bound tokens (RFC 9449 §5)
  int64_t expires_in = 0;
  std::string scope;                                // granted scope; omitted when empty
  nlohmann::json extra = nlohmann::json::object();  // refresh_token, id_token, ...

  nlohmann::json ToJson() const;
};

class GrantHandler {
 public:
  virtual ~GrantHandler() = default;
  // The grant_type value this handler serves ("client_credentials").
  virtual std::string_view grant_type() const = 0;
  // Errors are OAuth errors of RFC 6749 §5.2 (invalid_grant, invalid_scope, ...).
  virtual Result<TokenResponse> Handle(const TokenRequest& request) = 0;
  // True when Handle accepts request.pending_jti itself (see TokenRequest); otherwise the token
  // endpoint accepts it before calling Handle.
  virtual bool accepts_jti_in_transaction() const { return false; }
};

// RFC 6749 §3.3: a scope is space-separated scope-tokens (%x21 / %x23-5B / %x5D-7E). Strict:
// single spaces between tokens, none leading or trailing. Duplicates are dropped, order kept.
Result<std::vector<std::string>> ParseScope(std::string_view scope);
std::string JoinScope(const std::vector<std::string>& scopes);

}  // namespace idscheme::oauth
