// The authorization endpoint's front half and the PAR endpoint: from the browser's (or the
// client's back end's) request to a ValidatedAuthorizationRequest, which is then handed to the
// AuthorizationContinuation (the approval part: the person's approval in the app, then the
// code).
//
// Authorize() runs, in order (errors before the client and redirect_uri are verified are shown
// on a page; after, they are redirected: authorization_request.h):
//   1. every outer parameter at most once; client_id required (RFC 6749 §3.1, §4.1.1)
//   2. the client is known (AuthorizationClients)
//   3. `request` and `request_uri` not both (RFC 9101 §5)
//   4. request_uri: only a PAR one (RFC 9126 §4), else request_uri_not_supported (OIDC Core
//      §6.2); taken once, for this client only, unexpired, else invalid_request_uri; the outer
//      parameters other than client_id are then ignored (RFC 9126 §4)
//   5. request: verified as request_object.h says; only the parameters inside are used (RFC 9101
//      §6.3); failures are invalid_request_object, shown on the page (the redirect_uri inside an
//      object that does not verify cannot be trusted)
//   6. the parameters validated (authorization_request.h)
//   7. when a registry Policy is given: the member's agreement allows the service (login, or
//      identification when claims are asked for), the scope, the claims and the level
//      (registry/policy.h) -- before the person is involved; denials are redirected
// HandlePar() answers POST /par (RFC 9126 §2): client authentication (oauth/client_auth.h), no
// request_uri (§2.1), an optional `request` object (§3), a DPoP proof when one is sent (RFC 9449
// §10.1: verified, and its key's thumbprint becomes the request's dpop_jkt; a different dpop_jkt
// is refused), the same validation with every error as a JSON 400 (§2.3), then 201
// {request_uri, expires_in} (§2.2).
//
// Thread-safety: safe from any number of threads once constructed.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "http/router.h"
#include "keys/key_manager.h"
#include "oauth/client_auth.h"
#include "oauth/dpop.h"
#include "oauth/jwks_cache.h"
#include "oidc/authorization_clients.h"
#include "oidc/authorization_request.h"
#include "oidc/authorization_response.h"
#include "oidc/pushed_requests.h"
#include "oidc/request_object.h"
#include "registry/policy.h"
#include "store/database.h"

namespace idscheme::oidc {

inline constexpr std::string_view kAuthorizePath = "/authorize";
inline constexpr std::string_view kParPath = "/par";  // also an aud of client assertions

// What happens once a request is validated: the approval part's page for the browser. It may
// answer an error itself with RespondWithError / RespondToClient (authorization_response.h).
using AuthorizationContinuation =
    std::function<http::Response(const ValidatedAuthorizationRequest&, const http::Request&)>;

struct AuthorizationEndpointDeps {
  AuthorizationClients& clients;
  oauth::ClientAuthenticator& client_auth;  // PAR; its audiences must include issuer + kParPath
  oauth::JwksCache& client_keys;
  const keys::KeyManager& scheme_keys;  // decrypts encrypted request objects
  store::Database& db;
  const Clock& clock;
  Random& random;
  registry::Policy* policy = nullptr;  // step 7 when set (production: the registry's)
  // RFC 9449 §10.1: DPoP proofs at PAR are verified (htu issuer + kParPath) when set; without
  // it a DPoP header there is ignored.
  const oauth::DpopVerifier* dpop = nullptr;
};

class AuthorizationEndpoint {
 public:
  AuthorizationEndpoint(AuthorizationEndpointDeps deps, AuthorizationOptions options);

  // Steps 1-7 on the request's parameters (query or form body).
  AuthorizationOutcome Authorize(const http::FormParams& params);
  // GET or POST /authorize: parses, runs Authorize, then answers the error or continues.
  http::Response HandleAuthorize(const http::Request& request,
                                 const AuthorizationContinuation& continuation);
  // POST /par.
  http::Response HandlePar(const http::Request& request);

  const AuthorizationOptions& options() const { return options_; }
  // The page for errors that cannot go to the client (authorization_response.h); unset: plain
  // English. Set before serving.
  void set_error_page(ErrorPageRenderer renderer) { error_page_ = std::move(renderer); }
  PushedRequests& pushed_requests() { return pushed_; }

 private:
  AuthorizationOutcome CheckPolicy(ValidatedAuthorizationRequest request);

  AuthorizationEndpointDeps deps_;
  AuthorizationOptions options_;
  ErrorPageRenderer error_page_;
  RequestObjectVerifier request_objects_;
  PushedRequests pushed_;
};

// The policy question a validated request asks (step 7): the service (identification when any
// person claim or verified_claims is asked for, else login), the scope, the claims (from the
// scope values, OIDC Core §5.4, and the claims parameter) and the lowest requested level. The
// login pages ask it again before the person is involved and before the code is issued.
registry::PolicyRequest PolicyRequestFor(const ValidatedAuthorizationRequest& request);

// Registers GET and POST /authorize ("authorize"), POST /par ("par") and the form_post script
// (GET kFormPostScriptPath, "form_post_js"). `endpoint` must outlive the router.
void AddAuthorizationRoutes(http::Router& router, AuthorizationEndpoint& endpoint,
                            AuthorizationContinuation continuation);

}  // namespace idscheme::oidc
