// Test-only: a small ClientDirectory over two tables of its own (members, clients), so the
// OAuth tests run against a real store with one JOIN per lookup, as the registry's will. Not
// the registry: no agreements, no validation beyond what the tests need.
//
// Thread-safety: safe from any thread (the store is).
#pragma once

#include <string>
#include <string_view>

#include "oauth/client_directory.h"
#include "store/database.h"

namespace idscheme::oauth::testing {

class TableClientDirectory final : public ClientDirectory {
 public:
  explicit TableClientDirectory(store::Database& db) : db_(db) {}

  // Creates the two tables (not a migration: tests only).
  Status CreateTables();

  Status PutMember(std::string_view member_id, bool active, int64_t status_changed_at,
                   std::string_view role = "service_provider");
  // Changes a member's status, as suspending/reinstating does.
  Status SetMemberActive(std::string_view member_id, bool active, int64_t changed_at);
  // Inserts or replaces a client (member_active and member_status_changed_at are ignored: they
  // come from the member).
  Status PutClient(const ClientAuthRecord& record);
  Status SetClientActive(std::string_view client_id, bool active);

  Result<ClientAuthRecord> FindClient(std::string_view client_id) override;

 private:
  store::Database& db_;
};

}  // namespace idscheme::oauth::testing
