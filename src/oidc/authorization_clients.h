// AuthorizationClients: what the authorization endpoint needs to know about a client, behind one
// small interface: its registered redirect URIs, request object algorithm, PAR requirement,
// default acr values and scope, plus the record JwksCache uses to find its keys.
//
// RegistryAuthorizationClients is the production implementation, over the registry's
// ClientDirectory (one indexed query, no cache: a suspended member is refused at once).
//
// Thread-safety: implementations must be safe to call from several threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "oauth/client_directory.h"
#include "registry/agreement.h"
#include "registry/client_directory.h"

namespace idscheme::oidc {

struct AuthorizationClient {
  std::string client_id;
  std::string member_id;
  // The client, its member and the member's reseller are active.
  bool usable = false;
  // The client is registered for the authorization_code grant and response_type code.
  bool allows_code_flow = false;
  std::vector<std::string> redirect_uris;  // compared by exact string (OIDC Core §3.1.2.1)
  std::string request_object_signing_alg;  // empty: ES256, PS256 or EdDSA
  bool require_pushed_authorization_requests = false;  // RFC 9126 §6
  std::vector<registry::AssuranceLevel> default_acr_levels;
  std::vector<std::string> scopes;  // the scope values it registered
  // For JwksCache::FindVerifyKey (its jwks / jwks_uri) and ClientAuthenticator.
  oauth::ClientAuthRecord auth;

  bool IsRegisteredRedirectUri(std::string_view uri) const;
};

class AuthorizationClients {
 public:
  virtual ~AuthorizationClients() = default;
  // NotFound for an unknown client_id, Unavailable when the store is down. Inactive clients
  // are returned with usable = false.
  virtual Result<AuthorizationClient> FindForAuthorization(std::string_view client_id) = 0;
};

class RegistryAuthorizationClients final : public AuthorizationClients {
 public:
  explicit RegistryAuthorizationClients(registry::ClientDirectory& directory)
      : directory_(directory) {}
  Result<AuthorizationClient> FindForAuthorization(std::string_view client_id) override;

 private:
  registry::ClientDirectory& directory_;
};

// The mapping, alone (tests).
AuthorizationClient ToAuthorizationClient(const registry::ClientAuthRecord& record);

}  // namespace idscheme::oidc
