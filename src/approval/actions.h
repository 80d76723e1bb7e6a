// Pending actions: what a service provider asks a person to approve on the phone (log in, share
// data, confirm a payment, sign a document), and the one-time decision on it (SCHEME.md, "How a
// request flows", steps 3-5).
//
// An action is created pending, carrying what the app shows: the requesting member's verified
// display name (the caller passes it from the member registry, never from the request), a type,
// a `display` object (claims to share, amount and payee, document names and hashes...), a short
// verification code that the browser page shows too, and, with number matching, three choices
// that include that code. It then moves exactly once:
//
//   pending --Approve--> approved      pending --Deny--> denied
//   pending --Cancel---> cancelled     pending --(expires_at passes)--> expired
//
// Every transition is a conditional UPDATE (`WHERE state = 'pending' AND expires_at > now`) whose
// row count decides, so of two racing decisions, also on two server processes, exactly one wins.
// Expiry is computed on read and written lazily (Get, ExpireDue).
//
// The approval digest (what the app signs). With JCS the RFC 8785 canonical form (jcs.h):
//
//   ActionDigest = SHA-256( JCS( {
//       "purpose":           "idscheme-approval-v1",
//       "id":                action id,
//       "type":              "login" | "share_data" | "confirmation" | "signature",
//       "member":            the member's verified display name,
//       "display":           the display object,
//       "verification_code": the code the person matched with the page,
//       "nonce":             the server nonce (base64url, 32 random bytes),
//       "level":             "basic" | "advanced",
//       "expires_at":        expiry, integer seconds since the Unix epoch } ) )
//
// The app signs the 32 digest bytes as the JWS signing input of ES256 (ECDSA P-256 over SHA-256
// of those bytes, RFC 7518 §3.4 R||S form, 64 bytes) with its device key, and for the advanced
// level also with the SIM-held key. With number matching the app is sent the choices but not
// which one is right: it puts the code the person picked into the digest, so a wrong pick cannot
// produce a valid signature. Approve() recomputes the digest from the stored row, so an action
// changed after it was shown cannot be approved.
//
// A person may have at most `max_pending_per_identity` actions pending at once; Create and Claim
// enforce it in the store, serialised per person through the approval_identity_gate row.
//
// Thread-safety: Actions is stateless apart from the store; safe from any thread. The
// SimBindingLookup must be safe from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "approval/devices.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "store/database.h"

namespace idscheme::approval {

enum class ActionType { kLogin, kShareData, kConfirmation, kSignature };
enum class AssuranceLevel { kBasic, kAdvanced };
enum class ActionState { kPending, kApproved, kDenied, kExpired, kCancelled };

std::string_view ActionTypeName(ActionType type);  // "login", "share_data", ...
std::optional<ActionType> ParseActionType(std::string_view name);
std::string_view AssuranceLevelName(AssuranceLevel level);  // "basic", "advanced"
std::optional<AssuranceLevel> ParseAssuranceLevel(std::string_view name);
std::string_view ActionStateName(ActionState state);  // "pending", "approved", ...
std::optional<ActionState> ParseActionState(std::string_view name);

inline constexpr std::string_view kDigestPurpose = "idscheme-approval-v1";

// The SIM controller's binding for a person's phone number. Implemented by the identity part.
class SimBindingLookup {
 public:
  virtual ~SimBindingLookup() = default;
  struct Binding {
    std::string binding_id;
    crypto::KeyPtr public_key;  // the SIM-held key (EC P-256)
    // When the binding's last event happened (ms): its creation, which after a SIM swap is the
    // re-binding. Approve refuses an advanced action created before it.
    int64_t since_ms = 0;
  };
  // The identity's binding as it stands now, read through `db` (the approval's transaction).
  // FailedPrecondition when there is none or it is suspended (a SIM swap, a terminated line).
  virtual Result<Binding> ActiveBinding(store::Executor& db, std::string_view identity_id) = 0;
};

// decided_by of an advanced action cancelled because the person's enrolment cannot reach the
// level: no active SIM binding for their number (none, or ended by a SIM swap), or one made
// after the request. Found when the person, PIN given, tries to approve.
inline constexpr std::string_view kDecidedByLevelUnreachable = "system:level_unreachable";

struct ActionOptions {
  int64_t default_ttl_seconds = 180;  // SCHEME/issue 4: default three minutes
  int64_t max_ttl_seconds = 600;
  int max_pending_per_identity = 5;
  int code_digits = 2;                   // verification code length (decimal digits)
  bool number_matching = true;           // three choices, one right
  size_t max_display_bytes = 16 * 1024;  // of the canonical display text
};

struct NewAction {
  ActionType type = ActionType::kLogin;
  std::string member_id;
  std::string member_display_name;  // verified, from the registry
  std::string client_id;
  std::optional<std::string> identity_id;  // unset when the app will claim it (QR code)
  AssuranceLevel level = AssuranceLevel::kBasic;
  nlohmann::json display = nlohmann::json::object();
  int64_t ttl_seconds = 0;  // 0: the default
};

struct Action {
  std::string id;  // "act_" + random
  ActionType type = ActionType::kLogin;
  std::string member_id;
  std::string member_display_name;
  std::string client_id;
  std::optional<std::string> identity_id;
  AssuranceLevel level = AssuranceLevel::kBasic;
  nlohmann::json display;
  std::string verification_code;
  std::vector<std::string> code_choices;  // empty without number matching
  std::string nonce;
  int64_t created_at_ms = 0;
  int64_t expires_at = 0;  // seconds
  ActionState state = ActionState::kPending;
  std::optional<int64_t> decided_at_ms;
  std::string decided_by;  // "device:<id>", the canceller, or "system" (expiry)
};

// The JSON object the digest covers (see the top of this file), and its digest.
Result<nlohmann::json> DigestInput(const Action& action);
Result<crypto::Sha256Digest> ActionDigest(const Action& action);

// An action as the store holds it, with the stored display text the digest covers.
struct LoadedAction {
  Action action;
  std::string display_text;
};

struct Approval {
  std::string action_id;
  std::string device_id;
  std::string verification_code;  // the code the person picked
  std::string device_signature;   // base64url, ES256 over ActionDigest
  std::string sim_signature;      // base64url, ES256 over ActionDigest; advanced level only
  // The right PIN the caller checked with Devices::CheckPin (its `match` must be true): the
  // decision's transaction records it (RecordPin), so the count is reset in the same write, and
  // the approval is refused if the device locked since. On an error before that transaction,
  // nothing is recorded: the caller records it (Devices::SettlePin). Null: no PIN step.
  const PinCheck* pin = nullptr;
  // A value the request must accept once (the device proof's jti), accepted in the decision's
  // transaction (also the one of a wrong verification code); Committed() when it committed.
  // Null or not pending: nothing to accept.
  store::DeferredOnce* once = nullptr;
  // The device as the caller authenticated it in this request (device_id's, with its key), so
  // that Approve need not read it again; null: Approve reads it. Either way the decision's
  // transaction checks again that the device is still active and the action's person's.
  const Device* device = nullptr;
  // The action as the caller read it in this request (Actions::Load of action_id), so that
  // Approve need not read it again; null: Approve reads it. Either way the decision is recorded
  // only if the row is still exactly what was verified.
  const LoadedAction* loaded = nullptr;
};

class Actions {
 public:
  // `sim` may be null: then advanced actions cannot be approved.
  Actions(store::Database& db, const Clock& clock, Random& random, SimBindingLookup* sim,
          ActionOptions options = {});

  Result<Action> Create(const NewAction& request);
  // The action with its state as of now (a pending action past its expiry reads, and is
  // written, as expired). NotFound when unknown.
  Result<Action> Get(std::string_view action_id);
  // The action as stored, with no expiry written (a pending action past its expiry stays
  // pending here; Approve refuses it as expired). NotFound when unknown.
  Result<LoadedAction> Load(std::string_view action_id);
  // Binds an unclaimed pending action to the identity whose app scanned it.
  Result<Action> Claim(std::string_view action_id, std::string_view identity_id);
  // The identity's pending, unexpired actions, oldest first.
  Result<std::vector<Action>> Pending(std::string_view identity_id);

  // Verifies and records an approval: the device is active and the identity's, the code is the
  // right one (a wrong pick denies the action), the signatures verify over the digest recomputed
  // from the stored action, and the action is still pending. At the advanced level the person's
  // SIM binding must be active now and older than the action: a swap and re-binding after the
  // request was made still fails it (FailedPrecondition). The decision and both signatures
  // go into the audit log in the same transaction. The caller checks the PIN first
  // (Devices::VerifyPin).
  Result<Action> Approve(const Approval& approval);
  // The person refuses, from an active device of the action's identity.
  Result<Action> Deny(std::string_view action_id, std::string_view device_id);
  // The service provider or the system withdraws it (`actor` as in audit::Event).
  Result<Action> Cancel(std::string_view action_id, std::string_view actor);
  // Writes `expired` on every pending action past its expiry; returns how many.
  Result<int64_t> ExpireDue();

  const ActionOptions& options() const { return options_; }

 private:
  // The identity's active SIM binding through `db`, provided it is older than `action`.
  Result<SimBindingLookup::Binding> CheckSimBinding(store::Executor& db, const Action& action);
  Result<Action> Decide(std::string_view action_id, ActionState to, std::string_view actor,
                        std::string_view audit_action, const nlohmann::json& details);

  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  SimBindingLookup* sim_;
  ActionOptions options_;
};

// Cancels every pending action of `member_id` (only `client_id`'s when it is set) inside `tx`,
// audited once. The registry's status hook calls it in the transaction that suspends or
// terminates the member or client (issue 3: "pending requests of that member fail").
Result<int64_t> CancelPendingOfMember(store::Transaction& tx, std::string_view member_id,
                                      std::string_view client_id, std::string_view actor,
                                      int64_t now_ms);

// Cancels every pending action of the person `identity_id` inside `tx`, audited once. The
// node calls it in the transaction that revokes the identity: an approval that comes after
// finds nothing pending.
Result<int64_t> CancelPendingOfIdentity(store::Transaction& tx, std::string_view identity_id,
                                        std::string_view actor, int64_t now_ms);

}  // namespace idscheme::approval
