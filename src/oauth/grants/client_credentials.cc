#include "oauth/grants/client_credentials.h"

#include "oauth/dpop.h"

namespace idscheme::oauth {
namespace {

// The OpenID Connect scopes (OIDC Core §3.1.2.1, §5.4, §11) ask for a person's authentication
// or data; this grant involves no person (RFC 6749 §4.4), so they have no meaning here.
bool IsPersonScope(std::string_view scope) {
  for (std::string_view s : {"openid", "profile", "email", "address", "phone", "offline_access"})
    if (scope == s) return true;
  return false;
}

}  // namespace

Result<TokenResponse> ClientCredentialsGrant::Handle(const TokenRequest& request) {
  const ClientAuthRecord& client = request.client.record;
  // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential
  // clients."
  if (request.client.method == ClientAuthMethod::kNone) {
    return Status::OAuth("unauthorized_client",
                         "client_credentials needs an authenticated (confidential) client");
  }
  std::vector<std::string> scopes;
  if (auto scope = request.params.Get("scope")) {
    auto parsed = ParseScope(*scope);
    if (!parsed.ok()) return Status::OAuth("invalid_scope", parsed.status().message());
    scopes = std::move(parsed).value();
    // RFC 6749 §5.2 invalid_scope: a scope the client may not have is refused, not dropped.
    for (const auto& s : scopes) {
      if (IsPersonScope(s))
        return Status::OAuth("invalid_scope", "scope " + s +
                                                  " is about a person; client_credentials has "
                                                  "none (use the authorization code flow)");
      if (!client.AllowsScope(s))
        return Status::OAuth("invalid_scope", "scope not allowed for this client: " + s);
    }
  }
  AccessTokenRequest token_request;
  token_request.subject = client.client_id;  // RFC 9068 §2.2: sub is the client itself here
  token_request.client_id = client.client_id;
  token_request.member_id = client.member_id;
  token_request.scope = JoinScope(scopes);
  token_request.issued_at = request.client.checked_at;
  TokenResponse response;
  BindToDpopKey(request, &token_request, &response);  // RFC 9449 §5, §6
  IDS_ASSIGN_OR_RETURN(auto issued, tokens_.Issue(token_request));
  response.access_token = std::move(issued.token);
  response.expires_in = issued.expires_in;
  response.scope = std::move(token_request.scope);
  return response;
}

}  // namespace idscheme::oauth
