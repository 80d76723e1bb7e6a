// SIM bindings: a mobile network operator (a SIM controller member) binds the public key held in
// a SIM's secure element (an EC P-256 JWK) to a subscriber's phone number and the SIM's serial
// (ICCID), so approvals at the advanced level can carry a second, hardware-held signature
// (SCHEME.md, "SIM Controller").
//
// A SIM swap or line termination suspends the binding at once: the report is one transaction,
// and ActiveBinding() reads the store each time (no cache), so the next check on any node sees
// it. The report carries the time the event happened (`event_at`), so the approval engine can
// tell that a swap came after a request was made (LastEventAt) and fail it.
//
// Rules the store enforces: a phone number has at most one active binding (partial unique
// index; a second -> AlreadyExists, 409: report the swap first). A controller sees and changes
// only its own bindings; another's read as NotFound (404). Every change writes its audit entry
// in the same transaction (never the key or the ICCID, only the key's RFC 7638 thumbprint).
//
// A binding vouches for a SIM only while its controller is an active member: a suspended or
// terminated controller's bindings are not found by the approval engine (the next check on any
// node sees the member's status). A terminated controller's binding no longer holds its number
// either: another controller's Bind ends it (event controller_terminated) and takes the number;
// a suspended controller's still does (409), until it is reinstated or terminated.
//
// Thread-safety: SimBindings is stateless apart from the store and safe from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "store/database.h"

namespace idscheme::identity {

enum class BindingStatus { kActive, kSuspended };
std::string_view BindingStatusName(BindingStatus status);  // "active", "suspended"

// The last is the scheme's, never reported by a controller: a binding of a terminated SIM
// controller ended when another controller bound the number.
enum class SimEventType { kSimSwap, kLineTermination, kControllerTerminated };
// "sim_swap", "line_termination", "controller_terminated"
std::string_view SimEventTypeName(SimEventType type);
std::optional<SimEventType> ParseSimEventType(std::string_view name);

struct SimBinding {
  std::string id;  // "sb_" + 32 hex digits
  std::string controller_id;
  std::string phone_number;    // E.164
  std::string iccid;           // ITU-T E.118, Luhn-checked
  nlohmann::json public_jwk;   // the secure element's public key, EC P-256
  std::string jwk_thumbprint;  // RFC 7638
  BindingStatus status = BindingStatus::kActive;
  std::optional<SimEventType> event;  // set when suspended
  int64_t event_at_ms = 0;            // when the swap or termination happened
  int64_t reported_at_ms = 0;         // when it was reported
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  // {"id", "controller_id", "phone_number", "iccid", "public_key", "jwk_thumbprint", "status",
  //  "created_at", "updated_at", "event"?: {"type", "occurred_at", "reported_at"}}
  nlohmann::json ToJson() const;
};

// POST /simcontroller/v1/bindings: {"phone_number", "iccid", "public_key": {JWK}}.
struct NewBinding {
  std::string phone_number;
  std::string iccid;
  nlohmann::json public_key;
};
Result<NewBinding> ParseNewBinding(const nlohmann::json& body);

// POST /simcontroller/v1/events: {"phone_number", "type", "occurred_at"?: RFC 3339}.
struct SimEvent {
  std::string phone_number;
  SimEventType type = SimEventType::kSimSwap;
  std::optional<int64_t> occurred_at;  // seconds since the epoch; absent: now
};
Result<SimEvent> ParseSimEvent(const nlohmann::json& body);

// ITU-T E.118: "89", then digits, 18..20 in all, the last a Luhn check digit.
bool IsValidIccid(std::string_view iccid);

class SimBindings {
 public:
  SimBindings(store::Database& db, const Clock& clock, Random& random)
      : db_(db), clock_(clock), random_(random) {}

  // Validates and stores an active binding of `controller_id` (an active SIM controller);
  // `actor` names it in the audit log.
  Result<SimBinding> Bind(std::string_view controller_id, const NewBinding& request,
                          std::string_view actor);
  Result<SimBinding> Get(std::string_view controller_id, std::string_view id);
  // The controller's bindings of `phone`, newest first.
  Result<std::vector<SimBinding>> ListByPhone(std::string_view controller_id,
                                              std::string_view phone);
  // Suspends the controller's active binding of the event's phone number at once; NotFound when
  // it has none.
  Result<SimBinding> Report(std::string_view controller_id, const SimEvent& event,
                            std::string_view actor);

  // For the approval engine, whoever's binding it is: the active binding of `phone` by an
  // active controller, NotFound when there is none (never bound, swapped or terminated, or its
  // controller suspended or terminated).
  Result<SimBinding> ActiveBinding(std::string_view phone);
  // When the latest swap or termination of `phone` happened (ms), nullopt if never.
  Result<std::optional<int64_t>> LastEventAt(std::string_view phone);

 private:
  store::Database& db_;
  const Clock& clock_;
  Random& random_;
};

// For the approval engine, inside its transaction `db`: the active binding of the phone number
// of the active identity `identity_id`, by an active controller. NotFound when the identity is
// unknown or revoked, or its number has no such binding (never bound, swapped or terminated,
// or its controller suspended or terminated).
Result<SimBinding> ActiveBindingOfIdentity(store::Executor& db, std::string_view identity_id);

}  // namespace idscheme::identity
