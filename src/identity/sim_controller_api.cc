#include "identity/sim_controller_api.h"

#include <string>
#include <utility>

#include "identity/internal/fields.h"
#include "identity/internal/guard.h"

namespace idscheme::identity {

using internal::FieldError;
using json = nlohmann::json;

namespace {

std::string ActorOf(const internal::Member& m) {
  return m.client_id.empty() ? "member:" + m.member_id : "client:" + m.client_id;
}

}  // namespace

void AddSimControllerRoutes(http::Router& router, SimBindings& bindings,
                            registry::Registry& registry, registry::Authenticator authenticate,
                            registry::AuthenticationRefusal refuse) {
  auto add = [&](std::string_view method, std::string_view path, std::string name,
                 internal::Action action) {
    router.Add(method, path, std::move(name),
               internal::Guarded(registry, authenticate, refuse, registry::Role::kSimController,
                                 std::move(action)));
  };
  SimBindings& sims = bindings;

  add("POST", "/simcontroller/v1/bindings", "sim_binding_create",
      [&sims](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(NewBinding request, ParseNewBinding(body));
        IDS_ASSIGN_OR_RETURN(SimBinding b, sims.Bind(m.member_id, request, ActorOf(m)));
        return internal::Created(b.ToJson(), "/simcontroller/v1/bindings/" + b.id);
      });
  add("GET", "/simcontroller/v1/bindings", "sim_binding_list",
      [&sims](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(auto query, req.QueryParams());
        IDS_RETURN_IF_ERROR(query.CheckNoDuplicates());
        for (const auto& [name, value] : query.entries()) {
          if (name != "phone_number")
            return FieldError(internal::IsValidUtf8(name) ? name : "?", "unknown query parameter");
        }
        auto phone = query.Get("phone_number");
        if (!phone) return FieldError("phone_number", "required");
        IDS_ASSIGN_OR_RETURN(auto list, sims.ListByPhone(m.member_id, *phone));
        json out = {{"bindings", json::array()}};
        for (const auto& b : list) out["bindings"].push_back(b.ToJson());
        return http::Response::Json(200, out);
      });
  add("GET", "/simcontroller/v1/bindings/{binding_id}", "sim_binding_get",
      [&sims](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(
            SimBinding b,
            sims.Get(m.member_id, std::string(req.PathParam("binding_id").value_or(""))));
        return http::Response::Json(200, b.ToJson());
      });
  add("POST", "/simcontroller/v1/events", "sim_event_report",
      [&sims](http::Request& req, const internal::Member& m) -> Result<http::Response> {
        IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
        IDS_ASSIGN_OR_RETURN(SimEvent event, ParseSimEvent(body));
        IDS_ASSIGN_OR_RETURN(SimBinding b, sims.Report(m.member_id, event, ActorOf(m)));
        return http::Response::Json(200, b.ToJson());
      });
}

}  // namespace idscheme::identity
