#include "store/once.h"

#include <string>
#include <utility>

#include "crypto/hash.h"

namespace idscheme::store {

Result<bool> AcceptOnce(Executor& db, std::string_view kind, std::string_view value,
                        int64_t expires_at) {
  if (kind.empty()) return Status::InvalidArgument("store: accepted-once values need a kind");
  // Hashed: the table then holds nothing a thief could replay.
  const crypto::Sha256Digest digest = crypto::Sha256(value);
  IDS_ASSIGN_OR_RETURN(
      QueryResult r,
      db.Exec("INSERT INTO used_values (kind, value_hash, expires_at) VALUES (?, ?, ?)"
              " ON CONFLICT DO NOTHING",
              {Text(std::string(kind)), Bytes({digest.begin(), digest.end()}), Int(expires_at)}));
  return r.affected == 1;
}

Status PurgeExpired(Executor& db, int64_t now) {
  return db.Exec("DELETE FROM used_values WHERE expires_at < ?", {Int(now)}).status();
}

DeferredOnce::DeferredOnce(Database& db, std::string kind, std::string value, int64_t expires_at)
    : db_(&db), kind_(std::move(kind)), value_(std::move(value)), expires_at_(expires_at) {}

Result<bool> DeferredOnce::AcceptIn(Executor& tx) const {
  if (!pending()) return true;
  return AcceptOnce(tx, kind_, value_, expires_at_);
}

Result<bool> DeferredOnce::Settle() {
  if (!pending()) return true;
  IDS_ASSIGN_OR_RETURN(bool first, AcceptIn(*db_));
  if (first) accepted_ = true;
  return first;
}

}  // namespace idscheme::store
