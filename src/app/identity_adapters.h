// The identity part seen through the approval engine's two seams: activation codes redeemed in
// the enrolment's transaction (approval::ActivationRedeemer) and the SIM binding of a person's
// phone number (approval::SimBindingLookup).
//
// Thread-safety: both are stateless apart from the store; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "approval/actions.h"
#include "approval/devices.h"
#include "identity/identities.h"

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

}  // namespace idscheme::app
