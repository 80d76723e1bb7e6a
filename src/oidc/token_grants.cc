#include "oidc/token_grants.h"

namespace idscheme::oidc {

Status TokenGrants::Put(std::string_view jti, std::string_view subject,
                        const ApprovedAuthorization& grant, int64_t expires_at) {
  return Put(db_, jti, subject, grant, expires_at);
}

Status TokenGrants::Put(store::Executor& db, std::string_view jti, std::string_view subject,
                        const ApprovedAuthorization& grant, int64_t expires_at) {
  return db
      .Exec(
          "INSERT INTO oidc_token_grants (jti, subject, grant_json, expires_at, client_id)"
          " VALUES (?, ?, ?, ?, ?)",
          {store::Text(std::string(jti)), store::Text(std::string(subject)),
           store::Text(ApprovedAuthorizationToJson(grant).dump()), store::Int(expires_at),
           store::Text(grant.client_id)})
      .status();
}

Result<TokenGrant> TokenGrants::Find(std::string_view jti) {
  IDS_ASSIGN_OR_RETURN(auto r,
                       db_.Exec("SELECT subject, grant_json FROM oidc_token_grants"
                                " WHERE jti = ? AND expires_at > ?",
                                {store::Text(std::string(jti)), store::Int(clock_.NowSeconds())}));
  if (r.rows.empty()) return Status::NotFound("no grant for this token");
  auto json = nlohmann::json::parse(r.rows[0].Text(1), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::Internal("stored token grant unreadable");
  TokenGrant out;
  out.subject = r.rows[0].Text(0);
  IDS_ASSIGN_OR_RETURN(out.grant, ApprovedAuthorizationFromJson(json));
  return out;
}

Result<int64_t> TokenGrants::PurgeExpired() {
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("DELETE FROM oidc_token_grants WHERE expires_at <= ?",
                                        {store::Int(clock_.NowSeconds())}));
  return r.affected;
}

}  // namespace idscheme::oidc
