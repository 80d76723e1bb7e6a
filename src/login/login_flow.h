// The login flow in the browser: from a validated authorization request to the authorization
// code, through the person's approval in the app (SCHEME.md, "How a request flows"; issue 4's
// web pages and issue 5's authorization endpoint, back half).
//
//   GET/POST /authorize  (oidc/authorization_endpoint.h validates, then Begin():)
//       a login session bound to this browser by a cookie; 303 to the session's page
//   GET  /login/{id}           the page for the session's state: phone, waiting, outcome
//   POST /login/{id}/phone     the person's number: rate limits (per number, per client
//                              address), the registry's policy again, then a pending action for
//                              the identity enrolled with that number, or a decoy when there is
//                              none (the page never reveals which); 303 to the waiting page
//   POST /login/{id}/qr        a pending action without a person, for the app to claim by
//                              scanning the rotating QR code
//   GET  /login/{id}/qr.svg    the QR code as it stands now (its content rotates)
//   GET  /login/{id}/status    {"state": "pending" | "approved" | "denied" | "expired" |
//                              "cancelled" | "locked"} for the waiting page's script; read from
//                              the store, so the approval may land on any node. "locked": the
//                              person's last active device locked after wrong PINs (the action
//                              was cancelled by approval::kDecidedByDeviceLocked)
//   GET  /login/{id}/continue  approved: the registry's policy once more (a member suspended
//                              meanwhile gets nothing), the session finished once, the code
//                              issued and sent to the client (authorization_response.h);
//                              refused / expired: the outcome page; pending: the waiting page
//   POST /login/{id}/return    from an outcome page: access_denied to the client
//   POST /login/{id}/cancel    the person gives up: the action is cancelled, access_denied
//
// Thread-safety: stateless apart from the store; safe from any thread and any number of nodes.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "approval/actions.h"
#include "common/clock.h"
#include "common/random.h"
#include "http/router.h"
#include "identity/identities.h"
#include "login/login_sessions.h"
#include "login/pages.h"
#include "oidc/authorization_codes.h"
#include "oidc/authorization_request.h"
#include "registry/registry.h"
#include "store/database.h"

namespace idscheme::login {

inline constexpr std::string_view kCookieName = "idscheme_login";

struct LoginOptions {
  std::string issuer;  // for `iss` in responses and the cookie's Secure flag
  int64_t session_lifetime_seconds = 900;
  int actions_per_phone_per_hour = 10;      // push bombing (issue 4)
  int actions_per_address_per_minute = 30;  // enumeration and flooding from one client address
};

// "login.*" keys name these; InvalidArgument naming the key when out of range.
Status ValidateLoginOptions(const LoginOptions& options);

struct LoginDeps {
  store::Database& db;
  const Clock& clock;
  Random& random;
  approval::Actions& actions;
  identity::Identities& identities;
  registry::Registry& registry;
  oidc::AuthorizationCodes& codes;
  // The rotating QR content for an action (approval QR codes); unset: no QR option.
  std::function<std::string(std::string_view action_id)> qr_content;
  // The sub a client sees for a person (oidc::Provider::SubjectOf), to honour a `sub` the
  // request named (OIDC Core §3.1.2.2); unset: such a request is refused as server_error.
  std::function<Result<std::string>(std::string_view client_id, std::string_view identity_id)>
      subject_of;
};

class LoginFlow {
 public:
  LoginFlow(LoginDeps deps, LoginOptions options);

  // The AuthorizationContinuation (oidc/authorization_endpoint.h).
  http::Response Begin(const oidc::ValidatedAuthorizationRequest& request,
                       const http::Request& http);

  http::Response Show(const http::Request& http);
  http::Response SubmitPhone(const http::Request& http);
  http::Response ChooseQr(const http::Request& http);
  http::Response QrImage(const http::Request& http);
  http::Response StatusJson(const http::Request& http);
  http::Response Continue(const http::Request& http);
  http::Response Return(const http::Request& http);
  http::Response Cancel(const http::Request& http);

  // Deletes old sessions and rate counters (a maintenance task calls it).
  Result<int64_t> PurgeExpired() { return sessions_.PurgeExpired(); }

 private:
  // Where the session stands, as the pages see it.
  enum class View {
    kPhone,
    kPending,
    kApproved,
    kDenied,
    kExpired,
    kCancelled,
    kLocked,
    kUnreachable,  // an advanced request the person's enrolment cannot reach
    kDone
  };
  struct Loaded {
    LoginSession session;
    View view = View::kPhone;
    std::optional<approval::Action> action;
    PageContext ctx;
  };
  Result<Loaded> Load(const http::Request& http);
  http::Response SessionGone(const http::Request& http);
  http::Response Finish(const Loaded& loaded, std::string_view error, std::string_view description);
  http::Response IssueCode(const Loaded& loaded);
  // The policy's refusal, sent to the client (its OAuth error, else access_denied).
  http::Response Refuse(const Loaded& loaded, const registry::Decision& decision);
  std::vector<std::string> ClaimsToShow(const Loaded& loaded);
  registry::Decision CheckPolicy(const oidc::ValidatedAuthorizationRequest& request);
  Result<approval::Action> CreateAction(const Loaded& loaded,
                                        std::optional<std::string> identity_id,
                                        const std::vector<std::string>& claims);

  LoginDeps deps_;
  LoginOptions options_;
  LoginSessions sessions_;
  RateLimiter limiter_;
  bool secure_cookie_ = true;
};

// Registers the routes above and the assets (kStylePath, kScriptPath). `flow` must outlive the
// router.
void AddLoginRoutes(http::Router& router, LoginFlow& flow);

// The number as typed, normalised to E.164: spaces, dots, dashes and brackets dropped, a
// leading "00" read as "+". nullopt when the result is not E.164.
std::optional<std::string> NormalizePhoneNumber(std::string_view typed);

}  // namespace idscheme::login
