#include "oauth/introspection.h"

#include <algorithm>

#include "common/log.h"
#include "oauth/dpop.h"
#include "oauth/oauth_context.h"
#include "oauth/refresh_tokens_seam.h"
#include "oauth/revocation.h"
#include "oauth/token_endpoint.h"

namespace idscheme::oauth {
namespace {

http::Response Refuse(const http::Request& request, const Status& status) {
  if (status.code() == Status::Code::kUnavailable || status.code() == Status::Code::kInternal)
    log::Warn("token request failed",
              {{"request_id", request.request_id()}, {"error", status.ToString()}});
  return http::Response::Error(status);
}

// The client authentication and the token parameter every call here starts with.
struct Call {
  AuthenticatedClient client;
  std::string token;
  std::string token_type_hint;  // "" when absent
};

Result<Call> ReadCall(const http::Request& request, OAuthContext& oauth) {
  IDS_ASSIGN_OR_RETURN(http::FormParams params, ReadTokenParams(request));
  IDS_ASSIGN_OR_RETURN(AuthenticatedClient client,
                       oauth.client_auth().Authenticate(request, params));
  auto token = params.Get("token");
  // RFC 7662 §2.1, RFC 7009 §2.1: token is REQUIRED.
  if (!token || token->empty()) return Status::OAuth("invalid_request", "token missing");
  auto hint = params.Get("token_type_hint");
  return Call{std::move(client), std::string(*token), hint ? std::string(*hint) : std::string()};
}

nlohmann::json Inactive() { return {{"active", false}}; }

http::Response JsonNoStore(const nlohmann::json& body) {
  // RFC 7662 §2.2 (and the server's default for JSON): not cached.
  http::Response r = http::Response::Json(200, body);
  r.SetHeader("Pragma", "no-cache");
  return r;
}

http::Response RevocationDone() { return http::Response::JsonText(200, "{}"); }

Status OtherClientsToken() {
  return Status::OAuth("unauthorized_client", "the token was not issued to this client");
}

// RFC 7009 §2.1: a refresh token of the caller is revoked with the access tokens of its grant.
// kUnknown when no OpenID Provider registered its refresh tokens.
Result<RefreshRevocation> RevokeRefreshToken(const http::Request& request, OAuthContext& oauth,
                                             const Call& call) {
  RefreshTokensSeam* refresh = oauth.refresh_tokens();
  if (refresh == nullptr) return RefreshRevocation::kUnknown;
  const std::string& client_id = call.client.record.client_id;
  IDS_ASSIGN_OR_RETURN(RefreshRevocation outcome, refresh->Revoke(client_id, call.token));
  if (outcome == RefreshRevocation::kRevoked)
    log::Info("refresh token revoked",
              {{"request_id", request.request_id()}, {"client_id", client_id}});
  return outcome;
}

// RFC 7662 §2.2: the answer for a refresh token, or nullopt when `call.token` is none that can
// be used now. Only the client it was issued to learns about it: refresh tokens never go to a
// resource server.
using MaybeJson = std::optional<nlohmann::json>;

Result<MaybeJson> IntrospectRefreshToken(OAuthContext& oauth, const Call& call) {
  RefreshTokensSeam* refresh = oauth.refresh_tokens();
  if (refresh == nullptr) return MaybeJson();
  IDS_ASSIGN_OR_RETURN(std::optional<RefreshTokenFacts> facts, refresh->Find(call.token));
  if (!facts) return MaybeJson();
  if (facts->client_id != call.client.record.client_id) return MaybeJson(Inactive());
  nlohmann::json body = {{"active", true},
                         {"client_id", facts->client_id},
                         {"iss", oauth.issuer()},
                         {"iat", facts->issued_at},
                         {"exp", facts->expires_at}};
  std::string scope;
  for (const auto& s : facts->scopes) scope += (scope.empty() ? "" : " ") + s;
  if (!scope.empty()) body["scope"] = scope;
  if (!facts->subject.empty()) body["sub"] = facts->subject;
  return MaybeJson(std::move(body));
}

}  // namespace

http::Response HandleIntrospection(const http::Request& request, OAuthContext& oauth) {
  auto call = ReadCall(request, oauth);
  if (!call.ok()) return Refuse(request, call.status());
  // RFC 7662 §2.1: token_type_hint only orders the lookup; the other type is searched too.
  const bool refresh_first = call->token_type_hint == "refresh_token";
  if (refresh_first) {
    auto refresh = IntrospectRefreshToken(oauth, *call);
    if (!refresh.ok()) return Refuse(request, refresh.status());
    if (*refresh) return JsonNoStore(**refresh);
  }
  auto access = oauth.bearer().AuthenticateToken(call->token);
  if (!access.ok()) {
    if (access.status().oauth_error() != "invalid_token")
      return Refuse(request, access.status());  // the store is down: not "inactive"
    if (!refresh_first) {
      auto refresh = IntrospectRefreshToken(oauth, *call);
      if (!refresh.ok()) return Refuse(request, refresh.status());
      if (*refresh) return JsonNoStore(**refresh);
    }
    return JsonNoStore(Inactive());
  }
  const std::string& caller = call->client.record.client_id;
  const bool entitled =
      access->client_id == caller ||
      std::find(access->audience.begin(), access->audience.end(), caller) != access->audience.end();
  if (!entitled) return JsonNoStore(Inactive());
  // The person's identity revoked: their tokens are dead everywhere, as userinfo says. (A
  // client's own token, whose sub is the client (RFC 9068 §2.2), has no person to ask about.)
  RefreshTokensSeam* seam = oauth.refresh_tokens();
  if (seam != nullptr && access->subject != access->client_id) {
    auto person = seam->PersonActive(access->jti);
    if (!person.ok()) return Refuse(request, person.status());
    if (!*person) return JsonNoStore(Inactive());
  }
  std::string scope;
  for (const auto& s : access->scopes) scope += (scope.empty() ? "" : " ") + s;
  nlohmann::json body = {
      {"active", true},        {"client_id", access->client_id}, {"token_type", "Bearer"},
      {"iss", access->issuer}, {"exp", access->expires_at},      {"iat", access->issued_at},
      {"jti", access->jti}};
  if (!scope.empty()) body["scope"] = scope;
  if (!access->dpop_jkt.empty()) {
    // RFC 9449 §6.2: a DPoP-bound token's confirmation and token type.
    body["token_type"] = std::string(kDpopTokenType);
    body["cnf"] = {{"jkt", access->dpop_jkt}};
  }
  if (!access->subject.empty()) body["sub"] = access->subject;
  if (access->audience.size() == 1) {
    body["aud"] = access->audience.front();
  } else if (!access->audience.empty()) {
    body["aud"] = access->audience;
  }
  return JsonNoStore(body);
}

http::Response HandleRevocation(const http::Request& request, OAuthContext& oauth) {
  auto call = ReadCall(request, oauth);
  if (!call.ok()) return Refuse(request, call.status());
  // RFC 7009 §2.1: token_type_hint only orders the lookup; the other type is searched too.
  const bool refresh_first = call->token_type_hint == "refresh_token";
  if (refresh_first) {
    auto revoked = RevokeRefreshToken(request, oauth, *call);
    if (!revoked.ok()) return Refuse(request, revoked.status());
    if (*revoked == RefreshRevocation::kRevoked) return RevocationDone();
    if (*revoked == RefreshRevocation::kOtherClient) return Refuse(request, OtherClientsToken());
  }
  // Only the token's own lifetime and signature matter here: a token of a suspended member can
  // still be revoked by its client.
  auto claims = oauth.access_tokens().Validate(call->token);
  if (!claims.ok()) {
    if (claims.status().oauth_error() != "invalid_token") return Refuse(request, claims.status());
    if (!refresh_first) {
      auto revoked = RevokeRefreshToken(request, oauth, *call);
      if (!revoked.ok()) return Refuse(request, revoked.status());
      if (*revoked == RefreshRevocation::kOtherClient) return Refuse(request, OtherClientsToken());
    }
    // RFC 7009 §2.2: an invalid or unknown token is not an error (the client cannot do anything
    // about it).
    return RevocationDone();
  }
  // RFC 7009 §2.1: the token must have been issued to the client asking.
  if (claims->client_id != call->client.record.client_id)
    return Refuse(request, OtherClientsToken());
  Status s = RevokeAccessToken(oauth.db(), claims->jti, claims->client_id, claims->expires_at,
                               oauth.clock().NowSeconds());
  if (!s.ok()) return Refuse(request, s);
  log::Info("access token revoked", {{"request_id", request.request_id()},
                                     {"client_id", claims->client_id},
                                     {"jti", claims->jti}});
  return RevocationDone();
}

}  // namespace idscheme::oauth
