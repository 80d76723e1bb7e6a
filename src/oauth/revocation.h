// Revoked access tokens, by jti (RFC 7009): what the /revoke endpoint writes and the bearer
// check reads on every call. Refresh tokens are revoked by their issuer (refresh_tokens_seam.h).
// A revocation is kept until the token would have expired anyway, then PurgeExpiredTokens may drop
// it.
//
// Thread-safety: stateless functions over the store; safe from any thread and process.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace idscheme::oauth {

// Marks the token with this jti revoked. Revoking twice is not an error.
Status RevokeAccessToken(store::Executor& db, std::string_view jti, std::string_view client_id,
                         int64_t token_expires_at, int64_t now);

// True when the token with this jti was revoked.
Result<bool> IsAccessTokenRevoked(store::Executor& db, std::string_view jti);

// Drops revocations and opaque tokens whose tokens expired before `now`.
Status PurgeExpiredTokens(store::Executor& db, int64_t now);

}  // namespace idscheme::oauth
