// The PostgreSQL backend: a bounded pool of libpq connections. Statements go through
// PQexecParams with `?` renumbered to $n; integers, doubles and bytes travel in binary, text as
// text of unknown type (so the server infers it, as SQLite does), and results come back in
// binary. A connection found dead is closed and replaced; when one dies, the idle ones are
// dropped too (a server restart kills them all).
#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "store/database.h"
#include "store/internal/backends.h"
#include "store/internal/pool.h"
#include "store/internal/sql_text.h"

namespace idscheme::store::internal {
namespace {

constexpr std::chrono::milliseconds kPoolWait{10000};

// Type OIDs (catalog/pg_type.dat); stable across PostgreSQL versions.
enum : Oid {
  kBoolOid = 16,
  kByteaOid = 17,
  kCharOid = 18,
  kNameOid = 19,
  kInt8Oid = 20,
  kInt2Oid = 21,
  kInt4Oid = 23,
  kTextOid = 25,
  kOidOid = 26,
  kJsonOid = 114,
  kFloat4Oid = 700,
  kFloat8Oid = 701,
  kUnknownOid = 705,
  kBpcharOid = 1042,
  kVarcharOid = 1043,
  kNumericOid = 1700,
  kVoidOid = 2278,
  kJsonbOid = 3802,
};

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultCloser>;

std::string FirstLine(const char* text) {
  std::string s = text ? text : "";
  size_t eol = s.find('\n');
  return eol == std::string::npos ? s : s.substr(0, eol);
}

bool IsConnectionLoss(PGconn* c, const std::string& sqlstate) {
  return PQstatus(c) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03";
}

// Maps a failed result (or none) to a Status. Only the primary message is kept: the DETAIL of
// a unique violation, for one, quotes the key's values.
Status PgError(PGconn* c, const PGresult* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state ? state : "";
  if (IsConnectionLoss(c, code)) {
    return TransientError("postgres: connection lost: " + FirstLine(PQerrorMessage(c)));
  }
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string msg = primary ? primary : FirstLine(PQerrorMessage(c));
  if (code == "23505") return Status::AlreadyExists("postgres: " + msg);
  if (code == "40001" || code == "40P01") return TransientError("postgres: " + msg);
  // Data exceptions quote the offending input after a colon ("invalid input syntax for type
  // bigint: ..."); that input may be a secret.
  if (code.starts_with("22")) msg = msg.substr(0, msg.find(':'));
  return Status::Internal("postgres: " + msg + " (SQLSTATE " + code + ")");
}

uint64_t ReadBig(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void WriteBig(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}

// NUMERIC's binary form: ndigits, weight, sign, dscale, then base-10000 digits.
Result<Value> DecodeNumeric(const char* p, int len) {
  if (len < 8) return Status::Internal("postgres: malformed numeric");
  const int ndigits = static_cast<int>(ReadBig(p, 2));
  const int weight = static_cast<int16_t>(ReadBig(p + 2, 2));
  const uint64_t sign = ReadBig(p + 4, 2);
  const uint64_t dscale = ReadBig(p + 6, 2);
  if (len != 8 + 2 * ndigits) return Status::Internal("postgres: malformed numeric");
  if (sign == 0xC000) return Value(std::numeric_limits<double>::quiet_NaN());
  if (sign == 0xD000) return Value(std::numeric_limits<double>::infinity());
  if (sign == 0xF000) return Value(-std::numeric_limits<double>::infinity());
  auto digit = [&](int k) -> uint64_t { return k < ndigits ? ReadBig(p + 8 + 2 * k, 2) : 0; };
  if (dscale == 0 && weight <= 4) {  // an integer of at most 20 decimal digits
    unsigned __int128 acc = 0;
    for (int k = 0; k <= weight; ++k) acc = acc * 10000 + digit(k);
    constexpr unsigned __int128 kMax = std::numeric_limits<int64_t>::max();
    if (sign == 0 && acc <= kMax) return Value(static_cast<int64_t>(acc));
    if (sign == 0x4000 && acc <= kMax + 1) return Value(-static_cast<int64_t>(acc - 1) - 1);
  }
  double d = 0;
  for (int k = 0; k < ndigits; ++k) d += digit(k) * std::pow(10000.0, weight - k);
  return Value(sign == 0x4000 ? -d : d);
}

Result<Value> DecodeBinary(Oid type, const char* p, int len) {
  switch (type) {
    case kInt8Oid:
      if (len != 8) break;
      return Value(static_cast<int64_t>(ReadBig(p, 8)));
    case kInt4Oid:
      if (len != 4) break;
      return Value(static_cast<int64_t>(static_cast<int32_t>(ReadBig(p, 4))));
    case kInt2Oid:
      if (len != 2) break;
      return Value(static_cast<int64_t>(static_cast<int16_t>(ReadBig(p, 2))));
    case kOidOid:
      if (len != 4) break;
      return Value(static_cast<int64_t>(ReadBig(p, 4)));
    case kBoolOid:
      if (len != 1) break;
      return Value(static_cast<int64_t>(p[0] != 0));
    case kFloat8Oid:
      if (len != 8) break;
      return Value(std::bit_cast<double>(ReadBig(p, 8)));
    case kFloat4Oid:
      if (len != 4) break;
      return Value(static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(ReadBig(p, 4)))));
    case kNumericOid:
      return DecodeNumeric(p, len);
    case kByteaOid:
      return Value(Blob{std::vector<uint8_t>(p, p + len)});
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid:
    case kCharOid:
    case kUnknownOid:
    case kJsonOid:
      return Value(std::string(p, len));
    case kJsonbOid:  // a version byte, then the text
      if (len < 1 || p[0] != 1) break;
      return Value(std::string(p + 1, len - 1));
    case kVoidOid:
      return Value();
    default:
      return Status::Internal("postgres: unsupported result type (oid " + std::to_string(type) +
                              "); cast it to BIGINT, DOUBLE PRECISION, TEXT or BYTEA");
  }
  return Status::Internal("postgres: malformed value of type oid " + std::to_string(type));
}

Result<QueryResult> ReadResult(PGconn* c, PgResult r) {
  if (!r) return PgError(c, nullptr);
  const ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(c, r.get());
  QueryResult result;
  const std::string_view command = PQcmdStatus(r.get());
  if (command.starts_with("INSERT") || command.starts_with("UPDATE") ||
      command.starts_with("DELETE") || command.starts_with("MERGE")) {
    result.affected = std::strtoll(PQcmdTuples(r.get()), nullptr, 10);
  }
  const int rows = PQntuples(r.get());
  const int cols = PQnfields(r.get());
  result.rows.reserve(rows);
  for (int i = 0; i < rows; ++i) {
    std::vector<Value> row;
    row.reserve(cols);
    for (int j = 0; j < cols; ++j) {
      if (PQgetisnull(r.get(), i, j)) {
        row.emplace_back(std::monostate{});
        continue;
      }
      IDS_ASSIGN_OR_RETURN(Value v, DecodeBinary(PQftype(r.get(), j), PQgetvalue(r.get(), i, j),
                                                 PQgetlength(r.get(), i, j)));
      row.push_back(std::move(v));
    }
    result.rows.emplace_back(std::move(row));
  }
  return result;
}

class Conn {
 public:
  explicit Conn(PGconn* c) : c_(c) {}
  ~Conn() { PQfinish(c_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  PGconn* get() const { return c_; }
  bool Lost() const { return PQstatus(c_) != CONNECTION_OK; }
  bool Reusable() const { return !Lost() && PQtransactionStatus(c_) == PQTRANS_IDLE; }

  // An idle connection has nothing to read unless the server is ending it (a FATAL message,
  // then end of file) or has something else unasked to say; either way, start afresh.
  bool Alive() const {
    if (Lost()) return false;
    pollfd p{PQsocket(c_), POLLIN, 0};
    return poll(&p, 1, 0) == 0;
  }

  Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params) {
    int count = 0;
    const std::string text = NumberPlaceholders(sql, &count);
    if (count != static_cast<int>(params.size())) {
      return Status::Internal("postgres: statement has " + std::to_string(count) +
                              " placeholders, got " + std::to_string(params.size()) + " values");
    }
    std::vector<Oid> types(count, 0);
    std::vector<const char*> values(count, nullptr);
    std::vector<int> lengths(count, 0);
    std::vector<int> formats(count, 0);
    std::vector<std::array<char, 8>> scratch(count);
    for (int i = 0; i < count; ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<int64_t>(&v)) {
        WriteBig(static_cast<uint64_t>(*n), scratch[i].data());
        types[i] = kInt8Oid;
      } else if (const auto* d = std::get_if<double>(&v)) {
        WriteBig(std::bit_cast<uint64_t>(*d), scratch[i].data());
        types[i] = kFloat8Oid;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        // Text goes as a C string: a NUL would silently cut it short.
        if (s->find('\0') != std::string::npos) {
          return Status::InvalidArgument("store: TEXT value holds a NUL byte (use a BLOB)");
        }
        values[i] = s->c_str();
        continue;
      } else if (const auto* b = std::get_if<Blob>(&v)) {
        static const char kEmpty = 0;
        types[i] = kByteaOid;
        values[i] = b->bytes.empty() ? &kEmpty : reinterpret_cast<const char*>(b->bytes.data());
        lengths[i] = static_cast<int>(b->bytes.size());
        formats[i] = 1;
        continue;
      } else {
        continue;  // NULL
      }
      values[i] = scratch[i].data();
      lengths[i] = 8;
      formats[i] = 1;
    }
    PgResult r(PQexecParams(c_, text.c_str(), count, types.data(), values.data(), lengths.data(),
                            formats.data(), /*resultFormat=*/1));
    return ReadResult(c_, std::move(r));
  }

  Status Script(std::string_view sql) {
    const std::string text(sql);
    PgResult r(PQexec(c_, text.c_str()));
    return ReadResult(c_, std::move(r)).status();
  }

 private:
  PGconn* c_;
};

void IgnoreNotice(void*, const char*) {}

Result<std::unique_ptr<Conn>> Connect(const std::string& url) {
  // Defaults first: the URL, expanded from `dbname`, may override them.
  const char* keys[] = {"connect_timeout", "client_encoding", "dbname", nullptr};
  const char* values[] = {"10", "UTF8", url.c_str(), nullptr};
  auto conn = std::make_unique<Conn>(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn->get()) return Status::Unavailable("postgres: out of memory");
  if (PQstatus(conn->get()) != CONNECTION_OK) {
    return Status::Unavailable("postgres: cannot connect: " +
                               FirstLine(PQerrorMessage(conn->get())));
  }
  PQsetNoticeProcessor(conn->get(), IgnoreNotice, nullptr);
  return conn;
}

// postgresql://user@host:port/dbname, whatever the URL said about passwords.
std::string DescribeUrl(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    PQfreemem(err);
    return "postgresql://(unparsable URL)";
  }
  auto field = [&](const char* name) -> std::string {
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (std::strcmp(o->keyword, name) == 0 && o->val) return o->val;
    }
    return "";
  };
  std::string out = "postgresql://";
  if (std::string user = field("user"); !user.empty()) out += user + "@";
  out += field("host");
  if (std::string port = field("port"); !port.empty()) out += ":" + port;
  out += "/" + field("dbname");
  PQconninfoFree(opts);
  return out;
}

using ConnPool = Pool<Conn>;

class PgTransaction final : public Transaction {
 public:
  PgTransaction(ConnPool* pool, ConnPool::Lease conn) : pool_(pool), conn_(std::move(conn)) {}
  ~PgTransaction() override { Rollback(); }

  Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params) override {
    IDS_RETURN_IF_ERROR(Usable());
    Result<QueryResult> r = conn_->Exec(sql, params);
    if (!r.ok()) Fail(r.status());
    return r;
  }

  Status ExecScript(std::string_view sql) override {
    IDS_RETURN_IF_ERROR(Usable());
    Status s = conn_->Script(sql);
    if (!s.ok()) Fail(s);
    return s;
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Status Commit() override {
    IDS_RETURN_IF_ERROR(Usable());
    done_ = true;
    PgResult r(PQexec(conn_->get(), "COMMIT"));
    if (conn_->Lost()) {
      pool_->DiscardIdle();
      // Not transient: the COMMIT may have taken effect, so running the work again is unsafe.
      return Status::Unavailable("postgres: connection lost during COMMIT; outcome unknown");
    }
    // A transaction the server had already aborted answers COMMIT with ROLLBACK, no error.
    const bool rolled_back = r && std::string_view(PQcmdStatus(r.get())) == "ROLLBACK";
    IDS_RETURN_IF_ERROR(ReadResult(conn_->get(), std::move(r)).status());
    if (rolled_back) return Status::Internal("postgres: transaction was rolled back");
    return Status::Ok();
  }

  void Rollback() override {
    if (done_) return;
    done_ = true;
    // A connection left inside a transaction is closed by the pool rather than reused.
    if (!conn_->Lost()) PgResult(PQexec(conn_->get(), "ROLLBACK"));
  }

 private:
  Status Usable() const {
    if (done_) return Status::Internal("store: transaction already finished");
    if (!failed_.ok()) return failed_.WithContext("store: transaction aborted by an earlier error");
    return Status::Ok();
  }

  void Fail(const Status& s) {
    failed_ = s;
    if (conn_->Lost()) pool_->DiscardIdle();
  }

  ConnPool* pool_;
  ConnPool::Lease conn_;
  Status failed_;
  bool done_ = false;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, int pool_size)
      : url_(std::move(url)),
        description_(DescribeUrl(url_)),
        pool_(pool_size, kPoolWait, [this] { return Connect(url_); }) {}

  Result<QueryResult> Exec(std::string_view sql, const std::vector<Value>& params) override {
    IDS_ASSIGN_OR_RETURN(ConnPool::Lease conn, pool_.Acquire());
    Result<QueryResult> r = conn->Exec(sql, params);
    if (!r.ok() && conn->Lost()) return Lost();
    return r;
  }

  Status ExecScript(std::string_view sql) override {
    IDS_ASSIGN_OR_RETURN(ConnPool::Lease conn, pool_.Acquire());
    Status s = conn->Script(sql);
    if (!s.ok() && conn->Lost()) return Lost();
    return s;
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<std::unique_ptr<Transaction>> Begin() override {
    IDS_ASSIGN_OR_RETURN(ConnPool::Lease conn, pool_.Acquire());
    Status s = conn->Script("BEGIN");
    if (!s.ok()) {
      if (conn->Lost()) pool_.DiscardIdle();
      return s;
    }
    return std::unique_ptr<Transaction>(std::make_unique<PgTransaction>(&pool_, std::move(conn)));
  }

  Status Ping() override {
    Status s = Exec("SELECT 1", {}).status();
    // A lost connection has dropped the idle ones with it; a second try opens a fresh one.
    return s.ok() ? s : Exec("SELECT 1", {}).status();
  }

  std::string Describe() const override { return description_; }

  Status Warm() { return pool_.Acquire().status(); }

 private:
  // A statement outside a transaction whose connection died may or may not have run: not
  // transient, unlike inside a transaction (which the server rolls back).
  Status Lost() {
    pool_.DiscardIdle();
    return Status::Unavailable("postgres: connection lost; the statement may or may not have run");
  }

  const std::string url_;
  const std::string description_;
  ConnPool pool_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, int pool_size) {
  auto db = std::make_unique<PostgresDatabase>(url, pool_size);
  IDS_RETURN_IF_ERROR(db->Warm());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace idscheme::store::internal
