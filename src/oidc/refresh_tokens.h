// Refresh tokens (RFC 6749 §6, §10.4; RFC 9700 §4.14.2): opt-in per client (grant_types has
// refresh_token), rotated on every use, kept only as SHA-256 at rest.
//
// Every refresh token belongs to a family: the authorization code it descends from
// (AuthorizationCodes::FamilyOf). Using a refresh token marks it used (a conditional UPDATE, so
// two nodes cannot both rotate it) and gives a new one of the same family. Presenting a used or
// revoked token again is a sign of theft: the whole family is revoked, refresh tokens and the
// access tokens recorded for it (RFC 9700 §4.14.2), and the answer is invalid_grant. The
// client may revoke a refresh token at /revoke (RFC 7009 §2), which revokes its family too.
//
// Thread-safety: stateless apart from the store; safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "oauth/refresh_tokens_seam.h"
#include "oidc/authorization_codes.h"
#include "store/database.h"

namespace idscheme::oidc {

struct RefreshTokenOptions {
  int64_t lifetime_seconds = 30 * 24 * 3600;
};

// Records an access token issued in `family`, so revoking the family revokes it.
Status RecordFamilyToken(store::Executor& db, std::string_view family, std::string_view jti,
                         int64_t token_expires_at);
// Revokes every refresh token of `family` and every access token recorded for it.
Status RevokeFamily(store::Executor& db, std::string_view family, std::string_view client_id,
                    int64_t now);

class RefreshTokens : public oauth::RefreshTokensSeam {
 public:
  RefreshTokens(store::Database& db, const Clock& clock, Random& random,
                RefreshTokenOptions options = {});

  // A new refresh token of `family` for the client, carrying `grant`; `subject` is the sub the
  // client knows the person by (logout finds the client's tokens for a person by it).
  Result<std::string> Issue(std::string_view family, const ApprovedAuthorization& grant,
                            std::string_view subject);
  // The same, written through `tx` (the caller's transaction).
  Result<std::string> IssueIn(store::Executor& tx, std::string_view family,
                              const ApprovedAuthorization& grant, std::string_view subject);

  struct Rotated {
    ApprovedAuthorization grant;
    std::string family;
    std::string refresh_token;  // the replacement
  };
  // Checks a request against the token's grant before the token is taken: a request it refuses
  // (a wider scope, another DPoP key) leaves the token usable.
  using GrantCheck = std::function<Status(const ApprovedAuthorization&)>;
  // Takes `token` once for `client_id` and returns its replacement: Check, then TakeIn and
  // (when it lost) RefuseTaken, in a transaction of its own.
  Result<Rotated> Rotate(std::string_view token, std::string_view client_id,
                         const GrantCheck& check = nullptr);

  // A rotation in two steps, so that the token is taken in the same transaction that records
  // what replaces it (the grant's access token): an error before that commit leaves the client
  // its token, to present again.
  struct Presented {
    ApprovedAuthorization grant;
    std::string family;
    std::string client_id;
    std::string token_hash;
    std::string subject;        // empty for rows written before the column existed
    std::string refresh_token;  // the replacement TakeIn records
  };
  // Reads `token` and checks it: invalid_grant when unknown, expired, revoked, for another
  // client, or already used; in the last case the family is revoked, after `before_revoking`
  // (the client assertion's jti, accepted first) succeeded. What `check` returns when it
  // refuses. Writes nothing otherwise.
  Result<Presented> Check(std::string_view token, std::string_view client_id,
                          const GrantCheck& check = nullptr,
                          const std::function<Status()>& before_revoking = {});
  // Through `tx`: takes the presented token (a conditional UPDATE) and records its replacement.
  // invalid_grant when another request took it since Check: then roll back and RefuseTaken.
  Status TakeIn(store::Executor& tx, const Presented& presented);
  // After a lost TakeIn: the token was presented twice, so the family is revoked (RFC 9700
  // §4.14.2); answers invalid_grant.
  Status RefuseTaken(const Presented& presented);

  // Called after the tokens of a rotation were issued and recorded in `family`: when the family
  // was revoked meanwhile (the same refresh token presented twice at once, RFC 9700 §4.14.2),
  // revokes it again, so that what was just issued goes too, and refuses (invalid_grant).
  Status CheckFamilyNotRevoked(std::string_view family, std::string_view client_id);

  // RFC 7662 §2.2: what introspection tells the token's client, while the token can be used.
  Result<std::optional<oauth::RefreshTokenFacts>> Find(std::string_view token) override;

  // RFC 7009 §2.1: revokes the family of `token` (its refresh tokens and access tokens) when it
  // was issued to `client_id`; nothing when unknown or another client's.
  Result<oauth::RefreshRevocation> Revoke(std::string_view client_id,
                                          std::string_view token) override;

  // Deletes tokens expired more than a day ago; returns how many.
  Result<int64_t> PurgeExpired();

 private:
  // Writes a new token row of `family` through `db`.
  Status Insert(store::Executor& db, std::string_view token, std::string_view family,
                const ApprovedAuthorization& grant, std::string_view subject);
  std::string NewToken();

  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  RefreshTokenOptions options_;
};

}  // namespace idscheme::oidc
