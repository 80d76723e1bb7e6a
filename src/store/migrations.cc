#include "store/migrations.h"

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "store/internal/sql_text.h"

namespace idscheme::store {
namespace {

// Held for the length of a migration transaction on PostgreSQL ("idschmig").
constexpr int64_t kMigrationLockKey = 0x69647363686d6967;

constexpr char kCreateBookkeeping[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// Serialises migrators. SQLite needs nothing more: BEGIN IMMEDIATE already did it.
Status Lock(Transaction& tx) {
  if (tx.dialect() != Dialect::kPostgres) return Status::Ok();
  return tx.Exec("SELECT pg_advisory_xact_lock(?)", {Int(kMigrationLockKey)}).status();
}

// Fills `applied` with the versions the database holds, refusing any this binary does not know.
Status ReadApplied(Executor& tx, const std::vector<Migration>& known, std::set<int>* applied) {
  std::map<int, const Migration*> by_version;
  for (const Migration& m : known) by_version[m.version] = &m;
  const int newest_known = known.empty() ? 0 : known.back().version;
  IDS_ASSIGN_OR_RETURN(QueryResult r,
                       tx.Exec("SELECT version, name FROM schema_migrations ORDER BY version"));
  for (const Row& row : r.rows) {
    const int64_t version = row.Int(0);
    auto it = by_version.find(static_cast<int>(version));
    if (it == by_version.end() || it->first != version) {
      return Status::FailedPrecondition(
          "store: the database has schema version " + std::to_string(version) + " (\"" +
          row.Text(1) + "\"), which this binary does not know (it knows up to " +
          std::to_string(newest_known) +
          "): a newer release wrote it; run that release or a later one");
    }
    if (it->second->name != row.Text(1)) {
      return Status::FailedPrecondition("store: schema version " + std::to_string(version) +
                                        " is \"" + row.Text(1) + "\" in the database but \"" +
                                        it->second->name + "\" in this binary");
    }
    applied->insert(it->first);
  }
  return Status::Ok();
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status ValidateMigrations(const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    const std::string label = "store: migration " + std::to_string(m.version);
    if (m.version <= 0) return Status::InvalidArgument(label + ": versions start at 1");
    if (m.version == previous) return Status::InvalidArgument(label + ": duplicate version");
    if (m.version < previous) {
      return Status::InvalidArgument(label + ": out of order (after " + std::to_string(previous) +
                                     ")");
    }
    if (m.name.empty() || m.sql.empty()) {
      return Status::InvalidArgument(label + ": needs a name and SQL");
    }
    previous = m.version;
  }
  return Status::Ok();
}

std::string ForDialect(const Migration& migration, Dialect dialect) {
  if (dialect != Dialect::kPostgres) return migration.sql;
  if (!migration.postgres_sql.empty()) return migration.postgres_sql;
  return internal::ReplaceWord(migration.sql, "BLOB", "BYTEA");
}

Status Migrate(Database& db, const std::vector<Migration>& migrations) {
  IDS_RETURN_IF_ERROR(ValidateMigrations(migrations));
  std::set<int> applied;
  IDS_RETURN_IF_ERROR(InTransaction(db, [&](Transaction& tx) -> Status {
    IDS_RETURN_IF_ERROR(Lock(tx));
    IDS_RETURN_IF_ERROR(tx.Exec(kCreateBookkeeping).status());
    applied.clear();
    return ReadApplied(tx, migrations, &applied);
  }));
  for (const Migration& m : migrations) {
    if (applied.contains(m.version)) continue;
    Status s = InTransaction(db, [&](Transaction& tx) -> Status {
      IDS_RETURN_IF_ERROR(Lock(tx));
      IDS_ASSIGN_OR_RETURN(
          QueryResult done,
          tx.Exec("SELECT 1 FROM schema_migrations WHERE version = ?", {Int(m.version)}));
      if (!done.rows.empty()) return Status::Ok();  // another process was first
      IDS_RETURN_IF_ERROR(tx.ExecScript(ForDialect(m, tx.dialect())));
      return tx
          .Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                {Int(m.version), Text(m.name), Int(NowSeconds())})
          .status();
    });
    if (!s.ok()) {
      return s.WithContext("store: migration " + std::to_string(m.version) + " (" + m.name + ")");
    }
  }
  return Status::Ok();
}

Result<int> CurrentVersion(Database& db) {
  const char* exists = db.dialect() == Dialect::kPostgres
                           ? "SELECT to_regclass('schema_migrations') IS NOT NULL"
                           : "SELECT COUNT(*) FROM sqlite_master"
                             " WHERE type = 'table' AND name = 'schema_migrations'";
  IDS_ASSIGN_OR_RETURN(QueryResult found, db.Exec(exists));
  if (found.rows.empty() || found.rows[0].Int(0) == 0) return 0;
  IDS_ASSIGN_OR_RETURN(QueryResult r, db.Exec("SELECT MAX(version) FROM schema_migrations"));
  return static_cast<int>(r.rows.at(0).Int(0));
}

std::vector<Migration> Migrations() {
  return {
      {1, "accepted-once values",
       "CREATE TABLE used_values ("
       " kind TEXT NOT NULL, value_hash BLOB NOT NULL, expires_at BIGINT NOT NULL,"
       " PRIMARY KEY (kind, value_hash));"
       "CREATE INDEX used_values_expires_at ON used_values (expires_at);",
       ""},
      // One B-tree per accepted value instead of three (the rowid table, the primary key's
      // index and the expiry index): a client assertion's jti is written on every token
      // request, and each page an insert dirties is another WAL frame. The purge runs once a
      // minute and forgets a minute's worth of values spread over the whole table (their keys
      // are hashes), so it visits nearly every page with or without an index on expires_at.
      {2, "accepted-once values in one b-tree",
       "CREATE TABLE used_values_2 ("
       " kind TEXT NOT NULL, value_hash BLOB NOT NULL, expires_at BIGINT NOT NULL,"
       " PRIMARY KEY (kind, value_hash)) WITHOUT ROWID;"
       "INSERT INTO used_values_2 (kind, value_hash, expires_at)"
       " SELECT kind, value_hash, expires_at FROM used_values;"
       "DROP TABLE used_values;"
       "ALTER TABLE used_values_2 RENAME TO used_values;",
       // PostgreSQL keeps its heap and primary key; only the expiry index goes.
       "DROP INDEX used_values_expires_at;"},
  };
}

}  // namespace idscheme::store
