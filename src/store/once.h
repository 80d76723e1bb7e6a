// "Accepted once": values that the scheme must accept a single time in its life (an
// authorization code, a request object's or a client assertion's `jti`, an approval), decided
// by the store so the rule holds across every server process sharing it.
//
// A value is kept as the SHA-256 of its bytes, under a `kind` that names its namespace
// ("jti", "code", ...), in the `used_values` table of the store's migrations 1-2, until
// `expires_at`. Pass the time after which the value is refused anyway (its own expiry, plus any
// clock-skew leeway): PurgeExpired() may forget it after that, never before.
//
// Both functions take any Executor, so a check can join the transaction whose change it guards.
//
// Thread-safety: stateless; safe from any thread and any number of processes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace idscheme::store {

// True the first time (kind, value) is offered, false on every later call.
Result<bool> AcceptOnce(Executor& db, std::string_view kind, std::string_view value,
                        int64_t expires_at);

// Forgets the values whose expires_at is before `now`.
Status PurgeExpired(Executor& db, int64_t now);

// A value that a request must accept once before it has any effect, accepted later than it is
// checked: inside the request's own write transaction when it has one (AcceptIn, then
// Committed() once that transaction committed: one commit fewer per request), or on its own
// (Settle) on every other path. Not thread-safe: one per request.
class DeferredOnce {
 public:
  DeferredOnce() = default;  // nothing to accept
  DeferredOnce(Database& db, std::string kind, std::string value, int64_t expires_at);

  // True while the value still has to be accepted.
  bool pending() const { return db_ != nullptr && !accepted_; }
  // AcceptOnce through the caller's transaction: true the first time (roll `tx` back on false).
  // True without a write when nothing is pending.
  Result<bool> AcceptIn(Executor& tx) const;
  void Committed() { accepted_ = true; }
  // AcceptOnce on its own, unless accepted already: true when this request holds the value.
  Result<bool> Settle();

 private:
  Database* db_ = nullptr;
  std::string kind_;
  std::string value_;
  int64_t expires_at_ = 0;
  bool accepted_ = false;
};

}  // namespace idscheme::store
