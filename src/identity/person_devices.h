// A person's phone apps as registrars and the operator see them (issue 4: "Several devices per
// person; the person lists and removes them from the app; registrars and the operator can
// revoke them").
//
// The devices live in the approval engine (approval::Devices), a part above this one: the
// identity part reaches them through the PersonDevices seam, which the app part implements
// (app/identity_adapters.h), as the approval engine reaches activation codes through
// approval::ActivationRedeemer. What decides who may see which person's devices stays here, with
// the identity records: ListPersonDevices and RevokePersonDevice check the identity as
// Identities::Get does (a registrar reaches only the identities it registered, anything else is
// NotFound), then act. Revoking a device is what the person's own removal does
// (approval::Devices::Remove): from that moment it approves nothing, also an action it fetched
// before; the audit entry names the actor.
//
// Nothing secret is shown: no key material beyond the RFC 7638 thumbprint of the public key, no
// PIN verifier, no count of PIN failures.
//
// Thread-safety: the functions are as safe as the Identities and PersonDevices they are given.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "identity/identities.h"

namespace idscheme::identity {

struct PersonDevice {
  std::string id;  // "dev_..."
  std::string name;
  std::string status;          // "active" or "locked" (removed devices are not listed)
  std::string jwk_thumbprint;  // RFC 7638, of the device's public key
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;  // the last change of status (enrolment, PIN lock) or PIN count
  std::optional<int64_t> last_used_at_ms;

  // {"id", "name", "status", "jwk_thumbprint", "created_at", "updated_at", "last_used_at"?}
  // (milliseconds since the epoch, as the device API's list).
  nlohmann::json ToJson() const;
};

// The approval engine's devices, seen from here. Implemented by the app part.
class PersonDevices {
 public:
  virtual ~PersonDevices() = default;
  // The identity's devices that are not removed (active and locked), oldest first.
  virtual Result<std::vector<PersonDevice>> List(std::string_view identity_id) = 0;
  // Removes one of the identity's devices, audited with `actor` (as audit::Event names it).
  // NotFound when the device is unknown, already removed or another identity's.
  virtual Status Revoke(std::string_view identity_id, std::string_view device_id,
                        std::string_view actor) = 0;
};

// The devices of `identity_id` as `actor` may see them: NotFound when the identity is unknown or
// (for a registrar) another registrar's. A revoked identity's devices are listed too.
Result<std::vector<PersonDevice>> ListPersonDevices(Identities& identities, PersonDevices& devices,
                                                    const Actor& actor,
                                                    std::string_view identity_id);

// Revokes `device_id` of `identity_id` for `actor` (audited as actor.name). NotFound, as above,
// for the identity, and for a device that is unknown, malformed, someone else's or already
// removed (the device API's DELETE answers the same).
Status RevokePersonDevice(Identities& identities, PersonDevices& devices, const Actor& actor,
                          std::string_view identity_id, std::string_view device_id);

}  // namespace idscheme::identity
