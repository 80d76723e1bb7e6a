#include "oauth/revocation.h"

namespace idscheme::oauth {

using store::Int;
using store::Text;

Status RevokeAccessToken(store::Executor& db, std::string_view jti, std::string_view client_id,
                         int64_t token_expires_at, int64_t now) {
  if (jti.empty()) return Status::InvalidArgument("revocation: empty jti");
  return db
      .Exec(
          "INSERT INTO oauth_revoked_tokens (jti, client_id, revoked_at, expires_at)"
          " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
          {Text(std::string(jti)), Text(std::string(client_id)), Int(now), Int(token_expires_at)})
      .status();
}

Result<bool> IsAccessTokenRevoked(store::Executor& db, std::string_view jti) {
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec("SELECT 1 FROM oauth_revoked_tokens WHERE jti = ?",
                                       {Text(std::string(jti))}));
  return !r.rows.empty();
}

Status PurgeExpiredTokens(store::Executor& db, int64_t now) {
  IDS_RETURN_IF_ERROR(
      db.Exec("DELETE FROM oauth_revoked_tokens WHERE expires_at < ?", {Int(now)}).status());
  return db.Exec("DELETE FROM oauth_access_tokens WHERE expires_at < ?", {Int(now)}).status();
}

}  // namespace idscheme::oauth
