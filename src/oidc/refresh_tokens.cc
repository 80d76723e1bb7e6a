#include "oidc/refresh_tokens.h"

#include <array>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "oauth/revocation.h"

namespace idscheme::oidc {
namespace {

Status InvalidGrant(std::string description) {
  return Status::OAuth("invalid_grant", std::move(description));
}

std::string TokenHash(std::string_view token) { return Base64UrlEncode(crypto::Sha256(token)); }

}  // namespace

Status RecordFamilyToken(store::Executor& db, std::string_view family, std::string_view jti,
                         int64_t token_expires_at) {
  return db
      .Exec(
          "INSERT INTO oidc_code_tokens (code_hash, jti, expires_at) VALUES (?, ?, ?)"
          " ON CONFLICT DO NOTHING",
          {store::Text(std::string(family)), store::Text(std::string(jti)),
           store::Int(token_expires_at)})
      .status();
}

Status RevokeFamily(store::Executor& db, std::string_view family, std::string_view client_id,
                    int64_t now) {
  // The refresh tokens first, then the access tokens recorded: a rotation that records its
  // access token and then finds the family not yet revoked (CheckFamilyNotRevoked) recorded it
  // before this read, which then finds it.
  IDS_RETURN_IF_ERROR(
      db.Exec(
            "UPDATE oidc_refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
            {store::Int(now), store::Text(std::string(family))})
          .status());
  IDS_ASSIGN_OR_RETURN(auto issued,
                       db.Exec("SELECT jti, expires_at FROM oidc_code_tokens WHERE code_hash = ?",
                               {store::Text(std::string(family))}));
  for (const auto& row : issued.rows) {
    IDS_RETURN_IF_ERROR(oauth::RevokeAccessToken(db, row.Text(0), client_id, row.Int(1), now));
  }
  return Status::Ok();
}

RefreshTokens::RefreshTokens(store::Database& db, const Clock& clock, Random& random,
                             RefreshTokenOptions options)
    : db_(db), clock_(clock), random_(random), options_(options) {}

std::string RefreshTokens::NewToken() {
  std::array<uint8_t, 32> bytes{};
  random_.Fill(bytes);
  return Base64UrlEncode(bytes);
}

Status RefreshTokens::Insert(store::Executor& db, std::string_view token, std::string_view family,
                             const ApprovedAuthorization& grant, std::string_view subject) {
  const int64_t now = clock_.NowSeconds();
  return db
      .Exec(
          "INSERT INTO oidc_refresh_tokens (token_hash, family, client_id, grant_json,"
          " created_at, expires_at, subject) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {store::Text(TokenHash(token)), store::Text(std::string(family)),
           store::Text(grant.client_id), store::Text(ApprovedAuthorizationToJson(grant).dump()),
           store::Int(now), store::Int(now + options_.lifetime_seconds),
           // Empty only for a token rotated from a row written before the column existed.
           subject.empty() ? store::Null() : store::Text(std::string(subject))})
      .status();
}

Result<std::string> RefreshTokens::Issue(std::string_view family,
                                         const ApprovedAuthorization& grant,
                                         std::string_view subject) {
  return IssueIn(db_, family, grant, subject);
}

Result<std::string> RefreshTokens::IssueIn(store::Executor& tx, std::string_view family,
                                           const ApprovedAuthorization& grant,
                                           std::string_view subject) {
  std::string token = NewToken();
  IDS_RETURN_IF_ERROR(Insert(tx, token, family, grant, subject));
  return token;
}

Result<RefreshTokens::Presented> RefreshTokens::Check(
    std::string_view token, std::string_view client_id, const GrantCheck& check,
    const std::function<Status()>& before_revoking) {
  if (token.empty() || token.size() > 256) return InvalidGrant("unknown refresh token");
  Presented p;
  p.token_hash = TokenHash(token);
  const int64_t now = clock_.NowSeconds();
  IDS_ASSIGN_OR_RETURN(
      auto found, db_.Exec("SELECT family, client_id, grant_json, expires_at, used_at, revoked_at,"
                           " subject FROM oidc_refresh_tokens WHERE token_hash = ?",
                           {store::Text(p.token_hash)}));
  if (found.rows.empty()) return InvalidGrant("unknown refresh token");
  const store::Row& row = found.rows[0];
  p.family = row.Text(0);
  p.client_id = row.Text(1);
  // RFC 6749 §6: the refresh token was issued to the authenticated client.
  if (!crypto::ConstantTimeEquals(p.client_id, client_id))
    return InvalidGrant("refresh token was issued to another client");
  if (!row.IsNull(5)) return InvalidGrant("refresh token revoked");
  if (!row.IsNull(4)) {
    // RFC 9700 §4.14.2: a rotated-out token used again revokes the family.
    if (before_revoking) IDS_RETURN_IF_ERROR(before_revoking());
    return RefuseTaken(p);
  }
  if (now >= row.Int(3)) return InvalidGrant("refresh token expired");
  auto json = nlohmann::json::parse(row.Text(2), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::Internal("stored refresh token unreadable");
  IDS_ASSIGN_OR_RETURN(p.grant, ApprovedAuthorizationFromJson(json));
  if (check) IDS_RETURN_IF_ERROR(check(p.grant));
  if (!row.IsNull(6)) p.subject = row.Text(6);
  p.refresh_token = NewToken();
  return p;
}

Status RefreshTokens::TakeIn(store::Executor& tx, const Presented& p) {
  IDS_ASSIGN_OR_RETURN(auto taken,
                       tx.Exec("UPDATE oidc_refresh_tokens SET used_at = ? WHERE token_hash = ?"
                               " AND used_at IS NULL AND revoked_at IS NULL",
                               {store::Int(clock_.NowSeconds()), store::Text(p.token_hash)}));
  if (taken.affected != 1) return InvalidGrant("refresh token already used");
  return Insert(tx, p.refresh_token, p.family, p.grant, p.subject);
}

Status RefreshTokens::RefuseTaken(const Presented& p) {
  IDS_RETURN_IF_ERROR(RevokeFamily(db_, p.family, p.client_id, clock_.NowSeconds()));
  return InvalidGrant("refresh token already used");
}

Result<RefreshTokens::Rotated> RefreshTokens::Rotate(std::string_view token,
                                                     std::string_view client_id,
                                                     const GrantCheck& check) {
  IDS_ASSIGN_OR_RETURN(Presented p, Check(token, client_id, check));
  bool lost = false;
  Status taken = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    Status s = TakeIn(tx, p);
    lost = !s.ok() && s.oauth_error() == "invalid_grant";
    return s;
  });
  if (lost) return RefuseTaken(p);
  IDS_RETURN_IF_ERROR(taken);
  return Rotated{std::move(p.grant), std::move(p.family), std::move(p.refresh_token)};
}

Status RefreshTokens::CheckFamilyNotRevoked(std::string_view family, std::string_view client_id) {
  // A family is only ever revoked whole: one revoked row says it was.
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("SELECT 1 FROM oidc_refresh_tokens WHERE family = ? AND"
                                        " revoked_at IS NOT NULL LIMIT 1",
                                        {store::Text(std::string(family))}));
  if (r.rows.empty()) return Status::Ok();
  IDS_RETURN_IF_ERROR(RevokeFamily(db_, family, client_id, clock_.NowSeconds()));
  return InvalidGrant("refresh token already used");
}

using MaybeFacts = std::optional<oauth::RefreshTokenFacts>;

Result<std::optional<oauth::RefreshTokenFacts>> RefreshTokens::Find(std::string_view token) {
  if (token.empty() || token.size() > 256) return MaybeFacts();
  const int64_t now = clock_.NowSeconds();
  IDS_ASSIGN_OR_RETURN(auto found, db_.Exec("SELECT client_id, grant_json, created_at, expires_at,"
                                            " subject FROM oidc_refresh_tokens WHERE"
                                            " token_hash = ? AND used_at IS NULL AND"
                                            " revoked_at IS NULL AND expires_at > ?",
                                            {store::Text(TokenHash(token)), store::Int(now)}));
  if (found.rows.empty()) return MaybeFacts();
  const store::Row& row = found.rows[0];
  auto json = nlohmann::json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::Internal("stored refresh token unreadable");
  IDS_ASSIGN_OR_RETURN(ApprovedAuthorization grant, ApprovedAuthorizationFromJson(json));
  return MaybeFacts(oauth::RefreshTokenFacts{
      row.Text(0), row.IsNull(4) ? std::string() : row.Text(4), std::move(grant.scopes), row.Int(2),
      row.Int(3), std::move(grant.identity_id)});
}

Result<oauth::RefreshRevocation> RefreshTokens::Revoke(std::string_view client_id,
                                                       std::string_view token) {
  using oauth::RefreshRevocation;
  if (token.empty() || token.size() > 256) return RefreshRevocation::kUnknown;
  IDS_ASSIGN_OR_RETURN(auto found, db_.Exec("SELECT family, client_id FROM oidc_refresh_tokens"
                                            " WHERE token_hash = ?",
                                            {store::Text(TokenHash(token))}));
  if (found.rows.empty()) return RefreshRevocation::kUnknown;
  const store::Row& row = found.rows[0];
  // RFC 7009 §2.1: a client may revoke only the tokens issued to it.
  if (!crypto::ConstantTimeEquals(row.Text(1), client_id)) return RefreshRevocation::kOtherClient;
  // RFC 7009 §2.1: the access tokens of the same grant go with the refresh token.
  IDS_RETURN_IF_ERROR(RevokeFamily(db_, row.Text(0), row.Text(1), clock_.NowSeconds()));
  return RefreshRevocation::kRevoked;
}

Result<int64_t> RefreshTokens::PurgeExpired() {
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("DELETE FROM oidc_refresh_tokens WHERE expires_at < ?",
                                        {store::Int(clock_.NowSeconds() - 24 * 3600)}));
  return r.affected;
}

}  // namespace idscheme::oidc
