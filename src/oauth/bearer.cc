#include "oauth/bearer.h"

#include <algorithm>
#include <optional>

#include "crypto/hash.h"
#include "oauth/revocation.h"

namespace idscheme::oauth {
namespace {

Status InvalidToken(std::string message) {
  return Status::OAuth("invalid_token", std::move(message), Status::Code::kUnauthenticated);
}

bool IsB64TokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

std::vector<std::string> SplitScope(std::string_view scope) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < scope.size()) {
    size_t sp = scope.find(' ', pos);
    if (sp == std::string_view::npos) sp = scope.size();
    if (sp > pos) out.emplace_back(scope.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

}  // namespace

bool AccessContext::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

Status RequireScope(const AccessContext& context, std::string_view scope) {
  if (context.HasScope(scope)) return Status::Ok();
  return Status::OAuth("insufficient_scope", "the token lacks scope " + std::string(scope),
                       Status::Code::kPermissionDenied);
}

namespace {

bool HasScheme(std::string_view authorization, std::string_view scheme) {
  return authorization.size() > scheme.size() &&
         http::EqualsIgnoreCase(authorization.substr(0, scheme.size()), scheme) &&
         authorization[scheme.size()] == ' ';
}

Result<std::string_view> ParseToken68(std::string_view authorization, std::string_view scheme) {
  // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token (RFC 9449 §7.1 the same for "DPoP");
  // the scheme is case-insensitive (RFC 9110 §11.1).
  if (!HasScheme(authorization, scheme)) return Status::Unauthenticated("bearer token required");
  std::string_view token = authorization.substr(scheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  size_t i = 0;
  while (i < token.size() && IsB64TokenChar(token[i])) ++i;
  if (i == 0) return InvalidToken("malformed bearer token");
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return InvalidToken("malformed bearer token");
  return token;
}

// RFC 6750 §2.2: the token as the access_token member of a form-encoded body (not GET, one
// part, application/x-www-form-urlencoded). nullopt when the request has no such body or the
// body has no access_token.
Result<std::optional<std::string>> FormBodyToken(const http::Request& request) {
  if (request.method() == "GET" || request.method() == "HEAD") return std::optional<std::string>();
  auto type = request.GetHeader("Content-Type");
  if (!type) return std::optional<std::string>();
  auto media = http::ParseMediaType(*type);
  if (!media.ok() || media->type != "application/x-www-form-urlencoded")
    return std::optional<std::string>();
  auto form = request.FormBody();
  if (!form.ok()) return Status::OAuth("invalid_request", form.status().message());
  if (form->Count("access_token") > 1)
    return Status::OAuth("invalid_request", "access_token sent more than once");
  auto token = form->Get("access_token");
  if (!token) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*token));
}

}  // namespace

Result<std::string_view> ParseBearerAuthorization(std::string_view authorization) {
  return ParseToken68(authorization, "Bearer");
}

Result<std::string_view> ParseDpopAuthorization(std::string_view authorization) {
  return ParseToken68(authorization, kDpopAuthScheme);
}

BearerAuthenticator::BearerAuthenticator(const AccessTokenService& tokens, ClientDirectory& clients,
                                         store::Database& db)
    : tokens_(tokens), clients_(clients), db_(db) {}

void BearerAuthenticator::EnableDpop(const DpopVerifier& verifier, std::string base_url) {
  dpop_ = &verifier;
  dpop_base_url_ = std::move(base_url);
}

Result<AccessContext> BearerAuthenticator::Authenticate(const http::Request& request) const {
  // RFC 6750 §2.3 is not supported, and a token sent that way is refused rather than ignored:
  // it has already leaked into logs and histories.
  if (!request.raw_query().empty()) {
    auto query = request.QueryParams();
    if (query.ok() && query->Has("access_token"))
      return Status::OAuth("invalid_request", "access tokens are not accepted in the query");
  }
  const size_t count = request.HeaderCount("Authorization");
  if (count > 1) return Status::OAuth("invalid_request", "more than one Authorization header");
  IDS_ASSIGN_OR_RETURN(std::optional<std::string> body_token, FormBodyToken(request));
  if (body_token) {
    // RFC 6750 §2: one method per request.
    if (count != 0)
      return Status::OAuth("invalid_request",
                           "access token sent both in the Authorization header and in the body");
    return AuthenticateBearerToken(*body_token);
  }
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
  if (count == 0) return Status::Unauthenticated("bearer token required");
  const std::string_view authorization = *request.GetHeader("Authorization");
  if (dpop_ != nullptr && HasScheme(authorization, kDpopAuthScheme)) {
    IDS_ASSIGN_OR_RETURN(std::string_view token, ParseDpopAuthorization(authorization));
    return AuthenticateDpop(request, token);
  }
  IDS_ASSIGN_OR_RETURN(std::string_view token, ParseBearerAuthorization(authorization));
  return AuthenticateBearerToken(token);
}

Result<AccessContext> BearerAuthenticator::AuthenticateBearerToken(std::string_view token) const {
  IDS_ASSIGN_OR_RETURN(AccessContext context, AuthenticateToken(token));
  // RFC 9449 §7.2: a DPoP-bound token is not a bearer token.
  if (!context.dpop_jkt.empty())
    return InvalidToken("a DPoP-bound token must be sent with the DPoP scheme and a proof");
  return context;
}

Result<AccessContext> BearerAuthenticator::AuthenticateDpop(const http::Request& request,
                                                            std::string_view token) const {
  if (dpop_ == nullptr) return Status::Unauthenticated("bearer token required");
  // RFC 9449 §7.1: htu is the resource's URL as the client addressed it (query ignored).
  const std::string& target = request.target();
  std::string url = target.empty() || target.front() != '/' ? target : dpop_base_url_ + target;
  auto proof = dpop_->VerifyRequest(request, DpopBinding{request.method(), url, token});
  if (!proof.ok()) {
    const Status& s = proof.status();
    if (s.oauth_error().empty()) return s;  // the store is down
    // RFC 9449 §7.1: a resource answers a bad proof with 401 and a DPoP challenge.
    return Status::OAuth(s.oauth_error(), s.message(), Status::Code::kUnauthenticated);
  }
  // RFC 9449 §7.1: a DPoP-bound token comes with a proof.
  if (!*proof)
    return Status::OAuth(std::string(kInvalidDpopProof), "DPoP proof missing",
                         Status::Code::kUnauthenticated);
  IDS_ASSIGN_OR_RETURN(AccessContext context, AuthenticateToken(token));
  // RFC 9449 §4.3 item 12, §7.1: the proof's key is the one the token is bound to.
  if (context.dpop_jkt.empty()) return InvalidToken("the token is not DPoP-bound");
  if (!crypto::ConstantTimeEquals(context.dpop_jkt, (*proof)->jkt))
    return InvalidToken("the DPoP proof is not by the key the token is bound to");
  return context;
}

Result<AccessContext> BearerAuthenticator::AuthenticateToken(std::string_view token) const {
  IDS_ASSIGN_OR_RETURN(AccessTokenClaims claims, tokens_.Validate(token));
  // RFC 7009 §2: a revoked token is refused from then on.
  IDS_ASSIGN_OR_RETURN(bool revoked, IsAccessTokenRevoked(db_, claims.jti));
  if (revoked) return InvalidToken("token revoked");

  auto record = clients_.FindClient(claims.client_id);
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kNotFound)
      return InvalidToken("token is no longer valid");
    return record.status();
  }
  // SCHEME.md: suspending or terminating a member takes effect at once, tokens included. The
  // same for a client switched off, or moved to another member.
  if (!record->client_active || !record->member_active || record->member_id != claims.member_id)
    return InvalidToken("token is no longer valid");
  // A token issued before the last switch-off (suspension, termination, deletion) of its client,
  // member or reseller stays dead after a reinstatement.
  if (claims.issued_at < record->member_status_changed_at)
    return InvalidToken("token is no longer valid");

  AccessContext out;
  out.client_id = std::move(claims.client_id);
  out.member_id = std::move(claims.member_id);
  out.member_role = std::move(record->member_role);
  out.subject = std::move(claims.subject);
  out.jti = std::move(claims.jti);
  out.scopes = SplitScope(claims.scope);
  out.audience = std::move(claims.audience);
  out.issuer = std::move(claims.issuer);
  out.issued_at = claims.issued_at;
  out.expires_at = claims.expires_at;
  out.extra = std::move(claims.extra);
  out.dpop_jkt = DpopConfirmation(out.extra).value_or("");  // RFC 9449 §6
  return out;
}

}  // namespace idscheme::oauth
