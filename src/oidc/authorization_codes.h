// Authorization codes: what the person approved in the app, turned into a one-time code for the
// client's back end (RFC 6749 §4.1.2, §10.5; OIDC Core §3.1.3).
//
// The login pages (the `login` part) call Issue() once the pending action is approved; the
// token endpoint's authorization_code grant calls Redeem(). A code is:
//   - 256 random bits, kept only as SHA-256 at rest;
//   - valid for 60 seconds (issue 5) and redeemable once, enforced by a conditional UPDATE in the
//     store so it holds across nodes;
//   - bound to its client, redirect_uri and PKCE challenge (RFC 7636 §4.6: S256 only);
//   - on a second redemption, refused with invalid_grant, and every token issued from it is
//     revoked (RFC 6749 §4.1.2, "SHOULD revoke").
//
// Thread-safety: stateless apart from the store; safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "oidc/claims_request.h"
#include "store/database.h"

namespace idscheme::oidc {

// Everything the token endpoint needs to answer for one approved login, fixed at approval time.
struct ApprovedAuthorization {
  std::string client_id;
  std::string member_id;
  std::string identity_id;  // the person (the pairwise `sub` is derived from it)
  std::string redirect_uri;
  std::vector<std::string> scopes;  // as requested and allowed ("openid" first)
  std::optional<std::string> nonce;
  std::string code_challenge;                // empty when PKCE was not used
  std::string code_challenge_method;         // "S256" when set
  ClaimsRequest claims;                      // the claims parameter (id_token / userinfo placement)
  std::vector<std::string> approved_claims;  // catalogue names shown in the app and approved
  std::string acr;                           // the level reached, as its URI (oidc/acr.h)
  std::vector<std::string> amr;              // RFC 8176 values, e.g. {"hwk", "pin"}
  int64_t auth_time = 0;                     // seconds since the epoch (the approval)
  std::string action_id;                     // the approved pending action (evidence)
  std::optional<std::string> dpop_jkt;       // RFC 9449 §10 dpop_jkt, when sent
};

// The stored form of a grant (also what refresh tokens keep), and back.
nlohmann::json ApprovedAuthorizationToJson(const ApprovedAuthorization& grant);
Result<ApprovedAuthorization> ApprovedAuthorizationFromJson(const nlohmann::json& json);
// A ClaimsRequest in the shape of the claims parameter (OIDC Core §5.5); ParseClaimsRequestJson
// reads it back.
nlohmann::json ClaimsRequestToJson(const ClaimsRequest& claims);

struct AuthorizationCodeOptions {
  int64_t lifetime_seconds = 60;
};

class AuthorizationCodes {
 public:
  AuthorizationCodes(store::Database& db, const Clock& clock, Random& random,
                     AuthorizationCodeOptions options = {});

  // Stores the grant and returns the code to send to the client.
  Result<std::string> Issue(const ApprovedAuthorization& grant);

  // Takes the code once. invalid_grant (Status with OAuth error) when unknown, expired, already
  // used (and then revokes what it issued), for another client, or the redirect_uri or
  // code_verifier does not match. Verify, then Take, then RefuseReused when Take lost.
  Result<ApprovedAuthorization> Redeem(std::string_view code, std::string_view client_id,
                                       std::string_view redirect_uri,
                                       std::string_view code_verifier);

  // Redeem in steps, so that the token endpoint takes the code in the same write transaction
  // that records the tokens issued from it (one commit instead of two, and no moment when the
  // code is taken but its tokens not yet recorded):
  // Verify: every check of Redeem except taking the code (a code already used is refused and
  // its tokens revoked here, after `before_revoking` succeeded: the token endpoint accepts the
  // client assertion's jti there, so that a replayed assertion revokes nothing).
  Result<ApprovedAuthorization> Verify(std::string_view code, std::string_view client_id,
                                       std::string_view redirect_uri,
                                       std::string_view code_verifier,
                                       const std::function<Status()>& before_revoking = {});
  // Take: the conditional UPDATE, through `db` (the caller's transaction); invalid_grant when
  // another redemption took it first. Then roll back, and call RefuseReused.
  Status Take(store::Executor& db, std::string_view code);
  // After a lost Take: marks the code reused, revokes what it issued, answers invalid_grant.
  Status RefuseReused(std::string_view code, std::string_view client_id);

  // Records the jti of an access token issued from `code` (so a reuse can revoke it). When the
  // code was reused meanwhile, revokes the token at once and answers invalid_grant.
  Status RecordIssued(std::string_view code, std::string_view token_jti, int64_t token_expires_at);

  // invalid_grant (after revoking the code's token family again) when a second redemption of
  // `code` was tried; the grant calls it after issuing, to close the race with such a reuse.
  Status CheckNotReused(std::string_view code);

  // Deletes codes expired more than a day ago; returns how many.
  Result<int64_t> PurgeExpired();

  // The token family of a code: refresh tokens issued from it carry it, and a reuse of the code
  // revokes them (the refresh_token grant's table, oidc_refresh_tokens).
  static std::string FamilyOf(std::string_view code);

 private:
  Status CheckPkce(const ApprovedAuthorization& grant, std::string_view code_verifier);
  Status MarkReusedAndRevoke(const std::string& code_hash, std::string_view client_id);
  Status RevokeIssued(const std::string& code_hash, std::string_view client_id);

  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  AuthorizationCodeOptions options_;
};

}  // namespace idscheme::oidc
