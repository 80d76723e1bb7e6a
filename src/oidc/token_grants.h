// What stands behind an access token issued to a person: the approved authorization (identity,
// scopes, claims request, approved claims) and the sub the client knows, kept by the token's
// jti until the token expires. Userinfo reads it; the token itself never names the person (a
// JWT access token is readable by the client, and the identity id would link clients).
//
// Thread-safety: stateless apart from the store; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "oidc/authorization_codes.h"
#include "store/database.h"

namespace idscheme::oidc {

struct TokenGrant {
  std::string subject;
  ApprovedAuthorization grant;
};

class TokenGrants {
 public:
  TokenGrants(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Status Put(std::string_view jti, std::string_view subject, const ApprovedAuthorization& grant,
             int64_t expires_at);
  // The same within the caller's transaction (or any executor of this store).
  static Status Put(store::Executor& db, std::string_view jti, std::string_view subject,
                    const ApprovedAuthorization& grant, int64_t expires_at);
  // NotFound when the jti is unknown or its token expired.
  Result<TokenGrant> Find(std::string_view jti);
  // Drops the records of expired tokens; returns how many.
  Result<int64_t> PurgeExpired();

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace idscheme::oidc
