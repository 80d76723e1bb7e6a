#include "oidc/authorization_codes.h"

#include <array>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "oidc/refresh_tokens.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

constexpr size_t kCodeBytes = 32;  // 256 bits
constexpr int64_t kPurgeAfterSeconds = 24 * 60 * 60;

Status InvalidGrant(std::string description) {
  return Status::OAuth("invalid_grant", std::move(description));
}

// The store key of a code: hex-free base64url of its SHA-256 (the code itself is never kept).
std::string CodeHash(std::string_view code) {
  const auto digest = crypto::Sha256(code);
  return Base64UrlEncode(digest);
}

json ClaimToJson(const RequestedClaim& c) {
  json spec = json::object();
  if (c.essential) spec["essential"] = true;
  if (c.value) spec["value"] = *c.value;
  if (!c.values.empty()) spec["values"] = c.values;
  if (!c.purpose.empty()) spec["purpose"] = c.purpose;
  return spec.empty() ? json(nullptr) : spec;
}

json MemberToJson(const std::vector<RequestedClaim>& claims,
                  const std::optional<json>& verified_claims) {
  json member = json::object();
  for (const auto& c : claims) member[c.name] = ClaimToJson(c);
  if (verified_claims) member["verified_claims"] = *verified_claims;
  return member;
}

}  // namespace

json ClaimsRequestToJson(const ClaimsRequest& claims) {
  json top = json::object();
  if (!claims.id_token.empty() || claims.id_token_verified_claims)
    top["id_token"] = MemberToJson(claims.id_token, claims.id_token_verified_claims);
  if (!claims.userinfo.empty() || claims.userinfo_verified_claims)
    top["userinfo"] = MemberToJson(claims.userinfo, claims.userinfo_verified_claims);
  return top;
}

json ApprovedAuthorizationToJson(const ApprovedAuthorization& a) {
  json j = {{"client_id", a.client_id},
            {"member_id", a.member_id},
            {"identity_id", a.identity_id},
            {"redirect_uri", a.redirect_uri},
            {"scopes", a.scopes},
            {"code_challenge", a.code_challenge},
            {"code_challenge_method", a.code_challenge_method},
            {"claims", ClaimsRequestToJson(a.claims)},
            {"approved_claims", a.approved_claims},
            {"acr", a.acr},
            {"amr", a.amr},
            {"auth_time", a.auth_time},
            {"action_id", a.action_id}};
  if (a.nonce) j["nonce"] = *a.nonce;
  if (a.dpop_jkt) j["dpop_jkt"] = *a.dpop_jkt;
  return j;
}

Result<ApprovedAuthorization> ApprovedAuthorizationFromJson(const json& j) {
  try {
    ApprovedAuthorization a;
    a.client_id = j.at("client_id").get<std::string>();
    a.member_id = j.at("member_id").get<std::string>();
    a.identity_id = j.at("identity_id").get<std::string>();
    a.redirect_uri = j.at("redirect_uri").get<std::string>();
    a.scopes = j.at("scopes").get<std::vector<std::string>>();
    if (j.contains("nonce")) a.nonce = j.at("nonce").get<std::string>();
    a.code_challenge = j.at("code_challenge").get<std::string>();
    a.code_challenge_method = j.at("code_challenge_method").get<std::string>();
    IDS_ASSIGN_OR_RETURN(a.claims, ParseClaimsRequestJson(j.at("claims")));
    a.approved_claims = j.at("approved_claims").get<std::vector<std::string>>();
    a.acr = j.at("acr").get<std::string>();
    a.amr = j.at("amr").get<std::vector<std::string>>();
    a.auth_time = j.at("auth_time").get<int64_t>();
    a.action_id = j.at("action_id").get<std::string>();
    if (j.contains("dpop_jkt")) a.dpop_jkt = j.at("dpop_jkt").get<std::string>();
    return a;
  } catch (const json::exception& e) {
    return Status::Internal(std::string("stored authorization code unreadable: ") + e.what());
  }
}

AuthorizationCodes::AuthorizationCodes(store::Database& db, const Clock& clock, Random& random,
                                       AuthorizationCodeOptions options)
    : db_(db), clock_(clock), random_(random), options_(options) {}

Result<std::string> AuthorizationCodes::Issue(const ApprovedAuthorization& grant) {
  if (grant.client_id.empty() || grant.redirect_uri.empty() || grant.identity_id.empty())
    return Status::InvalidArgument("authorization code: client, redirect_uri and identity needed");
  // RFC 7636 §4.2/§4.3: only S256 challenges are accepted by this scheme.
  if (!grant.code_challenge.empty() && grant.code_challenge_method != "S256")
    return Status::InvalidArgument("authorization code: code_challenge_method must be S256");
  std::array<uint8_t, kCodeBytes> bytes{};
  random_.Fill(bytes);
  std::string code = Base64UrlEncode(bytes);
  const int64_t now = clock_.NowSeconds();
  IDS_RETURN_IF_ERROR(
      db_.Exec("INSERT INTO oidc_authorization_codes (code_hash, client_id, grant_json,"
               " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
               {store::Text(CodeHash(code)), store::Text(grant.client_id),
                store::Text(ApprovedAuthorizationToJson(grant).dump()), store::Int(now),
                store::Int(now + options_.lifetime_seconds)})
          .status());
  return code;
}

Status AuthorizationCodes::RevokeIssued(const std::string& code_hash, std::string_view client_id) {
  // The code's hash names its token family: access tokens recorded for it and refresh tokens.
  return RevokeFamily(db_, code_hash, client_id, clock_.NowSeconds());
}

Result<ApprovedAuthorization> AuthorizationCodes::Redeem(std::string_view code,
                                                         std::string_view client_id,
                                                         std::string_view redirect_uri,
                                                         std::string_view code_verifier) {
  IDS_ASSIGN_OR_RETURN(ApprovedAuthorization grant,
                       Verify(code, client_id, redirect_uri, code_verifier));
  Status taken = Take(db_, code);
  if (!taken.ok()) {
    if (taken.oauth_error() == "invalid_grant") return RefuseReused(code, client_id);
    return taken;
  }
  return grant;
}

Result<ApprovedAuthorization> AuthorizationCodes::Verify(
    std::string_view code, std::string_view client_id, std::string_view redirect_uri,
    std::string_view code_verifier, const std::function<Status()>& before_revoking) {
  if (code.empty() || code.size() > 256) return InvalidGrant("unknown authorization code");
  const std::string hash = CodeHash(code);
  const int64_t now = clock_.NowSeconds();
  IDS_ASSIGN_OR_RETURN(auto found,
                       db_.Exec("SELECT client_id, grant_json, expires_at, redeemed_at FROM"
                                " oidc_authorization_codes WHERE code_hash = ?",
                                {store::Text(hash)}));
  if (found.rows.empty()) return InvalidGrant("unknown authorization code");
  const store::Row& row = found.rows[0];
  const std::string& stored_client = row.Text(0);
  // RFC 6749 §4.1.3: the code was issued to the authenticated client.
  if (!crypto::ConstantTimeEquals(stored_client, client_id))
    return InvalidGrant("authorization code was issued to another client");
  if (!row.IsNull(3)) {
    // RFC 6749 §4.1.2: a code used twice is refused and the tokens issued from it revoked.
    if (before_revoking) IDS_RETURN_IF_ERROR(before_revoking());
    IDS_RETURN_IF_ERROR(MarkReusedAndRevoke(hash, stored_client));
    return InvalidGrant("authorization code already used");
  }
  // RFC 6749 §4.1.2: short-lived (60 s here, issue 5).
  if (now >= row.Int(2)) return InvalidGrant("authorization code expired");
  auto grant_json = json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
  if (grant_json.is_discarded()) return Status::Internal("stored authorization code unreadable");
  IDS_ASSIGN_OR_RETURN(ApprovedAuthorization grant, ApprovedAuthorizationFromJson(grant_json));
  // RFC 6749 §4.1.3: redirect_uri identical to the one of the authorization request.
  if (redirect_uri != grant.redirect_uri) return InvalidGrant("redirect_uri does not match");
  IDS_RETURN_IF_ERROR(CheckPkce(grant, code_verifier));
  return grant;
}

Status AuthorizationCodes::Take(store::Executor& db, std::string_view code) {
  const std::string hash = CodeHash(code);
  const int64_t now = clock_.NowSeconds();
  // Single use across nodes: only one conditional UPDATE can take the code.
  IDS_ASSIGN_OR_RETURN(
      auto taken, db.Exec("UPDATE oidc_authorization_codes SET redeemed_at = ? WHERE code_hash = ?"
                          " AND redeemed_at IS NULL AND expires_at > ?",
                          {store::Int(now), store::Text(hash), store::Int(now)}));
  if (taken.affected != 1) return InvalidGrant("authorization code already used");
  return Status::Ok();
}

Status AuthorizationCodes::RefuseReused(std::string_view code, std::string_view client_id) {
  IDS_RETURN_IF_ERROR(MarkReusedAndRevoke(CodeHash(code), client_id));
  return InvalidGrant("authorization code already used");
}

Status AuthorizationCodes::MarkReusedAndRevoke(const std::string& code_hash,
                                               std::string_view client_id) {
  IDS_RETURN_IF_ERROR(db_.Exec("UPDATE oidc_authorization_codes SET reused_at = ? WHERE"
                               " code_hash = ? AND reused_at IS NULL",
                               {store::Int(clock_.NowSeconds()), store::Text(code_hash)})
                          .status());
  return RevokeIssued(code_hash, client_id);
}

Status AuthorizationCodes::CheckPkce(const ApprovedAuthorization& grant,
                                     std::string_view code_verifier) {
  if (grant.code_challenge.empty()) {
    // RFC 9700 §2.1.1 / RFC 7636 §4.5: a verifier without a challenge is refused too.
    if (!code_verifier.empty()) return InvalidGrant("code_verifier sent but no challenge was");
    return Status::Ok();
  }
  if (code_verifier.empty()) return InvalidGrant("code_verifier missing");  // RFC 7636 §4.5
  // RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
  if (code_verifier.size() < 43 || code_verifier.size() > 128)
    return InvalidGrant("code_verifier must be 43 to 128 characters");
  for (char c : code_verifier) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return InvalidGrant("code_verifier has a character outside RFC 7636 §4.1");
  }
  // RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge.
  const std::string computed = Base64UrlEncode(crypto::Sha256(code_verifier));
  if (!crypto::ConstantTimeEquals(computed, grant.code_challenge))
    return InvalidGrant("code_verifier does not match the code_challenge");
  return Status::Ok();
}

Status AuthorizationCodes::RecordIssued(std::string_view code, std::string_view token_jti,
                                        int64_t token_expires_at) {
  const std::string hash = CodeHash(code);
  IDS_RETURN_IF_ERROR(RecordFamilyToken(db_, hash, token_jti, token_expires_at));
  // A reuse seen between Redeem and here revoked what was recorded then; this token too.
  return CheckNotReused(code);
}

Status AuthorizationCodes::CheckNotReused(std::string_view code) {
  const std::string hash = CodeHash(code);
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("SELECT client_id FROM oidc_authorization_codes WHERE"
                                        " code_hash = ? AND reused_at IS NOT NULL",
                                        {store::Text(hash)}));
  if (!r.rows.empty()) {
    IDS_RETURN_IF_ERROR(RevokeIssued(hash, r.rows[0].Text(0)));
    return InvalidGrant("authorization code already used");
  }
  return Status::Ok();
}

Result<int64_t> AuthorizationCodes::PurgeExpired() {
  const int64_t before = clock_.NowSeconds() - kPurgeAfterSeconds;
  IDS_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM oidc_code_tokens WHERE code_hash IN (SELECT code_hash FROM"
               " oidc_authorization_codes WHERE expires_at < ?)",
               {store::Int(before)})
          .status());
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("DELETE FROM oidc_authorization_codes WHERE expires_at < ?",
                                        {store::Int(before)}));
  return r.affected;
}

std::string AuthorizationCodes::FamilyOf(std::string_view code) { return CodeHash(code); }

}  // namespace idscheme::oidc
