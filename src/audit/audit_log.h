// The audit log: an append-only, hash-chained record of every decision the scheme makes
// (enrolment, approval, refusal, token issue, member change, key rotation).
//
// Each entry carries the hash of the previous one; an entry's hash covers its sequence number,
// time, actor, action, subject, details and that previous hash. An entry is written in the same
// transaction as the state change it records, so a change without its entry (or the reverse)
// cannot be committed. Entries are serialised through a one-row head table, so the chain stays
// linear across several server processes on one PostgreSQL. Anyone who can read the table can
// check the whole chain with Verify().
//
// Thread-safety: stateless apart from the store; safe from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/database.h"
#include "store/migrations.h"

namespace idscheme::audit {

struct Event {
  std::string actor;    // who: "operator", "member:<id>", "client:<id>", "device:<id>", "system"
  std::string action;   // what: "key.rotate", "approval.approve", "member.suspend", ...
  std::string subject;  // on what: a key id, an action id, a member id...
  nlohmann::json details = nlohmann::json::object();  // never secrets or personal data
};

struct Entry {
  int64_t seq = 0;
  int64_t time_ms = 0;
  Event event;
  std::string prev_hash;  // hex SHA-256
  std::string hash;       // hex SHA-256
};

// Appends `event` inside `tx`, the transaction that makes the change it records.
// Returns the new entry's sequence number.
Result<int64_t> Append(store::Transaction& tx, const Event& event, int64_t time_ms);

// Appends in a transaction of its own (for decisions that change nothing else, e.g. a refusal).
Result<int64_t> AppendNow(store::Database& db, const Event& event, int64_t time_ms);

struct VerifyReport {
  bool ok = true;
  int64_t entries = 0;               // entries checked
  std::optional<int64_t> first_bad;  // the first entry that fails
  std::string reason;                // why it fails
};

// Recomputes the whole chain from the first entry and compares it with the head.
Result<VerifyReport> Verify(store::Database& db);

// Entries with seq > after, oldest first, at most `limit`.
Result<std::vector<Entry>> List(store::Executor& db, int64_t after, int limit);

// The hash of an entry given its fields (exposed for tests and external verifiers).
std::string EntryHash(const std::string& prev_hash, int64_t seq, int64_t time_ms,
                      const Event& event);

// The schema of the audit log (its migrations, to be run with the store's).
std::vector<store::Migration> Migrations();

}  // namespace idscheme::audit
