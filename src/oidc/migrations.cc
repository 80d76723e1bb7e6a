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
  };
}

}  // namespace idscheme::oidc
