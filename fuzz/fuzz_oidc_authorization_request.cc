// Fuzz target: an authorization request's query string through the strict form parser and the
// whole validation (authorization_request.h), against a fixed registered client, and the
// response built from the outcome. Invariants: an error that is redirected names the registered
// redirect_uri; a validated request has openid and an S256 challenge.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "http/form.h"
#include "oidc/authorization_request.h"
#include "oidc/authorization_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto params = http::ParseForm(text);
  if (!params.ok()) return 0;
  oidc::AuthorizationClient client;
  client.client_id = "c_1";
  client.usable = true;
  client.allows_code_flow = true;
  client.redirect_uris = {"https://rp.example/cb", "https://rp.example/cb2?x=1"};
  oidc::AuthorizationOptions options;
  options.issuer = "https://id.example";
  auto outcome = oidc::ValidateAuthorizationRequest(*params, client, options);
  if (auto* e = std::get_if<oidc::AuthorizationError>(&outcome)) {
    if (e->error.empty()) std::abort();
    if (e->redirected() && !client.IsRegisteredRedirectUri(e->redirect_uri)) std::abort();
    (void)oidc::RespondWithError(*e, options.issuer);
  } else {
    const auto& r = std::get<oidc::ValidatedAuthorizationRequest>(outcome);
    if (r.scopes.empty() || r.scopes[0] != "openid") std::abort();
    if (r.code_challenge_method != "S256" || !oidc::IsS256CodeChallenge(r.code_challenge))
      std::abort();
    (void)oidc::RespondToClient(r.redirect_uri, r.response_mode, {{"code", "x"}}, r.state,
                                options.issuer);
  }
  return 0;
}
