#include "oidc/authorization_request.h"

#include <algorithm>
#include <array>
#include <functional>

#include "common/base64url.h"
#include "oidc/acr.h"
#include "registry/claims.h"

namespace idscheme::oidc {
namespace {

using Params = http::FormParams;

std::vector<std::string> SplitSpaces(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

Status Refuse(std::string error, std::string description) {
  return Status::OAuth(std::move(error), std::move(description));
}

// Parameters arrive duplicate-free (single_use_params runs first), so Get is enough below.
std::optional<std::string_view> Param(const Params& p, std::string_view name) {
  return p.Get(name);
}

struct Context {
  const Params& params;
  const AuthorizationClient& client;
  const AuthorizationOptions& options;
  ValidatedAuthorizationRequest& out;
};

using Rule = std::function<Status(Context&)>;

// --- Before the redirect_uri is verified: errors are shown, not redirected. ---

Status SingleUseParams(Context& c) {
  // RFC 6749 §3.1: request parameters MUST NOT be included more than once.
  Status s = c.params.CheckNoDuplicates();
  if (!s.ok()) return Refuse("invalid_request", s.message());
  return Status::Ok();
}

Status ClientId(Context& c) {
  auto id = Param(c.params, "client_id");
  // RFC 6749 §4.1.1: client_id is required.
  if (!id) return Refuse("invalid_request", "client_id is required");
  if (*id != c.client.client_id) return Refuse("invalid_request", "client_id does not match");
  c.out.client_id = c.client.client_id;
  c.out.member_id = c.client.member_id;
  return Status::Ok();
}

Status ClientUsable(Context& c) {
  // RFC 6749 §4.1.2.1: the authorization server denies a suspended client or member.
  if (!c.client.usable) return Refuse("access_denied", "client is not active");
  // RFC 6749 §4.1.2.1: the client is not authorized for this flow.
  if (!c.client.allows_code_flow)
    return Refuse("unauthorized_client",
                  "client is not registered for the authorization code flow");
  return Status::Ok();
}

Status RedirectUri(Context& c) {
  auto uri = Param(c.params, "redirect_uri");
  // OIDC Core §3.1.2.1: redirect_uri is required and must exactly match a registered one.
  if (!uri) return Refuse("invalid_request", "redirect_uri is required");
  if (!c.client.IsRegisteredRedirectUri(*uri))
    return Refuse("invalid_request", "redirect_uri is not registered for this client");
  c.out.redirect_uri = std::string(*uri);
  return Status::Ok();
}

// --- After: errors are redirected. ---

Status ResponseModeRule(Context& c) {
  auto mode = Param(c.params, "response_mode");
  // OAuth 2.0 Multiple Response Types §2.1 (query), Form Post Response Mode §2 (form_post).
  if (!mode || *mode == "query") {
    c.out.response_mode = ResponseMode::kQuery;
  } else if (*mode == "form_post") {
    c.out.response_mode = ResponseMode::kFormPost;
  } else {
    return Refuse("invalid_request", "response_mode must be query or form_post");
  }
  return Status::Ok();
}

Status State(Context& c) {
  auto state = Param(c.params, "state");
  if (!state) return Status::Ok();
  if (state->size() > kMaxStateLength) return Refuse("invalid_request", "state is too long");
  c.out.state = std::string(*state);
  return Status::Ok();
}

Status PushedRequired(Context& c) {
  // RFC 9126 §5 / §6: a client (or server) requiring PAR has its plain requests refused.
  bool required = c.options.require_pushed_authorization_requests ||
                  c.client.require_pushed_authorization_requests;
  if (required && !c.out.source.pushed)
    return Refuse("invalid_request", "pushed authorization requests are required");
  return Status::Ok();
}

Status ResponseType(Context& c) {
  auto type = Param(c.params, "response_type");
  // RFC 6749 §4.1.1: required. Only the authorization code flow is offered.
  if (!type) return Refuse("invalid_request", "response_type is required");
  if (*type != "code") {
    // OAuth 2.0 Multiple Response Types §2.1, §5 (RFC 6749 §4.2.2.1): a response to a type with
    // token or id_token defaults to the fragment, and must not go in the query.
    const std::vector<std::string> values = SplitSpaces(*type);
    if ((Contains(values, "token") || Contains(values, "id_token")) &&
        c.out.response_mode != ResponseMode::kFormPost)
      c.out.response_mode = ResponseMode::kFragment;
    return Refuse("unsupported_response_type", "only response_type=code is supported");
  }
  return Status::Ok();
}

Status Scope(Context& c) {
  auto scope = Param(c.params, "scope");
  // OIDC Core §3.1.2.1: scope must contain openid.
  if (!scope) return Refuse("invalid_scope", "scope is required and must contain openid");
  std::vector<std::string> values = SplitSpaces(*scope);
  if (!Contains(values, "openid")) return Refuse("invalid_scope", "scope must contain openid");
  std::vector<std::string> out = {"openid"};
  for (const auto& v : values) {
    // OIDC Core §3.1.2.1: "Scope values used that are not understood by an implementation
    // SHOULD be ignored." (A known one the client did not register is refused by the policy.)
    if (!registry::IsKnownScope(v)) continue;
    if (!Contains(out, v)) out.push_back(v);
  }
  c.out.scopes = std::move(out);
  return Status::Ok();
}

Status Pkce(Context& c) {
  auto challenge = Param(c.params, "code_challenge");
  auto method = Param(c.params, "code_challenge_method");
  if (!challenge) {
    if (method) return Refuse("invalid_request", "code_challenge_method without code_challenge");
    // RFC 7636 §4.4.1 / FAPI 2.0 §5.3.1.1: PKCE required.
    if (c.options.require_pkce) return Refuse("invalid_request", "code_challenge is required");
    return Status::Ok();
  }
  // RFC 7636 §4.3: the method defaults to plain, which is refused (FAPI 2.0: S256 only).
  if (!method || *method != "S256")
    return Refuse("invalid_request", "code_challenge_method must be S256");
  if (!IsS256CodeChallenge(*challenge))
    return Refuse("invalid_request", "code_challenge must be 43 base64url characters");
  c.out.code_challenge = std::string(*challenge);
  c.out.code_challenge_method = "S256";
  return Status::Ok();
}

Status DpopJkt(Context& c) {
  auto jkt = Param(c.params, "dpop_jkt");
  if (!jkt) return Status::Ok();
  // RFC 9449 §10: the JWK thumbprint (RFC 7638) of the proof key with SHA-256.
  if (!IsDpopJkt(*jkt))
    return Refuse("invalid_request", "dpop_jkt must be a SHA-256 JWK thumbprint (43 base64url)");
  c.out.dpop_jkt = std::string(*jkt);
  return Status::Ok();
}

Status Nonce(Context& c) {
  auto nonce = Param(c.params, "nonce");
  if (!nonce) return Status::Ok();
  if (nonce->size() > kMaxNonceLength) return Refuse("invalid_request", "nonce is too long");
  c.out.nonce = std::string(*nonce);
  return Status::Ok();
}

Status Claims(Context& c) {
  auto claims = Param(c.params, "claims");
  if (!claims) return Status::Ok();
  // OIDC Core §5.5.
  IDS_ASSIGN_OR_RETURN(c.out.claims, ParseClaimsRequest(*claims));
  c.out.claims_json = std::string(*claims);
  return Status::Ok();
}

// The acr URIs the scheme defines among `values`, without duplicates, with their levels.
void KnownAcrs(const std::vector<std::string>& values, ValidatedAuthorizationRequest& out) {
  for (const auto& v : values) {
    auto level = LevelForAcr(v);
    if (!level || Contains(out.acr_values, v)) continue;
    out.acr_values.push_back(v);
    out.acr_levels.push_back(*level);
  }
}

Status AcrValues(Context& c) {
  // OIDC Core §3.1.2.1: acr_values asks for acr as a voluntary claim, in order of preference:
  // values the scheme does not define are ignored, not refused.
  if (auto acr = Param(c.params, "acr_values")) KnownAcrs(SplitSpaces(*acr), c.out);
  // OIDC Core §5.5.1.1: an essential acr with value(s) decides; when the scheme can meet none
  // of them, the authentication fails.
  for (const auto& claim : c.out.claims.id_token) {
    if (claim.name != "acr" || !claim.essential || (!claim.value && claim.values.empty())) continue;
    std::vector<std::string> wanted;
    for (const auto& v : claim.value ? std::vector<nlohmann::json>{*claim.value} : claim.values) {
      if (v.is_string()) wanted.push_back(v.get<std::string>());
    }
    c.out.acr_values.clear();
    c.out.acr_levels.clear();
    KnownAcrs(wanted, c.out);
    if (c.out.acr_values.empty())
      return Refuse("access_denied", "none of the essential acr values can be met");
  }
  // OIDC Registration §2 default_acr_values.
  if (c.out.acr_values.empty()) c.out.acr_levels = c.client.default_acr_levels;
  return Status::Ok();
}

Status Prompt(Context& c) {
  auto prompt = Param(c.params, "prompt");
  if (!prompt) return Status::Ok();
  std::vector<std::string> values = SplitSpaces(*prompt);
  if (values.empty()) return Refuse("invalid_request", "prompt is empty");
  for (const auto& v : values) {
    if (v != "none" && v != "login" && v != "consent" && v != "select_account")
      return Refuse("invalid_request", "unknown prompt value '" + v + "'");
  }
  if (Contains(values, "none")) {
    // OIDC Core §3.1.2.1: none with any other value is an error.
    if (values.size() > 1) return Refuse("invalid_request", "prompt=none with other values");
    // OIDC Core §3.1.2.6: no session to reuse (every login is approved in the app).
    return Refuse("login_required", "every login is approved in the app");
  }
  for (auto& v : values) {
    if (!Contains(c.out.prompt, v)) c.out.prompt.push_back(std::move(v));
  }
  return Status::Ok();
}

Status MaxAge(Context& c) {
  auto text = Param(c.params, "max_age");
  if (!text) return Status::Ok();
  // OIDC Core §3.1.2.1: a non-negative integer number of seconds.
  if (text->empty() || text->size() > 64 ||
      !std::all_of(text->begin(), text->end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return Refuse("invalid_request", "max_age must be a non-negative integer");
  // Beyond ten digits (three centuries) it is the same as none; kept as that much.
  const size_t digits = text->find_first_not_of('0') == std::string_view::npos
                            ? 1
                            : text->size() - text->find_first_not_of('0');
  c.out.max_age = digits > 10 ? int64_t{9'999'999'999} : std::stoll(std::string(*text));
  return Status::Ok();
}

Status LoginHint(Context& c) {
  auto hint = Param(c.params, "login_hint");
  if (!hint) return Status::Ok();
  // The scheme's login hint is the person's phone number.
  if (!IsE164PhoneNumber(*hint))
    return Refuse("invalid_request", "login_hint must be a phone number in E.164 form (+32...)");
  c.out.login_hint = std::string(*hint);
  return Status::Ok();
}

Status UiLocales(Context& c) {
  auto locales = Param(c.params, "ui_locales");
  if (!locales) return Status::Ok();
  c.out.ui_locales = ParseUiLocales(*locales);
  return Status::Ok();
}

struct NamedRule {
  std::string_view name;
  Rule rule;
  bool redirects;
};

// The order in which the rules run (see the header).
const std::array<NamedRule, 18>& Rules() {
  static const std::array<NamedRule, 18> rules = {{
      {"single_use_params", SingleUseParams, false},
      {"client_id", ClientId, false},
      {"client_usable", ClientUsable, false},
      {"redirect_uri", RedirectUri, false},
      {"response_mode", ResponseModeRule, true},
      {"state", State, true},
      {"pushed_required", PushedRequired, true},
      {"response_type", ResponseType, true},
      {"scope", Scope, true},
      {"pkce", Pkce, true},
      {"dpop_jkt", DpopJkt, true},
      {"nonce", Nonce, true},
      {"claims", Claims, true},
      {"acr_values", AcrValues, true},
      {"prompt", Prompt, true},
      {"max_age", MaxAge, true},
      {"login_hint", LoginHint, true},
      {"ui_locales", UiLocales, true},
  }};
  return rules;
}

}  // namespace

Status ValidateAuthorizationOptions(const AuthorizationOptions& o) {
  if (o.issuer.empty() || o.issuer.back() == '/')
    return Status::InvalidArgument("server.issuer: required, without a trailing '/'");
  auto range = [](std::string_view key, int64_t value, int64_t min, int64_t max) {
    if (value >= min && value <= max) return Status::Ok();
    return Status::InvalidArgument("oidc." + std::string(key) + ": must be between " +
                                   std::to_string(min) + " and " + std::to_string(max));
  };
  // RFC 9126 §2.2: short-lived; 5 to 600 seconds.
  IDS_RETURN_IF_ERROR(
      range("pushed_request_lifetime_seconds", o.pushed_request_lifetime_seconds, 5, 600));
  // FAPI 2.0 §5.3.2.1: at most 60 minutes.
  IDS_RETURN_IF_ERROR(range("request_object_max_lifetime_seconds",
                            o.request_object_max_lifetime_seconds, 10, 3600));
  IDS_RETURN_IF_ERROR(range("clock_leeway_seconds", o.clock_leeway_seconds, 0, 300));
  return Status::Ok();
}

std::string_view ResponseModeName(ResponseMode mode) {
  switch (mode) {
    case ResponseMode::kFormPost:
      return "form_post";
    case ResponseMode::kFragment:
      return "fragment";
    case ResponseMode::kQuery:
      break;
  }
  return "query";
}

registry::AssuranceLevel ValidatedAuthorizationRequest::MinimumLevel() const {
  if (acr_levels.empty()) return registry::AssuranceLevel::kBasic;
  return *std::min_element(acr_levels.begin(), acr_levels.end());
}

AuthorizationError PageError(std::string error, std::string description, std::string rule) {
  AuthorizationError e;
  e.delivery = AuthorizationError::Delivery::kErrorPage;
  e.error = std::move(error);
  e.description = std::move(description);
  e.rule = std::move(rule);
  return e;
}

AuthorizationOutcome ValidateAuthorizationRequest(const http::FormParams& params,
                                                  const AuthorizationClient& client,
                                                  const AuthorizationOptions& options,
                                                  RequestSource source) {
  ValidatedAuthorizationRequest out;
  out.source = source;
  Context c{params, client, options, out};
  for (const auto& r : Rules()) {
    Status s = r.rule(c);
    if (s.ok()) continue;
    std::string error = s.oauth_error().empty() ? "invalid_request" : s.oauth_error();
    // RFC 6749 §4.1.2.1: a redirected error carries the exact state the request had; one too
    // long to carry gets the error page instead (the state rule may not have run yet).
    auto state = params.Get("state");
    const bool state_fits = !state || state->size() <= kMaxStateLength;
    if (!r.redirects || !state_fits)
      return PageError(std::move(error), s.message(), std::string(r.name));
    AuthorizationError e;
    e.delivery = AuthorizationError::Delivery::kRedirect;
    e.error = std::move(error);
    e.description = s.message();
    e.rule = std::string(r.name);
    e.redirect_uri = out.redirect_uri;
    e.response_mode = out.response_mode;  // query until response_mode has been read
    if (state) e.state = std::string(*state);
    return e;
  }
  return out;
}

bool IsE164PhoneNumber(std::string_view text) {
  // ITU-T E.164: '+', a country code not starting with 0, at most 15 digits in all.
  if (text.size() < 8 || text.size() > 16 || text[0] != '+' || text[1] == '0') return false;
  return std::all_of(text.begin() + 1, text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

bool IsS256CodeChallenge(std::string_view text) {
  // RFC 7636 §4.2: BASE64URL(SHA256(verifier)), 43 characters without padding.
  if (text.size() != 43) return false;
  auto bytes = Base64UrlDecode(text);
  return bytes.ok() && bytes->size() == 32;
}

std::vector<std::string> ParseUiLocales(std::string_view text) {
  std::vector<std::string> out;
  for (std::string tag : SplitSpaces(text)) {
    if (out.size() == 16) break;
    // A POSIX-style locale (en_US) is what many clients send: read it as the BCP 47 tag.
    std::replace(tag.begin(), tag.end(), '_', '-');
    // BCP 47 shape: alphanumeric subtags of 1 to 8 characters joined by '-'.
    bool ok = !tag.empty() && tag.size() <= 35;
    size_t subtag = 0;
    for (size_t i = 0; ok && i <= tag.size(); ++i) {
      if (i == tag.size() || tag[i] == '-') {
        ok = subtag >= 1 && subtag <= 8;
        subtag = 0;
        continue;
      }
      const char ch = tag[i];
      ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      ++subtag;
    }
    if (ok) out.push_back(std::move(tag));
  }
  return out;
}

bool IsDpopJkt(std::string_view text) {
  // RFC 7638 §3 with SHA-256, base64url without padding (RFC 9449 §6.1): the same shape.
  return IsS256CodeChallenge(text);
}

}  // namespace idscheme::oidc
