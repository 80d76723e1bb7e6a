#include "app/device_api.h"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <initializer_list>
#include <utility>

#include "approval/jcs.h"
#include "common/log.h"
#include "store/once.h"

namespace idscheme::app {
namespace {

using json = nlohmann::json;
using approval::Action;
using approval::Device;

Status FieldError(std::string_view field, std::string_view problem) {
  return Status::OAuth("invalid_request", std::string(field) + ": " + std::string(problem));
}

// Every member of `body` is one of `allowed`.
Status CheckObject(const json& body, std::initializer_list<std::string_view> allowed) {
  if (!body.is_object()) return FieldError("the body", "must be a JSON object");
  for (const auto& item : body.items()) {
    const std::string& name = item.key();
    bool known = false;
    for (auto a : allowed) known = known || a == name;
    if (!known) {
      return FieldError(approval::Canonicalize(json(name)).ok() ? name : "?", "unknown member");
    }
  }
  return Status::Ok();
}

Result<std::string> RequiredString(const json& body, std::string_view name, size_t max_chars) {
  auto it = body.find(std::string(name));
  if (it == body.end()) return FieldError(name, "missing");
  if (!it->is_string()) return FieldError(name, "must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty()) return FieldError(name, "empty");
  if (s.size() > max_chars) return FieldError(name, "too long");
  return s;
}

Status BadProof() {
  return Status::OAuth("invalid_token", "the device proof was refused",
                       Status::Code::kUnauthenticated);
}

http::Response ErrorResponse(const Status& status) {
  return http::Response::Error(status, kDeviceAuthScheme);
}

std::string Param(const http::Request& req, std::string_view name) {
  return std::string(req.PathParam(name).value_or(""));
}

// A body that may be absent (deny): empty means {}.
Result<json> BodyOrEmpty(const http::Request& req) {
  if (req.body().empty()) return json::object();
  return req.JsonBody();
}

json PendingJson(const std::vector<Action>& actions) {
  json out = {{"actions", json::array()}};
  for (const auto& a : actions) {
    auto j = ActionToAppJson(a);
    if (j.ok()) out["actions"].push_back(std::move(j).value());
  }
  return out;
}

// Another person's action reads as an unknown one: ids cannot be probed. `read` is the status of
// reading it (an error other than NotFound is passed on).
Status NoSuchAction(const Status& read) {
  if (!read.ok() && read.code() != Status::Code::kNotFound) return read;
  return Status::NotFound("no such action");
}

}  // namespace

Result<approval::Enrolment> ParseEnrolment(const json& body) {
  IDS_RETURN_IF_ERROR(CheckObject(body, {"activation_code", "public_jwk", "name", "pin_input"}));
  approval::Enrolment e;
  IDS_ASSIGN_OR_RETURN(e.activation_code, RequiredString(body, "activation_code", 64));
  auto jwk = body.find("public_jwk");
  if (jwk == body.end()) return FieldError("public_jwk", "missing");
  if (!jwk->is_object()) return FieldError("public_jwk", "must be a JSON object");
  e.public_jwk = *jwk;
  IDS_ASSIGN_OR_RETURN(e.name, RequiredString(body, "name", 256));
  IDS_ASSIGN_OR_RETURN(e.pin_input, RequiredString(body, "pin_input", 64));
  return e;
}

Result<ApproveBody> ParseApproveBody(const json& body) {
  IDS_RETURN_IF_ERROR(
      CheckObject(body, {"pin_input", "verification_code", "device_signature", "sim_signature"}));
  ApproveBody a;
  IDS_ASSIGN_OR_RETURN(a.pin_input, RequiredString(body, "pin_input", 64));
  IDS_ASSIGN_OR_RETURN(a.verification_code, RequiredString(body, "verification_code", 16));
  IDS_ASSIGN_OR_RETURN(a.device_signature, RequiredString(body, "device_signature", 256));
  if (body.contains("sim_signature")) {
    IDS_ASSIGN_OR_RETURN(a.sim_signature, RequiredString(body, "sim_signature", 256));
  }
  return a;
}

Result<json> ActionToAppJson(const Action& a) {
  IDS_ASSIGN_OR_RETURN(json digest_input, approval::DigestInput(a));
  digest_input.erase("verification_code");
  json out = {{"id", a.id},
              {"type", approval::ActionTypeName(a.type)},
              {"member", a.member_display_name},
              {"display", a.display},
              {"level", approval::AssuranceLevelName(a.level)},
              {"expires_at", a.expires_at},
              {"nonce", a.nonce},
              {"state", approval::ActionStateName(a.state)},
              {"digest_input", std::move(digest_input)}};
  // Number matching: the person must pick the code the page shows, so the app is not told it.
  if (a.code_choices.empty()) {
    out["verification_code"] = a.verification_code;
  } else {
    out["code_choices"] = a.code_choices;
  }
  return out;
}

DeviceApi::DeviceApi(store::Database& db, identity::Identities& identities,
                     approval::Devices& devices, approval::Actions& actions, const QrCodes& qr,
                     const Clock& clock, DeviceApiOptions options)
    : db_(db),
      identities_(identities),
      devices_(devices),
      actions_(actions),
      qr_(qr),
      clock_(clock),
      options_(std::move(options)) {}

Result<Device> DeviceApi::Authenticate(const http::Request& req, store::DeferredOnce* proof_jti) {
  if (req.HeaderCount("authorization") != 1) return BadProof();
  IDS_ASSIGN_OR_RETURN(DeviceProof proof,
                       ParseDeviceAuthorization(*req.GetHeader("authorization")));
  // docs/app-api.md: a proof not even shaped right is named, its claims too (a missing or extra
  // claim, a wrong type): the shape says nothing about any device.
  IDS_RETURN_IF_ERROR(ParseDeviceProofClaims(proof.jws.payload).status());
  auto device = approval::LoadDevice(db_, proof.device_id);
  if (!device.ok()) {
    if (device.status().code() == Status::Code::kNotFound) return BadProof();
    return device.status();
  }
  if (device->status != approval::DeviceStatus::kActive) return BadProof();
  const std::string& target = req.target();
  const std::string url =
      options_.public_base_url + target.substr(0, target.find('?'));  // RFC 9449 §4.3 (9)
  const int64_t now = clock_.NowSeconds();
  auto verified = VerifyDeviceProof(proof, *device->public_key, req.method(), url, now,
                                    options_.proof_leeway_seconds);
  if (!verified.ok()) {
    if (verified.status().oauth_error().empty()) return verified.status();
    // docs/app-api.md: past its shape, a refused proof is refused in one way, whether its device
    // exists or not; the reason goes to the log only.
    log::Info("device proof refused",
              {{"request_id", req.request_id()}, {"reason", verified.status().message()}});
    return BadProof();
  }
  const DeviceProofClaims& claims = *verified;
  // RFC 9449 §11.1: each proof once; kept until it would be refused for its age anyway.
  store::DeferredOnce once(db_, "device_proof", device->id + ":" + claims.jti,
                           claims.iat + options_.proof_leeway_seconds + 1);
  if (proof_jti != nullptr) {
    *proof_jti = std::move(once);
  } else {
    IDS_ASSIGN_OR_RETURN(bool first, once.Settle());
    if (!first) return BadProof();
  }
  auto identity = identities_.StatusOf(device->identity_id);
  if (!identity.ok() || *identity != identity::IdentityStatus::kActive) {
    if (proof_jti != nullptr) (void)proof_jti->Settle();  // spent by its refusal all the same
    return BadProof();
  }
  return device;
}

Result<http::Response> DeviceApi::Enrol(const http::Request& req) {
  IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
  IDS_ASSIGN_OR_RETURN(approval::Enrolment enrolment, ParseEnrolment(body));
  IDS_ASSIGN_OR_RETURN(Device device, devices_.Enrol(enrolment));
  http::Response r =
      http::Response::Json(201, {{"device_id", device.id}, {"device", device.ToJson()}});
  r.SetHeader("Location", "/app/v1/devices/" + device.id);
  return r;
}

Result<http::Response> DeviceApi::ListDevices(const http::Request&, const Device& caller) {
  IDS_ASSIGN_OR_RETURN(auto devices, devices_.List(caller.identity_id));
  json out = {{"devices", json::array()}};
  for (const auto& d : devices) {
    json j = d.ToJson();
    j["current"] = d.id == caller.id;
    out["devices"].push_back(std::move(j));
  }
  return http::Response::Json(200, out);
}

Result<http::Response> DeviceApi::RemoveDevice(const http::Request& req, const Device& caller) {
  IDS_RETURN_IF_ERROR(
      devices_.Remove(caller.identity_id, Param(req, "device_id"), "device:" + caller.id));
  return http::Response(204);
}

Result<Action> DeviceApi::OwnAction(std::string_view action_id, const Device& caller) {
  auto action = actions_.Get(action_id);
  if (!action.ok() || action->identity_id != caller.identity_id) {
    return NoSuchAction(action.status());
  }
  return action;
}

Result<http::Response> DeviceApi::GetAction(const http::Request& req, const Device& caller) {
  IDS_ASSIGN_OR_RETURN(Action action, OwnAction(Param(req, "action_id"), caller));
  IDS_ASSIGN_OR_RETURN(json out, ActionToAppJson(action));
  return http::Response::Json(200, out);
}

Result<http::Response> DeviceApi::Approve(const http::Request& req, const Device& caller,
                                          store::DeferredOnce& proof_jti) {
  // Any refusal waits for the proof's jti: a replayed proof is refused as such, whatever else.
  auto refuse = [&](const Status& s) -> Status {
    IDS_ASSIGN_OR_RETURN(bool first, proof_jti.Settle());
    return first ? s : BadProof();
  };
  auto body = req.JsonBody();
  if (!body.ok()) return refuse(body.status());
  auto a = ParseApproveBody(*body);
  if (!a.ok()) return refuse(a.status());
  // Read once for the whole approval (Actions::Approve verifies against it); a pending action
  // past its expiry is refused there as expired, after the PIN as before.
  auto action = actions_.Load(Param(req, "action_id"));
  if (!action.ok() || action->action.identity_id != caller.identity_id) {
    return refuse(NoSuchAction(action.status()));
  }
  // The knowledge factor first; a refusal counts towards the lock and says nothing more. A
  // wrong PIN is recorded with the proof's jti; a right one in the approval's own transaction,
  // with the jti and the decision (one write per approval).
  auto pin = devices_.CheckPin(caller, a->pin_input);
  if (!pin.ok()) return refuse(pin.status());
  if (!pin->match) return refuse(devices_.SettlePin(*pin, &proof_jti));
  const approval::Approval approval{.action_id = action->action.id,
                                    .device_id = caller.id,
                                    .verification_code = a->verification_code,
                                    .device_signature = a->device_signature,
                                    .sim_signature = a->sim_signature,
                                    .pin = &*pin,
                                    .once = &proof_jti,
                                    .device = &caller,
                                    .loaded = &*action};
  auto decided = actions_.Approve(approval);
  if (!decided.ok()) {
    // Refused before its transaction committed: the PIN was right all the same.
    if (proof_jti.pending()) (void)devices_.SettlePin(*pin, &proof_jti);
    return refuse(decided.status());
  }
  IDS_ASSIGN_OR_RETURN(json out, ActionToAppJson(*decided));
  return http::Response::Json(200, out);
}

Result<http::Response> DeviceApi::Deny(const http::Request& req, const Device& caller) {
  IDS_ASSIGN_OR_RETURN(json body, BodyOrEmpty(req));
  IDS_RETURN_IF_ERROR(CheckObject(body, {}));
  IDS_ASSIGN_OR_RETURN(Action action, OwnAction(Param(req, "action_id"), caller));
  IDS_ASSIGN_OR_RETURN(Action decided, actions_.Deny(action.id, caller.id));
  IDS_ASSIGN_OR_RETURN(json out, ActionToAppJson(decided));
  return http::Response::Json(200, out);
}

Result<http::Response> DeviceApi::Claim(const http::Request& req, const Device& caller) {
  IDS_ASSIGN_OR_RETURN(json body, req.JsonBody());
  IDS_RETURN_IF_ERROR(CheckObject(body, {"qr"}));
  IDS_ASSIGN_OR_RETURN(std::string qr, RequiredString(body, "qr", 256));
  auto action_id = qr_.Verify(qr);
  if (!action_id.ok()) return FieldError("qr", "not a valid (or a stale) QR code: scan it again");
  IDS_ASSIGN_OR_RETURN(Action action, actions_.Claim(*action_id, caller.identity_id));
  IDS_ASSIGN_OR_RETURN(json out, ActionToAppJson(action));
  return http::Response::Json(200, out);
}

Result<int> DeviceApi::WaitSeconds(const http::Request& req) const {
  IDS_ASSIGN_OR_RETURN(auto query, req.QueryParams());
  IDS_RETURN_IF_ERROR(query.CheckNoDuplicates());
  int wait = 0;
  for (const auto& [name, value] : query.entries()) {
    if (name != "wait") return FieldError("query", "unknown parameter (only wait)");
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), wait);
    if (ec != std::errc() || p != value.data() + value.size() || value.size() > 3 || wait < 0 ||
        wait > options_.max_wait_seconds)
      return FieldError(
          "wait", "must be a number of seconds 0.." + std::to_string(options_.max_wait_seconds));
  }
  return wait;
}

Result<std::vector<Action>> DeviceApi::Pending(const Device& caller, bool recheck) {
  IDS_ASSIGN_OR_RETURN(std::vector<Action> pending, actions_.Pending(caller.identity_id));
  if (pending.empty() || !recheck) return pending;
  auto device = approval::LoadDevice(db_, caller.id);
  if (!device.ok() && device.status().code() != Status::Code::kNotFound) return device.status();
  if (!device.ok() || device->status != approval::DeviceStatus::kActive) return BadProof();
  IDS_ASSIGN_OR_RETURN(identity::IdentityStatus identity, identities_.StatusOf(caller.identity_id));
  if (identity != identity::IdentityStatus::kActive) return BadProof();
  return pending;
}

void AddDeviceRoutes(http::Router& router, DeviceApi& api) {
  using Method = Result<http::Response> (DeviceApi::*)(const http::Request&, const Device&);
  auto add = [&](std::string_view method, std::string_view path, std::string name, Method m) {
    router.Add(method, path, std::move(name), [&api, m](http::Request& req) {
      auto device = api.Authenticate(req);
      if (!device.ok()) return ErrorResponse(device.status());
      auto r = (api.*m)(req, *device);
      return r.ok() ? std::move(r).value() : ErrorResponse(r.status());
    });
  };
  router.Add("POST", "/app/v1/devices", "app_enrol", [&api](http::Request& req) {
    auto r = api.Enrol(req);
    return r.ok() ? std::move(r).value() : ErrorResponse(r.status());
  });
  add("GET", "/app/v1/devices", "app_devices", &DeviceApi::ListDevices);
  add("DELETE", "/app/v1/devices/{device_id}", "app_device_remove", &DeviceApi::RemoveDevice);
  add("GET", "/app/v1/actions/{action_id}", "app_action", &DeviceApi::GetAction);
  router.Add("POST", "/app/v1/actions/{action_id}/approve", "app_approve",
             [&api](http::Request& req) {
               store::DeferredOnce proof_jti;  // accepted by Approve
               auto device = api.Authenticate(req, &proof_jti);
               if (!device.ok()) return ErrorResponse(device.status());
               auto r = api.Approve(req, *device, proof_jti);
               return r.ok() ? std::move(r).value() : ErrorResponse(r.status());
             });
  add("POST", "/app/v1/actions/{action_id}/deny", "app_deny", &DeviceApi::Deny);
  add("POST", "/app/v1/claim", "app_claim", &DeviceApi::Claim);

  namespace asio = boost::asio;
  router.Add("GET", "/app/v1/actions", "app_actions",
             [&api](http::Request& req) -> asio::awaitable<http::Response> {
               auto device = api.Authenticate(req);
               if (!device.ok()) co_return ErrorResponse(device.status());
               auto wait = api.WaitSeconds(req);
               if (!wait.ok()) co_return ErrorResponse(wait.status());
               // Real time, not the injected Clock: how long to hold the connection.
               const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*wait);
               asio::steady_timer timer(co_await asio::this_coro::executor);
               for (bool first = true;; first = false) {
                 auto pending = api.Pending(*device, /*recheck=*/!first);
                 if (!pending.ok()) co_return ErrorResponse(pending.status());
                 const auto now = std::chrono::steady_clock::now();
                 if (!pending->empty() || now >= deadline)
                   co_return http::Response::Json(200, PendingJson(*pending));
                 timer.expires_after(std::min<std::chrono::steady_clock::duration>(
                     api.options().poll_interval, deadline - now));
                 boost::system::error_code ec;
                 co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
               }
             });
}

}  // namespace idscheme::app
