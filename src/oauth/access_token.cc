#include "oauth/access_token.h"

#include <algorithm>

#include "crypto/hash.h"
#include "crypto/json.h"
#include "crypto/jwt.h"

namespace idscheme::oauth {
namespace {

using json = nlohmann::json;

Status InvalidToken(std::string message) {
  return Status::OAuth("invalid_token", std::move(message), Status::Code::kUnauthenticated);
}

// Our own access tokens are signed with one of the scheme's signing slots.
constexpr crypto::SigAlg kOwnAlgs[] = {crypto::SigAlg::kES256, crypto::SigAlg::kPS256,
                                       crypto::SigAlg::kEdDSA, crypto::SigAlg::kRS256};

constexpr size_t kMaxAccessTokenSize = 8 * 1024;

const char* const kRegisteredClaims[] = {"iss", "sub", "aud", "client_id", "scope",
                                         "jti", "iat", "exp", "member_id"};

}  // namespace

Result<AccessTokenFormat> ParseAccessTokenFormat(std::string_view name) {
  if (name == "jwt") return AccessTokenFormat::kJwt;
  if (name == "opaque") return AccessTokenFormat::kOpaque;
  return Status::InvalidArgument("access token format must be \"jwt\" or \"opaque\"");
}

json AccessTokenClaims::ToJson() const {
  json c = extra.is_object() ? extra : json::object();
  c["iss"] = issuer;
  c["sub"] = subject;
  // RFC 9068 §2.2: aud; a single audience as a string.
  if (audience.size() == 1) {
    c["aud"] = audience.front();
  } else {
    c["aud"] = audience;
  }
  c["client_id"] = client_id;
  if (!scope.empty()) c["scope"] = scope;
  if (!member_id.empty()) c[std::string(kMemberIdClaim)] = member_id;
  c["jti"] = jti;
  c["iat"] = issued_at;
  c["exp"] = expires_at;
  return c;
}

Result<AccessTokenClaims> AccessTokenClaims::FromJson(const json& claims) {
  if (!claims.is_object()) return InvalidToken("claims are not an object");
  AccessTokenClaims out;
  auto str = [&](const char* name, std::string* field, bool required) -> Status {
    auto it = claims.find(name);
    if (it == claims.end()) {
      return required ? InvalidToken(std::string("\"") + name + "\" missing") : Status::Ok();
    }
    if (!it->is_string()) return InvalidToken(std::string("\"") + name + "\" is not a string");
    *field = it->get<std::string>();
    return Status::Ok();
  };
  auto num = [&](const char* name, int64_t* field) -> Status {
    auto it = claims.find(name);
    if (it == claims.end() || !it->is_number_integer())
      return InvalidToken(std::string("\"") + name + "\" missing or not an integer");
    *field = it->get<int64_t>();
    return Status::Ok();
  };
  IDS_RETURN_IF_ERROR(str("iss", &out.issuer, true));
  IDS_RETURN_IF_ERROR(str("sub", &out.subject, true));
  IDS_RETURN_IF_ERROR(str("client_id", &out.client_id, true));
  IDS_RETURN_IF_ERROR(str("jti", &out.jti, true));
  IDS_RETURN_IF_ERROR(str("scope", &out.scope, false));
  IDS_RETURN_IF_ERROR(str(kMemberIdClaim.data(), &out.member_id, false));
  IDS_RETURN_IF_ERROR(num("iat", &out.issued_at));
  IDS_RETURN_IF_ERROR(num("exp", &out.expires_at));
  auto aud = claims.find("aud");
  if (aud == claims.end()) return InvalidToken("\"aud\" missing");
  if (aud->is_string()) {
    out.audience.push_back(aud->get<std::string>());
  } else if (aud->is_array() && !aud->empty()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return InvalidToken("\"aud\" holds a non-string");
      out.audience.push_back(a.get<std::string>());
    }
  } else {
    return InvalidToken("\"aud\" is not a string or array of strings");
  }
  for (auto it = claims.begin(); it != claims.end(); ++it) {
    if (std::find_if(std::begin(kRegisteredClaims), std::end(kRegisteredClaims),
                     [&](const char* n) { return it.key() == n; }) == std::end(kRegisteredClaims))
      out.extra[it.key()] = it.value();
  }
  return out;
}

AccessTokenService::AccessTokenService(keys::KeyManager& keys, store::Database& db,
                                       const Clock& clock, Random& random,
                                       AccessTokenOptions options)
    : keys_(keys), db_(db), clock_(clock), random_(random), options_(std::move(options)) {
  if (options_.audience.empty()) options_.audience = options_.issuer;
}

Result<IssuedAccessToken> AccessTokenService::Issue(const AccessTokenRequest& request) {
  IssuedAccessToken out;
  AccessTokenClaims& c = out.claims;
  c.issuer = options_.issuer;
  c.subject = request.subject;
  c.audience =
      request.audience.empty() ? std::vector<std::string>{options_.audience} : request.audience;
  c.client_id = request.client_id;
  c.member_id = request.member_id;
  c.scope = request.scope;
  c.jti = random_.Token(16);  // 128 bits: unique without coordination between nodes
  c.issued_at = request.issued_at > 0 ? request.issued_at : clock_.NowSeconds();
  c.expires_at = c.issued_at + options_.ttl_seconds;
  c.extra = request.extra.is_object() ? request.extra : json::object();
  out.expires_in = options_.ttl_seconds;

  if (options_.format == AccessTokenFormat::kJwt) {
    IDS_ASSIGN_OR_RETURN(crypto::KeyPtr key, keys_.SigningKey(options_.signing_alg));
    // RFC 9068 §2.1: typ "at+jwt", so an access token cannot pass for an ID token or the reverse.
    IDS_ASSIGN_OR_RETURN(out.token, crypto::SignJwt(c.ToJson(), *key, options_.signing_alg,
                                                    key->kid(), kAccessTokenTyp));
    return out;
  }
  out.token = random_.Token(32);
  const auto digest = crypto::Sha256(out.token);
  IDS_ASSIGN_OR_RETURN(std::string claims_text, crypto::DumpJson(c.ToJson()));
  IDS_RETURN_IF_ERROR(
      db_.Exec("INSERT INTO oauth_access_tokens (token_hash, jti, client_id, claims, expires_at)"
               " VALUES (?, ?, ?, ?, ?)",
               {store::Bytes({digest.begin(), digest.end()}), store::Text(c.jti),
                store::Text(c.client_id), store::Text(std::move(claims_text)),
                store::Int(c.expires_at)})
          .status());
  return out;
}

Status AccessTokenService::CheckLifetimeAndAudience(const AccessTokenClaims& claims) const {
  const int64_t now = clock_.NowSeconds();
  // RFC 9068 §4: exp, iss and aud must be checked.
  if (now >= claims.expires_at + options_.leeway_seconds) return InvalidToken("token expired");
  if (claims.issued_at > now + options_.leeway_seconds) return InvalidToken("iat in the future");
  if (claims.issuer != options_.issuer) return InvalidToken("token from another issuer");
  if (std::find(claims.audience.begin(), claims.audience.end(), options_.audience) ==
      claims.audience.end())
    return InvalidToken("token is not meant for this resource");
  return Status::Ok();
}

Result<AccessTokenClaims> AccessTokenService::ValidateJwt(std::string_view token) const {
  auto jws = crypto::ParseJws(token, kMaxAccessTokenSize);
  if (!jws.ok()) return InvalidToken("malformed token");
  if (std::find(std::begin(kOwnAlgs), std::end(kOwnAlgs), jws->alg) == std::end(kOwnAlgs))
    return InvalidToken("token algorithm not accepted");
  // RFC 9068 §4: the typ must be at+jwt (or application/at+jwt).
  if (!crypto::SameMediaType(jws->typ, kAccessTokenTyp)) return InvalidToken("not an access token");
  if (jws->kid.empty()) return InvalidToken("token has no kid");
  // Any published key (next, active, retiring): tokens signed before a rotation stay valid.
  crypto::KeyPtr key = keys_.FindByKid(jws->kid);
  if (!key) return InvalidToken("token signed by an unknown key");
  if (!crypto::VerifyJws(*jws, *key, kOwnAlgs).ok()) return InvalidToken("bad token signature");
  auto claims = crypto::ParseJsonObjectStrict(jws->payload);
  if (!claims.ok()) return InvalidToken("malformed token claims");
  IDS_ASSIGN_OR_RETURN(auto out, AccessTokenClaims::FromJson(*claims));
  IDS_RETURN_IF_ERROR(CheckLifetimeAndAudience(out));
  return out;
}

Result<AccessTokenClaims> AccessTokenService::ValidateOpaque(std::string_view token) const {
  const auto digest = crypto::Sha256(token);
  IDS_ASSIGN_OR_RETURN(auto r,
                       db_.Exec("SELECT claims FROM oauth_access_tokens WHERE token_hash = ?",
                                {store::Bytes({digest.begin(), digest.end()})}));
  if (r.rows.empty()) return InvalidToken("unknown token");
  auto claims = crypto::ParseJsonObjectStrict(r.rows[0].Text(0));
  if (!claims.ok()) return Status::Internal("stored access token claims are malformed");
  IDS_ASSIGN_OR_RETURN(auto out, AccessTokenClaims::FromJson(*claims));
  IDS_RETURN_IF_ERROR(CheckLifetimeAndAudience(out));
  return out;
}

Result<AccessTokenClaims> AccessTokenService::Validate(std::string_view token) const {
  if (token.empty() || token.size() > kMaxAccessTokenSize) return InvalidToken("malformed token");
  if (token.find('.') != std::string_view::npos) return ValidateJwt(token);
  return ValidateOpaque(token);
}

}  // namespace idscheme::oauth
