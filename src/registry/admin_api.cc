#include "registry/admin_api.h"

#include <charconv>
#include <utility>

#include "http/response.h"
#include "registry/client_metadata.h"
#include "registry/internal/fields.h"

namespace idscheme::registry {

using internal::FieldError;
using json = nlohmann::json;

namespace {

using Action = std::function<Result<http::Response>(http::Request&, const Caller&)>;

std::string ActorOf(const Caller& caller) { return "client:" + caller.client_id; }

// Authenticates, then checks the caller against the registry, then runs `action`.
http::Handler Guarded(Registry& registry, const Authenticator& authenticate,
                      const AuthenticationRefusal& refuse, Action action) {
  return [&registry, authenticate, refuse, action = std::move(action)](http::Request& req) {
    auto caller = authenticate(req);
    if (!caller.ok())
      return refuse ? refuse(req, caller.status()) : http::Response::Error(caller.status());
    if (caller->client_id.empty())
      return http::Response::Error(Status::OAuth("access_denied",
                                                 "the admin API is for scheme managers' clients",
                                                 Status::Code::kPermissionDenied));
    Decision d = registry.policy().Check({.client_id = caller->client_id,
                                          .member_id = caller->member_id,
                                          .role = Role::kSchemeManager});
    if (!d.allowed()) {
      if (d.status.code() == Status::Code::kUnavailable) return http::Response::Error(d.status);
      return http::Response::Error(Status::OAuth(
          "access_denied", "the admin API is for active scheme managers: " + d.status.message(),
          Status::Code::kPermissionDenied));
    }
    auto response = action(req, *caller);
    return response.ok() ? std::move(response).value() : http::Response::Error(response.status());
  };
}

// The JSON body; an empty body reads as {} (actions whose fields are all optional).
Result<json> Body(const http::Request& req) {
  if (req.body().empty()) return json::object();
  return req.JsonBody();
}

std::string Param(const http::Request& req, std::string_view name) {
  return std::string(req.PathParam(name).value_or(""));
}

Result<std::string> Reason(const http::Request& req) {
  IDS_ASSIGN_OR_RETURN(json body, Body(req));
  IDS_RETURN_IF_ERROR(internal::CheckFields(body, "the body", {"reason"}));
  IDS_ASSIGN_OR_RETURN(auto reason, internal::OptString(body, "reason"));
  // An empty reason is most likely a form field left blank: say so rather than audit nothing.
  if (reason && reason->empty())
    return FieldError("reason", "must be 1 to 500 bytes (leave it out to give none)");
  return reason.value_or("");
}

http::Response Created(const json& body, std::string location) {
  auto r = http::Response::Json(201, body);
  r.SetHeader("Location", std::move(location));
  return r;
}

Result<MemberFilter> ParseMemberFilter(const http::Request& req) {
  IDS_ASSIGN_OR_RETURN(auto query, req.QueryParams());
  IDS_RETURN_IF_ERROR(query.CheckNoDuplicates());
  MemberFilter f;
  for (const auto& [name, value] : query.entries()) {
    if (name == "role") {
      f.role = ParseRole(value);
      if (!f.role) return FieldError("role", "unknown role");
    } else if (name == "status") {
      f.status = ParseMemberStatus(value);
      if (!f.status) return FieldError("status", "must be active, suspended or terminated");
    } else if (name == "reseller_id") {
      f.reseller_id = value;
    } else if (name == "after") {
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

// Member status changes; a scheme manager cannot lock itself out through the API.
Action MemberTransition(Registry& registry,
                        Result<Member> (Members::*change)(std::string_view, std::string_view,
                                                          std::string_view)) {
  return [&registry, change](http::Request& req, const Caller& caller) -> Result<http::Response> {
    std::string id = Param(req, "member_id");
    IDS_ASSIGN_OR_RETURN(std::string reason, Reason(req));
    if (id == caller.member_id && change != &Members::Reinstate)
      return Status::FailedPrecondition(
          "a scheme manager cannot suspend or terminate its own membership through the API "
          "(use the idscheme CLI)");
    IDS_ASSIGN_OR_RETURN(Member m, (registry.members().*change)(id, ActorOf(caller), reason));
    return http::Response::Json(200, m.ToJson());
  };
}

// A client as the API shows it: its registration, plus "effective_status" (registry.h).
Result<json> ShowClient(Registry& registry, const Client& client, json shown) {
  IDS_ASSIGN_OR_RETURN(shown["effective_status"], registry.EffectiveStatusOf(client));
  return shown;
}
Result<json> ShowClient(Registry& registry, const Client& client) {
  return ShowClient(registry, client, client.ToJson());
}
Result<json> ShowClient(Registry& registry, const ClientWithSecret& client) {
  return ShowClient(registry, client.client, client.ToJson());
}

// Client status changes; as for members, the caller cannot switch off the client it calls with.
Action ClientTransition(Registry& registry,
                        Result<Client> (Clients::*change)(std::string_view, std::string_view,
                                                          std::string_view)) {
  return [&registry, change](http::Request& req, const Caller& caller) -> Result<http::Response> {
    std::string id = Param(req, "client_id");
    IDS_ASSIGN_OR_RETURN(std::string reason, Reason(req));
    if (id == caller.client_id && change != &Clients::Reinstate)
      return Status::FailedPrecondition(
          "a scheme manager cannot suspend or delete the client it calls with (use another "
          "client, or the idscheme CLI)");
    IDS_ASSIGN_OR_RETURN(Client c, (registry.clients().*change)(id, ActorOf(caller), reason));
    IDS_ASSIGN_OR_RETURN(json shown, ShowClient(registry, c));
    return http::Response::Json(200, shown);
  };
}

}  // namespace

Authenticator RefuseAllCallers() {
  return [](http::Request&) -> Result<Caller> {
    return Status::Unauthenticated("the admin API needs a bearer token check, none is configured");
  };
}

void AddAdminRoutes(http::Router& router, Registry& registry, Authenticator authenticate,
                    AuthenticationRefusal refuse) {
  auto add = [&](std::string_view method, std::string_view path, std::string name, Action action,
                 http::RouteOptions options = {}) {
    router.Add(method, path, std::move(name),
               Guarded(registry, authenticate, refuse, std::move(action)), options);
  };
  // Registering or changing a client fetches its sector_identifier_uri (up to the fetch timeout,
  // from a server the member chooses): off the worker threads.
  http::RouteOptions fetches;
  fetches.blocking = true;
  Registry& reg = registry;

  // Members.
  add("POST", "/admin/v1/members", "admin_member_create",
      [&reg](http::Request& req, const Caller& caller) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(NewMember request, ParseNewMember(body));
        IDS_ASSIGN_OR_RETURN(Member m, reg.members().Create(request, ActorOf(caller)));
        return Created(m.ToJson(), "/admin/v1/members/" + m.id);
      });
  add("GET", "/admin/v1/members", "admin_member_list",
      [&reg](http::Request& req, const Caller&) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(MemberFilter filter, ParseMemberFilter(req));
        IDS_ASSIGN_OR_RETURN(auto page, reg.members().ListPage(filter));
        json out = {{"members", json::array()}};
        for (const auto& m : page.items) out["members"].push_back(m.ToJson());
        // Only when another page follows: ask again with after=<next_after>.
        if (!page.next_after.empty()) out["next_after"] = page.next_after;
        return http::Response::Json(200, out);
      });
  add("GET", "/admin/v1/members/{member_id}", "admin_member_get",
      [&reg](http::Request& req, const Caller&) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(Member m, reg.members().Get(Param(req, "member_id")));
        return http::Response::Json(200, m.ToJson());
      });
  add("PATCH", "/admin/v1/members/{member_id}", "admin_member_update",
      [&reg](http::Request& req, const Caller& caller) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(MemberUpdate update, ParseMemberUpdate(body));
        IDS_ASSIGN_OR_RETURN(
            Member m, reg.members().Update(Param(req, "member_id"), update, ActorOf(caller)));
        return http::Response::Json(200, m.ToJson());
      });
  add("POST", "/admin/v1/members/{member_id}/suspend", "admin_member_suspend",
      MemberTransition(reg, &Members::Suspend));
  add("POST", "/admin/v1/members/{member_id}/reinstate", "admin_member_reinstate",
      MemberTransition(reg, &Members::Reinstate));
  add("POST", "/admin/v1/members/{member_id}/terminate", "admin_member_terminate",
      MemberTransition(reg, &Members::Terminate));

  // Agreements.
  add("GET", "/admin/v1/members/{member_id}/agreement", "admin_agreement_get",
      [&reg](http::Request& req, const Caller&) -> Result<http::Response> {
        std::string id = Param(req, "member_id");
        IDS_RETURN_IF_ERROR(reg.members().Get(id).status());
        IDS_ASSIGN_OR_RETURN(Agreement a, reg.agreements().Current(id));
        IDS_ASSIGN_OR_RETURN(AgreementTerms effective, reg.agreements().Effective(id));
        json out = a.ToJson();
        out["effective"] = effective.ToJson();
        return http::Response::Json(200, out);
      });
  add("GET", "/admin/v1/members/{member_id}/agreement/history", "admin_agreement_history",
      [&reg](http::Request& req, const Caller&) -> Result<http::Response> {
        std::string id = Param(req, "member_id");
        IDS_RETURN_IF_ERROR(reg.members().Get(id).status());
        IDS_ASSIGN_OR_RETURN(auto history, reg.agreements().History(id));
        json out = {{"member_id", id}, {"versions", json::array()}};
        for (const auto& a : history) out["versions"].push_back(a.ToJson());
        return http::Response::Json(200, out);
      });
  add("PUT", "/admin/v1/members/{member_id}/agreement", "admin_agreement_set",
      [&reg](http::Request& req, const Caller& caller) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(AgreementTerms terms, ParseAgreementTerms(body));
        std::string id = Param(req, "member_id");
        IDS_ASSIGN_OR_RETURN(Agreement a, reg.agreements().Set(id, terms, ActorOf(caller)));
        return Created(a.ToJson(), "/admin/v1/members/" + id + "/agreement");
      });

  // Clients.
  add(
      "POST", "/admin/v1/members/{member_id}/clients", "admin_client_create",
      [&reg](http::Request& req, const Caller& caller) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(ClientMetadata metadata, ValidateClientMetadata(body));
        IDS_ASSIGN_OR_RETURN(ClientWithSecret c,
                             reg.clients().Create(Param(req, "member_id"), metadata,
                                                  caller.member_id, ActorOf(caller)));
        IDS_ASSIGN_OR_RETURN(json shown, ShowClient(reg, c));
        return Created(shown, "/admin/v1/clients/" + c.client.client_id);
      },
      fetches);
  add("GET", "/admin/v1/members/{member_id}/clients", "admin_client_list",
      [&reg](http::Request& req, const Caller&) -> Result<http::Response> {
        std::string id = Param(req, "member_id");
        IDS_RETURN_IF_ERROR(reg.members().Get(id).status());
        IDS_ASSIGN_OR_RETURN(auto clients, reg.clients().ListByMember(id));
        json out = {{"member_id", id}, {"clients", json::array()}};
        for (const auto& c : clients) {
          IDS_ASSIGN_OR_RETURN(json shown, ShowClient(reg, c));
          out["clients"].push_back(std::move(shown));
        }
        return http::Response::Json(200, out);
      });
  add("GET", "/admin/v1/clients/{client_id}", "admin_client_get",
      [&reg](http::Request& req, const Caller&) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(Client c, reg.clients().Get(Param(req, "client_id")));
        IDS_ASSIGN_OR_RETURN(json shown, ShowClient(reg, c));
        return http::Response::Json(200, shown);
      });
  add(
      "PUT", "/admin/v1/clients/{client_id}", "admin_client_update",
      [&reg](http::Request& req, const Caller& caller) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(ClientMetadata metadata, ValidateClientMetadata(body));
        IDS_ASSIGN_OR_RETURN(ClientWithSecret c, reg.clients().Update(Param(req, "client_id"),
                                                                      metadata, ActorOf(caller)));
        IDS_ASSIGN_OR_RETURN(json shown, ShowClient(reg, c));
        return http::Response::Json(200, shown);
      },
      fetches);
  add("DELETE", "/admin/v1/clients/{client_id}", "admin_client_delete",
      ClientTransition(reg, &Clients::Delete));
  add("POST", "/admin/v1/clients/{client_id}/suspend", "admin_client_suspend",
      ClientTransition(reg, &Clients::Suspend));
  add("POST", "/admin/v1/clients/{client_id}/reinstate", "admin_client_reinstate",
      ClientTransition(reg, &Clients::Reinstate));
  add("POST", "/admin/v1/clients/{client_id}/rotate-secret", "admin_client_rotate_secret",
      [&reg](http::Request& req, const Caller& caller) -> Result<http::Response> {
        // No fields, but a body is read as strictly as its siblings': JSON, and nothing in it.
        IDS_ASSIGN_OR_RETURN(json body, Body(req));
        IDS_RETURN_IF_ERROR(internal::CheckFields(body, "the body", {}));
        IDS_ASSIGN_OR_RETURN(ClientWithSecret c,
                             reg.clients().RotateSecret(Param(req, "client_id"), ActorOf(caller)));
        IDS_ASSIGN_OR_RETURN(json shown, ShowClient(reg, c));
        return http::Response::Json(200, shown);
      });
}

}  // namespace idscheme::registry
