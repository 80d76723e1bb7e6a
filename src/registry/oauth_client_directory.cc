#include "registry/oauth_client_directory.h"

#include <algorithm>

namespace idscheme::registry {
namespace {

// Seconds, rounded up; 0 when the status never changed.
int64_t ChangedAtSeconds(int64_t epoch, int64_t changed_at_ms) {
  if (epoch == 0) return 0;
  return (changed_at_ms + 999) / 1000;
}

}  // namespace

oauth::ClientAuthRecord ToOAuthRecord(const ClientAuthRecord& r) {
  oauth::ClientAuthRecord o;
  o.client_id = r.client_id;
  o.member_id = r.member_id;
  o.client_active = r.client_status == ClientStatus::kActive;
  o.member_active = r.member_status == MemberStatus::kActive &&
                    (!r.reseller_status || *r.reseller_status == MemberStatus::kActive);
  o.member_status_changed_at =
      std::max(ChangedAtSeconds(r.member_revocation_epoch, r.member_status_changed_at_ms),
               ChangedAtSeconds(r.client_revocation_epoch, r.client_status_changed_at_ms));
  o.token_endpoint_auth_method = r.metadata.token_endpoint_auth_method;
  o.jwks = r.metadata.jwks ? *r.metadata.jwks : nlohmann::json();
  o.jwks_uri = r.metadata.jwks_uri;
  o.token_endpoint_auth_signing_alg = r.metadata.token_endpoint_auth_signing_alg;
  o.secret_hash = r.secret_hash;
  o.grant_types = r.metadata.grant_types;
  o.scopes = r.metadata.Scopes();
  o.dpop_bound_access_tokens = r.metadata.dpop_bound_access_tokens;  // RFC 9449 §5.2
  o.member_role = std::string(RoleName(r.member_role));
  return o;
}

Result<oauth::ClientAuthRecord> OAuthClientDirectory::FindClient(std::string_view client_id) {
  IDS_ASSIGN_OR_RETURN(ClientAuthRecord r, directory_.FindClient(client_id));
  return ToOAuthRecord(r);
}

}  // namespace idscheme::registry
