// The SQLite backend: a pool of connections to one file in WAL mode. Readers run in parallel;
// this process's writers take turns through one write slot (so they queue here instead of
// polling SQLite's lock) and write through one connection of their own, and other processes are
// waited for with SQLite's busy timeout. Or, with
// SqliteLocking::kExclusive, one connection that owns the file: no file locks per transaction
// and a page cache no other connection invalidates (for a single node).
// Each connection keeps its prepared statements by SQL text (the hot paths run the same few
// statements over and over; parsing them each time was a sixth of a token request), resetting
// each one after use so that no statement holds a read snapshot open.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "store/database.h"
#include "store/internal/backends.h"
#include "store/internal/pool.h"

namespace idscheme::store::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// What a WAL file keeps after it is started over (twice the length the checkpointer restarts
// it at: see CheckpointShared).
constexpr int64_t kWalKeepBytes = int64_t{128} << 20;
constexpr std::chrono::milliseconds kPoolWait{10000};

Status SqliteError(sqlite3* db, int rc) {
  std::string msg = std::string("sqlite: ") + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::AlreadyExists(msg);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return TransientError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Status::Unavailable(msg);
    default:
      return Status::Internal(msg);
  }
}

struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

// Prepares exactly one statement.
Result<Stmt> Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(db, rc);
  if (!stmt) return Status::Internal("sqlite: empty statement");
  std::string_view rest(tail, sql.data() + sql.size() - tail);
  sqlite3_stmt* extra = nullptr;
  rc = sqlite3_prepare_v2(db, rest.data(), static_cast<int>(rest.size()), &extra, nullptr);
  Stmt second(extra);
  if (rc != SQLITE_OK || second) {
    return Status::Internal("sqlite: Exec runs one statement (use ExecScript for several)");
  }
  return stmt;
}

bool IsReadOnly(sqlite3_stmt* stmt) { return sqlite3_stmt_readonly(stmt) != 0; }

// Puts a cached statement back to its initial state (and drops the bindings, which point into
// the caller's values) when the statement's use ends, on every path.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn() {
    statements_.clear();  // finalized before the connection closes
    sqlite3_close_v2(db_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  sqlite3* db() const { return db_; }
  bool Alive() const { return true; }
  // Back in the pool only outside a transaction.
  bool Reusable() const { return sqlite3_get_autocommit(db_) != 0; }

  // `sql` prepared on this connection, from the cache when it was prepared before. The caller
  // wraps it in a StmtUse.
  Result<sqlite3_stmt*> Statement(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second.get();
    IDS_ASSIGN_OR_RETURN(Stmt stmt, Prepare(db_, sql));
    // A bounded cache: the statements are the program's own (placeholders, never values), so
    // this limit is only reached by a bug; then start over rather than grow.
    if (statements_.size() >= kMaxCachedStatements) statements_.clear();
    sqlite3_stmt* raw = stmt.get();
    statements_.emplace(std::string(sql), std::move(stmt));
    return raw;
  }

 private:
  static constexpr size_t kMaxCachedStatements = 512;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, Stmt, Hash, std::equal_to<>> statements_;
};

Status Bind(sqlite3* db, sqlite3_stmt* stmt, const std::vector<Value>& params) {
  const int want = sqlite3_bind_parameter_count(stmt);
  if (want != static_cast<int>(params.size())) {
    return Status::Internal("sqlite: statement has " + std::to_string(want) +
                            " placeholders, got " + std::to_string(params.size()) + " values");
  }
  for (int i = 0; i < want; ++i) {
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i + 1, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, i + 1, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      if (s->find('\0') != std::string::npos) {
        return Status::InvalidArgument("store: TEXT value holds a NUL byte (use a BLOB)");
      }
      rc = sqlite3_bind_text64(stmt, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<Blob>(&v)) {
      // An empty blob must stay a blob: a null pointer would bind NULL.
      rc = b->bytes.empty()
               ? sqlite3_bind_zeroblob(stmt, i + 1, 0)
               : sqlite3_bind_blob64(stmt, i + 1, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, i + 1);
    }
    if (rc != SQLITE_OK) return SqliteError(db, rc);
  }
  return Status::Ok();
}

Value Column(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, i))) : std::string();
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, i));
      const int n = sqlite3_column_bytes(stmt, i);
      return Blob{n > 0 ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>{}};
    }
    default:
      return std::monostate{};
  }
}

Result<QueryResult> Run(sqlite3* db, sqlite3_stmt* stmt, const std::vector<Value>& params) {
  IDS_RETURN_IF_ERROR(Bind(db, stmt, params));
  QueryResult result;
  const int64_t changes_before = sqlite3_total_changes64(db);
  const int columns = sqlite3_column_count(stmt);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqliteError(db, rc);
    std::vector<Value> row;
    row.reserve(columns);
    for (int i = 0; i < columns; ++i) row.push_back(Column(stmt, i));
    result.rows.emplace_back(std::move(row));
  }
  // sqlite3_changes64() keeps the count of the last data change, so ask only if there was one.
  if (sqlite3_total_changes64(db) != changes_before) result.affected = sqlite3_changes64(db);
  return result;
}

// One statement without parameters or rows (BEGIN, COMMIT), prepared once per connection.
Status Control(Conn& conn, std::string_view sql) {
  IDS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Statement(sql));
  StmtUse stmt(raw);
  const int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(conn.db(), rc);
  return Status::Ok();
}

Status Script(sqlite3* db, std::string_view sql) {
  std::string text(sql);
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db, sqlite3_extended_errcode(db));
  }
  return Status::Ok();
}

// Process-wide settings, before SQLite's first use in the process (sqlite3_config refuses them
// afterwards, e.g. when a test opened a database through another path first: then SQLite's
// defaults stay, which are correct, only slower).
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Without the allocation statistics (which nothing here reads), sqlite3_malloc and
    // sqlite3_free no longer take SQLite's one global memory mutex: with a write in nearly every
    // request, the page cache is refilled constantly and the worker threads met on that mutex
    // (futex calls, a few percent of a login's CPU).
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

Result<std::unique_ptr<Conn>> OpenConn(const std::string& path, SqliteLocking locking) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto conn = std::make_unique<Conn>(raw);  // closes `raw` on every path
  if (rc != SQLITE_OK) {
    return Status::Unavailable("sqlite: cannot open " + path + ": " +
                               (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  Status set_up = [&]() -> Status {
    // Before the first read: an exclusive connection then keeps its WAL index in its own memory
    // and holds the file's lock from that read until it closes.
    if (locking == SqliteLocking::kExclusive) {
      IDS_RETURN_IF_ERROR(Script(raw, "PRAGMA locking_mode=EXCLUSIVE"));
    }
    // No checkpoint inside a commit (SQLite's default every 1,000 pages): that commit would copy
    // the WAL into the database and sync it while holding the write lock, and every writer
    // queued behind it would wait (the p99). The Checkpointer below does it off the request path.
    IDS_RETURN_IF_ERROR(Script(
        raw, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=0;"));
    // The WAL keeps its largest size, and writers start over from its beginning (overwriting is
    // cheaper than extending); after a burst longer than the checkpointer's restart length, the
    // first commit after the restart gives back what is beyond this.
    IDS_RETURN_IF_ERROR(Script(raw, "PRAGMA journal_size_limit=" + std::to_string(kWalKeepBytes)));
    // Without WAL, readers and the writer would block each other (and some file systems, e.g.
    // network ones, cannot do it): refuse rather than run slowly.
    IDS_ASSIGN_OR_RETURN(Stmt wal, Prepare(raw, "PRAGMA journal_mode=WAL"));
    IDS_ASSIGN_OR_RETURN(QueryResult mode, Run(raw, wal.get(), {}));
    if (mode.rows.size() != 1 || mode.rows[0].Text(0) != "wal") {
      return Status::Unavailable("sqlite: " + path + " cannot use WAL mode");
    }
    return Status::Ok();
  }();
  if (IsTransient(set_up)) {
    // The first read waited the whole busy timeout: someone holds the file exclusively.
    return Status::Unavailable("sqlite: " + path +
                               " is held exclusively by another process or connection (a node "
                               "running with store.sqlite_exclusive=true?): stop it first, or "
                               "use its admin API");
  }
  IDS_RETURN_IF_ERROR(set_up);
  return conn;
}

// This process's single write slot; taken for a write statement or a whole transaction. Taken in
// the order asked (first come, first served): no writer, and not the checkpointer (which needs
// it to start the WAL over), waits behind others that asked later. Any thread may give it back.
class WriteSlot {
 public:
  Status Take(std::chrono::milliseconds wait = std::chrono::milliseconds(kBusyTimeoutMs)) {
    std::unique_lock lock(mu_);
    const uint64_t ticket = next_ticket_++;
    queue_.push_back(ticket);
    const bool mine =
        turn_.wait_for(lock, wait, [&] { return !held_ && queue_.front() == ticket; });
    if (!mine) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), ticket));
      lock.unlock();
      turn_.notify_all();  // the next in line may be first now
      return TransientError("sqlite: another writer held the database too long");
    }
    queue_.pop_front();
    held_ = true;
    return Status::Ok();
  }
  // Takes the slot only when nobody holds it or waits for it.
  bool TryTake() {
    std::lock_guard lock(mu_);
    if (held_ || !queue_.empty()) return false;
    held_ = true;
    return true;
  }
  void Give() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
      if (queue_.empty()) return;
    }
    turn_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable turn_;
  std::deque<uint64_t> queue_;  // tickets of the waiting writers, in the order they asked
  uint64_t next_ticket_ = 0;
  bool held_ = false;
};

// Holds the slot until destroyed.
class SlotHold {
 public:
  SlotHold() = default;
  explicit SlotHold(WriteSlot* slot) : slot_(slot) {}
  SlotHold(SlotHold&& o) noexcept : slot_(std::exchange(o.slot_, nullptr)) {}
  SlotHold& operator=(SlotHold&& o) noexcept {
    Release();
    slot_ = std::exchange(o.slot_, nullptr);
    return *this;
  }
  ~SlotHold() { Release(); }
  void Release() {
    if (slot_) std::exchange(slot_, nullptr)->Give();
  }

 private:
  WriteSlot* slot_ = nullptr;
};

using ConnPool = Pool<Conn>;

// The ChangeEpoch of one database file: a counter in the first 8 bytes of `<file>-epoch`, mapped
// shared into every process that opens the database, moved with atomic operations on the mapping
// (lock-free 64-bit atomics hold across processes on one host).
class MappedEpoch final : public ChangeEpoch {
 public:
  // nullptr when the file cannot be made or mapped (a read-only directory): no cache then.
  static std::unique_ptr<MappedEpoch> Open(const std::string& db_path) {
    static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);
    const std::string path = db_path + "-epoch";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return nullptr;
    struct stat st {};
    void* mapped = MAP_FAILED;
    // Growing the file is idempotent (a second process may do it at the same time); the new
    // bytes read as zero.
    if (::fstat(fd, &st) == 0 && (st.st_size >= kBytes || ::ftruncate(fd, kBytes) == 0)) {
      mapped = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    ::close(fd);  // the mapping stays
    if (mapped == MAP_FAILED) return nullptr;
    return std::unique_ptr<MappedEpoch>(new MappedEpoch(static_cast<uint64_t*>(mapped)));
  }
  ~MappedEpoch() override { ::munmap(counter_, kBytes); }
  MappedEpoch(const MappedEpoch&) = delete;
  MappedEpoch& operator=(const MappedEpoch&) = delete;

  uint64_t Load() const override {
    return std::atomic_ref<uint64_t>(*counter_).load(std::memory_order_acquire);
  }
  void Bump() override {
    std::atomic_ref<uint64_t>(*counter_).fetch_add(1, std::memory_order_acq_rel);
  }

 private:
  static constexpr off_t kBytes = 8;
  explicit MappedEpoch(uint64_t* counter) : counter_(counter) {}
  uint64_t* counter_;  // page-aligned: the mapping's start
};

class SqliteTransaction final : public Transaction {
 public:
  // On a connection of the pool (exclusive mode: the only one)...
  SqliteTransaction(SlotHold slot, ConnPool::Lease lease)
      : lease_(std::move(lease)), conn_(&**lease_), slot_(std::move(slot)) {}
  // ... or on the shared mode's writer, which the slot guards.
  SqliteTransaction(SlotHold slot, Conn* writer) : conn_(writer), slot_(std::move(slot)) {}
  ~SqliteTransaction() override { Rollback(); }

  Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params) override {
    IDS_RETURN_IF_ERROR(Usable());
    Result<QueryResult> r = [&]() -> Result<QueryResult> {
      IDS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_->Statement(sql));
      StmtUse stmt(raw);
      return Run(db(), stmt.get(), params);
    }();
    if (!r.ok()) failed_ = r.status();
    return r;
  }

  Status ExecScript(std::string_view sql) override {
    IDS_RETURN_IF_ERROR(Usable());
    Status s = Script(db(), sql);
    if (!s.ok()) failed_ = s;
    return s;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Status Commit() override {
    IDS_RETURN_IF_ERROR(Usable());
    Status s = Control(*conn_, "COMMIT");
    Finish();
    return s;
  }

  void Rollback() override {
    if (done_) return;
    Finish();
  }

 private:
  sqlite3* db() const { return conn_->db(); }

  Status Usable() const {
    if (done_) return Status::Internal("store: transaction already finished");
    if (!failed_.ok()) return failed_.WithContext("store: transaction aborted by an earlier error");
    return Status::Ok();
  }

  // Rolls back whatever is still open (after a failed COMMIT too), then frees the write slot.
  void Finish() {
    done_ = true;
    if (!sqlite3_get_autocommit(db())) sqlite3_exec(db(), "ROLLBACK", nullptr, nullptr, nullptr);
    slot_.Release();
  }

  std::optional<ConnPool::Lease> lease_;
  Conn* conn_;
  SlotHold slot_;  // given back before the lease
  Status failed_;
  bool done_ = false;
};

// Runs `once` (a WAL checkpoint) from a thread of its own every kCheckpointEvery: the checkpoint
// copies what no reader still needs, and the next writer then starts the WAL over from its
// beginning.
class Checkpointer {
 public:
  static constexpr std::chrono::milliseconds kCheckpointEvery{200};

  explicit Checkpointer(std::function<void()> once)
      : once_(std::move(once)), thread_([this] { Run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, kCheckpointEvery, [this] { return stop_; })) {
      lock.unlock();
      once_();
      lock.lock();
    }
  }

  std::function<void()> once_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, int pool_size, SqliteLocking locking)
      : path_(std::move(path)),
        locking_(locking),
        pool_(locking == SqliteLocking::kExclusive ? 1 : pool_size, kPoolWait,
              [this] { return OpenConn(path_, locking_); }) {}

  Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params) override {
    // A read goes to the writer connection when no writer wants it: that connection's page cache
    // stays valid, since every write of this process goes through it. A pool connection's cache
    // is dropped whenever the WAL has changed since its last read (at every read under load), so
    // its reads go to the file again (pread calls, half of them saved in a login).
    if (writer_ && slot_.TryTake()) {
      SlotHold hold(&slot_);
      IDS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Statement(sql));
      StmtUse stmt(raw);
      return Run(writer_->db(), stmt.get(), params);
    }
    {
      IDS_ASSIGN_OR_RETURN(ConnPool::Lease conn, pool_.Acquire());
      SlotHold hold;  // outlives the statement
      IDS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn->Statement(sql));
      StmtUse stmt(raw);  // reset before the write slot is given back
      if (IsReadOnly(stmt.get())) return Run(conn->db(), stmt.get(), params);
      if (!writer_) {
        IDS_RETURN_IF_ERROR(slot_.Take());
        hold = SlotHold(&slot_);
        return Run(conn->db(), stmt.get(), params);
      }
    }
    IDS_RETURN_IF_ERROR(slot_.Take());
    SlotHold hold(&slot_);
    IDS_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Statement(sql));
    StmtUse stmt(raw);
    return Run(writer_->db(), stmt.get(), params);
  }

  Status ExecScript(std::string_view sql) override {
    if (writer_) {
      IDS_RETURN_IF_ERROR(slot_.Take());
      SlotHold hold(&slot_);
      Status s = Script(writer_->db(), sql);
      // A script that began a transaction and stopped before its end (an error) would leave the
      // writer inside it, and every later write would fail: roll it back, as a pool connection
      // left in a transaction is closed.
      if (!sqlite3_get_autocommit(writer_->db()))
        sqlite3_exec(writer_->db(), "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    IDS_ASSIGN_OR_RETURN(ConnPool::Lease conn, pool_.Acquire());
    IDS_RETURN_IF_ERROR(slot_.Take());
    SlotHold hold(&slot_);
    return Script(conn->db(), sql);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  // Always the connection first, then the write slot: whoever holds the slot never waits for
  // the pool.
  Result<std::unique_ptr<Transaction>> Begin() override {
    if (writer_) {
      IDS_RETURN_IF_ERROR(slot_.Take());
      SlotHold hold(&slot_);
      IDS_RETURN_IF_ERROR(Control(*writer_, "BEGIN IMMEDIATE"));
      return std::unique_ptr<Transaction>(
          std::make_unique<SqliteTransaction>(std::move(hold), writer_.get()));
    }
    IDS_ASSIGN_OR_RETURN(ConnPool::Lease conn, pool_.Acquire());
    IDS_RETURN_IF_ERROR(slot_.Take());
    SlotHold hold(&slot_);
    IDS_RETURN_IF_ERROR(Control(*conn, "BEGIN IMMEDIATE"));
    return std::unique_ptr<Transaction>(
        std::make_unique<SqliteTransaction>(std::move(hold), std::move(conn)));
  }

  Status Ping() override { return Exec("SELECT 1", {}).status(); }

  std::string Describe() const override { return "sqlite:" + path_; }

  ChangeEpoch* change_epoch() override { return epoch_.get(); }

  // Opens the first connection now, so that a bad path (or a file held by another process)
  // fails at start-up, and starts the checkpointer: on a connection of its own when shared, on
  // the one connection between requests when exclusive.
  Status Warm() {
    IDS_RETURN_IF_ERROR(pool_.Acquire().status());
    epoch_ = MappedEpoch::Open(path_);
    if (locking_ == SqliteLocking::kExclusive) {
      checkpointer_ = std::make_unique<Checkpointer>([this] {
        KeepWalCached();
        auto conn = pool_.Acquire();
        if (conn.ok()) Checkpoint(**conn);
      });
      return Status::Ok();
    }
    IDS_ASSIGN_OR_RETURN(writer_, OpenConn(path_, locking_));
    IDS_ASSIGN_OR_RETURN(checkpoint_conn_, OpenConn(path_, locking_));
    checkpointer_ = std::make_unique<Checkpointer>([this] {
      KeepWalCached();
      CheckpointShared(*checkpoint_conn_);
    });
    return Status::Ok();
  }

 private:
  // A WAL longer than this (64 MB) is started over: large enough that under steady writes this
  // happens about once a second (each time, this process's writers wait a few milliseconds),
  // small enough to bound the file.
  static constexpr int kRestartFrames = 16384;
  // While the writers go on, PASSIVE rounds copy what they added during the round before, until
  // that is at most kRestartTail frames (or after kCatchUpRounds).
  static constexpr int kRestartTail = 256;
  static constexpr int kCatchUpRounds = 8;
  // How long the checkpointer waits for the write slot, and then, holding it, for readers of
  // older snapshots (kRestartReaderWaits × 100 µs), before it gives up until its next round.
  static constexpr std::chrono::milliseconds kRestartSlotWait{50};
  static constexpr int kRestartReaderWaits = 200;

  // The writers overwrite the WAL from its beginning after each restart, one frame (a 24-byte
  // header and a page) at a time, so nearly every write covers part of a file page. A part
  // written to a page that is no longer in the kernel's page cache makes the kernel read that
  // page from the disk first, inside the writer's pwrite, while it holds the write slot and
  // every other writer waits. The kernel drops pages that were not touched for a while even
  // with memory to spare (this machine's proactive reclaim did: a few dozen of the WAL's pages
  // at any time, and a code-exchange run made about 500 such reads, of up to 10 ms each). Each
  // round therefore asks the kernel to read back, in the background, whatever it dropped of the
  // part of the WAL that is kept (POSIX_FADV_WILLNEED: it returns at once; about 150 µs for
  // 128 MB that is all cached). A WAL that does not exist yet, or cannot be opened, is skipped.
  void KeepWalCached() const {
    const int fd = ::open((path_ + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::posix_fadvise(fd, 0, kWalKeepBytes, POSIX_FADV_WILLNEED);
    ::close(fd);
  }

  // PASSIVE: neither waits for nor blocks readers and writers. Errors (SQLITE_BUSY while another
  // process checkpoints) are tried again next time. An exclusive connection has no reader or
  // writer beside it, so this copies the whole WAL and the next writer starts it over.
  static void Checkpoint(Conn& conn) {
    (void)sqlite3_wal_checkpoint_v2(conn.db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
  }

  // Shared connections: a PASSIVE checkpoint copies the frames committed when it began, and
  // under steady writes more are appended while it copies, so it never reaches the WAL's end.
  // SQLite starts the WAL over only once all of it is copied: alone, the file grew without bound
  // (930 MB in 12 s of code exchanges), and every commit extended it (new blocks and zeroed
  // pages in the kernel). So once the WAL is longer than kRestartFrames, the checkpointer
  // catches up without blocking anyone, then takes this process's write slot and RESTARTs:
  // copies the last frames and waits for readers of older snapshots; the next writer then
  // writes from the WAL's beginning, over blocks the file already has. Readers never wait.
  void CheckpointShared(Conn& conn) {
    int frames = 0;
    auto passive = [&] {
      return sqlite3_wal_checkpoint_v2(conn.db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                       nullptr) == SQLITE_OK;
    };
    if (!passive() || frames < kRestartFrames) return;
    // A PASSIVE round writes pages into the database file without syncing it (SQLite syncs it
    // only when a checkpoint reaches the WAL's end, as the RESTART below does while the writers
    // wait): each round syncs what it copied, so the RESTART copies and syncs only what the
    // writers added during the last round.
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(conn.db(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr) {
      file = nullptr;
    }
    for (int i = 0, last = frames; i < kCatchUpRounds; ++i) {
      const int before = frames;
      if (file != nullptr) (void)file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
      if (!passive()) return;
      const int added = frames - before;
      // Caught up, or the writers add as much as the rounds copy: then they wait below.
      if (added <= kRestartTail || added > last / 2) break;
      last = added;
    }
    if (file != nullptr) (void)file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
    if (!slot_.Take(kRestartSlotWait).ok()) return;
    SlotHold hold(&slot_);
    // Readers of this process finish within microseconds; one of another process may hold an
    // old snapshot for long, and this process's writers wait meanwhile: give up after a while
    // (SQLITE_BUSY) and try again next round.
    int waits = 0;
    sqlite3_busy_handler(
        conn.db(),
        [](void* count, int) -> int {
          std::this_thread::sleep_for(std::chrono::microseconds(100));
          return ++*static_cast<int*>(count) < kRestartReaderWaits ? 1 : 0;
        },
        &waits);
    (void)sqlite3_wal_checkpoint_v2(conn.db(), nullptr, SQLITE_CHECKPOINT_RESTART, nullptr,
                                    nullptr);
    sqlite3_busy_timeout(conn.db(), kBusyTimeoutMs);
  }

  const std::string path_;
  const SqliteLocking locking_;
  ConnPool pool_;
  // Shared mode: this process's writes all go through one connection, used by whoever holds the
  // write slot. Its page cache stays valid from one write to the next (no other connection of
  // this process commits), where a pool connection's is dropped whenever another one committed:
  // each write then read its b-tree pages again (pread was a sixth of a code exchange's write).
  std::unique_ptr<Conn> writer_;
  std::unique_ptr<Conn> checkpoint_conn_;  // shared mode: the checkpointer's own
  WriteSlot slot_;
  std::unique_ptr<MappedEpoch> epoch_;
  std::unique_ptr<Checkpointer> checkpointer_;  // stopped before the pool closes
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size,
                                             SqliteLocking locking) {
  auto db = std::make_unique<SqliteDatabase>(path, pool_size, locking);
  IDS_RETURN_IF_ERROR(db->Warm());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace idscheme::store::internal
