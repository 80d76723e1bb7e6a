#include "store/database.h"

#include <cassert>
#include <chrono>
#include <functional>
#include <thread>

#include "store/internal/backends.h"

namespace idscheme::store {
namespace {

// Appended to a transient error's message; a suffix survives Status::WithContext().
constexpr std::string_view kTransientMark = " [transient]";
constexpr int kMaxAttempts = 5;

const std::string kEmptyText;
const std::vector<uint8_t> kEmptyBytes;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

int64_t Row::Int(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* p = std::get_if<int64_t>(&v)) return *p;
  assert(IsNull(i) && "Row::Int on a column that is not an integer");
  return 0;
}

double Row::Real(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* p = std::get_if<double>(&v)) return *p;
  if (const auto* p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  assert(IsNull(i) && "Row::Real on a column that is not a number");
  return 0;
}

const std::string& Row::Text(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* p = std::get_if<std::string>(&v)) return *p;
  assert(IsNull(i) && "Row::Text on a column that is not text");
  return kEmptyText;
}

const std::vector<uint8_t>& Row::Bytes(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* p = std::get_if<Blob>(&v)) return p->bytes;
  assert(IsNull(i) && "Row::Bytes on a column that is not a blob");
  return kEmptyBytes;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& url, int pool_size,
                                                 SqliteLocking locking) {
  if (pool_size < 1) return Status::InvalidArgument("store: pool size must be at least 1");
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    return internal::OpenPostgres(url, pool_size);
  }
  std::string path = StartsWith(url, "sqlite:") ? url.substr(7) : url;
  if (path.empty() || path == ":memory:" || StartsWith(path, "file:")) {
    // Every pooled connection needs to see the same database: a file.
    return Status::InvalidArgument("store: SQLite needs a file path");
  }
  return internal::OpenSqlite(path, pool_size, locking);
}

Status TransientError(std::string message) {
  return Status::Unavailable(std::move(message) + std::string(kTransientMark));
}

bool IsTransient(const Status& status) {
  const std::string& m = status.message();
  return status.code() == Status::Code::kUnavailable && m.size() >= kTransientMark.size() &&
         m.compare(m.size() - kTransientMark.size(), kTransientMark.size(), kTransientMark) == 0;
}

Status InTransaction(Database& db, const std::function<Status(Transaction&)>& fn) {
  Status last;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (attempt > 0) {
      // Back off a little, differently per thread, so that conflicting writers stop meeting.
      size_t spread = std::hash<std::thread::id>{}(std::this_thread::get_id()) % 4;
      std::this_thread::sleep_for(std::chrono::milliseconds((1 << attempt) + spread));
    }
    Result<std::unique_ptr<Transaction>> tx = db.Begin();
    if (!tx.ok()) {
      last = tx.status();
      if (IsTransient(last)) continue;
      return last;
    }
    Status s = fn(**tx);
    if (s.ok()) {
      s = (*tx)->Commit();
    } else {
      (*tx)->Rollback();
    }
    if (s.ok() || !IsTransient(s)) return s;
    last = s;
  }
  return last.WithContext("store: gave up after " + std::to_string(kMaxAttempts) + " attempts");
}

}  // namespace idscheme::store
