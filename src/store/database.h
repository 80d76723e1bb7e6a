// The storage seam: one small SQL interface with two backends, SQLite (embedded, the default:
// one file in the data directory, WAL mode) and PostgreSQL (libpq, a connection pool).
//
// Everything above this layer writes its SQL once, in the subset both engines accept:
//  - placeholders are `?` (the PostgreSQL backend renumbers them to $1, $2, ... outside string
//    literals, quoted identifiers, comments and dollar-quoted bodies; so PostgreSQL's jsonb `?`
//    operators cannot be used);
//  - types: BIGINT, TEXT, BLOB, DOUBLE PRECISION. Migrate() writes BLOB as BYTEA on PostgreSQL
//    (see ForDialect() in migrations.h); a Migration may also carry its own PostgreSQL text;
//  - `INSERT ... ON CONFLICT DO NOTHING`, `RETURNING`, and `UPDATE ... WHERE state = ?`
//    (conditional updates) are the tools for "accepted once" values: the store decides, so the
//    rule holds across several server processes (see once.h).
// Values: TEXT must not contain a NUL byte (use a BLOB; both backends refuse it) and must be
// UTF-8 (PostgreSQL refuses invalid UTF-8). PostgreSQL results read as: integer types, bool and
// integral numeric -> int64; float4/float8 and other numeric -> double; text-like -> string;
// bytea -> Blob; other types are refused (cast them in SQL).
//
// Failures are values: a unique-key violation is Status::AlreadyExists, a busy or lost
// connection Status::Unavailable (IsTransient() tells whether retrying the transaction is safe),
// bad SQL Status::Internal with the engine's message. Messages never carry parameter values.
//
// Inside a Transaction, a failed statement ends the transaction's usefulness on both backends
// (PostgreSQL semantics): later statements and Commit() return that first error again, and the
// transaction rolls back. Test-and-set with ON CONFLICT DO NOTHING or conditional updates.
//
// Thread-safety: a Database is safe to use from many threads (it pools connections). A
// Transaction belongs to one thread at a time and must not outlive its Database. While a thread
// holds a Transaction, it should write through that Transaction only: on SQLite a write through
// the Database waits for the transaction's write slot, and gives up (transient) after 5 s.
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
inline Value Real(double v) { return v; }
inline Value Text(std::string v) { return v; }
inline Value Bytes(std::vector<uint8_t> v) { return Blob{std::move(v)}; }

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }
  // Typed access; a NULL reads as 0 / "" / empty, and Real() also reads an integer. Asserts on
  // any other type mismatch (a bug).
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
  int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE (0 for anything else)
};

enum class Dialect { kSqlite, kPostgres };

// Something that runs SQL: a Database (each statement on its own) or a Transaction.
class Executor {
 public:
  virtual ~Executor() = default;
  // Runs exactly one statement; `params` fill its `?` placeholders in order (their number must
  // match).
  virtual Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs a script of several `;`-separated statements without parameters or results, parsed by
  // the engine itself (so trigger and function bodies are fine). Migrate() uses it.
  virtual Status ExecScript(std::string_view sql) = 0;
  virtual Dialect dialect() const = 0;
};

// A transaction on one pooled connection. Destroying it without Commit() rolls back.
class Transaction : public Executor {
 public:
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

// How a SQLite file is shared (PostgreSQL ignores it).
enum class SqliteLocking {
  // Any number of connections and processes (a node, the CLI beside it, a second node on the
  // same file): every transaction takes SQLite's file locks, and a connection reads again the
  // pages another connection has changed since.
  kShared,
  // This Database alone, on one connection (locking_mode=EXCLUSIVE, its WAL index in the heap):
  // no file lock per transaction and a page cache that stays valid, for a single node. Opening
  // fails while another process or Database holds the file, and others are refused while this
  // one is open. Requests then take turns on the one connection, so code that holds a
  // Transaction must not use the Database beside it: it would wait for its own connection (and
  // fail after the pool's wait) where a shared store lends it a second one.
  kExclusive,
};

// A number that every process using one store sees and moves alike, for caches of records that
// change rarely and are read by nearly every request (the registry's clients). A reader keeps
// what it read together with the number it saw before reading, and reads the store again once
// the number moved; a writer of such records bumps it before its change and again after its
// commit. Crash-safety is the reader's: a process that dies between its commit and the second
// bump leaves a cache that only an age limit ends.
class ChangeEpoch {
 public:
  virtual ~ChangeEpoch() = default;
  virtual uint64_t Load() const = 0;
  virtual void Bump() = 0;
};

class Database : public Executor {
 public:
  // Opens "postgresql://..." / "postgres://..." with libpq (any libpq URL parameter works, e.g.
  // `?options=-csearch_path%3Dname`), anything else as a SQLite file path ("sqlite:" prefix
  // allowed). `pool_size` (>= 1) connections at most. SQLite: WAL mode, foreign keys on,
  // synchronous=NORMAL; shared (the default): readers run in parallel, writers of this process
  // queue for one write slot and other processes are waited for (busy timeout); exclusive: one
  // connection, whatever `pool_size` says (see SqliteLocking).
  static Result<std::unique_ptr<Database>> Open(const std::string& url, int pool_size = 8,
                                                SqliteLocking locking = SqliteLocking::kShared);

  // Starts a read-write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ COMMITTED).
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  // A cheap round trip for /readyz.
  virtual Status Ping() = 0;
  // A human-readable description without credentials (for logs and `config check`).
  virtual std::string Describe() const = 0;
  // The store's ChangeEpoch, or nullptr when it has none (then read the store each time). The
  // embedded store keeps it in a small file beside the database, mapped into memory by every
  // process that opens the database (they all run on one host), so a check is one memory read.
  // PostgreSQL has none: its nodes may run on several hosts.
  virtual ChangeEpoch* change_epoch() { return nullptr; }
};

// Runs `fn` in a transaction and commits it; retries (a few times) when the backend reports a
// transient conflict (SQLite busy, PostgreSQL serialization failure / deadlock, a connection
// lost before COMMIT). `fn` may thus run more than once: keep it free of other side effects.
Status InTransaction(Database& db, const std::function<Status(Transaction&)>& fn);

// A Status::Unavailable that InTransaction retries: a conflict that a new attempt may not meet.
Status TransientError(std::string message);
bool IsTransient(const Status& status);

}  // namespace idscheme::store
