#include "oidc/grants/authorization_code.h"

#include <algorithm>
#include <functional>

#include "oidc/current_agreement.h"
#include "oidc/subject.h"

namespace idscheme::oidc {
namespace {

Status InvalidGrant(std::string description) {
  return Status::OAuth("invalid_grant", std::move(description));
}

// The one required parameter `name`, else invalid_request (RFC 6749 §5.2).
Result<std::string_view> Required(const oauth::TokenRequest& request, std::string_view name) {
  auto value = request.params.Get(name);
  if (!value || value->empty())
    return Status::OAuth("invalid_request", std::string(name) + " is required");
  return *value;
}

// The person behind a grant, still active; invalid_grant otherwise (the login no longer stands).
Result<identity::Identity> ActivePerson(PersonTokenDeps& deps, const std::string& identity_id) {
  auto person = deps.identities.Get(identity::Actor::Operator(), identity_id);
  if (!person.ok()) {
    if (person.status().code() == Status::Code::kNotFound) return InvalidGrant("unknown person");
    return person.status();
  }
  if (person->status != identity::IdentityStatus::kActive)
    return InvalidGrant("the person's identity was revoked");
  return person;
}

// What the grant writes in the same transaction as the tokens' records: the code taken, or the
// refresh token taken and replaced.
using TakeInWrite = std::function<Status(store::Transaction&)>;

// Steps 5-8, shared with the refresh_token grant.
Result<oauth::TokenResponse> IssuePersonTokens(PersonTokenDeps& deps,
                                               const oauth::TokenRequest& request,
                                               ApprovedAuthorization grant,
                                               const std::string& family, bool with_nonce,
                                               std::string refresh_token,
                                               const TakeInWrite& take = nullptr) {
  oauth::PendingJti* jti = take ? request.pending_jti : nullptr;
  // Step 5: the client is read again (a suspension ends everything at once), and the person.
  IDS_ASSIGN_OR_RETURN(registry::ClientAuthRecord client, deps.clients.FindClient(grant.client_id));
  if (!client.Usable()) return InvalidGrant("client is no longer active");
  // A login from before the last switch-off of the client, its member or its reseller ended
  // with it: its code and refresh tokens, like its access tokens, stay dead after a
  // reinstatement (whole seconds, as the bearer check: the switch-off's own second included).
  if (client.switched_off_at_ms > 0 && grant.auth_time < (client.switched_off_at_ms + 999) / 1000)
    return InvalidGrant("the client was suspended after this login; log in again");
  // The agreement may have narrowed since the approval: what it no longer allows is not released.
  if (deps.policy) {
    IDS_RETURN_IF_ERROR(ApplyCurrentAgreement(*deps.policy, grant, "invalid_grant",
                                              Status::Code::kInvalidArgument));
  }
  IDS_ASSIGN_OR_RETURN(identity::Identity person, ActivePerson(deps, grant.identity_id));
  IDS_ASSIGN_OR_RETURN(std::string sub, SubjectFor(client, grant.identity_id, deps.subject_secret));

  // Step 6: the access token.
  oauth::AccessTokenRequest token_request;
  token_request.subject = sub;  // RFC 9068 §2.2: the person, as this client knows them
  token_request.client_id = grant.client_id;
  token_request.member_id = grant.member_id;
  token_request.scope = oauth::JoinScope(grant.scopes);
  if (!grant.acr.empty()) token_request.extra["acr"] = grant.acr;  // RFC 9068 §2.2.1
  token_request.extra["auth_time"] = grant.auth_time;
  // Before step 5's read of the client: a switch-off committed after it is later than the token.
  token_request.issued_at = request.client.checked_at;
  oauth::TokenResponse response;
  if (request.dpop_jkt) {
    // RFC 9449 §6.1: bound to the proof's key; §5: token_type DPoP.
    token_request.extra["cnf"] = {{"jkt", *request.dpop_jkt}};
    response.token_type = "DPoP";
  }
  IDS_ASSIGN_OR_RETURN(auto issued, deps.access_tokens.Issue(token_request));
  // Step 7: the ID token, before anything is taken: if it cannot be made (the client's keys
  // hold none to encrypt to), the code or refresh token stays usable.
  ClaimsReleaseOptions release = deps.release;
  release.now_seconds = deps.clock.NowSeconds();
  ReleasedClaims released = ReleaseClaims(person, grant, release);
  IdTokenContent content;
  content.subject = sub;
  if (with_nonce) content.nonce = grant.nonce;  // OIDC Core §3.1.3.6; §12.2: not on refresh
  content.acr = grant.acr;
  content.amr = grant.amr;
  content.auth_time = grant.auth_time;
  content.access_token = issued.token;
  content.person_claims = std::move(released.id_token);
  IDS_ASSIGN_OR_RETURN(std::string id_token, deps.id_tokens.Issue(client, content));

  // Step 8: refresh tokens only for clients registered for them (the refresh_token grant
  // passes the replacement it records itself).
  const bool first_refresh_token =
      refresh_token.empty() && client.metadata.HasGrant(kGrantRefreshToken);

  // One write for the records: the client assertion's jti accepted and the code taken
  // (authorization_code grant) or the refresh token taken and replaced, the token in its
  // family (so a reused code or refresh token revokes it), what userinfo will need, and the
  // first refresh token. Nothing is taken unless everything is recorded. (An opaque access
  // token's row, written by Issue above, stays unknown to anyone when this is refused: its
  // value is never returned.)
  IDS_RETURN_IF_ERROR(store::InTransaction(deps.db, [&](store::Transaction& tx) -> Status {
    if (jti) IDS_RETURN_IF_ERROR(jti->AcceptIn(tx));
    if (take) IDS_RETURN_IF_ERROR(take(tx));
    IDS_RETURN_IF_ERROR(RecordFamilyToken(tx, family, issued.claims.jti, issued.claims.expires_at));
    IDS_RETURN_IF_ERROR(
        TokenGrants::Put(tx, issued.claims.jti, sub, grant, issued.claims.expires_at));
    if (first_refresh_token) {
      IDS_ASSIGN_OR_RETURN(refresh_token, deps.refresh_tokens.IssueIn(tx, family, grant, sub));
    }
    return Status::Ok();
  }));
  if (jti) jti->Committed();

  response.access_token = std::move(issued.token);
  response.expires_in = issued.expires_in;
  response.scope = token_request.scope;
  response.extra["id_token"] = std::move(id_token);
  if (!refresh_token.empty()) response.extra["refresh_token"] = std::move(refresh_token);
  return response;
}

// The client assertion's jti, accepted on its own (before an effect outside the transaction).
Status SettleJti(const oauth::TokenRequest& request) {
  return request.pending_jti ? request.pending_jti->Settle() : Status::Ok();
}

// IssuePersonTokens with `take` (the code or refresh token taken once) in its transaction. When
// another request took it first (`take` answers invalid_grant), the transaction rolled back, the
// jti with it: the jti is accepted on its own, then `refuse` answers (and revokes what the
// winner got).
Result<oauth::TokenResponse> IssueTaking(PersonTokenDeps& deps, const oauth::TokenRequest& request,
                                         const ApprovedAuthorization& grant,
                                         const std::string& family, bool with_nonce,
                                         std::string refresh_token, const TakeInWrite& take,
                                         const std::function<Status()>& refuse) {
  bool lost = false;
  auto response = IssuePersonTokens(deps, request, grant, family, with_nonce,
                                    std::move(refresh_token), [&](store::Transaction& tx) {
                                      Status taken = take(tx);
                                      lost = !taken.ok() && taken.oauth_error() == "invalid_grant";
                                      return taken;
                                    });
  if (!lost) return response;
  IDS_RETURN_IF_ERROR(SettleJti(request));
  return refuse();
}

}  // namespace

Result<oauth::TokenResponse> AuthorizationCodeGrant::Handle(const oauth::TokenRequest& request) {
  // Step 1: RFC 6749 §4.1.3.
  IDS_ASSIGN_OR_RETURN(std::string_view code, Required(request, "code"));
  IDS_ASSIGN_OR_RETURN(std::string_view redirect_uri, Required(request, "redirect_uri"));
  const std::string_view verifier = request.params.Get("code_verifier").value_or("");
  const std::string& client_id = request.client.record.client_id;
  auto settle_jti = [&] { return SettleJti(request); };
  // Step 2: checked now, taken (once) with the tokens' records below.
  IDS_ASSIGN_OR_RETURN(ApprovedAuthorization grant,
                       deps_.codes.Verify(code, client_id, redirect_uri, verifier, settle_jti));
  // Step 3: RFC 9700 §2.1.1: public clients must use PKCE.
  if (request.client.method == oauth::ClientAuthMethod::kNone && grant.code_challenge.empty())
    return InvalidGrant("a public client must use PKCE");
  // Step 4: RFC 9449 §10: the code is bound to the key the authorization request named.
  if (grant.dpop_jkt && (!request.dpop_jkt || *request.dpop_jkt != *grant.dpop_jkt))
    return InvalidGrant("the DPoP proof is not by the key the authorization request named");
  // A login whose code came with a proof stays bound to that key (its refresh tokens too).
  if (request.dpop_jkt) grant.dpop_jkt = request.dpop_jkt;
  const std::string family = AuthorizationCodes::FamilyOf(code);
  auto response = IssueTaking(
      deps_, request, grant, family, /*with_nonce=*/true, "",
      [&](store::Transaction& tx) { return deps_.codes.Take(tx, code); },
      [&] { return deps_.codes.RefuseReused(code, client_id); });  // RFC 6749 §4.1.2
  IDS_RETURN_IF_ERROR(response.status());
  // A second redemption sees the code taken only with the access and refresh tokens' records
  // (the same transaction), so it revokes them (RFC 6749 §4.1.2).
  return response;
}

Result<oauth::TokenResponse> RefreshTokenGrant::Handle(const oauth::TokenRequest& request) {
  IDS_ASSIGN_OR_RETURN(std::string_view token, Required(request, "refresh_token"));
  // RFC 6749 §6: the scope may narrow the original grant, never widen it.
  std::vector<std::string> narrowed;
  if (auto scope = request.params.Get("scope")) {
    auto parsed = oauth::ParseScope(*scope);
    if (!parsed.ok()) return Status::OAuth("invalid_scope", parsed.status().message());
    narrowed = std::move(parsed).value();
  }
  // Checked before the token is taken: a refused request leaves the client its refresh token.
  auto check = [&](const ApprovedAuthorization& grant) -> Status {
    for (const auto& s : narrowed) {
      if (std::find(grant.scopes.begin(), grant.scopes.end(), s) == grant.scopes.end())
        return Status::OAuth("invalid_scope", "scope wider than the original grant: " + s);
    }
    // A DPoP-bound login stays bound to its key (RFC 9449 §5: refresh tokens of public clients
    // are bound; this scheme binds through the grant for every client).
    if (grant.dpop_jkt && (!request.dpop_jkt || *request.dpop_jkt != *grant.dpop_jkt))
      return InvalidGrant("the DPoP proof is not by the key this login is bound to");
    return Status::Ok();
  };
  const std::string& client_id = request.client.record.client_id;
  auto settle_jti = [&] { return SettleJti(request); };
  IDS_ASSIGN_OR_RETURN(RefreshTokens::Presented presented,
                       deps_.refresh_tokens.Check(token, client_id, check, settle_jti));
  ApprovedAuthorization grant = presented.grant;
  if (!narrowed.empty()) grant.scopes = narrowed;
  // The token is taken in the transaction that records the new access token, with its
  // replacement: an error before that commit (the client or person unreadable, the store busy)
  // leaves the client its refresh token to present again.
  auto response = IssueTaking(
      deps_, request, grant, presented.family, /*with_nonce=*/false, presented.refresh_token,
      [&](store::Transaction& tx) { return deps_.refresh_tokens.TakeIn(tx, presented); },
      [&] { return deps_.refresh_tokens.RefuseTaken(presented); });
  IDS_RETURN_IF_ERROR(response.status());
  // The same refresh token presented twice at once: the loser revoked the family, perhaps
  // before this access token was recorded in it. Revoked again, it goes too.
  IDS_RETURN_IF_ERROR(deps_.refresh_tokens.CheckFamilyNotRevoked(presented.family, client_id));
  return response;
}

}  // namespace idscheme::oidc
