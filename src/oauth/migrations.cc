#include "oauth/migrations.h"

namespace idscheme::oauth {

std::vector<store::Migration> Migrations() {
  return {
      {400, "oauth_revoked_tokens",
       // RFC 7009: a revoked access token's jti, kept until the token would have expired.
       "CREATE TABLE oauth_revoked_tokens ("
       "  jti TEXT PRIMARY KEY,"
       "  client_id TEXT NOT NULL,"
       "  revoked_at BIGINT NOT NULL,"
       "  expires_at BIGINT NOT NULL);"
       "CREATE INDEX oauth_revoked_tokens_expires ON oauth_revoked_tokens (expires_at);"},
      {401, "oauth_opaque_access_tokens",
       // Opaque access tokens: the SHA-256 of the token (never the token) and its claims.
       "CREATE TABLE oauth_access_tokens ("
       "  token_hash BLOB PRIMARY KEY,"
       "  jti TEXT NOT NULL,"
       "  client_id TEXT NOT NULL,"
       "  claims TEXT NOT NULL,"
       "  expires_at BIGINT NOT NULL);"
       "CREATE INDEX oauth_access_tokens_expires ON oauth_access_tokens (expires_at);"},
  };
}

}  // namespace idscheme::oauth
