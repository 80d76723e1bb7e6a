#include "identity/registrar_api.h"

#include <charconv>
#include <string>
#include <utility>

#include "identity/internal/fields.h"
#include "identity/internal/guard.h"
#include "identity/person_devices.h"

namespace idscheme::identity {

using internal::FieldError;
using json = nlohmann::json;

namespace {

Actor ActorOf(const internal::Member& m) {
  if (m.client_id.empty()) return {m.member_id, "member:" + m.member_id};
  return Actor::Registrar(m.member_id, m.client_id);
}

std::string Param(const http::Request& req, std::string_view name) {
  return std::string(req.PathParam(name).value_or(""));
}

Result<IdentityFilter> ParseFilter(const http::Request& req) {
  IDS_ASSIGN_OR_RETURN(auto query, req.QueryParams());
  IDS_RETURN_IF_ERROR(query.CheckNoDuplicates());
  IdentityFilter f;
  for (const auto& [name, value] : query.entries()) {
    if (name == "status") {
      f.status = ParseIdentityStatus(value);
      if (!f.status) return FieldError("status", "must be active or revoked");
    } else if (name == "phone_number") {
      IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", value));
      f.phone_number = value;
    } else if (name == "after") {
      if (!internal::IsWellFormedId(value)) return FieldError("after", "not an identity id");
      f.after = value;
    } else if (name == "limit") {
      int limit = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || p != value.data() + value.size() || limit < 1 || limit > 1000)
        return FieldError("limit", "must be a number 1..1000");
      f.limit = limit;
    } else {
      return FieldError(internal::IsValidUtf8(name) ? name : "?", "unknown query parameter");
    }
  }
  return f;
}

// Every registrar route runs the same pipeline (internal/guard.h) with the registrar's role.
auto RegistrarAdder(http::Router& router, registry::Registry& registry,
                    const registry::Authenticator& authenticate,
                    const registry::AuthenticationRefusal& refuse) {
  return [&router, &registry, authenticate, refuse](std::string_view method, std::string_view path,
                                                    std::string name, internal::Action action) {
    router.Add(method, path, std::move(name),
               internal::Guarded(registry, authenticate, refuse, registry::Role::kIdentityRegistrar,
                                 std::move(action)));
  };
}

}  // namespace

void AddRegistrarRoutes(http::Router& router, Identities& identities, registry::Registry& registry,
                        registry::Authenticator authenticate,
                        registry::AuthenticationRefusal refuse) {
  auto add = RegistrarAdder(router, registry, authenticate, refuse);
  Identities& ids = identities;

  add("POST", "/registrar/v1/identities", "registrar_identity_create",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(NewIdentity request, ParseNewIdentity(body));
        IDS_ASSIGN_OR_RETURN(Identity i, ids.Create(ActorOf(m), m.member_id, request));
        return internal::Created(i.ToJson(), "/registrar/v1/identities/" + i.id);
      });
  add("GET", "/registrar/v1/identities", "registrar_identity_list",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(IdentityFilter filter, ParseFilter(req));
        IDS_ASSIGN_OR_RETURN(auto page, ids.ListPage(ActorOf(m), filter));
        json out = {{"identities", json::array()}};
        for (const auto& i : page.items) out["identities"].push_back(i.ToJson());
        // Only when another page follows: ask again with after=<next_after>.
        if (!page.next_after.empty()) out["next_after"] = page.next_after;
        return http::Response::Json(200, out);
      });
  add("GET", "/registrar/v1/identities/{identity_id}", "registrar_identity_get",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(Identity i, ids.Get(ActorOf(m), Param(req, "identity_id")));
        return http::Response::Json(200, i.ToJson());
      });
  add("PATCH", "/registrar/v1/identities/{identity_id}", "registrar_identity_update",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(IdentityUpdate update, ParseIdentityUpdate(body));
        IDS_ASSIGN_OR_RETURN(Identity i, ids.Update(ActorOf(m), Param(req, "identity_id"), update));
        return http::Response::Json(200, i.ToJson());
      });
  add("GET", "/registrar/v1/identities/{identity_id}/history", "registrar_identity_history",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        std::string id = Param(req, "identity_id");
        IDS_ASSIGN_OR_RETURN(auto versions, ids.History(ActorOf(m), id));
        json out = {{"identity_id", id}, {"versions", json::array()}};
        for (const auto& v : versions) out["versions"].push_back(v.ToJson());
        return http::Response::Json(200, out);
      });
  add("POST", "/registrar/v1/identities/{identity_id}/revoke", "registrar_identity_revoke",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, internal::BodyOrEmpty(req));
        IDS_RETURN_IF_ERROR(internal::CheckObject(body, "the body", {"reason"}));
        IDS_ASSIGN_OR_RETURN(auto reason, internal::OptString(body, "reason"));
        if (reason && reason->empty())
          return FieldError("reason", "must be 1 to 500 bytes (leave it out to give none)");
        IDS_ASSIGN_OR_RETURN(
            Identity i, ids.Revoke(ActorOf(m), Param(req, "identity_id"), reason.value_or("")));
        return http::Response::Json(200, i.ToJson());
      });
  add("POST", "/registrar/v1/identities/{identity_id}/activation-codes",
      "registrar_activation_code",
      [&ids](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, internal::BodyOrEmpty(req));
        IDS_RETURN_IF_ERROR(internal::CheckObject(body, "the body", {}));
        std::string id = Param(req, "identity_id");
        Result<ActivationCode> code = ids.IssueActivationCode(ActorOf(m), id);
        if (code.status().code() == Status::Code::kResourceExhausted) {
          // RFC 6585 §4: when the hourly limit lets the next one through.
          http::Response limited = http::Response::Error(code.status());
          if (auto wait = ids.SecondsUntilNextActivationCode(id); wait.ok())
            limited.SetHeader("Retry-After", std::to_string(*wait));
          return limited;
        }
        if (!code.ok()) return code.status();
        return http::Response::Json(201, code->ToJson());
      });
}

void AddRegistrarDeviceRoutes(http::Router& router, Identities& identities, PersonDevices& devices,
                              registry::Registry& registry, registry::Authenticator authenticate,
                              registry::AuthenticationRefusal refuse) {
  auto add = RegistrarAdder(router, registry, authenticate, refuse);
  Identities& ids = identities;
  PersonDevices& devs = devices;

  // Issue 4: registrars can revoke a person's devices, e.g. when the person lost the phone.
  add("GET", "/registrar/v1/identities/{identity_id}/devices", "registrar_devices",
      [&ids, &devs](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        std::string id = Param(req, "identity_id");
        IDS_ASSIGN_OR_RETURN(auto found, ListPersonDevices(ids, devs, ActorOf(m), id));
        json out = {{"identity_id", id}, {"devices", json::array()}};
        for (const auto& d : found) out["devices"].push_back(d.ToJson());
        return http::Response::Json(200, out);
      });
  add("DELETE", "/registrar/v1/identities/{identity_id}/devices/{device_id}",
      "registrar_device_revoke",
      [&ids, &devs](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_RETURN_IF_ERROR(RevokePersonDevice(ids, devs, ActorOf(m), Param(req, "identity_id"),
                                               Param(req, "device_id")));
        return http::Response(204);
      });
}

}  // namespace idscheme::identity
