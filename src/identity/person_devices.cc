#include "identity/person_devices.h"

#include "identity/internal/fields.h"

namespace idscheme::identity {

nlohmann::json PersonDevice::ToJson() const {
  nlohmann::json j = {{"id", id},
                      {"name", name},
                      {"status", status},
                      {"jwk_thumbprint", jwk_thumbprint},
                      {"created_at", created_at_ms},
                      {"updated_at", updated_at_ms}};
  if (last_used_at_ms) j["last_used_at"] = *last_used_at_ms;
  return j;
}

Result<std::vector<PersonDevice>> ListPersonDevices(Identities& identities, PersonDevices& devices,
                                                    const Actor& actor,
                                                    std::string_view identity_id) {
  // Identities::Get scopes by registrar: another registrar's identity is NotFound, never a
  // refusal, so ids cannot be probed (registrar_api.h).
  IDS_RETURN_IF_ERROR(identities.Get(actor, identity_id).status());
  return devices.List(identity_id);
}

Status RevokePersonDevice(Identities& identities, PersonDevices& devices, const Actor& actor,
                          std::string_view identity_id, std::string_view device_id) {
  IDS_RETURN_IF_ERROR(identities.Get(actor, identity_id).status());
  // Like the identity ids: a device id that cannot be one is not looked up.
  if (!internal::IsWellFormedId(device_id)) return Status::NotFound("no such device");
  return devices.Revoke(identity_id, device_id, actor.name);
}

}  // namespace idscheme::identity
