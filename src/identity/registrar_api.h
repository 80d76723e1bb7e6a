// The identity registrar API: JSON over HTTP under /registrar/v1/, for identity registrars'
// clients (SCHEME.md, "Identity Registrar").
//
//   POST   /registrar/v1/identities                   create an identity record          201
//   GET    /registrar/v1/identities?status=&phone_number=&after=&limit=   list (own only)
//   GET    /registrar/v1/identities/{identity_id}
//   PATCH  /registrar/v1/identities/{identity_id}     change attributes (null removes an
//                                                     optional one), optional new evidence
//   GET    /registrar/v1/identities/{identity_id}/history   every version, oldest first
//   POST   /registrar/v1/identities/{identity_id}/revoke    {"reason"?}
//   POST   /registrar/v1/identities/{identity_id}/activation-codes   a one-time code   201
//          -> {"activation_code", "identity_id", "expires_at"}: shown once, stored hashed
//   GET    /registrar/v1/identities/{identity_id}/devices   the person's devices that are not
//          removed -> {"identity_id", "devices": [PersonDevice::ToJson()]} (person_devices.h)
//   DELETE /registrar/v1/identities/{identity_id}/devices/{device_id}   revoke one          204
//          (AddRegistrarDeviceRoutes: the devices are the approval engine's)
//
// Bodies are described in attributes.h. Errors are {"error", "error_description"}: bad input
// 400 invalid_request naming the field ("phone_number: must be E.164, e.g. +31612345678");
// another registrar's identity and unknown ids 404 (never 403, so ids cannot be probed; a path id
// that cannot be one is unknown too), and so is a device already removed; a phone number held
// by another active identity 409; changing a revoked identity 400; too many
// activation codes 429; a caller that cannot be authenticated 401 (a suspended member's or
// client's token included: the bearer check refuses it first); a caller whose member is not an
// identity registrar 403 access_denied.
//
// Every request runs the pipeline of internal/guard.h (authenticate, then Policy::Check with
// role identity_registrar); changes are audited with the actor "client:<client_id>".
//
// Thread-safety: the handlers are safe from several threads at once; `authenticate` must be.
#pragma once

#include "http/router.h"
#include "identity/identities.h"
#include "identity/person_devices.h"
#include "registry/admin_api.h"
#include "registry/registry.h"

namespace idscheme::identity {

void AddRegistrarRoutes(http::Router& router, Identities& identities, registry::Registry& registry,
                        registry::Authenticator authenticate,
                        registry::AuthenticationRefusal refuse = {});

// The two device routes above, over `devices` (implemented by the app part, which sits above
// this one), behind the same pipeline as the other registrar routes.
void AddRegistrarDeviceRoutes(http::Router& router, Identities& identities, PersonDevices& devices,
                              registry::Registry& registry, registry::Authenticator authenticate,
                              registry::AuthenticationRefusal refuse = {});

}  // namespace idscheme::identity
