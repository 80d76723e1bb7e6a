// The storage seam: one small SQL interface with two backends, SQLite (embedded, the default:
// one file in the data directory, WAL mode) and PostgreSQL (libpq, a connection pool).
//
// Everything above this layer writes its SQL once, in the subset both engines accept:
//  - placeholders are `?` (the PostgreSQL backend renumbers them to $1, $2, ...);
//  - types: BIGINT, TEXT, BLOB (PostgreSQL: BYTEA, see Migration), DOUBLE PRECISION;
//  - `INSERT ... ON CONFLICT DO NOTHING`, `RETURNING`, and `UPDATE ... WHERE state = ?`
//    (conditional updates) are the tools for "accepted once" values: the store decides, so the
//    rule holds across several server processes.
// Failures are values: a unique-key violation is Status::AlreadyExists, a busy or lost
// connection Status::Unavailable, bad SQL Status::Internal.
//
// Thread-safety: a Database is safe to use from many threads (it pools connections). A
// Transaction belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace idscheme::store {

struct Blob {
  std::vector<uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};

// A SQL value: NULL, integer, real, text or bytes.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

// Convenience constructors so call sites read naturally: {Int(5), Text("x"), Null()}.
inline Value Null() { return std::monostate{}; }
inline Value Int(int64_t v) { return v; }
inline Value Text(std::string v) { return v; }
inline Value Bytes(std::vector<uint8_t> v) { return Blob{std::move(v)}; }

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }
  // Typed access; a NULL reads as 0 / "" / empty. Asserts on a type mismatch (a bug).
  int64_t Int(size_t i) const;
  double Real(size_t i) const;
  const std::string& Text(size_t i) const;
  const std::vector<uint8_t>& Bytes(size_t i) const;
  const Value& at(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

struct QueryResult {
  std::vector<Row> rows;
  int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

enum class Dialect { kSqlite, kPostgres };

// Something that runs SQL: a Database (each statement on its own) or a Transaction.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  virtual Dialect dialect() const = 0;
};

// A transaction on one pooled connection. Destroying it without Commit() rolls back.
class Transaction : public Executor {
 public:
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

class Database : public Executor {
 public:
  // Opens "postgresql://..." / "postgres://..." with libpq, anything else as a SQLite file path
  // ("sqlite:" prefix allowed). `pool_size` connections at most (PostgreSQL; SQLite keeps one
  // writer and a few readers).
  static Result<std::unique_ptr<Database>> Open(const std::string& url, int pool_size = 8);

  // Starts a read-write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED).
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  // A cheap round trip for /readyz.
  virtual Status Ping() = 0;
  // A human-readable description without credentials (for logs and `config check`).
  virtual std::string Describe() const = 0;
};

// Runs `fn` in a transaction and commits it; retries (a few times) when the backend reports a
// transient conflict (SQLite busy, PostgreSQL serialization failure / deadlock).
Status InTransaction(Database& db, const std::function<Status(Transaction&)>& fn);

}  // namespace idscheme::store
