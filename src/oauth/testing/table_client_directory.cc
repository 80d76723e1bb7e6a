#include "oauth/testing/table_client_directory.h"

#include "crypto/json.h"

namespace idscheme::oauth::testing {

using store::Int;
using store::Text;

Status TableClientDirectory::CreateTables() {
  return db_.ExecScript(
      "CREATE TABLE IF NOT EXISTS oauth_test_members ("
      "  member_id TEXT PRIMARY KEY, active BIGINT NOT NULL, status_changed_at BIGINT NOT NULL,"
      "  role TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS oauth_test_clients ("
      "  client_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, active BIGINT NOT NULL,"
      "  registration TEXT NOT NULL);");
}

Status TableClientDirectory::PutMember(std::string_view member_id, bool active,
                                       int64_t status_changed_at, std::string_view role) {
  IDS_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM oauth_test_members WHERE member_id = ?", {Text(std::string(member_id))})
          .status());
  return db_
      .Exec(
          "INSERT INTO oauth_test_members (member_id, active, status_changed_at, role)"
          " VALUES (?, ?, ?, ?)",
          {Text(std::string(member_id)), Int(active ? 1 : 0), Int(status_changed_at),
           Text(std::string(role))})
      .status();
}

Status TableClientDirectory::SetMemberActive(std::string_view member_id, bool active,
                                             int64_t changed_at) {
  return db_
      .Exec("UPDATE oauth_test_members SET active = ?, status_changed_at = ? WHERE member_id = ?",
            {Int(active ? 1 : 0), Int(changed_at), Text(std::string(member_id))})
      .status();
}

Status TableClientDirectory::PutClient(const ClientAuthRecord& r) {
  nlohmann::json registration = {
      {"token_endpoint_auth_method", r.token_endpoint_auth_method},
      {"jwks", r.jwks},
      {"jwks_uri", r.jwks_uri},
      {"token_endpoint_auth_signing_alg", r.token_endpoint_auth_signing_alg},
      {"secret_hash", r.secret_hash},
      {"grant_types", r.grant_types},
      {"scopes", r.scopes},
      {"dpop_bound_access_tokens", r.dpop_bound_access_tokens}};
  IDS_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM oauth_test_clients WHERE client_id = ?", {Text(r.client_id)}).status());
  return db_
      .Exec(
          "INSERT INTO oauth_test_clients (client_id, member_id, active, registration)"
          " VALUES (?, ?, ?, ?)",
          {Text(r.client_id), Text(r.member_id), Int(r.client_active ? 1 : 0),
           Text(registration.dump())})
      .status();
}

Status TableClientDirectory::SetClientActive(std::string_view client_id, bool active) {
  return db_
      .Exec("UPDATE oauth_test_clients SET active = ? WHERE client_id = ?",
            {Int(active ? 1 : 0), Text(std::string(client_id))})
      .status();
}

Result<ClientAuthRecord> TableClientDirectory::FindClient(std::string_view client_id) {
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT c.client_id, c.member_id, c.active, m.active, m.status_changed_at,"
                       " m.role, c.registration FROM oauth_test_clients c"
                       " JOIN oauth_test_members m ON m.member_id = c.member_id"
                       " WHERE c.client_id = ?",
                       {Text(std::string(client_id))}));
  if (r.rows.empty()) return Status::NotFound("no such client");
  const auto& row = r.rows[0];
  ClientAuthRecord out;
  out.client_id = row.Text(0);
  out.member_id = row.Text(1);
  out.client_active = row.Int(2) != 0;
  out.member_active = row.Int(3) != 0;
  out.member_status_changed_at = row.Int(4);
  out.member_role = row.Text(5);
  IDS_ASSIGN_OR_RETURN(auto reg, crypto::ParseJsonObjectStrict(row.Text(6)));
  out.token_endpoint_auth_method = reg["token_endpoint_auth_method"].get<std::string>();
  out.jwks = reg["jwks"];
  out.jwks_uri = reg["jwks_uri"].get<std::string>();
  out.token_endpoint_auth_signing_alg = reg["token_endpoint_auth_signing_alg"].get<std::string>();
  out.secret_hash = reg["secret_hash"].get<std::string>();
  out.grant_types = reg["grant_types"].get<std::vector<std::string>>();
  out.scopes = reg["scopes"].get<std::vector<std::string>>();
  out.dpop_bound_access_tokens = reg.value("dpop_bound_access_tokens", false);
  return out;
}

}  // namespace idscheme::oauth::testing
