// The identity part seen through the approval engine's two seams: activation codes redeemed in
// the enrolment's transaction (approval::ActivationRedeemer) and the SIM binding of a person's
// phone number (approval::SimBindingLookup). And the other way round, the approval engine's
// devices seen by the identity part (identity::PersonDevices), for registrars and the operator.
//
// Thread-safety: all are stateless apart from the store; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "approval/actions.h"
#include "approval/devices.h"
#include "identity/identities.h"
#include "identity/person_devices.h"

namespace idscheme::app {

// Spends a registrar's activation code (identity::Identities::RedeemActivationCode) inside the
// enrolment transaction; audited with the actor "app".
class IdentityActivationRedeemer final : public approval::ActivationRedeemer {
 public:
  explicit IdentityActivationRedeemer(identity::Identities& identities) : identities_(identities) {}
  Result<std::string> Redeem(store::Transaction& tx, std::string_view code) override;

 private:
  identity::Identities& identities_;
};

// identity id -> its phone number -> that number's active SIM binding -> the SIM's P-256 key,
// read through the approval's own transaction. FailedPrecondition when the identity has none
// (never bound, swapped, terminated, or the identity revoked).
class IdentitySimBindingLookup final : public approval::SimBindingLookup {
 public:
  Result<Binding> ActiveBinding(store::Executor& db, std::string_view identity_id) override;
};

// A person's devices for registrars and the operator (issue 4), over approval::Devices: its list
// (not removed, oldest first) and its Remove, which the person's own removal uses too.
class ApprovalPersonDevices final : public identity::PersonDevices {
 public:
  explicit ApprovalPersonDevices(approval::Devices& devices) : devices_(devices) {}
  Result<std::vector<identity::PersonDevice>> List(std::string_view identity_id) override;
  Status Revoke(std::string_view identity_id, std::string_view device_id,
                std::string_view actor) override;

 private:
  approval::Devices& devices_;
};

}  // namespace idscheme::app
