#include "oidc/migrations.h"

namespace idscheme::oidc {

std::vector<store::Migration> Migrations() {
  return {
      {700, "oidc_pushed_requests",
       // RFC 9126: pushed authorization requests by the SHA-256 of their request_uri; params is
       // the JSON list of [name, value] pairs.
       "CREATE TABLE oidc_pushed_requests ("
       "  request_uri_hash TEXT PRIMARY KEY,"
       "  client_id TEXT NOT NULL,"
       "  params TEXT NOT NULL,"
       "  created_at BIGINT NOT NULL,"
       "  expires_at BIGINT NOT NULL"
       ");"
       "CREATE INDEX oidc_pushed_requests_expires ON oidc_pushed_requests (expires_at);"},
      {701, "oidc_authorization_codes",
       // RFC 6749 §4.1.2: authorization codes by their SHA-256; grant_json is the approved
       // authorization; redeemed_at set once by a conditional UPDATE; reused_at when a second
       // redemption was tried. oidc_code_tokens lists the access tokens issued from a code, so
       // a reuse can revoke them. oidc_refresh_tokens: rotated refresh tokens by SHA-256, a
       // family per code (a reused token revokes its family).
       "CREATE TABLE oidc_authorization_codes ("
       "  code_hash TEXT PRIMARY KEY,"
       "  client_id TEXT NOT NULL,"
       "  grant_json TEXT NOT NULL,"
       "  created_at BIGINT NOT NULL,"
       "  expires_at BIGINT NOT NULL,"
       "  redeemed_at BIGINT,"
       "  reused_at BIGINT"
       ");"
       "CREATE INDEX oidc_authorization_codes_expires ON oidc_authorization_codes (expires_at);"
       "CREATE TABLE oidc_code_tokens ("
       "  code_hash TEXT NOT NULL,"
       "  jti TEXT NOT NULL,"
       "  expires_at BIGINT NOT NULL,"
       "  PRIMARY KEY (code_hash, jti)"
       ");"
       "CREATE TABLE oidc_refresh_tokens ("
       "  token_hash TEXT PRIMARY KEY,"
       "  family TEXT NOT NULL,"
       "  client_id TEXT NOT NULL,"
       "  grant_json TEXT NOT NULL,"
       "  created_at BIGINT NOT NULL,"
       "  expires_at BIGINT NOT NULL,"
       "  used_at BIGINT,"
       "  revoked_at BIGINT"
       ");"
       "CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens (family);"
       "CREATE INDEX oidc_refresh_tokens_expires ON oidc_refresh_tokens (expires_at);"
       // The approved authorization behind each access token issued to a person, by the
       // token's jti, for userinfo (the token itself never names the person).
       "CREATE TABLE oidc_token_grants ("
       "  jti TEXT PRIMARY KEY,"
       "  subject TEXT NOT NULL,"
       "  grant_json TEXT NOT NULL,"
       "  expires_at BIGINT NOT NULL"
       ");"
       "CREATE INDEX oidc_token_grants_expires ON oidc_token_grants (expires_at);"},
      {702, "oidc_logout_subjects",
       // RP-initiated logout ends what a client holds for a person, found by the sub the client
       // knows: refresh tokens and the records of live access tokens gain the sub and the client
       // (NULL in rows written before; logout finds old refresh tokens through grant_json).
       "ALTER TABLE oidc_refresh_tokens ADD COLUMN subject TEXT;"
       "CREATE INDEX oidc_refresh_tokens_subject ON oidc_refresh_tokens (client_id, subject);"
       "ALTER TABLE oidc_token_grants ADD COLUMN client_id TEXT;"
       "CREATE INDEX oidc_token_grants_subject ON oidc_token_grants (client_id, subject);"},
  };
}

}  // namespace idscheme::oidc
