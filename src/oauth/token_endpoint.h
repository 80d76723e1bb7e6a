// The token endpoint, POST /token (RFC 6749 §3.2, §5), as a pipeline of named steps applied in
// this order (TokenEndpoint::Handle lists them in one place):
//   1. ReadTokenParams      the body is application/x-www-form-urlencoded, parsed strictly,
//                           and no parameter appears twice (RFC 6749 §3.2, §3.1)
//   2. AuthenticateClient   client_auth.h (RFC 6749 §2.3, §3.2.1)
//   3. SelectGrant          grant_type present (invalid_request), served here
//                           (unsupported_grant_type) and registered for the client
//                           (unauthorized_client) (RFC 6749 §5.2)
//   4. CheckDpopProof       a DPoP header is verified (dpop.h) and its key's jkt handed to the
//                           grant; required when the client is registered with
//                           dpop_bound_access_tokens (RFC 9449 §5, §5.2). Only after EnableDpop.
//   5. the grant's handler  grants/<grant_type>.cc
//   6. RespondWithToken     JSON, Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1)
// Errors are answered as RFC 6749 §5.2 says, through http::Response::Error (invalid_client is
// 401 with a WWW-Authenticate challenge).
//
// Later grants (authorization_code, refresh_token, CIBA) are added with AddGrant.
//
// Thread-safety: add grants before serving; Handle is then safe from any number of threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/form.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/client_auth.h"
#include "oauth/dpop.h"
#include "oauth/grant.h"

namespace idscheme::oauth {

// Step 1.
Result<http::FormParams> ReadTokenParams(const http::Request& request);
// Step 6.
http::Response RespondWithToken(const TokenResponse& response);

class TokenEndpoint {
 public:
  explicit TokenEndpoint(ClientAuthenticator& client_auth);

  // Registers the handler of one grant type; a second handler for the same type replaces it.
  void AddGrant(std::unique_ptr<GrantHandler> handler);

  // Step 3: the handler for the request's grant_type, if the client may use it.
  Result<GrantHandler*> SelectGrant(const http::FormParams& params,
                                    const ClientAuthRecord& client) const;

  // Verify DPoP proofs with `verifier` against `url`, this endpoint's URL as clients address it
  // (htu). Call before serving; `verifier` must outlive the endpoint.
  void EnableDpop(const DpopVerifier& verifier, std::string url);

  // Step 4: the jkt of the request's verified proof; nullopt when there is none (and none is
  // required, or DPoP is not enabled).
  Result<std::optional<std::string>> CheckDpopProof(const http::Request& request,
                                                    const ClientAuthRecord& client) const;

  // The whole pipeline.
  http::Response Handle(const http::Request& request);

  // Grant types served, for discovery's grant_types_supported.
  std::vector<std::string> GrantTypes() const;

 private:
  ClientAuthenticator& client_auth_;
  std::map<std::string, std::unique_ptr<GrantHandler>, std::less<>> grants_;
  const DpopVerifier* dpop_ = nullptr;
  std::string dpop_url_;
};

}  // namespace idscheme::oauth
