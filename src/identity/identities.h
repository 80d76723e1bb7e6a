// Identity records: what identity registrars push about the people they verified (attributes
// and evidence, attributes.h), kept current with their history, revoked when the person dies or
// the record is wrong, and the one-time activation codes with which a person enrols the app
// (SCHEME.md, "Identity Registrar"). The schema of this part (migrations 500-599) is here too.
//
// Ownership: each identity belongs to the registrar member that created it. Every call takes an
// Actor: a registrar's calls see only its own identities, and another registrar's identity reads
// as NotFound (404, never 403: ids cannot be probed); the operator (CLI) sees all of them.
//
// Rules the store enforces, so they hold across every node sharing it:
//  - a phone number belongs to at most one active identity (a partial unique index): taken ->
//    AlreadyExists (409);
//  - an activation code is kept only as the SHA-256 of its normalised text; redeeming it is a
//    conditional update (state 'issued' -> 'used', not expired), so it works exactly once;
//    issuing one supersedes the identity's earlier unused codes;
//  - at most `activation_codes_per_hour` codes per identity in any hour: issuing takes the
//    identity's row lock, then counts the codes of the last hour, so concurrent issuers on
//    several nodes queue and cannot both pass the limit (429 when reached).
// Revocation sets status 'revoked' and revoked_at, kills the identity's unused codes, and frees
// its phone number; later parts (devices, tokens) check StatusOf(). Every change writes its
// audit entry (audit::Append) in the same transaction; audit details never carry attribute
// values, only their names.
//
// Thread-safety: Identities is stateless apart from the store and safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/page.h"
#include "common/random.h"
#include "common/status.h"
#include "identity/attributes.h"
#include "store/database.h"
#include "store/epoch_cache.h"
#include "store/migrations.h"

namespace idscheme::identity {

enum class IdentityStatus { kActive, kRevoked };
std::string_view IdentityStatusName(IdentityStatus status);  // "active", "revoked"
std::optional<IdentityStatus> ParseIdentityStatus(std::string_view name);

// Who acts on identities, for ownership and the audit log.
struct Actor {
  std::string registrar_id;  // the registrar acting; empty only for the operator
  std::string name;          // the audit actor: "client:<id>", "operator"

  static Actor Registrar(std::string member_id, std::string client_id) {
    return {std::move(member_id), "client:" + client_id};
  }
  static Actor Operator() { return {"", "operator"}; }
  bool is_operator() const { return registrar_id.empty(); }
};

struct Identity {
  std::string id;  // "idn_" + 32 hex digits, generated
  std::string registrar_id;
  IdentityStatus status = IdentityStatus::kActive;
  Attributes attributes;
  Evidence evidence;
  // Per attribute: when it was last verified (seconds since the epoch).
  std::map<std::string, int64_t> verified_at;
  int64_t version = 1;  // bumped by every change; History() keeps each version
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 while active
  std::string revocation_reason;

  // {"id", "registrar_id", "status", "version", "created_at", "updated_at", "attributes",
  //  "evidence", "verified_at": {name: RFC 3339 time}, "revoked_at"?, "revocation_reason"?}
  nlohmann::json ToJson() const;
};

// One version of an identity record, as History() lists them.
struct IdentityVersion {
  int64_t version = 0;
  std::string change;  // "create", "update", "revoke"
  Attributes attributes;
  Evidence evidence;
  std::map<std::string, int64_t> verified_at;
  int64_t changed_at_ms = 0;
  std::string actor;
  nlohmann::json ToJson() const;
};

struct IdentityFilter {
  std::optional<IdentityStatus> status;
  std::string phone_number;  // empty: any
  std::string after;         // page after this id
  int limit = 100;           // 1..1000
};

struct ActivationCode {
  std::string code;  // shown once; the store keeps only its hash
  std::string identity_id;
  int64_t expires_at_ms = 0;
  nlohmann::json ToJson() const;  // {"activation_code", "identity_id", "expires_at"}
};

struct IdentityOptions {
  int64_t activation_code_ttl_seconds = 15 * 60;
  int activation_codes_per_hour = 5;
};

class Identities {
 public:
  Identities(store::Database& db, const Clock& clock, Random& random, IdentityOptions options = {})
      : db_(db),
        clock_(clock),
        random_(random),
        options_(options),
        kept_(std::make_shared<store::EpochCache<Identity>>(kKeptMs, kKeptRecords)) {}

  // Get and StatusOf keep what they read (store/epoch_cache.h): on the embedded store, until
  // an identity changes anywhere on it (every writer here bumps the store's ChangeEpoch) or for
  // kKeptMs at most; on PostgreSQL they read each time. A login reads its person up to four
  // times within seconds (the device proofs, the code exchange, userinfo).
  static constexpr int64_t kKeptMs = 2000;
  static constexpr size_t kKeptRecords = 10000;

  // Validates and stores a new, active identity of `registrar_id` (an active identity registrar
  // member; a registrar can only create its own).
  Result<Identity> Create(const Actor& actor, std::string_view registrar_id,
                          const NewIdentity& request);
  Result<Identity> Get(const Actor& actor, std::string_view id);
  // The actor's identities (the operator's: all), ordered by id.
  Result<std::vector<Identity>> List(const Actor& actor, const IdentityFilter& filter);
  // The same, saying whether another page follows.
  Result<Page<Identity>> ListPage(const Actor& actor, const IdentityFilter& filter);
  // Applies an update to an active identity; each changed attribute is dated by the new
  // evidence's time, or now.
  Result<Identity> Update(const Actor& actor, std::string_view id, const IdentityUpdate& update);
  // Every version, oldest first.
  Result<std::vector<IdentityVersion>> History(const Actor& actor, std::string_view id);
  Result<Identity> Revoke(const Actor& actor, std::string_view id, std::string_view reason);
  // Runs in the transaction that revokes an identity (its id, the time in ms): what must end
  // with it, such as the person's pending approvals. An error rolls the revocation back. Add
  // hooks before serving; they run on whichever thread revokes.
  using RevokeHook =
      std::function<Status(store::Transaction& tx, std::string_view identity_id, int64_t at_ms)>;
  void AddRevokeHook(RevokeHook hook) { revoke_hooks_.push_back(std::move(hook)); }

  // The identity's status, for any caller (devices and tokens check it). NotFound when unknown.
  Result<IdentityStatus> StatusOf(std::string_view id);

  // A fresh one-time code for an active identity, valid activation_code_ttl_seconds.
  Result<ActivationCode> IssueActivationCode(const Actor& actor, std::string_view id);
  // After IssueActivationCode refused for the hourly limit: the seconds until the identity may
  // have another code (when the oldest code counted leaves the hour), at least 1.
  Result<int64_t> SecondsUntilNextActivationCode(std::string_view id);
  // Accepts a code once (case and '-' insensitive) and returns its identity's id. Unknown, used,
  // superseded and expired codes, and codes of revoked identities, all give the same
  // invalid_grant error. `actor` names the redeemer in the audit log.
  Result<std::string> RedeemActivationCode(std::string_view code,
                                           std::string_view actor = "system");

  // Deletes activation codes used, superseded or expired more than a day ago (the hourly limit
  // counts the last hour only); returns how many. The node's housekeeping calls it.
  Result<int64_t> PurgeActivationCodes();
  // The same inside the caller's transaction `tx` (device enrolment spends the code in the
  // transaction that stores the device); the code is spent only if `tx` commits.
  Result<std::string> RedeemActivationCode(store::Transaction& tx, std::string_view code,
                                           std::string_view actor);

 private:
  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  IdentityOptions options_;
  std::shared_ptr<store::EpochCache<Identity>> kept_;
  std::vector<RevokeHook> revoke_hooks_;

  // The identity as stored, whoever asks (Get checks the actor).
  Result<Identity> Load(std::string_view id);
};

// The normalised form of an activation code (upper case, no '-' or spaces), or nullopt when it
// cannot be one (20 characters of the code alphabet).
std::optional<std::string> NormalizeActivationCode(std::string_view code);

// The identity part's schema (identities, their history, activation codes, SIM bindings),
// versions 500-599; run after the registry's (it refers to registry_members).
std::vector<store::Migration> Migrations();

}  // namespace idscheme::identity
