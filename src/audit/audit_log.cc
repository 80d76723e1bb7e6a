#include "audit/audit_log.h"

#include "common/hex.h"
#include "crypto/hash.h"

namespace idscheme::audit {
namespace {

const std::string kGenesis(64, '0');

std::string DetailsText(const nlohmann::json& details) {
  // nlohmann's objects keep keys sorted, so the text is canonical for what we store.
  return details.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

std::string HashOf(const std::string& prev, int64_t seq, int64_t time_ms, const std::string& actor,
                   const std::string& action, const std::string& subject,
                   const std::string& details_text) {
  nlohmann::json fields = {prev, seq, time_ms, actor, action, subject, details_text};
  auto digest = crypto::Sha256(fields.dump());
  return HexEncode(digest);
}

Entry RowToEntry(const store::Row& r) {
  Entry e;
  e.seq = r.Int(0);
  e.time_ms = r.Int(1);
  e.event.actor = r.Text(2);
  e.event.action = r.Text(3);
  e.event.subject = r.Text(4);
  e.event.details = nlohmann::json::parse(r.Text(5), nullptr, /*allow_exceptions=*/false);
  e.prev_hash = r.Text(6);
  e.hash = r.Text(7);
  return e;
}

}  // namespace

std::string EntryHash(const std::string& prev_hash, int64_t seq, int64_t time_ms,
                      const Event& event) {
  return HashOf(prev_hash, seq, time_ms, event.actor, event.action, event.subject,
                DetailsText(event.details));
}

Result<int64_t> Append(store::Transaction& tx, const Event& event, int64_t time_ms) {
  // The head row is the chain's lock: in PostgreSQL FOR UPDATE makes concurrent appenders wait
  // and then read the new head; SQLite's BEGIN IMMEDIATE already serialises writers.
  const char* head_sql = tx.dialect() == store::Dialect::kPostgres
                             ? "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
                             : "SELECT seq, hash FROM audit_head WHERE id = 1";
  IDS_ASSIGN_OR_RETURN(auto head, tx.Exec(head_sql));
  if (head.rows.size() != 1) return Status::Internal("audit_head row missing");
  const int64_t seq = head.rows[0].Int(0) + 1;
  const std::string prev = head.rows[0].Text(1);
  const std::string details = DetailsText(event.details);
  const std::string hash =
      HashOf(prev, seq, time_ms, event.actor, event.action, event.subject, details);
  IDS_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO audit_log (seq, time_ms, actor, action, subject, details, prev_hash, "
              "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              {store::Int(seq), store::Int(time_ms), store::Text(event.actor),
               store::Text(event.action), store::Text(event.subject), store::Text(details),
               store::Text(prev), store::Text(hash)})
          .status());
  IDS_ASSIGN_OR_RETURN(auto upd, tx.Exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
                                         {store::Int(seq), store::Text(hash)}));
  if (upd.affected != 1) return Status::Internal("audit_head update failed");
  return seq;
}

Result<int64_t> AppendNow(store::Database& db, const Event& event, int64_t time_ms) {
  int64_t seq = 0;
  IDS_RETURN_IF_ERROR(store::InTransaction(db, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(seq, Append(tx, event, time_ms));
    return Status::Ok();
  }));
  return seq;
}

Result<std::vector<Entry>> List(store::Executor& db, int64_t after, int limit) {
  IDS_ASSIGN_OR_RETURN(
      auto rows, db.Exec("SELECT seq, time_ms, actor, action, subject, details, prev_hash, hash "
                         "FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                         {store::Int(after), store::Int(limit)}));
  std::vector<Entry> out;
  out.reserve(rows.rows.size());
  for (const auto& r : rows.rows) out.push_back(RowToEntry(r));
  return out;
}

Result<VerifyReport> Verify(store::Database& db) {
  VerifyReport report;
  auto fail = [&](int64_t seq, std::string why) {
    report.ok = false;
    report.first_bad = seq;
    report.reason = std::move(why);
    return report;
  };
  std::string prev = kGenesis;
  int64_t expected_seq = 1;
  constexpr int kPage = 1000;
  for (;;) {
    IDS_ASSIGN_OR_RETURN(
        auto rows, db.Exec("SELECT seq, time_ms, actor, action, subject, details, prev_hash, hash "
                           "FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?",
                           {store::Int(expected_seq), store::Int(kPage)}));
    for (const auto& r : rows.rows) {
      const int64_t seq = r.Int(0);
      if (seq != expected_seq)
        return fail(expected_seq, "entry " + std::to_string(expected_seq) + " is missing");
      if (r.Text(6) != prev)
        return fail(seq, "entry " + std::to_string(seq) +
                             ": previous-hash does not match the entry before it");
      std::string want = HashOf(prev, seq, r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5));
      if (r.Text(7) != want)
        return fail(seq,
                    "entry " + std::to_string(seq) + ": content does not match its hash (altered)");
      prev = want;
      ++expected_seq;
      ++report.entries;
    }
    if (rows.rows.size() < static_cast<size_t>(kPage)) break;
  }
  IDS_ASSIGN_OR_RETURN(auto head, db.Exec("SELECT seq, hash FROM audit_head WHERE id = 1"));
  if (head.rows.size() != 1) return fail(0, "audit head is missing");
  if (head.rows[0].Int(0) != report.entries || head.rows[0].Text(1) != prev) {
    return fail(report.entries + 1, "the chain ends at entry " + std::to_string(report.entries) +
                                        " but the head says " +
                                        std::to_string(head.rows[0].Int(0)) +
                                        " (entries removed from the end?)");
  }
  return report;
}

std::vector<store::Migration> Migrations() {
  // Versions 100-199 belong to the audit log. The tables are the same on both engines; the
  // append-only triggers differ.
  const std::string tables =
      "CREATE TABLE audit_log ("
      " seq BIGINT PRIMARY KEY, time_ms BIGINT NOT NULL, actor TEXT NOT NULL,"
      " action TEXT NOT NULL, subject TEXT NOT NULL, details TEXT NOT NULL,"
      " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
      "CREATE INDEX audit_log_action ON audit_log (action, time_ms);"
      "CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);"
      "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" +
      kGenesis + "');";
  return {
      {100, "audit log",
       tables +
           // Append-only: the server never updates or deletes an entry.
           "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
           " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
           "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
           " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
       tables + "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$"
                " BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql;"
                "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log"
                " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();"},
  };
}

}  // namespace idscheme::audit
