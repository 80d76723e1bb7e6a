#include "registry/oauth_client_directory.h"

namespace idscheme::registry {
namespace {

// Seconds, rounded up (a token's iat has whole seconds: one issued in the same second as a
// switch-off is refused, the safe side); 0 when never switched off.
int64_t SecondsRoundedUp(int64_t ms) { return ms <= 0 ? 0 : (ms + 999) / 1000; }

}  // namespace

oauth::ClientAuthRecord ToOAuthRecord(const ClientAuthRecord& r) {
  oauth::ClientAuthRecord o;
  o.client_id = r.client_id;
  o.member_id = r.member_id;
  o.client_active = r.client_status == ClientStatus::kActive;
  o.member_active = r.member_status == MemberStatus::kActive &&
                    (!r.reseller_status || *r.reseller_status == MemberStatus::kActive);
  o.member_status_changed_at = SecondsRoundedUp(r.switched_off_at_ms);
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
