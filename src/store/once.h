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
#include <string_view>

#include "common/status.h"
#include "store/database.h"

namespace idscheme::store {

// True the first time (kind, value) is offered, false on every later call.
Result<bool> AcceptOnce(Executor& db, std::string_view kind, std::string_view value,
                        int64_t expires_at);

// Forgets the values whose expires_at is before `now`.
Status PurgeExpired(Executor& db, int64_t now);

}  // namespace idscheme::store
