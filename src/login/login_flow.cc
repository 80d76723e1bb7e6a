#include "login/login_flow.h"

#include <algorithm>

#include "approval/devices.h"
#include "common/base64url.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "login/messages.h"
#include "login/qr_image.h"
#include "oidc/acr.h"
#include "oidc/authorization_endpoint.h"
#include "oidc/authorization_response.h"
#include "oidc/claims_release.h"

namespace idscheme::login {
namespace {

constexpr std::string_view kSessionPrefix = "lgn_";

approval::AssuranceLevel ToApprovalLevel(registry::AssuranceLevel level) {
  return level == registry::AssuranceLevel::kAdvanced ? approval::AssuranceLevel::kAdvanced
                                                      : approval::AssuranceLevel::kBasic;
}

std::string PhoneKey(std::string_view phone) {
  auto digest = crypto::Sha256(phone);
  return "phone:" + Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size()));
}

// The store could not be reached: nothing was done, the person may try again.
http::Response Unavailable(std::string_view locale) {
  return RenderMessagePage(locale, Text(locale, Msg::kUnavailable), 503);
}

// Rate limited: when the window that refused this ends (RFC 6585 §4, RFC 9110 §10.2.3).
http::Response TooMany(const PageContext& ctx, const RateVerdict& verdict) {
  http::Response r = RenderTooManyPage(ctx);
  r.SetHeader("Retry-After", std::to_string(verdict.retry_after_seconds));
  return r;
}

// The browser's language, for pages shown before the request's ui_locales are known.
std::string BrowserLocale(const http::Request& http) {
  std::vector<std::string> none;
  return ChooseLocale(none, http.GetHeader("Accept-Language").value_or(""));
}

}  // namespace

std::optional<std::string> NormalizePhoneNumber(std::string_view typed) {
  if (typed.size() > 32) return std::nullopt;
  std::string out;
  for (char c : typed) {
    if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '\t') continue;
    out.push_back(c);
  }
  if (out.rfind("00", 0) == 0) out = "+" + out.substr(2);
  if (!oidc::IsE164PhoneNumber(out)) return std::nullopt;
  return out;
}

Status ValidateLoginOptions(const LoginOptions& o) {
  if (o.session_lifetime_seconds < 60 || o.session_lifetime_seconds > 3600)
    return Status::InvalidArgument("login.session_lifetime_seconds: must be 60..3600");
  if (o.actions_per_phone_per_hour < 1 || o.actions_per_phone_per_hour > 1000)
    return Status::InvalidArgument("login.actions_per_phone_per_hour: must be 1..1000");
  if (o.actions_per_address_per_minute < 1 || o.actions_per_address_per_minute > 100000)
    return Status::InvalidArgument("login.actions_per_address_per_minute: must be 1..100000");
  return Status::Ok();
}

LoginFlow::LoginFlow(LoginDeps deps, LoginOptions options)
    : deps_(std::move(deps)),
      options_(std::move(options)),
      sessions_(deps_.db, deps_.clock, deps_.random),
      limiter_(deps_.db, deps_.clock),
      secure_cookie_(options_.issuer.rfind("https://", 0) == 0) {}

registry::Decision LoginFlow::CheckPolicy(const oidc::ValidatedAuthorizationRequest& request) {
  return deps_.registry.policy().Check(oidc::PolicyRequestFor(request));
}

http::Response LoginFlow::Begin(const oidc::ValidatedAuthorizationRequest& request,
                                const http::Request& http) {
  std::string locale =
      ChooseLocale(request.ui_locales, http.GetHeader("Accept-Language").value_or(""));
  auto created = sessions_.Create(request, locale, options_.session_lifetime_seconds);
  if (!created.ok()) {
    return oidc::ErrorPage("temporarily_unavailable", "the service is temporarily unavailable",
                           503);
  }
  const std::string path = std::string(kLoginPrefix) + created->session.id;
  http::Response r = http::Response::Redirect(303, path);
  // RFC 6265bis: scoped to this session's pages, not readable by script, not sent on cross-site
  // subrequests or posts (SameSite=Lax also blocks cross-site form posts to our pages).
  std::string cookie = std::string(kCookieName) + "=" + created->browser_secret + "; Path=" + path +
                       "; Max-Age=" + std::to_string(options_.session_lifetime_seconds) +
                       "; HttpOnly; SameSite=Lax";
  if (secure_cookie_) cookie += "; Secure";
  r.SetHeader("Set-Cookie", std::move(cookie));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

Result<LoginFlow::Loaded> LoginFlow::Load(const http::Request& http) {
  auto id = http.PathParam("id");
  if (!id || id->rfind(kSessionPrefix, 0) != 0 || id->size() > 80)
    return Status::NotFound("no such login session");
  IDS_ASSIGN_OR_RETURN(LoginSession session, sessions_.Get(*id, http.CookieValue(kCookieName)));
  Loaded l;
  l.ctx.locale = session.locale;
  l.ctx.session_id = session.id;
  l.ctx.redirect_uri = session.request.redirect_uri;
  auto member = deps_.registry.members().Get(session.request.member_id);
  if (!member.ok()) return member.status();
  l.ctx.member_name = member->display_name;
  switch (session.state) {
    case SessionState::kPhone:
      l.view = View::kPhone;
      break;
    case SessionState::kDone:
      l.view = View::kDone;
      break;
    case SessionState::kWaiting:
      if (session.action_id.empty()) {
        // A decoy: pending until its expiry, then expired, like an action nobody answers.
        l.view =
            deps_.clock.NowSeconds() < session.decoy_expires_at ? View::kPending : View::kExpired;
        break;
      }
      IDS_ASSIGN_OR_RETURN(l.action, deps_.actions.Get(session.action_id));
      switch (l.action->state) {
        case approval::ActionState::kPending:
          l.view = View::kPending;
          break;
        case approval::ActionState::kApproved:
          l.view = View::kApproved;
          break;
        case approval::ActionState::kDenied:
          l.view = View::kDenied;
          break;
        case approval::ActionState::kExpired:
          l.view = View::kExpired;
          break;
        case approval::ActionState::kCancelled:
          l.view = l.action->decided_by == approval::kDecidedByDeviceLocked ? View::kLocked
                   : l.action->decided_by == approval::kDecidedByLevelUnreachable
                       ? View::kUnreachable
                       : View::kCancelled;
          break;
      }
      break;
  }
  l.session = std::move(session);
  return l;
}

http::Response LoginFlow::SessionGone(const http::Request& http) {
  const std::string locale = BrowserLocale(http);
  return RenderMessagePage(locale, Text(locale, Msg::kSessionGone), 404);
}

std::vector<std::string> LoginFlow::ClaimsToShow(const Loaded& loaded) {
  if (loaded.action) {
    const auto& claims = loaded.action->display.value("claims", nlohmann::json::array());
    std::vector<std::string> out;
    for (const auto& c : claims) {
      if (c.is_string()) out.push_back(c.get<std::string>());
    }
    return out;
  }
  registry::Decision d =
      deps_.registry.policy().Evaluate(oidc::PolicyRequestFor(loaded.session.request));
  return oidc::ClaimsToShow(loaded.session.request, d.terms);
}

http::Response LoginFlow::Show(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok()) {
    if (loaded.status().code() == Status::Code::kNotFound) return SessionGone(http);
    return Unavailable(BrowserLocale(http));
  }
  const Loaded& l = *loaded;
  switch (l.view) {
    case View::kPhone: {
      PhonePage page;
      page.claims = ClaimsToShow(l);
      page.advanced = l.session.request.MinimumLevel() == registry::AssuranceLevel::kAdvanced;
      page.phone = l.session.request.login_hint.value_or("");
      return RenderPhonePage(l.ctx, page);
    }
    case View::kPending: {
      WaitingPage page;
      page.verification_code = l.action ? l.action->verification_code : l.session.decoy_code;
      page.qr = l.session.qr;
      page.claims = ClaimsToShow(l);
      return RenderWaitingPage(l.ctx, page);
    }
    case View::kApproved:
      return IssueCode(l);
    case View::kDenied:
      return RenderOutcomePage(l.ctx, Outcome::kRefused);
    case View::kCancelled:
      return RenderOutcomePage(l.ctx, Outcome::kCancelled);
    case View::kExpired:
      return RenderOutcomePage(l.ctx, Outcome::kExpired);
    case View::kLocked:
      return RenderOutcomePage(l.ctx, Outcome::kLocked);
    case View::kUnreachable:
      return RenderOutcomePage(l.ctx, Outcome::kUnreachable);
    case View::kDone:
      return SessionGone(http);
  }
  return SessionGone(http);
}

Result<approval::Action> LoginFlow::CreateAction(const Loaded& l,
                                                 std::optional<std::string> identity_id,
                                                 const std::vector<std::string>& claims) {
  approval::NewAction a;
  a.type = claims.empty() ? approval::ActionType::kLogin : approval::ActionType::kShareData;
  a.member_id = l.session.request.member_id;
  a.member_display_name = l.ctx.member_name;  // from the registry, never from the request
  a.client_id = l.session.request.client_id;
  a.identity_id = std::move(identity_id);
  a.level = ToApprovalLevel(l.session.request.MinimumLevel());
  a.display = {{"claims", claims}};
  return deps_.actions.Create(a);
}

http::Response LoginFlow::SubmitPhone(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok()) return SessionGone(http);
  Loaded& l = *loaded;
  if (l.view != View::kPhone) return http::Response::Redirect(303, "/login/" + l.session.id);
  auto form = http.FormBody();
  const std::string typed = form.ok() ? std::string(form->Get("phone").value_or("")) : "";
  auto phone = NormalizePhoneNumber(typed);
  if (!phone) {
    PhonePage page;
    page.claims = ClaimsToShow(l);
    page.advanced = l.session.request.MinimumLevel() == registry::AssuranceLevel::kAdvanced;
    page.phone = typed.size() <= 32 ? typed : "";
    page.error = std::string(Text(l.ctx.locale, Msg::kInvalidPhone));
    return RenderPhonePage(l.ctx, page, 400);
  }
  // Issue 4: action creation is limited per client address and per number, in the store (so
  // across nodes). Both answers are the same whether the number is enrolled or not.
  auto within = limiter_.HitAll(
      {{"addr:" + http.remote_address(), 60, options_.actions_per_address_per_minute},
       {PhoneKey(*phone), 3600, options_.actions_per_phone_per_hour}});
  if (!within.ok()) return Unavailable(l.ctx.locale);
  if (!within->within) return TooMany(l.ctx, *within);

  // The member may have been suspended since /authorize: ask again before anyone is disturbed.
  registry::Decision decision = CheckPolicy(l.session.request);
  if (!decision.allowed()) return Refuse(l, decision);
  // Exactly what the app will show and the person approves: the agreement's and the record's
  // claims among those asked for (scope, claims parameter, verified_claims).
  std::vector<std::string> claims = oidc::ClaimsToShow(l.session.request, decision.terms);

  identity::IdentityFilter filter;
  filter.status = identity::IdentityStatus::kActive;
  filter.phone_number = *phone;
  filter.limit = 1;
  auto found = deps_.identities.List(identity::Actor::Operator(), filter);
  std::optional<approval::Action> action;
  if (found.ok() && !found->empty()) {
    auto created = CreateAction(l, found->front().id, claims);
    if (created.ok()) action = std::move(*created);
    // Too many pending for this person: fall through to a decoy, which looks the same.
  } else if (!found.ok()) {
    return Unavailable(l.ctx.locale);
  }
  Status moved;
  if (action) {
    moved = sessions_.StartWaiting(l.session.id, action->id, false);
    if (!moved.ok()) (void)deps_.actions.Cancel(action->id, "system:login_raced");
  } else {
    // The same length of code and the same lifetime as a real action.
    std::string code;
    for (int i = 0; i < deps_.actions.options().code_digits; ++i)
      code.push_back(static_cast<char>('0' + deps_.random.Uniform(10)));
    moved = sessions_.StartDecoy(
        l.session.id, code, deps_.clock.NowSeconds() + deps_.actions.options().default_ttl_seconds);
  }
  return http::Response::Redirect(303, "/login/" + l.session.id);
}

http::Response LoginFlow::ChooseQr(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok()) return SessionGone(http);
  Loaded& l = *loaded;
  if (l.view != View::kPhone || !deps_.qr_content)
    return http::Response::Redirect(303, "/login/" + l.session.id);
  auto by_address =
      limiter_.Hit("addr:" + http.remote_address(), 60, options_.actions_per_address_per_minute);
  if (!by_address.ok()) return Unavailable(l.ctx.locale);
  if (!by_address->within) return TooMany(l.ctx, *by_address);
  registry::Decision decision = CheckPolicy(l.session.request);
  if (!decision.allowed()) return Refuse(l, decision);
  // Exactly what the app will show and the person approves: the agreement's and the record's
  // claims among those asked for (scope, claims parameter, verified_claims).
  std::vector<std::string> claims = oidc::ClaimsToShow(l.session.request, decision.terms);
  auto action = CreateAction(l, std::nullopt, claims);
  if (!action.ok()) return Unavailable(l.ctx.locale);
  if (!sessions_.StartWaiting(l.session.id, action->id, true).ok())
    (void)deps_.actions.Cancel(action->id, "system:login_raced");
  return http::Response::Redirect(303, "/login/" + l.session.id);
}

http::Response LoginFlow::QrImage(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok() || loaded->view != View::kPending || !loaded->session.qr || !loaded->action ||
      loaded->action->identity_id || !deps_.qr_content) {
    return http::Response::Error(Status::NotFound("no QR code to show"));
  }
  auto svg = QrSvg(deps_.qr_content(loaded->action->id));
  if (!svg.ok()) return http::Response::Error(svg.status());
  http::Response r(200);
  r.SetHeader("Content-Type", "image/svg+xml");
  r.SetHeader("Cache-Control", "no-store");
  r.set_body(std::move(*svg));
  return r;
}

http::Response LoginFlow::StatusJson(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok()) return http::Response::Error(Status::NotFound("no such login session"));
  std::string_view state = "pending";
  switch (loaded->view) {
    case View::kPhone:
    case View::kPending:
      state = "pending";
      break;
    case View::kApproved:
      state = "approved";
      break;
    case View::kDenied:
      state = "denied";
      break;
    case View::kExpired:
      state = "expired";
      break;
    case View::kCancelled:
      state = "cancelled";
      break;
    case View::kLocked:
      state = "locked";
      break;
    case View::kUnreachable:
      state = "unreachable";
      break;
    case View::kDone:
      state = "done";
      break;
  }
  http::Response r = http::Response::Json(200, {{"state", state}});
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response LoginFlow::IssueCode(const Loaded& l) {
  const auto& request = l.session.request;
  const approval::Action& action = *l.action;
  // A member suspended or terminated after the approval gets nothing (issue 3).
  registry::Decision decision = CheckPolicy(request);
  if (!decision.allowed()) return Refuse(l, decision);
  // OIDC Core §3.1.2.2: when the request named a sub, only that person may be answered with a
  // code; anyone else who approved gets the client nothing.
  if (std::vector<std::string> wanted = request.claims.RequestedSubjects(); !wanted.empty()) {
    Result<std::string> sub =
        deps_.subject_of ? deps_.subject_of(request.client_id, action.identity_id.value_or(""))
                         : Status::Internal("no subject function");
    if (!sub.ok()) {
      log::Write(log::Level::kError, "subject not computed", {{"error", sub.status().ToString()}});
      return Finish(l, "server_error", "");
    }
    if (std::find(wanted.begin(), wanted.end(), *sub) == wanted.end())
      return Finish(l, "access_denied", "the person who approved is not the sub the request named");
  }
  if (!sessions_.Finish(l.session.id).ok())
    return RenderMessagePage(l.ctx.locale, Text(l.ctx.locale, Msg::kSessionGone), 404);
  oidc::ApprovedAuthorization grant;
  grant.client_id = request.client_id;
  grant.member_id = request.member_id;
  grant.identity_id = action.identity_id.value_or("");
  grant.redirect_uri = request.redirect_uri;
  grant.scopes = request.scopes;
  grant.nonce = request.nonce;
  grant.code_challenge = request.code_challenge;
  grant.code_challenge_method = request.code_challenge_method;
  grant.dpop_jkt = request.dpop_jkt;  // RFC 9449 §10: the code is bound to this key
  grant.claims = request.claims;
  for (const auto& c : action.display.value("claims", nlohmann::json::array())) {
    if (c.is_string()) grant.approved_claims.push_back(c.get<std::string>());
  }
  const bool advanced = action.level == approval::AssuranceLevel::kAdvanced;
  grant.acr = std::string(advanced ? oidc::kAcrAdvanced : oidc::kAcrBasic);
  // RFC 8176: a hardware-held key unlocked by a PIN (two factors); the SIM is a smart card.
  grant.amr = {"hwk", "pin", "mfa"};
  if (advanced) grant.amr.push_back("sc");
  grant.auth_time = action.decided_at_ms.value_or(deps_.clock.NowMillis()) / 1000;
  grant.action_id = action.id;
  auto code = deps_.codes.Issue(grant);
  if (!code.ok()) {
    log::Write(log::Level::kError, "authorization code not stored",
               {{"error", code.status().ToString()}});
    return oidc::RespondToClient(request.redirect_uri, request.response_mode,
                                 {{"error", "server_error"}}, request.state, options_.issuer);
  }
  return oidc::RespondToClient(request.redirect_uri, request.response_mode, {{"code", *code}},
                               request.state, options_.issuer);
}

http::Response LoginFlow::Refuse(const Loaded& l, const registry::Decision& decision) {
  const std::string& error = decision.status.oauth_error();
  return Finish(l, error.empty() ? "access_denied" : error, decision.status.message());
}

http::Response LoginFlow::Finish(const Loaded& l, std::string_view error,
                                 std::string_view description) {
  if (!sessions_.Finish(l.session.id).ok())
    return RenderMessagePage(l.ctx.locale, Text(l.ctx.locale, Msg::kSessionGone), 404);
  oidc::ResponseParams params = {{"error", std::string(error)}};
  if (!description.empty()) params.push_back({"error_description", std::string(description)});
  return oidc::RespondToClient(l.session.request.redirect_uri, l.session.request.response_mode,
                               std::move(params), l.session.request.state, options_.issuer,
                               /*after_post=*/true);
}

http::Response LoginFlow::Continue(const http::Request& http) { return Show(http); }

http::Response LoginFlow::Return(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok()) return SessionGone(http);
  const Loaded& l = *loaded;
  switch (l.view) {
    case View::kDenied:
      return Finish(l, "access_denied", "the person refused the request");
    case View::kCancelled:
      // Ended by the scheme, not by the person: an identity revoked, a member suspended, the
      // person's last device removed.
      return Finish(l, "access_denied",
                    "the request was ended by the scheme before it was approved");
    case View::kExpired:
      return Finish(l, "access_denied", "the request was not approved in time");
    case View::kLocked:
      return Finish(l, "access_denied", "the app is locked");
    case View::kUnreachable:
      // OIDC Core §3.1.2.6 has no code for an unreachable level; as for an essential acr the
      // scheme cannot meet, access_denied, with the reason.
      return Finish(l, "access_denied",
                    "the person's enrolment cannot reach the advanced level (no SIM binding "
                    "for their phone number)");
    default:
      return http::Response::Redirect(303, "/login/" + l.session.id);
  }
}

http::Response LoginFlow::Cancel(const http::Request& http) {
  auto loaded = Load(http);
  if (!loaded.ok()) return SessionGone(http);
  const Loaded& l = *loaded;
  if (l.view == View::kDone) return SessionGone(http);
  if (l.view == View::kApproved) return IssueCode(l);  // approved already: too late to cancel
  if (l.action && l.view == View::kPending) (void)deps_.actions.Cancel(l.action->id, "browser");
  return Finish(l, "access_denied", "the person cancelled the login");
}

void AddLoginRoutes(http::Router& router, LoginFlow& flow) {
  LoginFlow* f = &flow;
  router.Add("GET", kStylePath, "login_css", [](http::Request&) { return StyleSheet(); });
  router.Add("GET", kScriptPath, "login_js", [](http::Request&) { return Script(); });
  // Both issue the authorization code once the person approved (Show on a reload, Continue
  // from the waiting page): no HEAD (RFC 9110 §9.2.1: HEAD is safe).
  http::RouteOptions effects;
  effects.get_has_effects = true;
  router.Add(
      "GET", "/login/{id}", "login", [f](http::Request& r) { return f->Show(r); }, effects);
  router.Add("POST", "/login/{id}/phone", "login_phone",
             [f](http::Request& r) { return f->SubmitPhone(r); });
  router.Add("POST", "/login/{id}/qr", "login_qr",
             [f](http::Request& r) { return f->ChooseQr(r); });
  router.Add("GET", "/login/{id}/qr.svg", "login_qr_svg",
             [f](http::Request& r) { return f->QrImage(r); });
  router.Add("GET", "/login/{id}/status", "login_status",
             [f](http::Request& r) { return f->StatusJson(r); });
  router.Add(
      "GET", "/login/{id}/continue", "login_continue",
      [f](http::Request& r) { return f->Continue(r); }, effects);
  router.Add("POST", "/login/{id}/return", "login_return",
             [f](http::Request& r) { return f->Return(r); });
  router.Add("POST", "/login/{id}/cancel", "login_cancel",
             [f](http::Request& r) { return f->Cancel(r); });
}

}  // namespace idscheme::login
