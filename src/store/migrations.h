// Forward-only schema migrations, shared by every part of the system.
//
// Each part that keeps state exposes its own list, `std::vector<store::Migration> Migrations()`
// in its namespace (the store's own is store::Migrations() below), and the server concatenates
// the lists and hands them to Migrate() at start-up. Versions are global, unique and increasing
// along that list; each part owns a block of 100 (store 1-99, audit 100-199, ...), and the
// server concatenates the parts in block order. A migration, once released, never changes:
// fix a schema with a new one.
//
// Migrate() records what it applied in `schema_migrations(version, name, applied_at)`. Each
// pending migration runs in its own transaction with its bookkeeping row, so it is applied
// whole or not at all. Several processes may migrate one database at once: on PostgreSQL they
// take turns through an advisory lock, on SQLite through BEGIN IMMEDIATE. A database holding a
// version this binary does not know (written by a newer release) is refused, as is a version
// whose name differs.
//
// Dialects: `sql` is written once in the portable subset (database.h) and may hold several
// statements. On PostgreSQL, ForDialect() turns the type BLOB into BYTEA; when the dialects
// differ more (triggers, functions), set `postgres_sql`, which then runs there verbatim.
//
// Thread-safety: stateless functions; safe from any thread and any number of processes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/database.h"

namespace idscheme::store {

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
  std::string postgres_sql = {};  // optional: replaces `sql` on PostgreSQL
};

// Checks a list: versions positive, unique and increasing; names and SQL present.
Status ValidateMigrations(const std::vector<Migration>& migrations);

// Applies every migration of the list that the database has not applied yet, in list order.
Status Migrate(Database& db, const std::vector<Migration>& migrations);

// The highest version applied, or 0 for a database never migrated.
Result<int> CurrentVersion(Database& db);

// The text of `migration` for `dialect` (PostgreSQL: postgres_sql if set, else sql with BLOB
// written as BYTEA outside quotes and comments).
std::string ForDialect(const Migration& migration, Dialect dialect);

// The store's own schema (the accepted-once table of once.h), versions 1-99.
std::vector<Migration> Migrations();

}  // namespace idscheme::store
