// The pipeline every registrar and SIM controller endpoint runs before its action:
//   1. authenticate   the Authenticator turns the request into a Caller (401 when it cannot,
//                     answered by the AuthenticationRefusal when one is given)
//   2. policy         registry Policy::Check with the role the API needs: client and member
//                     active, member of that role (403 access_denied otherwise; a store failure
//                     503); the member the registry names is the one the action acts for
//   3. action         with that member; its error Status becomes the HTTP error
//
// Thread-safety: the handlers are safe from several threads; `authenticate` must be.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "registry/admin_api.h"
#include "registry/member.h"
#include "registry/registry.h"

namespace idscheme::identity::internal {

// The caller as the policy confirmed it.
struct Member {
  std::string member_id;
  std::string client_id;
};

using Action = std::function<Result<http::Response>(http::Request&, const Member&)>;

http::Handler Guarded(registry::Registry& registry, const registry::Authenticator& authenticate,
                      const registry::AuthenticationRefusal& refuse, registry::Role role,
                      Action action);

// The JSON body; an empty body reads as {} (actions whose fields are all optional).
Result<nlohmann::json> BodyOrEmpty(const http::Request& req);

// 201 with a Location header.
http::Response Created(const nlohmann::json& body, std::string location);

}  // namespace idscheme::identity::internal
