#include "identity/internal/guard.h"

#include <utility>

namespace idscheme::identity::internal {

http::Handler Guarded(registry::Registry& registry, const registry::Authenticator& authenticate,
                      const registry::AuthenticationRefusal& refuse, registry::Role role,
                      Action action) {
  return [&registry, authenticate, refuse, role, action = std::move(action)](http::Request& req) {
    auto caller = authenticate(req);
    if (!caller.ok())
      return refuse ? refuse(req, caller.status()) : http::Response::Error(caller.status());
    const std::string api =
        role == registry::Role::kSimController ? "the SIM controller API" : "the registrar API";
    if (caller->client_id.empty() && caller->member_id.empty())
      return http::Response::Error(Status::OAuth("access_denied", api + " needs a member's client",
                                                 Status::Code::kPermissionDenied));
    registry::Decision d = registry.policy().Check(
        {.client_id = caller->client_id, .member_id = caller->member_id, .role = role});
    if (!d.allowed()) {
      if (d.status.code() == Status::Code::kUnavailable) return http::Response::Error(d.status);
      return http::Response::Error(Status::OAuth("access_denied",
                                                 api + " is for active " +
                                                     std::string(registry::RoleName(role)) +
                                                     " members: " + d.status.message(),
                                                 Status::Code::kPermissionDenied));
    }
    Member member{d.member_id.empty() ? caller->member_id : d.member_id, caller->client_id};
    auto response = action(req, member);
    return response.ok() ? std::move(response).value() : http::Response::Error(response.status());
  };
}

Result<nlohmann::json> BodyOrEmpty(const http::Request& req) {
  if (req.body().empty()) return nlohmann::json::object();
  return req.JsonBody();
}

http::Response Created(const nlohmann::json& body, std::string location) {
  auto r = http::Response::Json(201, body);
  r.SetHeader("Location", std::move(location));
  return r;
}

}  // namespace idscheme::identity::internal
