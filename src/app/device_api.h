// The device API: what the phone app talks to, JSON over HTTP under /app/v1/ (SCHEME.md, "How a
// request flows"; docs/app-api.md describes it for app developers).
//
//   POST   /app/v1/devices                  enrol: {activation_code, public_jwk, name,
//                                           pin_input} -> 201 {device_id, device}
//   GET    /app/v1/devices                  the person's devices
//   DELETE /app/v1/devices/{device_id}      remove one of them (also the calling one)       204
//   GET    /app/v1/actions?wait=SECONDS     pending actions; with wait (1..30) a long poll that
//                                           returns as soon as there is one
//   GET    /app/v1/actions/{action_id}
//   POST   /app/v1/actions/{action_id}/approve   {pin_input, verification_code,
//                                                 device_signature, sim_signature?}
//   POST   /app/v1/actions/{action_id}/deny
//   POST   /app/v1/claim                    {qr}: claims the action a rotating QR code names
//
// Every call but enrolment carries a device proof (device_proof.h) in `Authorization: Device`;
// a missing or bad proof, a replayed jti, and a locked or removed device or a revoked identity
// all give the same 401 invalid_token. Approve checks the PIN first (Devices::CheckPin: 401
// access_denied for any refusal, five in a row lock the device), then Actions::Approve. Another
// person's action reads as 404, like an unknown one.
//
// The long poll reads the store every poll_interval (no in-memory signal), so an action created
// or decided on another node shows up within one interval. It waits on a steady timer on the
// connection's executor, holding no worker thread; its (short) store reads run on that executor
// too. Each waiting app costs one query per interval: many thousands of waiting apps would want
// PostgreSQL LISTEN/NOTIFY instead (not done yet).
//
// Thread-safety: the handlers are safe from several threads at once. set_public_base_url only
// before the server starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "app/device_proof.h"
#include "app/qr.h"
#include "approval/actions.h"
#include "approval/devices.h"
#include "common/clock.h"
#include "http/router.h"
#include "identity/identities.h"
#include "store/database.h"
#include "store/once.h"

namespace idscheme::app {

struct DeviceApiOptions {
  // The scheme's public URL (the issuer, "https://id.example"): a proof's htu must be this
  // followed by the request path.
  std::string public_base_url;
  int64_t proof_leeway_seconds = 60;  // iat accepted within ±this
  int max_wait_seconds = 30;
  std::chrono::milliseconds poll_interval{250};
};

// POST /app/v1/devices body, strictly: exactly these four members, all required.
Result<approval::Enrolment> ParseEnrolment(const nlohmann::json& body);

struct ApproveBody {
  std::string pin_input;
  std::string verification_code;
  std::string device_signature;
  std::string sim_signature;  // empty when absent
};
Result<ApproveBody> ParseApproveBody(const nlohmann::json& body);

// How the app sees an action: {id, type, member, display, level, expires_at, nonce, state,
// code_choices | verification_code, digest_input}. With number matching the right code is left
// out; `digest_input` is approval::DigestInput without verification_code: the app adds the
// code the person picked, canonicalises (RFC 8785) and signs its SHA-256.
Result<nlohmann::json> ActionToAppJson(const approval::Action& action);

class DeviceApi {
 public:
  DeviceApi(store::Database& db, identity::Identities& identities, approval::Devices& devices,
            approval::Actions& actions, const QrCodes& qr, const Clock& clock,
            DeviceApiOptions options);

  // The calling device, from the request's device proof (consuming its jti). With `proof_jti`,
  // the jti is checked but left to the caller to accept (store::DeferredOnce): the approval
  // accepts it in the write that records the PIN's verdict (with a right PIN, the decision's).
  // Until then the device is not authenticated.
  Result<approval::Device> Authenticate(const http::Request& request,
                                        store::DeferredOnce* proof_jti = nullptr);

  Result<http::Response> Enrol(const http::Request& request);
  Result<http::Response> ListDevices(const http::Request& request, const approval::Device& caller);
  Result<http::Response> RemoveDevice(const http::Request& request, const approval::Device& caller);
  Result<http::Response> GetAction(const http::Request& request, const approval::Device& caller);
  // `proof_jti`: the caller's still pending device proof jti (Authenticate), accepted before any
  // answer (every refusal of a replayed proof is the proof's refusal).
  Result<http::Response> Approve(const http::Request& request, const approval::Device& caller,
                                 store::DeferredOnce& proof_jti);
  Result<http::Response> Deny(const http::Request& request, const approval::Device& caller);
  Result<http::Response> Claim(const http::Request& request, const approval::Device& caller);
  // The long poll's parts: the wait asked for (0..max), and one look at the store. With
  // `recheck` (every look after the first), Pending checks again that the caller's device and
  // identity are still active when it finds actions: a poll outlives the proof that opened it,
  // and the device may have been removed or locked, or its identity revoked, meanwhile. The
  // refusal is the refused proof's.
  Result<int> WaitSeconds(const http::Request& request) const;
  Result<std::vector<approval::Action>> Pending(const approval::Device& caller, bool recheck);

  void set_public_base_url(std::string url) { options_.public_base_url = std::move(url); }
  const DeviceApiOptions& options() const { return options_; }

 private:
  // The caller's action, or NotFound when unknown or another person's.
  Result<approval::Action> OwnAction(std::string_view action_id, const approval::Device& caller);

  store::Database& db_;
  identity::Identities& identities_;
  approval::Devices& devices_;
  approval::Actions& actions_;
  const QrCodes& qr_;
  const Clock& clock_;
  DeviceApiOptions options_;
};

void AddDeviceRoutes(http::Router& router, DeviceApi& api);

}  // namespace idscheme::app
