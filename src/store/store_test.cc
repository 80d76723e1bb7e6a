// One storage suite, run against both backends: SQLite in a temporary folder and PostgreSQL from
// IDSCHEME_TEST_PG_URL (each test in a schema of its own). Without that variable the PostgreSQL
// half fails, unless IDSCHEME_ALLOW_NO_PG=1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/hex.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/once.h"

extern char** environ;

namespace idscheme::store {
namespace {

namespace fs = std::filesystem;

Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const ::idscheme::Status s_ = StatusOf(expr);           \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                     \
  do {                                                      \
    const ::idscheme::Status s_ = StatusOf(expr);           \
    EXPECT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)

std::string Unique() {
  static std::atomic<int> counter{0};
  return std::to_string(getpid()) + "_" + std::to_string(counter++);
}

std::string AddUrlParam(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// The store under test: SQLite shared or exclusive (store::SqliteLocking), or PostgreSQL.
enum class Backend { kSqlite, kSqliteExclusive, kPostgres };

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!IsPg()) {
      dir_ = fs::temp_directory_path() / ("store_test_" + Unique());
      fs::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "store.db").string();
    } else {
      const char* base = std::getenv("IDSCHEME_TEST_PG_URL");
      if (base == nullptr || *base == '\0') {
        const char* allow = std::getenv("IDSCHEME_ALLOW_NO_PG");
        if (allow != nullptr && std::string(allow) == "1") GTEST_SKIP() << "no PostgreSQL";
        FAIL() << "IDSCHEME_TEST_PG_URL is not set: run scripts/test.sh (it starts a throwaway "
                  "PostgreSQL), or set IDSCHEME_ALLOW_NO_PG=1 to skip the PostgreSQL half";
      }
      base_url_ = base;
      auto admin = Database::Open(base_url_, 1);
      ASSERT_OK(admin);
      admin_ = std::move(*admin);
      schema_ = "store_test_" + Unique();
      ASSERT_OK(admin_->Exec("CREATE SCHEMA " + schema_));
      url_ = AddUrlParam(base_url_, "options=-csearch_path%3D" + schema_);
    }
    db_ = OpenDb();
    ASSERT_NE(db_, nullptr);
  }

  void TearDown() override {
    db_.reset();
    if (admin_) EXPECT_OK(admin_->Exec("DROP SCHEMA " + schema_ + " CASCADE"));
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  bool IsPg() const { return GetParam() == Backend::kPostgres; }
  bool IsExclusive() const { return GetParam() == Backend::kSqliteExclusive; }

  std::unique_ptr<Database> OpenDb(int pool_size = 8) {
    auto db = Database::Open(url_, pool_size,
                             IsExclusive() ? SqliteLocking::kExclusive : SqliteLocking::kShared);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }

  // Runs portable DDL (BLOB becomes BYTEA on PostgreSQL).
  Status Create(const std::string& ddl) {
    return db_->ExecScript(ForDialect({0, "test", ddl, ""}, db_->dialect()));
  }

  int64_t Count(const std::string& table) {
    auto r = db_->Exec("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->rows.at(0).Int(0) : -1;
  }

  fs::path dir_;
  std::string base_url_;
  std::string schema_;
  std::string url_;
  std::unique_ptr<Database> admin_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kSqliteExclusive,
                                           Backend::kPostgres),
                         [](const auto& info) {
                           switch (info.param) {
                             case Backend::kSqlite:
                               return "Sqlite";
                             case Backend::kSqliteExclusive:
                               return "SqliteExclusive";
                             case Backend::kPostgres:
                               break;
                           }
                           return "Postgres";
                         });

// Tests of several Databases (or processes) on one store: an exclusive SQLite file has one.
#define SKIP_IF_EXCLUSIVE()                                    \
  if (IsExclusive())                                           \
  GTEST_SKIP() << "an exclusive SQLite file has one Database " \
                  "(ExclusiveFileHasOneOwner)"

// --- Values ------------------------------------------------------------------------------------

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7 % 256);
  return out;
}

TEST_P(StoreTest, EveryValueTypeRoundTrips) {
  ASSERT_OK(
      Create("CREATE TABLE v (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT,"
             " b BLOB)"));
  const std::vector<std::vector<Value>> rows = {
      {Int(1), Null(), Null(), Null(), Null()},
      {Int(2), Int(std::numeric_limits<int64_t>::min()), Real(-1e300), Text(""), Bytes({})},
      {Int(3), Int(std::numeric_limits<int64_t>::max()), Real(0.1),
       Text("žluťoučký kůň 🦊 日本語"), Bytes({0, 1, 0, 255, 0})},
      {Int(4), Int(0), Real(std::numeric_limits<double>::infinity()),
       Text("multi\nline\t'quoted' \"x\" ? $1 \\"), Bytes(Pattern(1 << 20))},
      {Int(5), Int(-1), Real(std::numeric_limits<double>::denorm_min()), Text("?"), Bytes({0})},
  };
  for (const auto& row : rows) ASSERT_OK(db_->Exec("INSERT INTO v VALUES (?, ?, ?, ?, ?)", row));
  auto got = db_->Exec("SELECT id, i, d, t, b FROM v ORDER BY id");
  ASSERT_OK(got);
  ASSERT_EQ(got->rows.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      EXPECT_TRUE(got->rows[r].at(c) == rows[r][c]) << "row " << r << " column " << c;
    }
  }
  // An empty blob stays a blob, not NULL.
  EXPECT_FALSE(got->rows[1].IsNull(4));
  EXPECT_TRUE(got->rows[1].Bytes(4).empty());
  EXPECT_TRUE(got->rows[0].IsNull(4));
}

TEST_P(StoreTest, ParametersComeBackAsSent) {
  const std::vector<Value> values = {Null(), Int(-42), Real(2.5), Text("héllo"), Bytes({0, 0, 7})};
  for (const Value& v : values) {
    auto r = db_->Exec("SELECT ?", {v});
    ASSERT_OK(r);
    EXPECT_TRUE(r->rows.at(0).at(0) == v) << "variant index " << v.index();
  }
}

TEST_P(StoreTest, AggregatesReadAlike) {
  ASSERT_OK(Create("CREATE TABLE a (i BIGINT)"));
  for (int64_t i : {-5, 1, 2}) ASSERT_OK(db_->Exec("INSERT INTO a VALUES (?)", {Int(i)}));
  auto r = db_->Exec("SELECT COUNT(*), SUM(i), MIN(i), AVG(i), 1 = 1 FROM a");
  ASSERT_OK(r);
  const Row& row = r->rows.at(0);
  EXPECT_EQ(row.Int(0), 3);
  EXPECT_EQ(row.Int(1), -2);
  EXPECT_EQ(row.Int(2), -5);
  EXPECT_NEAR(row.Real(3), -2.0 / 3, 1e-9);
  EXPECT_EQ(row.Int(4), 1);
  auto big = db_->Exec("SELECT SUM(i) FROM a WHERE i > 100");
  ASSERT_OK(big);
  EXPECT_TRUE(big->rows.at(0).IsNull(0));
}

TEST_P(StoreTest, TextWithNulIsRefused) {
  auto r = db_->Exec("SELECT ?", {Text(std::string("a\0b", 3))});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

// --- Statements --------------------------------------------------------------------------------

TEST_P(StoreTest, PlaceholdersInsideLiteralsAndIdentifiersStay) {
  ASSERT_OK(Create("CREATE TABLE p (\"odd?name\" TEXT, v TEXT)"));
  ASSERT_OK(db_->Exec("INSERT INTO p (\"odd?name\", v) VALUES ('it''s ?', ?) -- really?",
                      {Text("value")}));
  auto r = db_->Exec("SELECT \"odd?name\", v, '?', /* ? */ ? FROM p WHERE v = ?",
                     {Text("third"), Text("value")});
  ASSERT_OK(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].Text(0), "it's ?");
  EXPECT_EQ(r->rows[0].Text(1), "value");
  EXPECT_EQ(r->rows[0].Text(2), "?");
  EXPECT_EQ(r->rows[0].Text(3), "third");
}

TEST_P(StoreTest, PlaceholderCountMustMatch) {
  EXPECT_EQ(db_->Exec("SELECT ?, ?", {Int(1)}).status().code(), Status::Code::kInternal);
  EXPECT_EQ(db_->Exec("SELECT ?", {Int(1), Int(2)}).status().code(), Status::Code::kInternal);
  EXPECT_EQ(db_->Exec("SELECT 1", {Int(1)}).status().code(), Status::Code::kInternal);
}

TEST_P(StoreTest, ExecRunsOneStatement) {
  ASSERT_OK(Create("CREATE TABLE one (x BIGINT)"));
  EXPECT_FALSE(db_->Exec("INSERT INTO one VALUES (1); INSERT INTO one VALUES (2)").ok());
  EXPECT_EQ(Count("one"), 0);
  EXPECT_OK(db_->ExecScript("INSERT INTO one VALUES (1); INSERT INTO one VALUES (2)"));
  EXPECT_EQ(Count("one"), 2);
}

TEST_P(StoreTest, RepeatedStatementsSeeOtherConnectionsWritesAndFreshParameters) {
  // SQLite keeps prepared statements per connection: a reused one must neither keep an old read
  // snapshot nor its old bindings, also after it failed halfway.
  ASSERT_OK(Create("CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)"));
  ASSERT_OK(db_->Exec("INSERT INTO kv VALUES ('a', 1), ('b', 2)").status());
  SKIP_IF_EXCLUSIVE();
  auto reader = OpenDb(1);
  auto writer = OpenDb(1);
  ASSERT_TRUE(reader && writer);
  const std::string read = "SELECT v FROM kv WHERE k = ?";
  for (int round = 1; round <= 3; ++round) {
    auto a = reader->Exec(read, {Text("a")});
    ASSERT_OK(a.status());
    ASSERT_EQ(a->rows.size(), 1u);
    EXPECT_EQ(a->rows[0].Int(0), round);
    EXPECT_EQ(reader->Exec(read, {Text("b")})->rows.at(0).Int(0), 2);  // new binding
    ASSERT_OK(writer->Exec("UPDATE kv SET v = v + 1 WHERE k = 'a'").status());
  }
  // A unique violation from a statement, then the same statement succeeding.
  const std::string insert = "INSERT INTO kv (k, v) VALUES (?, ?)";
  EXPECT_EQ(writer->Exec(insert, {Text("a"), Int(9)}).status().code(),
            Status::Code::kAlreadyExists);
  EXPECT_OK(writer->Exec(insert, {Text("c"), Int(3)}).status());
  EXPECT_EQ(reader->Exec(read, {Text("c")})->rows.at(0).Int(0), 3);
  // The writer's connection is free for a transaction: nothing is left open on it.
  auto tx = writer->Begin();
  ASSERT_OK(tx.status());
  ASSERT_OK((*tx)->Exec(insert, {Text("d"), Int(4)}).status());
  ASSERT_OK((*tx)->Commit());
  EXPECT_EQ(Count("kv"), 4);
}

TEST_P(StoreTest, AffectedCountsChangedRowsOnly) {
  ASSERT_OK(Create("CREATE TABLE c (id BIGINT PRIMARY KEY, state TEXT)"));
  auto ins = db_->Exec("INSERT INTO c VALUES (1, 'new'), (2, 'new'), (3, 'old')");
  ASSERT_OK(ins);
  EXPECT_EQ(ins->affected, 3);
  auto upd = db_->Exec("UPDATE c SET state = 'used' WHERE state = ?", {Text("new")});
  ASSERT_OK(upd);
  EXPECT_EQ(upd->affected, 2);
  auto sel = db_->Exec("SELECT id FROM c");
  ASSERT_OK(sel);
  EXPECT_EQ(sel->affected, 0);
  auto ret = db_->Exec("DELETE FROM c WHERE id = ? RETURNING state", {Int(3)});
  ASSERT_OK(ret);
  EXPECT_EQ(ret->affected, 1);
  ASSERT_EQ(ret->rows.size(), 1u);
  EXPECT_EQ(ret->rows[0].Text(0), "old");
}

TEST_P(StoreTest, UniqueViolationIsAlreadyExistsWithoutTheValue) {
  ASSERT_OK(Create("CREATE TABLE u (secret TEXT PRIMARY KEY)"));
  const std::string secret = "hunter2-do-not-log";
  ASSERT_OK(db_->Exec("INSERT INTO u VALUES (?)", {Text(secret)}));
  auto r = db_->Exec("INSERT INTO u VALUES (?)", {Text(secret)});
  EXPECT_EQ(r.status().code(), Status::Code::kAlreadyExists) << r.status().ToString();
  EXPECT_EQ(r.status().message().find(secret), std::string::npos) << r.status().message();
}

TEST_P(StoreTest, BadSqlIsInternalWithTheEngineMessage) {
  auto r = db_->Exec("SELECT * FROM nonexistent_table");
  EXPECT_EQ(r.status().code(), Status::Code::kInternal);
  EXPECT_NE(r.status().message().find("nonexistent_table"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(IsTransient(r.status()));
}

TEST_P(StoreTest, DataErrorsDoNotQuoteTheValue) {
  ASSERT_OK(Create("CREATE TABLE n (x BIGINT)"));
  const std::string secret = "s3cret-not-a-number";
  auto r = db_->Exec("INSERT INTO n VALUES (?)", {Text(secret)});
  // SQLite stores the text (column affinity); PostgreSQL refuses it.
  if (IsPg()) {
    EXPECT_EQ(r.status().code(), Status::Code::kInternal);
  }
  EXPECT_EQ(r.status().message().find(secret), std::string::npos) << r.status().message();
}

// --- Transactions ------------------------------------------------------------------------------

TEST_P(StoreTest, CommitPublishesAndDestructionRollsBack) {
  SKIP_IF_EXCLUSIVE();  // reads beside an open transaction need a second connection
  ASSERT_OK(Create("CREATE TABLE t (x BIGINT)"));
  {
    auto tx = db_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->Exec("INSERT INTO t VALUES (1)"));
    EXPECT_EQ(Count("t"), 0);  // not visible to other connections yet
    ASSERT_OK((*tx)->Commit());
    EXPECT_FALSE((*tx)->Exec("SELECT 1").ok());  // finished
  }
  EXPECT_EQ(Count("t"), 1);
  {
    auto tx = db_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->Exec("INSERT INTO t VALUES (2)"));
  }  // destroyed without Commit
  EXPECT_EQ(Count("t"), 1);
  {
    auto tx = db_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->Exec("INSERT INTO t VALUES (3)"));
    (*tx)->Rollback();
    EXPECT_FALSE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, FailedStatementEndsTheTransaction) {
  ASSERT_OK(Create("CREATE TABLE t (x BIGINT PRIMARY KEY)"));
  auto tx = db_->Begin();
  ASSERT_OK(tx);
  ASSERT_OK((*tx)->Exec("INSERT INTO t VALUES (1)"));
  EXPECT_EQ((*tx)->Exec("INSERT INTO t VALUES (1)").status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ((*tx)->Exec("INSERT INTO t VALUES (2)").status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ((*tx)->Commit().code(), Status::Code::kAlreadyExists);
  tx->reset();  // gives its connection back (an exclusive store has one)
  EXPECT_EQ(Count("t"), 0);
}

TEST_P(StoreTest, InTransactionCommitsOrRollsBack) {
  ASSERT_OK(Create("CREATE TABLE t (x BIGINT)"));
  EXPECT_OK(InTransaction(
      *db_, [](Transaction& tx) { return tx.Exec("INSERT INTO t VALUES (1)").status(); }));
  Status s = InTransaction(*db_, [](Transaction& tx) -> Status {
    IDS_RETURN_IF_ERROR(tx.Exec("INSERT INTO t VALUES (2)").status());
    return Status::NotFound("changed my mind");
  });
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, InTransactionRetriesTransientErrors) {
  ASSERT_OK(Create("CREATE TABLE t (attempt BIGINT)"));
  int attempts = 0;
  EXPECT_OK(InTransaction(*db_, [&](Transaction& tx) -> Status {
    ++attempts;
    IDS_RETURN_IF_ERROR(tx.Exec("INSERT INTO t VALUES (?)", {Int(attempts)}).status());
    return attempts < 3 ? TransientError("conflict") : Status::Ok();
  }));
  EXPECT_EQ(attempts, 3);
  auto r = db_->Exec("SELECT attempt FROM t");
  ASSERT_OK(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].Int(0), 3);

  attempts = 0;
  Status s = InTransaction(*db_, [&](Transaction&) {
    ++attempts;
    return TransientError("always");
  });
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_EQ(attempts, 5);
  // Other errors are not retried.
  attempts = 0;
  s = InTransaction(*db_, [&](Transaction&) {
    ++attempts;
    return Status::Unavailable("down");
  });
  EXPECT_EQ(attempts, 1);
}

TEST_P(StoreTest, InTransactionRetriesARealDeadlock) {
  if (!IsPg()) GTEST_SKIP() << "BEGIN IMMEDIATE serialises SQLite writers: they cannot deadlock";
  ASSERT_OK(Create("CREATE TABLE d (id BIGINT PRIMARY KEY, n BIGINT)"));
  ASSERT_OK(db_->Exec("INSERT INTO d VALUES (1, 0), (2, 0)"));
  std::barrier both_hold_one(2);
  std::atomic<int> attempts{0};
  auto worker = [&](int64_t first, int64_t second, Status* out) {
    bool first_try = true;
    *out = InTransaction(*db_, [&](Transaction& tx) -> Status {
      ++attempts;
      IDS_RETURN_IF_ERROR(tx.Exec("UPDATE d SET n = n + 1 WHERE id = ?", {Int(first)}).status());
      if (std::exchange(first_try, false)) both_hold_one.arrive_and_wait();
      return tx.Exec("UPDATE d SET n = n + 1 WHERE id = ?", {Int(second)}).status();
    });
  };
  Status a, b;
  std::thread ta(worker, 1, 2, &a), tb(worker, 2, 1, &b);
  ta.join();
  tb.join();
  EXPECT_OK(a);
  EXPECT_OK(b);
  EXPECT_EQ(attempts.load(), 3);  // the deadlock's victim ran twice
  auto r = db_->Exec("SELECT SUM(n) FROM d");
  ASSERT_OK(r);
  EXPECT_EQ(r->rows.at(0).Int(0), 4);
}

// --- Migrations --------------------------------------------------------------------------------

std::vector<Migration> TestMigrations() {
  std::vector<Migration> list = Migrations();
  list.push_back(
      {100, "counter", "CREATE TABLE counter (n BIGINT); INSERT INTO counter VALUES (1);"});
  list.push_back({101, "blobs", "CREATE TABLE blobs (b BLOB NOT NULL)"});
  return list;
}

TEST_P(StoreTest, MigrateAppliesEachMigrationOnce) {
  auto before = CurrentVersion(*db_);
  ASSERT_OK(before);
  EXPECT_EQ(*before, 0);
  ASSERT_OK(Migrate(*db_, TestMigrations()));
  ASSERT_OK(Migrate(*db_, TestMigrations()));
  auto v = CurrentVersion(*db_);
  ASSERT_OK(v);
  EXPECT_EQ(*v, 101);
  EXPECT_EQ(Count("counter"), 1);
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(Migrations().size()) + 2);
  // BLOB became a binary column on PostgreSQL too.
  ASSERT_OK(db_->Exec("INSERT INTO blobs VALUES (?)", {Bytes({0, 1, 2})}));
  auto r = db_->Exec("SELECT b FROM blobs");
  ASSERT_OK(r);
  EXPECT_EQ(r->rows.at(0).Bytes(0), (std::vector<uint8_t>{0, 1, 2}));

  // A later release adds one; only that one runs.
  auto later = TestMigrations();
  later.push_back({102, "counter again", "INSERT INTO counter VALUES (2)"});
  ASSERT_OK(Migrate(*db_, later));
  EXPECT_EQ(Count("counter"), 2);
  EXPECT_EQ(*CurrentVersion(*db_), 102);
}

TEST_P(StoreTest, MigrateAppliesAMissingOlderVersion) {
  // Parts own version blocks: the store may add a version after audit's 100 was applied.
  auto list = TestMigrations();
  ASSERT_OK(Migrate(*db_, list));
  list.insert(list.begin() + Migrations().size(),
              {99, "store extra", "CREATE TABLE extra (x BIGINT)"});
  ASSERT_OK(Migrate(*db_, list));
  EXPECT_EQ(Count("extra"), 0);
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(Migrations().size()) + 3);
}

TEST_P(StoreTest, MigrateRefusesANewerDatabase) {
  auto list = TestMigrations();
  list.push_back({102, "from the future", "CREATE TABLE future (x BIGINT)"});
  ASSERT_OK(Migrate(*db_, list));
  Status s = Migrate(*db_, TestMigrations());
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("newer release"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("102"), std::string::npos) << s.message();

  auto renamed = list;
  renamed[1].name = "renamed";
  s = Migrate(*db_, renamed);
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("renamed"), std::string::npos) << s.message();
}

TEST_P(StoreTest, MigrateRefusesABadList) {
  const std::vector<std::vector<Migration>> bad = {
      {{1, "a", "SELECT 1"}, {1, "b", "SELECT 1"}},  // duplicate
      {{2, "a", "SELECT 1"}, {1, "b", "SELECT 1"}},  // out of order
      {{0, "a", "SELECT 1"}},                        // not positive
      {{1, "", "SELECT 1"}},                         // no name
      {{1, "a", ""}},                                // no SQL
  };
  for (const auto& list : bad) {
    EXPECT_EQ(ValidateMigrations(list).code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(Migrate(*db_, list).code(), Status::Code::kInvalidArgument);
  }
  EXPECT_EQ(*CurrentVersion(*db_), 0);
  EXPECT_OK(ValidateMigrations({}));
  EXPECT_OK(ValidateMigrations(TestMigrations()));
}

TEST_P(StoreTest, AFailedMigrationLeavesNothingBehind) {
  auto list = Migrations();
  list.push_back({100, "half", "CREATE TABLE half (x BIGINT); INSERT INTO missing VALUES (1);"});
  Status s = Migrate(*db_, list);
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_NE(s.message().find("migration 100"), std::string::npos) << s.message();
  EXPECT_EQ(*CurrentVersion(*db_), Migrations().back().version);
  EXPECT_FALSE(db_->Exec("SELECT * FROM half").ok());
  list.back().sql = "CREATE TABLE half (x BIGINT);";
  EXPECT_OK(Migrate(*db_, list));
  EXPECT_EQ(*CurrentVersion(*db_), 100);
}

TEST_P(StoreTest, MigrationsMayDifferPerDialect) {
  std::vector<Migration> list = {
      {1, "dialect", "CREATE TABLE dialect (which TEXT); INSERT INTO dialect VALUES ('portable');",
       "CREATE TABLE dialect (which TEXT); INSERT INTO dialect VALUES ('postgres');"},
      // Bodies with semicolons inside, parsed by each engine.
      {2, "append-only",
       "CREATE TABLE log (x BIGINT);"
       "CREATE TRIGGER log_no_delete BEFORE DELETE ON log"
       " BEGIN SELECT RAISE(ABORT, 'log is append-only'); END;",
       "CREATE TABLE log (x BIGINT);"
       "CREATE FUNCTION log_append_only() RETURNS trigger AS $$"
       " BEGIN RAISE EXCEPTION 'log is append-only'; END; $$ LANGUAGE plpgsql;"
       "CREATE TRIGGER log_no_delete BEFORE DELETE ON log"
       " FOR EACH ROW EXECUTE FUNCTION log_append_only();"},
  };
  ASSERT_OK(Migrate(*db_, list));
  auto r = db_->Exec("SELECT which FROM dialect");
  ASSERT_OK(r);
  EXPECT_EQ(r->rows.at(0).Text(0), IsPg() ? "postgres" : "portable");
  ASSERT_OK(db_->Exec("INSERT INTO log VALUES (1)"));
  auto del = db_->Exec("DELETE FROM log");
  EXPECT_EQ(del.status().code(), Status::Code::kInternal);
  EXPECT_NE(del.status().message().find("append-only"), std::string::npos);
  EXPECT_EQ(Count("log"), 1);
}

TEST_P(StoreTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  SKIP_IF_EXCLUSIVE();
  constexpr int kMigrators = 6;
  std::vector<std::unique_ptr<Database>> dbs;
  for (int i = 0; i < kMigrators; ++i) dbs.push_back(OpenDb(2));
  std::vector<Status> results(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] { results[i] = Migrate(*dbs[i], TestMigrations()); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_OK(s);
  EXPECT_EQ(Count("counter"), 1);
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(Migrations().size()) + 2);
}

// --- Accepted once -----------------------------------------------------------------------------

TEST_P(StoreTest, AcceptOnceAcceptsTheFirstTimeOnly) {
  ASSERT_OK(Migrate(*db_, Migrations()));
  EXPECT_EQ(AcceptOnce(*db_, "jti", "abc", 100).value_or(false), true);
  EXPECT_EQ(AcceptOnce(*db_, "jti", "abc", 100).value_or(true), false);
  EXPECT_EQ(AcceptOnce(*db_, "jti", "abc", 999).value_or(true), false);
  EXPECT_EQ(AcceptOnce(*db_, "code", "abc", 100).value_or(false), true);  // another kind
  EXPECT_EQ(AcceptOnce(*db_, "jti", "", 100).value_or(false), true);
  EXPECT_EQ(AcceptOnce(*db_, "jti", "", 100).value_or(true), false);
  EXPECT_EQ(AcceptOnce(*db_, "", "abc", 100).status().code(), Status::Code::kInvalidArgument);

  // Stored as SHA-256 (FIPS 180-2 B.1: "abc"), never as the value.
  auto r = db_->Exec(
      "SELECT value_hash FROM used_values WHERE kind = 'jti' AND expires_at = 100"
      " AND value_hash <> ?",
      {Bytes({0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
              0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
              0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55})});
  ASSERT_OK(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(HexEncode(r->rows[0].Bytes(0)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_P(StoreTest, AcceptOnceFollowsItsTransaction) {
  ASSERT_OK(Migrate(*db_, Migrations()));
  {
    auto tx = db_->Begin();
    ASSERT_OK(tx);
    EXPECT_EQ(AcceptOnce(**tx, "code", "xyz", 100).value_or(false), true);
    EXPECT_EQ(AcceptOnce(**tx, "code", "xyz", 100).value_or(true), false);
  }  // rolled back: the value was never used
  EXPECT_EQ(AcceptOnce(*db_, "code", "xyz", 100).value_or(false), true);
}

TEST_P(StoreTest, AcceptedValuesSurviveTheMoveToOneBtree) {
  const std::vector<Migration> all = Migrations();
  ASSERT_GE(all.size(), 2u);
  ASSERT_OK(Migrate(*db_, {all[0]}));  // a database of the release before migration 2
  ASSERT_TRUE(AcceptOnce(*db_, "jti", "kept", 100).value_or(false));
  ASSERT_TRUE(AcceptOnce(*db_, "code", "kept", 300).value_or(false));
  ASSERT_OK(Migrate(*db_, all));
  EXPECT_EQ(*CurrentVersion(*db_), all.back().version);
  EXPECT_EQ(Count("used_values"), 2);
  EXPECT_EQ(AcceptOnce(*db_, "jti", "kept", 100).value_or(true), false);
  EXPECT_EQ(AcceptOnce(*db_, "code", "kept", 300).value_or(true), false);
  EXPECT_EQ(AcceptOnce(*db_, "jti", "new", 100).value_or(false), true);
  ASSERT_OK(PurgeExpired(*db_, 200));
  EXPECT_EQ(Count("used_values"), 1);
  EXPECT_EQ(AcceptOnce(*db_, "code", "kept", 300).value_or(true), false);
}

TEST_P(StoreTest, PurgeExpiredForgetsOnlyExpiredValues) {
  ASSERT_OK(Migrate(*db_, Migrations()));
  ASSERT_TRUE(AcceptOnce(*db_, "jti", "old", 100).value_or(false));
  ASSERT_TRUE(AcceptOnce(*db_, "jti", "young", 200).value_or(false));
  ASSERT_OK(PurgeExpired(*db_, 200));
  EXPECT_EQ(Count("used_values"), 1);
  EXPECT_EQ(AcceptOnce(*db_, "jti", "young", 200).value_or(true), false);  // kept until 200
  EXPECT_EQ(AcceptOnce(*db_, "jti", "old", 100).value_or(false), true);    // forgotten
}

// --- Concurrency -------------------------------------------------------------------------------

TEST_P(StoreTest, PoolServesManyThreads) {
  ASSERT_OK(Migrate(*db_, TestMigrations()));
  // Exclusive: the test's own Database, whose one connection all threads share.
  std::unique_ptr<Database> pooled = IsExclusive() ? nullptr : OpenDb(4);
  Database* db = IsExclusive() ? db_.get() : pooled.get();
  ASSERT_NE(db, nullptr);
  constexpr int kThreads = 16, kRounds = 40;
  std::atomic<int> accepted{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        Status s = InTransaction(
            *db, [](Transaction& tx) { return tx.Exec("UPDATE counter SET n = n + 1").status(); });
        if (!s.ok()) ++failures;
        if (!db->Exec("SELECT n FROM counter").ok()) ++failures;
        auto once = AcceptOnce(*db, "pool", "value-" + std::to_string(i), 100);
        if (!once.ok()) ++failures;
        if (once.value_or(false)) ++accepted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(accepted.load(), kRounds);
  auto r = db->Exec("SELECT n FROM counter");
  ASSERT_OK(r);
  EXPECT_EQ(r->rows.at(0).Int(0), 1 + kThreads * kRounds);
}

// A helper process (store_race_helper) on pipes: we write its stdin, read its stdout.
struct Helper {
  pid_t pid = -1;
  int in = -1;
  int out = -1;
};

Helper SpawnHelper(const std::vector<std::string>& args) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<std::string> all = {IDSCHEME_STORE_RACE_HELPER};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  Helper h;
  if (posix_spawn(&h.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) h.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  h.in = in[1];
  h.out = out[0];
  return h;
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string ReadAll(int fd) {
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) all.append(buf, n);
  return all;
}

// Runs two helper processes against our database at once; returns what each one won.
std::vector<std::vector<int>> Race(const std::string& url, const std::string& mode, int n,
                                   int threads) {
  std::vector<Helper> helpers;
  for (int i = 0; i < 2; ++i) {
    helpers.push_back(SpawnHelper({url, mode, std::to_string(n), std::to_string(threads)}));
    EXPECT_GT(helpers.back().pid, 0);
  }
  for (const Helper& h : helpers) EXPECT_EQ(ReadLine(h.out), "ready");
  for (const Helper& h : helpers) {
    EXPECT_EQ(write(h.in, "go\n", 3), 3);
    close(h.in);
  }
  std::vector<std::string> outputs(helpers.size());
  std::vector<std::thread> readers;
  for (size_t i = 0; i < helpers.size(); ++i) {
    readers.emplace_back([&, i] { outputs[i] = ReadAll(helpers[i].out); });
  }
  for (auto& r : readers) r.join();
  std::vector<std::vector<int>> won;
  for (size_t i = 0; i < helpers.size(); ++i) {
    close(helpers[i].out);
    int status = 0;
    EXPECT_EQ(waitpid(helpers[i].pid, &status, 0), helpers[i].pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "helper " << i;
    std::istringstream lines(outputs[i]);
    std::vector<int> mine;
    std::string line;
    bool done = false;
    while (std::getline(lines, line)) {
      if (line == "done") {
        done = true;
        break;
      }
      mine.push_back(std::stoi(line));
    }
    EXPECT_TRUE(done) << "helper " << i << " did not finish";
    won.push_back(std::move(mine));
  }
  return won;
}

// Every i in [0, n) won exactly once over all processes. (Not that each process won some:
// SQLite's file lock is not fair, so one process may legitimately win every race.)
void ExpectEachWonOnce(const std::vector<std::vector<int>>& won, int n) {
  std::vector<int> times(n, 0);
  for (const auto& list : won) {
    for (int i : list) {
      ASSERT_TRUE(i >= 0 && i < n);
      ++times[i];
    }
  }
  int wrong = 0;
  for (int i = 0; i < n; ++i) wrong += times[i] != 1;
  EXPECT_EQ(wrong, 0);
}

TEST_P(StoreTest, AcceptOnceHoldsAcrossProcesses) {
  SKIP_IF_EXCLUSIVE();
  ASSERT_OK(Migrate(*db_, Migrations()));
  constexpr int kValues = 2000;
  auto won = Race(url_, "once", kValues, 4);
  ExpectEachWonOnce(won, kValues);
  EXPECT_EQ(Count("used_values"), kValues);
}

TEST_P(StoreTest, ConditionalUpdateHasOneWinnerAcrossProcesses) {
  SKIP_IF_EXCLUSIVE();
  ASSERT_OK(
      Create("CREATE TABLE race_rows (id BIGINT PRIMARY KEY, state TEXT NOT NULL,"
             " winner TEXT)"));
  constexpr int kRows = 1000;
  ASSERT_OK(InTransaction(*db_, [&](Transaction& tx) -> Status {
    for (int i = 0; i < kRows; ++i) {
      IDS_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO race_rows (id, state) VALUES (?, 'new')", {Int(i)}).status());
    }
    return Status::Ok();
  }));
  auto won = Race(url_, "update", kRows, 4);
  ExpectEachWonOnce(won, kRows);
  auto r = db_->Exec("SELECT COUNT(*) FROM race_rows WHERE state = 'used' AND winner IS NOT NULL");
  ASSERT_OK(r);
  EXPECT_EQ(r->rows.at(0).Int(0), kRows);
}

// --- Connections -------------------------------------------------------------------------------

TEST_P(StoreTest, PingAndDescribe) {
  EXPECT_OK(db_->Ping());
  if (!IsPg()) {
    EXPECT_EQ(db_->Describe(), "sqlite:" + (dir_ / "store.db").string());
    return;
  }
  // Trust authentication ignores the password, so a URL with one still connects.
  std::string with_password = base_url_;
  size_t at = with_password.find('@');
  ASSERT_NE(at, std::string::npos);
  with_password.insert(at, ":s3cret-pw");
  auto db = Database::Open(with_password, 1);
  ASSERT_OK(db);
  const std::string described = (*db)->Describe();
  EXPECT_EQ(described.find("s3cret"), std::string::npos) << described;
  EXPECT_EQ(described.rfind("postgresql://", 0), 0u) << described;
  EXPECT_NE(described.find("127.0.0.1"), std::string::npos) << described;
}

// A script run on the Database that opens a transaction and fails before its end leaves no
// connection inside it: the next writes go through (SQLite writes through one connection).
TEST_P(StoreTest, AScriptThatFailsInsideItsTransactionLeavesNothingOpen) {
  ASSERT_OK(Create("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)"));
  EXPECT_FALSE(db_->ExecScript("BEGIN; INSERT INTO kv VALUES ('a', '1'); INSERT INTO nowhere "
                               "VALUES (1); COMMIT;")
                   .ok());
  ASSERT_OK(db_->Exec("INSERT INTO kv VALUES ('b', '2')"));
  {
    auto tx = db_->Begin();  // (exclusive: holds the only connection until destroyed)
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->Exec("INSERT INTO kv VALUES ('c', '3')"));
    ASSERT_OK((*tx)->Commit());
  }
  auto r = db_->Exec("SELECT k FROM kv ORDER BY k");
  ASSERT_OK(r);
  ASSERT_EQ(r->rows.size(), 2u) << "the failed script's insert was rolled back";
  EXPECT_EQ(r->rows[0].Text(0), "b");
  EXPECT_EQ(r->rows[1].Text(0), "c");
}

// store/database.h: ChangeEpoch. The embedded store's is shared by every Database (process) on
// the file, and survives them; PostgreSQL has none.
TEST_P(StoreTest, TheChangeEpochIsSharedByEveryoneOnTheStore) {
  ChangeEpoch* epoch = db_->change_epoch();
  if (IsPg()) {
    EXPECT_EQ(epoch, nullptr);
    return;
  }
  ASSERT_NE(epoch, nullptr);
  const uint64_t start = epoch->Load();
  epoch->Bump();
  EXPECT_EQ(epoch->Load(), start + 1);
  if (IsExclusive()) return;  // no second Database on the file
  auto other = OpenDb(2);
  ASSERT_NE(other, nullptr);
  ASSERT_NE(other->change_epoch(), nullptr);
  EXPECT_EQ(other->change_epoch()->Load(), start + 1);
  other->change_epoch()->Bump();
  EXPECT_EQ(epoch->Load(), start + 2);
  db_.reset();
  other.reset();
  auto reopened = OpenDb(2);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->change_epoch()->Load(), start + 2);
}

TEST_P(StoreTest, ReconnectsAfterTheServerDropsConnections) {
  if (!IsPg()) GTEST_SKIP() << "SQLite has no server to lose";
  const std::string app = "victim_" + Unique();
  auto victim = Database::Open(AddUrlParam(url_, "application_name=" + app), 2);
  ASSERT_OK(victim);
  Database& db = **victim;
  {
    // Two connections in the pool.
    auto a = db.Begin();
    auto b = db.Begin();
    ASSERT_OK(a);
    ASSERT_OK(b);
  }
  auto killed = admin_->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
      {Text(app)});
  ASSERT_OK(killed);
  EXPECT_EQ(killed->rows.size(), 2u);
  // Wait until the server has finished them off.
  for (int i = 0; i < 10000; ++i) {
    auto left = admin_->Exec("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ?",
                             {Text(app)});
    ASSERT_OK(left);
    if (left->rows.at(0).Int(0) == 0) break;
    std::this_thread::yield();
  }
  EXPECT_OK(db.Exec("SELECT 1"));
  EXPECT_OK(db.Ping());
  EXPECT_OK(InTransaction(db, [](Transaction& tx) { return tx.Exec("SELECT 1").status(); }));
}

TEST_P(StoreTest, ALostConnectionIsTransientOnlyInsideATransaction) {
  if (!IsPg()) GTEST_SKIP() << "SQLite has no connection to lose";
  constexpr char kSuicide[] = "SELECT pg_terminate_backend(pg_backend_pid())";
  // On its own, the statement may or may not have run: retrying could apply it twice.
  auto r = db_->Exec(kSuicide);
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_FALSE(IsTransient(r.status())) << r.status().ToString();
  EXPECT_OK(db_->Exec("SELECT 1"));
  // In a transaction, the server rolls back what it did: safe to run the whole thing again.
  auto tx = db_->Begin();
  ASSERT_OK(tx);
  auto in_tx = (*tx)->Exec(kSuicide);
  EXPECT_TRUE(IsTransient(in_tx.status())) << in_tx.status().ToString();
  EXPECT_FALSE((*tx)->Commit().ok());
  EXPECT_OK(db_->Ping());
}

TEST_P(StoreTest, ExclusiveFileHasOneOwner) {
  if (!IsExclusive()) GTEST_SKIP() << "SqliteLocking::kExclusive";
  ASSERT_OK(Create("CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)"));
  ASSERT_OK(db_->Exec("INSERT INTO kv VALUES ('a', 1)").status());
  // While db_ holds the file, any other opener (the CLI beside a node) is refused, clearly,
  // once SQLite's busy timeout has passed.
  for (SqliteLocking other : {SqliteLocking::kShared, SqliteLocking::kExclusive}) {
    auto second = Database::Open(url_, 1, other);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
    EXPECT_NE(second.status().message().find("held exclusively"), std::string::npos)
        << second.status().message();
  }
  // What the owner committed is in the file once it closes (its WAL index lived in its memory).
  db_.reset();
  auto after = Database::Open(url_, 2, SqliteLocking::kShared);
  ASSERT_OK(after);
  auto r = (*after)->Exec("SELECT v FROM kv WHERE k = 'a'");
  ASSERT_OK(r);
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].Int(0), 1);
}

TEST_P(StoreTest, OpenFailsCleanly) {
  if (IsPg()) {
    auto r = Database::Open("postgresql://someone:s3cret-pw@127.0.0.1:1/nothing", 1);
    EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
    EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos) << r.status().message();
  } else {
    auto r = Database::Open("sqlite:" + (dir_ / "no" / "such" / "folder.db").string(), 1);
    EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
    EXPECT_EQ(Database::Open(":memory:").status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(Database::Open("sqlite:").status().code(), Status::Code::kInvalidArgument);
  }
  EXPECT_EQ(Database::Open(url_, 0).status().code(), Status::Code::kInvalidArgument);
}

// --- Plain types -------------------------------------------------------------------------------

TEST(RowTest, NullReadsAsEmptyAndRealReadsIntegers) {
  Row row({Null(), Int(7), Real(1.5), Text("t"), Bytes({1})});
  EXPECT_TRUE(row.IsNull(0));
  EXPECT_EQ(row.Int(0), 0);
  EXPECT_EQ(row.Real(0), 0.0);
  EXPECT_EQ(row.Text(0), "");
  EXPECT_TRUE(row.Bytes(0).empty());
  EXPECT_EQ(row.Int(1), 7);
  EXPECT_EQ(row.Real(1), 7.0);
  EXPECT_EQ(row.Real(2), 1.5);
  EXPECT_EQ(row.Text(3), "t");
  EXPECT_EQ(row.Bytes(4), std::vector<uint8_t>{1});
}

TEST(TransientTest, MarkSurvivesContext) {
  Status s = TransientError("busy");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_TRUE(IsTransient(s));
  EXPECT_TRUE(IsTransient(s.WithContext("while doing x")));
  EXPECT_FALSE(IsTransient(Status::Unavailable("busy")));
  EXPECT_FALSE(IsTransient(Status::Internal("busy [transient]")));
  EXPECT_FALSE(IsTransient(Status::Ok()));
}

// SQLite: no commit checkpoints the WAL (wal_autocheckpoint=0, so no writer waits for one); the
// backend's own thread does, off the request path. Without it the database file would not grow
// until the last connection closed, and the WAL would grow without bound.
TEST_P(StoreTest, SqliteCheckpointsTheWalOffTheRequestPath) {
  if (IsPg()) GTEST_SKIP() << "SQLite's WAL";
  ASSERT_OK(Create("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)"));
  const fs::path file = dir_ / "store.db";
  const auto size_before = fs::file_size(file);
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(db_->Exec("INSERT INTO t (id, b) VALUES (?, ?)", {Int(i), Bytes(Pattern(4096))}));
  }
  // 200 pages and more written since: the checkpointer copies them within a few of its rounds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (fs::file_size(file) < size_before + 200 * 4096 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // waits for the thread, not time
  }
  EXPECT_GE(fs::file_size(file), size_before + 200 * 4096);
  EXPECT_EQ(Count("t"), 200);
}

// Under writes that never pause, a PASSIVE checkpoint never reaches the WAL's end (the writers
// append while it copies), and SQLite starts the WAL over only once all of it is copied: the file
// grew without bound. Once the WAL is long, the checkpointer starts it over: the WAL header's
// checkpoint sequence number (bytes 12-15, big-endian) changes while the writes go on.
TEST_P(StoreTest, SqliteStartsALongWalOverWhileWritesGoOn) {
  if (IsPg()) GTEST_SKIP() << "SQLite's WAL";
  ASSERT_OK(Create("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)"));
  const fs::path wal = dir_ / "store.db-wal";
  auto sequence = [&]() -> std::optional<uint32_t> {
    std::ifstream in(wal, std::ios::binary);
    std::array<unsigned char, 16> header{};
    if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) return std::nullopt;
    return (uint32_t{header[12]} << 24) | (uint32_t{header[13]} << 16) |
           (uint32_t{header[14]} << 8) | uint32_t{header[15]};
  };
  const std::vector<uint8_t> blob = Pattern(16 * 1024);
  auto insert = [&](int64_t id) {
    return db_->Exec("INSERT INTO t (id, b) VALUES (?, ?)", {Int(id), Bytes(blob)}).status();
  };
  ASSERT_OK(insert(0));
  const std::optional<uint32_t> first = sequence();
  ASSERT_TRUE(first.has_value());

  std::atomic<bool> stop{false};
  std::thread reader([&] {  // short reads beside the writes, as on a serving node
    for (int64_t id = 0; !stop; ++id) (void)db_->Exec("SELECT id FROM t WHERE id = ?", {Int(id)});
  });
  // At most 512 MB: eight times the WAL length the checkpointer starts over at.
  int64_t rows = 1;
  bool restarted = false;
  Status failed;
  for (; rows < 32768 && !restarted && failed.ok(); ++rows) {
    failed = insert(rows);
    if (rows % 64 == 0) restarted = sequence() != first;
  }
  stop = true;
  reader.join();
  ASSERT_OK(failed);
  EXPECT_TRUE(restarted) << rows << " rows written, the WAL is " << fs::file_size(wal) << " bytes";
  // The commit that started it over gave back what was beyond 128 MB (the rows since then
  // add at most 64 × 20 KB).
  EXPECT_LE(fs::file_size(wal), (uintmax_t{128} << 20) + (uintmax_t{4} << 20));
  EXPECT_EQ(Count("t"), rows);
}

}  // namespace
}  // namespace idscheme::store
