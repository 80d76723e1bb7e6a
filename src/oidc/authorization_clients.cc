#include "oidc/authorization_clients.h"

#include <algorithm>

#include "registry/oauth_client_directory.h"

namespace idscheme::oidc {

bool AuthorizationClient::IsRegisteredRedirectUri(std::string_view uri) const {
  // OIDC Core §3.1.2.1: exact string match, no normalisation; RFC 8252 §7.3: any loopback port.
  return std::any_of(redirect_uris.begin(), redirect_uris.end(),
                     [&](const std::string& r) { return registry::RedirectUriMatches(r, uri); });
}

AuthorizationClient ToAuthorizationClient(const registry::ClientAuthRecord& record) {
  const registry::ClientMetadata& m = record.metadata;
  AuthorizationClient c;
  c.client_id = record.client_id;
  c.member_id = record.member_id;
  c.usable = record.Usable();
  c.allows_code_flow =
      m.HasGrant(registry::kGrantAuthorizationCode) &&
      std::find(m.response_types.begin(), m.response_types.end(), "code") != m.response_types.end();
  c.redirect_uris = m.redirect_uris;
  c.request_object_signing_alg = m.request_object_signing_alg;
  c.require_pushed_authorization_requests = m.require_pushed_authorization_requests;
  for (const auto& name : m.default_acr_values) {
    if (auto level = registry::ParseAssuranceLevel(name)) c.default_acr_levels.push_back(*level);
  }
  c.scopes = m.Scopes();
  c.auth = registry::ToOAuthRecord(record);
  return c;
}

Result<AuthorizationClient> RegistryAuthorizationClients::FindForAuthorization(
    std::string_view client_id) {
  IDS_ASSIGN_OR_RETURN(registry::ClientAuthRecord record, directory_.FindClient(client_id));
  return ToAuthorizationClient(record);
}

}  // namespace idscheme::oidc
