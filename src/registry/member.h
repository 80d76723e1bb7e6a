// Members of the scheme: the organisations the Scheme Manager admits (SCHEME.md, "Roles").
//
// A member has a role, a verified display name (what the phone app shows people: it is set here
// by the Scheme Manager after checking it, never taken from a client's request), a legal
// identifier, contacts, and a status:
//
//   active --suspend--> suspended --reinstate--> active
//   active | suspended --terminate--> terminated          (final: nothing leads out of it)
//
// Every status change bumps the member's `revocation_epoch` and sets `status_changed_at_ms`, so
// whoever issued something for the member before the change can refuse it afterwards: a token
// that records the epoch it was issued under is valid only while that epoch is current (tokens
// issued before a suspension stay dead after a reinstatement). Pending requests are the approval
// engine's: it must check the member's standing (Members::StandingOf, or the policy) when a
// request is approved, so a request of a suspended member fails then, whichever process made the
// change; a StatusHooks entry may also cancel them in the transaction of the change itself.
//
// A service provider brought in by a value added reseller records the reseller's member id; its
// effective agreement is the intersection of both (agreement.h) and it stops working when the
// reseller is not active.
//
// Every change is written with its audit entry (audit::Append) in one transaction, naming the
// actor ("operator" for the CLI, "client:<id>" for the admin API).
//
// Thread-safety: Members is stateless apart from the store and safe from any thread; StatusHooks
// must be filled before the first change.
#pragma once

#include <cstdint>
#include <functional>
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
#include "store/database.h"
#include "store/epoch_cache.h"

namespace idscheme::registry {

enum class Role {
  kSchemeManager,
  kIdentityRegistrar,
  kSimController,
  kServiceProvider,
  kValueAddedReseller,
};
// "scheme_manager", "identity_registrar", "sim_controller", "service_provider",
// "value_added_reseller".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

enum class MemberStatus { kActive, kSuspended, kTerminated };
std::string_view MemberStatusName(MemberStatus status);  // "active", "suspended", "terminated"
std::optional<MemberStatus> ParseMemberStatus(std::string_view name);

struct Contacts {
  std::string email;  // may be empty when phone is set
  std::string phone;  // E.164 ("+3225551234"), may be empty when email is set
  bool operator==(const Contacts&) const = default;
};

struct Member {
  std::string id;  // "m_" + 16 hex digits, generated
  Role role = Role::kServiceProvider;
  std::string display_name;  // verified; shown in the phone app
  std::string legal_id;      // "LEI:<20 characters>" or a company number, e.g. "BE0123456789"
  Contacts contacts;
  MemberStatus status = MemberStatus::kActive;
  std::string reseller_id;       // the value added reseller that brought it in, or empty
  int64_t revocation_epoch = 0;  // bumped by every status change
  int64_t status_changed_at_ms = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  // {"id", "role", "display_name", "legal_id", "contacts": {"email", "phone"}, "status",
  //  "reseller_id" (when set), "revocation_epoch", "status_changed_at", "created_at",
  //  "updated_at"} (times in ms since the epoch).
  nlohmann::json ToJson() const;
};

// What a new member needs; Members::Create validates it.
struct NewMember {
  Role role = Role::kServiceProvider;
  std::string display_name;
  std::string legal_id;
  Contacts contacts;
  std::string reseller_id;
};
// The admin API body: {"role", "display_name", "legal_id", "contacts": {...}, "reseller_id"?}.
// Checks shape and types; values are checked by Create.
Result<NewMember> ParseNewMember(const nlohmann::json& body);

// A change of name or contacts (absent members stay as they are).
struct MemberUpdate {
  std::optional<std::string> display_name;
  std::optional<Contacts> contacts;
};
Result<MemberUpdate> ParseMemberUpdate(const nlohmann::json& body);

// The checks Create and Update apply, one per field; errors name the field.
Status ValidateDisplayName(std::string_view name);
Status ValidateLegalId(std::string_view legal_id);  // "LEI:" ids must pass ISO 17442's check
Status ValidateContacts(const Contacts& contacts);

// What token and request checks need about a member, read in one indexed query.
struct MemberStanding {
  Role role = Role::kServiceProvider;
  MemberStatus status = MemberStatus::kActive;
  int64_t revocation_epoch = 0;
  int64_t status_changed_at_ms = 0;
  std::string reseller_id;
  std::optional<MemberStatus> reseller_status;  // set when reseller_id is
  // Active, and so is its reseller if it has one.
  bool Active() const {
    return status == MemberStatus::kActive &&
           (!reseller_status || *reseller_status == MemberStatus::kActive);
  }
};

// A status change of a member (client_id empty) or of a client, as hooks see it.
struct StatusChange {
  std::string member_id;
  std::string client_id;
  std::string from;  // status names
  std::string to;
  int64_t revocation_epoch = 0;  // the new epoch
  int64_t at_ms = 0;
  std::string actor;
};

// Code that must act in the same transaction as a status change (e.g. the approval engine failing
// the member's pending requests). A hook's error aborts the change. Hooks run only in the process
// that makes the change: the authoritative check stays the one done at approval time.
using StatusHook = std::function<Status(store::Transaction&, const StatusChange&)>;
struct StatusHooks {
  std::vector<StatusHook> hooks;
  Status Run(store::Transaction& tx, const StatusChange& change) const;
};

struct MemberFilter {
  std::optional<Role> role;
  std::optional<MemberStatus> status;
  std::string reseller_id;  // empty: any
  std::string after;        // page after this id (ids sort as text)
  int limit = 100;          // 1..1000
};

class Members {
 public:
  Members(store::Database& db, const Clock& clock, Random& random, const StatusHooks& hooks)
      : db_(db),
        clock_(clock),
        random_(random),
        hooks_(hooks),
        kept_(std::make_shared<store::EpochCache<Member>>(kKeptMs, kKeptMembers)) {}

  // Validates and stores a new, active member. A reseller_id must name an active value added
  // reseller, and only a service provider can have one.
  Result<Member> Create(const NewMember& request, std::string_view actor);
  // Kept between registry writes, as Agreements::Effective keeps terms (store/epoch_cache.h):
  // every login page shows the member's name. Decisions read StandingOf, which is never kept.
  Result<Member> Get(std::string_view id);
  // Ordered by id; at most filter.limit.
  Result<std::vector<Member>> List(const MemberFilter& filter);
  // The same, saying whether another page follows.
  Result<Page<Member>> ListPage(const MemberFilter& filter);
  // Changes the display name and/or contacts; not for a terminated member.
  Result<Member> Update(std::string_view id, const MemberUpdate& update, std::string_view actor);

  Result<Member> Suspend(std::string_view id, std::string_view actor, std::string_view reason = {});
  Result<Member> Reinstate(std::string_view id, std::string_view actor,
                           std::string_view reason = {});
  Result<Member> Terminate(std::string_view id, std::string_view actor,
                           std::string_view reason = {});

  // The member's status, epoch and reseller's status: one indexed query, no cache, so a
  // suspension is seen by the next call on every node. NotFound for an unknown id.
  Result<MemberStanding> StandingOf(std::string_view id);

  static constexpr int64_t kKeptMs = 2000;
  static constexpr size_t kKeptMembers = 10000;

 private:
  Result<Member> Transition(std::string_view id, MemberStatus to, std::string_view action,
                            std::string_view actor, std::string_view reason);

  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  const StatusHooks& hooks_;
  std::shared_ptr<store::EpochCache<Member>> kept_;
};

// Reads a member inside a transaction (for the other parts of the registry).
Result<Member> GetMember(store::Executor& db, std::string_view id);

// A fresh identifier: prefix + `hex_bytes` random bytes in hex.
std::string NewId(Random& random, std::string_view prefix, size_t hex_bytes);

}  // namespace idscheme::registry
