#include "app/identity_adapters.h"

#include "crypto/key.h"
#include "identity/sim_bindings.h"

namespace idscheme::app {

Result<std::string> IdentityActivationRedeemer::Redeem(store::Transaction& tx,
                                                       std::string_view code) {
  return identities_.RedeemActivationCode(tx, code, "app");
}

Result<approval::SimBindingLookup::Binding> IdentitySimBindingLookup::ActiveBinding(
    store::Executor& db, std::string_view identity_id) {
  auto binding = identity::ActiveBindingOfIdentity(db, identity_id);
  if (!binding.ok()) {
    if (binding.status().code() == Status::Code::kNotFound) {
      return Status::FailedPrecondition("no active SIM binding");
    }
    return binding.status();
  }
  auto key = crypto::Key::FromPublicJwk(binding->public_jwk);
  if (!key.ok()) return Status::Internal("stored SIM key unreadable: " + key.status().message());
  if ((*key)->kty() != "EC" || (*key)->crv() != "P-256") {
    return Status::Internal("stored SIM key is not EC P-256");
  }
  // A re-binding after a swap is a new binding: its creation is the binding's last event.
  return Binding{binding->id, std::move(key).value(), binding->created_at_ms};
}

Result<std::vector<identity::PersonDevice>> ApprovalPersonDevices::List(
    std::string_view identity_id) {
  IDS_ASSIGN_OR_RETURN(auto found, devices_.List(identity_id));
  std::vector<identity::PersonDevice> out;
  out.reserve(found.size());
  for (const approval::Device& d : found) {
    // What is safe to show: never the key itself, the PIN verifier or the failure count.
    out.push_back({.id = d.id,
                   .name = d.name,
                   .status = std::string(approval::DeviceStatusName(d.status)),
                   .jwk_thumbprint = d.jwk_thumbprint,
                   .created_at_ms = d.created_at_ms,
                   .updated_at_ms = d.updated_at_ms,
                   .last_used_at_ms = d.last_used_at_ms});
  }
  return out;
}

Status ApprovalPersonDevices::Revoke(std::string_view identity_id, std::string_view device_id,
                                     std::string_view actor) {
  return devices_.Remove(identity_id, device_id, actor);
}

}  // namespace idscheme::app
