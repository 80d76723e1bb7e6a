// Login sessions: one browser's way through the login pages, from a validated authorization
// request to the code sent back to the service provider (SCHEME.md, "How a request flows").
//
// A session is created when /authorize accepts a request and lives in the store, so the phone
// page, the waiting page and the final redirect may each be served by a different node. It is
// bound to the browser that started it: the browser holds a random secret in a cookie scoped to
// the session's path, and the store keeps only its SHA-256; a request without it is refused,
// so a relayed waiting-page link is of no use to anyone else.
//
// The states move one way, each step a conditional UPDATE whose row count decides:
//
//   phone --(phone number or QR chosen)--> waiting --(code issued or error returned)--> done
//
// While waiting, the session points at its pending action (approval/actions.h), or, when the
// number typed is not enrolled, at a decoy: a verification code and expiry with no action
// behind them, so the page looks exactly the same and never reveals whether a number is known.
//
// Schema: migration 800 (login_sessions, login_rate).
//
// Thread-safety: stateless apart from the store; safe from any thread and any number of nodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "oidc/authorization_request.h"
#include "store/database.h"
#include "store/migrations.h"

namespace idscheme::login {

std::vector<store::Migration> Migrations();

enum class SessionState { kPhone, kWaiting, kDone };
std::string_view SessionStateName(SessionState state);

struct LoginSession {
  std::string id;  // "lgn_" + 256 random bits
  oidc::ValidatedAuthorizationRequest request;
  std::string locale;  // "en", "nl", "fr", "de"
  SessionState state = SessionState::kPhone;
  std::string action_id;         // waiting: the pending action, empty for a decoy
  bool qr = false;               // waiting: the action waits to be claimed by a QR scan
  std::string decoy_code;        // waiting on a decoy: the code shown
  int64_t decoy_expires_at = 0;  // seconds
  int64_t created_at = 0;        // seconds
  int64_t expires_at = 0;        // seconds; the whole session
};

// A new session and the browser secret to put in its cookie (shown once).
struct NewSession {
  LoginSession session;
  std::string browser_secret;
};

// The request as stored (every field of ValidatedAuthorizationRequest), and back.
nlohmann::json RequestToJson(const oidc::ValidatedAuthorizationRequest& request);
Result<oidc::ValidatedAuthorizationRequest> RequestFromJson(const nlohmann::json& json);

class LoginSessions {
 public:
  LoginSessions(store::Database& db, const Clock& clock, Random& random)
      : db_(db), clock_(clock), random_(random) {}

  Result<NewSession> Create(const oidc::ValidatedAuthorizationRequest& request,
                            std::string_view locale, int64_t lifetime_seconds);
  // The session when `browser_secret` is its own and it has not expired; NotFound otherwise
  // (unknown, another browser's, or expired: the same answer).
  Result<LoginSession> Get(std::string_view id, std::string_view browser_secret);

  // phone -> waiting, on a real action. FailedPrecondition when no longer in `phone`.
  Status StartWaiting(std::string_view id, std::string_view action_id, bool qr);
  // phone -> waiting, on a decoy.
  Status StartDecoy(std::string_view id, std::string_view code, int64_t expires_at);
  // waiting (or phone) -> done, once: FailedPrecondition for the second caller.
  Status Finish(std::string_view id);

  // Deletes sessions expired more than an hour ago, and old rate counters.
  Result<int64_t> PurgeExpired();

 private:
  Status Move(std::string_view sql_set, std::string_view id, SessionState from,
              std::vector<store::Value> params);

  store::Database& db_;
  const Clock& clock_;
  Random& random_;
};

// What a rate limiter says of one hit: within its limits, or else how long until the window
// that refused it ends (the 429's Retry-After, RFC 9110 §10.2.3).
struct RateVerdict {
  bool within = true;
  int64_t retry_after_seconds = 0;  // when !within: at least 1
};

// Fixed-window counters in the store (shared by every node): Hit() adds one to `key`'s counter
// for the current window of `window_seconds` and says whether it is still within `limit`.
class RateLimiter {
 public:
  RateLimiter(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  Result<RateVerdict> Hit(std::string_view key, int64_t window_seconds, int limit);

  struct Limit {
    std::string key;
    int64_t window_seconds = 60;
    int limit = 0;
  };
  // Counts a hit on each limit in one write transaction; within when every count is within its
  // limit (every counter is incremented all the same, as separate Hit calls would). When not,
  // the wait is the longest of the refusing windows' (waiting less would be refused again).
  Result<RateVerdict> HitAll(const std::vector<Limit>& limits);

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace idscheme::login
