#include "registry/registry.h"

namespace idscheme::registry {

Result<MemberStatus> Registry::MemberStatusOf(std::string_view member_id) {
  IDS_ASSIGN_OR_RETURN(MemberStanding s, members_.StandingOf(member_id));
  return s.status;
}

Result<std::string> Registry::EffectiveStatusOf(const Client& client) {
  IDS_ASSIGN_OR_RETURN(MemberStanding standing, members_.StandingOf(client.member_id));
  return EffectiveClientStatus(client.status, standing);
}

std::string EffectiveClientStatus(ClientStatus own, const MemberStanding& member) {
  if (own != ClientStatus::kActive) return std::string(ClientStatusName(own));
  if (member.status != MemberStatus::kActive)
    return "member_" + std::string(MemberStatusName(member.status));
  if (member.reseller_status && *member.reseller_status != MemberStatus::kActive)
    return "reseller_" + std::string(MemberStatusName(*member.reseller_status));
  return "active";
}

std::vector<store::Migration> Migrations() {
  // Agreements are versioned and never rewritten: the table refuses UPDATE and DELETE.
  return {
      {300, "registry members, agreements and clients",
       "CREATE TABLE registry_members ("
       " id TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT NOT NULL,"
       " legal_id TEXT NOT NULL, contact_email TEXT NOT NULL, contact_phone TEXT NOT NULL,"
       " status TEXT NOT NULL, reseller_id TEXT REFERENCES registry_members (id),"
       " revocation_epoch BIGINT NOT NULL, status_changed_at BIGINT NOT NULL,"
       " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
       "CREATE INDEX registry_members_role ON registry_members (role, status);"
       "CREATE INDEX registry_members_reseller ON registry_members (reseller_id);"
       "CREATE TABLE registry_agreements ("
       " member_id TEXT NOT NULL REFERENCES registry_members (id), version BIGINT NOT NULL,"
       " terms TEXT NOT NULL, created_at BIGINT NOT NULL, created_by TEXT NOT NULL,"
       " PRIMARY KEY (member_id, version));"
       "CREATE TRIGGER registry_agreements_no_update BEFORE UPDATE ON registry_agreements"
       " BEGIN SELECT RAISE(ABORT, 'registry_agreements keeps every version'); END;"
       "CREATE TRIGGER registry_agreements_no_delete BEFORE DELETE ON registry_agreements"
       " BEGIN SELECT RAISE(ABORT, 'registry_agreements keeps every version'); END;"
       "CREATE TABLE registry_clients ("
       " client_id TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES registry_members (id),"
       " registered_by TEXT NOT NULL, status TEXT NOT NULL, metadata TEXT NOT NULL,"
       " sector_identifier TEXT NOT NULL, secret_hash TEXT NOT NULL,"
       " revocation_epoch BIGINT NOT NULL, status_changed_at BIGINT NOT NULL,"
       " secret_rotated_at BIGINT NOT NULL, created_at BIGINT NOT NULL,"
       " updated_at BIGINT NOT NULL);"
       "CREATE INDEX registry_clients_member ON registry_clients (member_id);",
       // PostgreSQL: the same tables; the guard through a trigger function.
       "CREATE TABLE registry_members ("
       " id TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT NOT NULL,"
       " legal_id TEXT NOT NULL, contact_email TEXT NOT NULL, contact_phone TEXT NOT NULL,"
       " status TEXT NOT NULL, reseller_id TEXT REFERENCES registry_members (id),"
       " revocation_epoch BIGINT NOT NULL, status_changed_at BIGINT NOT NULL,"
       " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
       "CREATE INDEX registry_members_role ON registry_members (role, status);"
       "CREATE INDEX registry_members_reseller ON registry_members (reseller_id);"
       "CREATE TABLE registry_agreements ("
       " member_id TEXT NOT NULL REFERENCES registry_members (id), version BIGINT NOT NULL,"
       " terms TEXT NOT NULL, created_at BIGINT NOT NULL, created_by TEXT NOT NULL,"
       " PRIMARY KEY (member_id, version));"
       "CREATE FUNCTION registry_agreements_keep() RETURNS trigger AS $$"
       " BEGIN RAISE EXCEPTION 'registry_agreements keeps every version'; END; $$"
       " LANGUAGE plpgsql;"
       "CREATE TRIGGER registry_agreements_no_change BEFORE UPDATE OR DELETE"
       " ON registry_agreements FOR EACH ROW EXECUTE FUNCTION registry_agreements_keep();"
       "CREATE TABLE registry_clients ("
       " client_id TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES registry_members (id),"
       " registered_by TEXT NOT NULL, status TEXT NOT NULL, metadata TEXT NOT NULL,"
       " sector_identifier TEXT NOT NULL, secret_hash TEXT NOT NULL,"
       " revocation_epoch BIGINT NOT NULL, status_changed_at BIGINT NOT NULL,"
       " secret_rotated_at BIGINT NOT NULL, created_at BIGINT NOT NULL,"
       " updated_at BIGINT NOT NULL);"
       "CREATE INDEX registry_clients_member ON registry_clients (member_id);"},
      // When each member and client was last switched off (suspended, terminated, deleted):
      // tokens issued before it stay dead after a reinstatement, and one issued after the
      // reinstatement lives, even within the same second (status_changed_at cannot tell the two
      // apart). Existing rows take their last change, as before: the safe side.
      {301, "registry: when each member and client was last switched off",
       "ALTER TABLE registry_members ADD COLUMN deactivated_at BIGINT NOT NULL DEFAULT 0;"
       "ALTER TABLE registry_clients ADD COLUMN deactivated_at BIGINT NOT NULL DEFAULT 0;"
       "UPDATE registry_members SET deactivated_at = status_changed_at"
       " WHERE revocation_epoch > 0;"
       "UPDATE registry_clients SET deactivated_at = status_changed_at"
       " WHERE revocation_epoch > 0;"},
  };
}

}  // namespace idscheme::registry
