// The SIM controller API: JSON over HTTP under /simcontroller/v1/, for mobile network
// operators' clients (SCHEME.md, "SIM Controller").
//
//   POST   /simcontroller/v1/bindings                 bind a secure-element key           201
//          {"phone_number": E.164, "iccid": ICCID, "public_key": EC P-256 public JWK}
//   GET    /simcontroller/v1/bindings?phone_number=   the caller's bindings of a number,
//                                                     newest first
//   GET    /simcontroller/v1/bindings/{binding_id}
//   POST   /simcontroller/v1/events                   report a SIM swap or line termination:
//          {"phone_number", "type": "sim_swap" | "line_termination", "occurred_at"?: RFC 3339}
//          suspends the caller's active binding of that number at once -> the binding
//
// Errors: bad input 400 invalid_request naming the field; another controller's binding and
// unknown ids 404; a number that already has an active binding 409; a caller that cannot be
// authenticated 401 (a suspended member's or client's token included: the bearer check refuses
// it first); a caller whose member is not a SIM controller 403.
//
// Every request runs the pipeline of internal/guard.h (authenticate, then Policy::Check with
// role sim_controller); changes are audited with the actor "client:<client_id>".
//
// Thread-safety: the handlers are safe from several threads at once; `authenticate` must be.
#pragma once

#include "http/router.h"
#include "identity/sim_bindings.h"
#include "registry/admin_api.h"
#include "registry/registry.h"

namespace idscheme::identity {

void AddSimControllerRoutes(http::Router& router, SimBindings& bindings,
                            registry::Registry& registry, registry::Authenticator authenticate,
                            registry::AuthenticationRefusal refuse = {});

}  // namespace idscheme::identity
