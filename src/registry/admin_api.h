// The admin API: JSON over HTTP under /admin/v1/, for the Scheme Manager only.
//
//   POST   /admin/v1/members                          create a member              201
//   GET    /admin/v1/members?role=&status=&reseller_id=&after=&limit=   list
//   GET    /admin/v1/members/{member_id}
//   PATCH  /admin/v1/members/{member_id}              {"display_name"?, "contacts"?}
//   POST   /admin/v1/members/{member_id}/suspend      {"reason"?}  (also /reinstate, /terminate)
//   GET    /admin/v1/members/{member_id}/agreement    current version (+ "effective" terms)
//   GET    /admin/v1/members/{member_id}/agreement/history
//   PUT    /admin/v1/members/{member_id}/agreement    set a new version            201
//   POST   /admin/v1/members/{member_id}/clients      register a client            201
//   GET    /admin/v1/members/{member_id}/clients
//   GET    /admin/v1/clients/{client_id}
//   PUT    /admin/v1/clients/{client_id}              replace the metadata
//   DELETE /admin/v1/clients/{client_id}              deactivate for good
//   POST   /admin/v1/clients/{client_id}/suspend      (also /reinstate, /rotate-secret)
//
// A response that creates or rotates a client secret carries it once ("client_secret"); it is
// never readable again. Registering or replacing a client's metadata with a
// sector_identifier_uri fetches that document first (sector_document.h): 400 invalid_request
// naming what it misses or why it could not be fetched. Errors are {"error", "error_description"}:
// bad input 400 invalid_request naming the field ("redirect_uris[0]: must use https ..."), unknown
// ids 404, transitions the state forbids (anything after termination or deletion) 400
// failed_precondition, a caller that cannot be authenticated 401, a caller whose member is not a
// scheme manager 403. (A suspended caller's token is refused by the bearer check first: 401.)
//
// Authentication is not done here: `authenticate` turns a request into a Caller (the bearer-token
// check of src/oauth, wired in by the server). The caller is then checked against the registry
// itself through the policy (role scheme_manager, client and member active), so a suspension
// takes effect on the caller's next request whatever its token says. Changes are audited with the
// actor "client:<client_id>".
//
// Thread-safety: the handlers are safe to run on several threads at once; `authenticate` must be.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "registry/member.h"
#include "registry/registry.h"

namespace idscheme::registry {

// Who is calling, as the authentication established it.
struct Caller {
  std::string member_id;
  Role role = Role::kServiceProvider;  // informative: the registry's own record decides
  std::string client_id;
};

// Returns the caller of a request, or an error (Unauthenticated gives 401).
using Authenticator = std::function<Result<Caller>(http::Request&)>;
// The answer to a request whose caller the Authenticator refused: its challenge in the scheme
// the caller used (RFC 6750 §3 Bearer, RFC 9449 §7.1 DPoP; the server passes
// oauth::BearerErrorResponse). Unset: http::Response::Error(status), a Bearer challenge.
using AuthenticationRefusal = std::function<http::Response(const http::Request&, const Status&)>;

void AddAdminRoutes(http::Router& router, Registry& registry, Authenticator authenticate,
                    AuthenticationRefusal refuse = {});

// An Authenticator that refuses everyone (401): the admin API stays closed until the bearer-token
// check is wired in.
Authenticator RefuseAllCallers();

}  // namespace idscheme::registry
