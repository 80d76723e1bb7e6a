#include "approval/schema.h"

namespace idscheme::approval {

std::vector<store::Migration> Migrations() {
  // Times are Unix milliseconds except approval_actions.expires_at (seconds, as signed in the
  // digest). `display` is the RFC 8785 text of what the app shows; `code_choices` a JSON array.
  return {
      {600, "approval actions and devices",
       "CREATE TABLE approval_actions ("
       " id TEXT PRIMARY KEY, type TEXT NOT NULL, member_id TEXT NOT NULL,"
       " member_display_name TEXT NOT NULL, client_id TEXT NOT NULL, identity_id TEXT,"
       " level TEXT NOT NULL, display TEXT NOT NULL, verification_code TEXT NOT NULL,"
       " code_choices TEXT NOT NULL, nonce TEXT NOT NULL, created_at BIGINT NOT NULL,"
       " expires_at BIGINT NOT NULL, state TEXT NOT NULL, decided_at BIGINT,"
       " decided_by TEXT);"
       "CREATE INDEX approval_actions_identity ON approval_actions (identity_id, state, "
       "expires_at);"
       "CREATE INDEX approval_actions_due ON approval_actions (state, expires_at);"
       "CREATE TABLE approval_identity_gate ("
       " identity_id TEXT PRIMARY KEY, touched_at BIGINT NOT NULL);"
       "CREATE TABLE approval_devices ("
       " id TEXT PRIMARY KEY, identity_id TEXT NOT NULL, name TEXT NOT NULL,"
       " public_jwk TEXT NOT NULL, jwk_thumbprint TEXT NOT NULL, pin_salt BLOB NOT NULL,"
       " pin_verifier BLOB NOT NULL, pin_t_cost BIGINT NOT NULL, pin_m_cost_kib BIGINT NOT NULL,"
       " pin_parallelism BIGINT NOT NULL, pin_failures BIGINT NOT NULL, status TEXT NOT NULL,"
       " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, last_used_at BIGINT);"
       "CREATE INDEX approval_devices_identity ON approval_devices (identity_id, status);"},
  };
}

}  // namespace idscheme::approval
