#include "oidc/authorization_request.h"

#include <gtest/gtest.h>

#include "oidc/acr.h"
#include "oidc/authorization_response.h"

namespace idscheme::oidc {
namespace {

// The entries of `p`, kept alive for a range-for over a temporary.
std::vector<http::FormParams::Entry> Entries(const http::FormParams& p) { return p.entries(); }

// BASE64URL(SHA256("dBjftJeZ4CVP-mJ0kzyzFfVXiM9H5pctYPHNVHAk5N0")).
constexpr char kChallenge[] = "7X0Pee6cAbJpapaWgtdSwcdxQ1fD5pchD-vbEID86V4";

AuthorizationClient Client() {
  AuthorizationClient c;
  c.client_id = "c_1";
  c.member_id = "m_1";
  c.usable = true;
  c.allows_code_flow = true;
  c.redirect_uris = {"https://rp.example/cb"};
  return c;
}

AuthorizationOptions Options() {
  AuthorizationOptions o;
  o.issuer = "https://id.example";
  return o;
}

http::FormParams Params(std::string_view extra = "") {
  std::string text =
      "response_type=code&client_id=c_1&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
      "&scope=openid&state=s1&code_challenge=" +
      std::string(kChallenge) + "&code_challenge_method=S256";
  if (!extra.empty()) text += "&" + std::string(extra);
  auto p = http::ParseForm(text);
  EXPECT_TRUE(p.ok());
  return *p;
}

// Params() with `name` removed.
http::FormParams Without(std::string_view name, std::string_view extra = "") {
  http::FormParams out;
  for (const auto& [n, v] : Entries(Params())) {
    if (n != name) out.Add(n, v);
  }
  if (!extra.empty()) {
    auto more = http::ParseForm(extra);
    EXPECT_TRUE(more.ok());
    for (const auto& [n, v] : more->entries()) out.Add(n, v);
  }
  return out;
}

AuthorizationError ErrorOf(const AuthorizationOutcome& outcome) {
  const auto* e = std::get_if<AuthorizationError>(&outcome);
  EXPECT_NE(e, nullptr) << "expected an error";
  return e ? *e : AuthorizationError{};
}

TEST(AuthorizationRequest, ValidMinimal) {
  auto outcome = ValidateAuthorizationRequest(Params(), Client(), Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
  EXPECT_EQ(r->client_id, "c_1");
  EXPECT_EQ(r->member_id, "m_1");
  EXPECT_EQ(r->redirect_uri, "https://rp.example/cb");
  EXPECT_EQ(r->response_mode, ResponseMode::kQuery);
  EXPECT_EQ(r->scopes, std::vector<std::string>{"openid"});
  EXPECT_EQ(r->state, "s1");
  EXPECT_FALSE(r->nonce);
  EXPECT_EQ(r->code_challenge, kChallenge);
  EXPECT_EQ(r->code_challenge_method, "S256");
  EXPECT_TRUE(r->claims.empty());
  EXPECT_EQ(r->MinimumLevel(), registry::AssuranceLevel::kBasic);
}

// OIDC Core §3.1.2.1: scope values not understood SHOULD be ignored, locales not supported
// SHOULD NOT be an error; a max_age beyond any real age is just that.
TEST(AuthorizationRequest, WhatIsNotUnderstoodIsLeftOut) {
  auto outcome = ValidateAuthorizationRequest(
      Without("scope",
              "scope=openid+admin+email+x%3Ay&ui_locales=en_US+*+de+en%40x+abcdefghi-x"
              "&max_age=00099999999999999999999"),
      Client(), Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(r->ui_locales, (std::vector<std::string>{"en-US", "de"}));
  EXPECT_EQ(r->max_age, 9'999'999'999);
  EXPECT_EQ(ParseUiLocales(std::string(40, 'a') + " nl " + std::string(20, '-')),
            std::vector<std::string>{"nl"});
  std::string many;
  for (int i = 0; i < 20; ++i) many += "fr ";
  EXPECT_EQ(ParseUiLocales(many).size(), 16u);
}

TEST(AuthorizationRequest, ValidFull) {
  auto outcome = ValidateAuthorizationRequest(
      Params("response_mode=form_post&nonce=n&scope2=x&acr_values=urn%3Aidscheme%3Aloa%3Aadvanced"
             "+urn%3Aidscheme%3Aloa%3Abasic&prompt=login+consent&max_age=0"
             "&login_hint=%2B32470123456&ui_locales=nl-BE+fr&claims=%7B%22userinfo%22%3A%7B"
             "%22email%22%3Anull%7D%7D"),
      Client(), Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
  EXPECT_EQ(r->response_mode, ResponseMode::kFormPost);
  EXPECT_EQ(r->nonce, "n");
  EXPECT_EQ(r->acr_values,
            (std::vector<std::string>{std::string(kAcrAdvanced), std::string(kAcrBasic)}));
  EXPECT_EQ(r->MinimumLevel(), registry::AssuranceLevel::kBasic);
  EXPECT_EQ(r->prompt, (std::vector<std::string>{"login", "consent"}));
  EXPECT_EQ(r->max_age, 0);
  EXPECT_EQ(r->login_hint, "+32470123456");
  EXPECT_EQ(r->ui_locales, (std::vector<std::string>{"nl-BE", "fr"}));
  ASSERT_EQ(r->claims.userinfo.size(), 1u);
  EXPECT_EQ(r->claims_json, R"({"userinfo":{"email":null}})");
}

TEST(AuthorizationRequest, DefaultAcrFromRegistration) {
  AuthorizationClient c = Client();
  c.default_acr_levels = {registry::AssuranceLevel::kAdvanced};
  auto outcome = ValidateAuthorizationRequest(Params(), c, Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->MinimumLevel(), registry::AssuranceLevel::kAdvanced);
}

TEST(AuthorizationRequest, AcrValuesAreAPreference) {
  AuthorizationClient c = Client();
  c.default_acr_levels = {registry::AssuranceLevel::kAdvanced};
  // OIDC Core §3.1.2.1: values the scheme does not define are ignored.
  for (const char* acr : {"acr_values=urn%3Aother%3Aloa", "acr_values=basic", "acr_values=1+2"}) {
    SCOPED_TRACE(acr);
    auto outcome = ValidateAuthorizationRequest(Params(acr), c, Options());
    const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
    ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
    EXPECT_TRUE(r->acr_values.empty());
    EXPECT_EQ(r->MinimumLevel(), registry::AssuranceLevel::kAdvanced);  // the registered default
  }
  auto outcome = ValidateAuthorizationRequest(
      Params("acr_values=urn%3Aother%3Aloa+urn%3Aidscheme%3Aloa%3Aadvanced"), Client(), Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
  EXPECT_EQ(r->acr_values, std::vector<std::string>{std::string(kAcrAdvanced)});
}

TEST(AuthorizationRequest, AnEssentialAcrDecidesTheLevel) {
  // OIDC Core §5.5.1.1: {"id_token":{"acr":{"essential":true,"values":[advanced, other]}}}.
  auto outcome = ValidateAuthorizationRequest(
      Params("acr_values=urn%3Aidscheme%3Aloa%3Abasic&claims=%7B%22id_token%22%3A%7B%22acr%22%3A"
             "%7B%22essential%22%3Atrue%2C%22values%22%3A%5B%22urn%3Aidscheme%3Aloa%3Aadvanced%22"
             "%2C%22urn%3Aother%3Aloa%22%5D%7D%7D%7D"),
      Client(), Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
  EXPECT_EQ(r->acr_values, std::vector<std::string>{std::string(kAcrAdvanced)});
  EXPECT_EQ(r->MinimumLevel(), registry::AssuranceLevel::kAdvanced);
  // Not essential: a preference like acr_values, never a refusal.
  outcome = ValidateAuthorizationRequest(
      Params("claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22values%22%3A%5B%22urn%3Aother%3Aloa"
             "%22%5D%7D%7D%7D"),
      Client(), Options());
  EXPECT_NE(std::get_if<ValidatedAuthorizationRequest>(&outcome), nullptr);
}

struct Case {
  const char* name;
  http::FormParams params;
  AuthorizationClient client;
  const char* error;
  bool redirected;
};

TEST(AuthorizationRequest, Rejections) {
  AuthorizationClient inactive = Client();
  inactive.usable = false;
  AuthorizationClient no_code = Client();
  no_code.allows_code_flow = false;
  AuthorizationClient par_client = Client();
  par_client.require_pushed_authorization_requests = true;
  std::vector<Case> cases = {
      {"duplicate state", Params("state=s2"), Client(), "invalid_request", false},
      {"duplicate scope", Params("scope=openid"), Client(), "invalid_request", false},
      {"no client_id", Without("client_id"), Client(), "invalid_request", false},
      {"other client_id", Without("client_id", "client_id=c_2"), Client(), "invalid_request",
       false},
      {"inactive client", Params(), inactive, "access_denied", false},
      {"client without code flow", Params(), no_code, "unauthorized_client", false},
      {"no redirect_uri", Without("redirect_uri"), Client(), "invalid_request", false},
      {"unregistered redirect_uri",
       Without("redirect_uri", "redirect_uri=https%3A%2F%2Fevil.example%2Fcb"), Client(),
       "invalid_request", false},
      {"redirect_uri with a trailing slash",
       Without("redirect_uri", "redirect_uri=https%3A%2F%2Frp.example%2Fcb%2F"), Client(),
       "invalid_request", false},
      {"redirect_uri differing in case",
       Without("redirect_uri", "redirect_uri=https%3A%2F%2FRP.example%2Fcb"), Client(),
       "invalid_request", false},
      {"response_mode fragment", Params("response_mode=fragment"), Client(), "invalid_request",
       true},
      {"par required by client", Params(), par_client, "invalid_request", true},
      {"no response_type", Without("response_type"), Client(), "invalid_request", true},
      {"response_type token", Without("response_type", "response_type=token"), Client(),
       "unsupported_response_type", true},
      {"response_type code id_token", Without("response_type", "response_type=code+id_token"),
       Client(), "unsupported_response_type", true},
      {"no scope", Without("scope"), Client(), "invalid_scope", true},
      {"scope without openid", Without("scope", "scope=profile"), Client(), "invalid_scope", true},
      {"no code_challenge", Without("code_challenge"), Client(), "invalid_request", true},
      {"plain method", Without("code_challenge_method", "code_challenge_method=plain"), Client(),
       "invalid_request", true},
      {"method defaults to plain", Without("code_challenge_method"), Client(), "invalid_request",
       true},
      {"short challenge", Without("code_challenge", "code_challenge=abc"), Client(),
       "invalid_request", true},
      {"challenge not base64url",
       Without("code_challenge", "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGg3Ibf4Tw%2B"),
       Client(), "invalid_request", true},
      {"nonce too long", Params("nonce=" + std::string(kMaxNonceLength + 1, 'n')), Client(),
       "invalid_request", true},
      {"claims not JSON", Params("claims=%7B"), Client(), "invalid_request", true},
      {"claims malformed member",
       Params("claims=%7B%22userinfo%22%3A%7B%22x%22%3A%7B%22essential%22%3A%22yes%22%7D%7D%7D"),
       Client(), "invalid_request", true},
      {"essential acr unknown",
       Params("claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A"
              "%22urn%3Aother%3Aloa%22%7D%7D%7D"),
       Client(), "access_denied", true},
      {"prompt none", Params("prompt=none"), Client(), "login_required", true},
      {"prompt none with login", Params("prompt=none+login"), Client(), "invalid_request", true},
      {"prompt unknown", Params("prompt=create"), Client(), "invalid_request", true},
      {"max_age negative", Params("max_age=-1"), Client(), "invalid_request", true},
      {"max_age not a number", Params("max_age=1h"), Client(), "invalid_request", true},
      {"login_hint email", Params("login_hint=a%40b.example"), Client(), "invalid_request", true},
      {"login_hint without plus", Params("login_hint=32470123456"), Client(), "invalid_request",
       true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AuthorizationError e = ErrorOf(ValidateAuthorizationRequest(c.params, c.client, Options()));
    EXPECT_EQ(e.error, c.error) << e.description;
    EXPECT_EQ(e.redirected(), c.redirected) << e.rule;
    if (e.redirected()) {
      EXPECT_EQ(e.redirect_uri, "https://rp.example/cb");
      EXPECT_EQ(e.state, "s1");
    }
  }
}

// RFC 7638 §3.1's example thumbprint: a SHA-256 JWK thumbprint as RFC 9449 §10 wants it.
constexpr char kThumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

TEST(AuthorizationRequest, DpopJkt) {
  auto outcome = ValidateAuthorizationRequest(Params("dpop_jkt=" + std::string(kThumbprint)),
                                              Client(), Options());
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr) << ErrorOf(outcome).description;
  EXPECT_EQ(r->dpop_jkt, kThumbprint);
  auto none = ValidateAuthorizationRequest(Params(), Client(), Options());
  ASSERT_TRUE(std::holds_alternative<ValidatedAuthorizationRequest>(none));
  EXPECT_FALSE(std::get<ValidatedAuthorizationRequest>(none).dpop_jkt);

  const std::string t = kThumbprint;
  for (const std::string& bad : {t.substr(0, 42), t + "A", t.substr(0, 42) + "=",
                                 t.substr(0, 42) + "+", t.substr(0, 42) + "/",
                                 // 43 characters whose last one carries bits beyond 32 bytes.
                                 t.substr(0, 42) + "t"}) {
    SCOPED_TRACE("dpop_jkt=" + bad);
    AuthorizationError e = ErrorOf(ValidateAuthorizationRequest(
        Params("dpop_jkt=" + http::PercentEncode(bad)), Client(), Options()));
    EXPECT_EQ(e.error, "invalid_request");
    EXPECT_EQ(e.rule, "dpop_jkt");
    EXPECT_TRUE(e.redirected());  // RFC 6749 §4.1.2.1: the redirect_uri was verified already
    EXPECT_EQ(e.state, "s1");
  }
  EXPECT_TRUE(IsDpopJkt(kThumbprint));
  EXPECT_FALSE(IsDpopJkt(t + t));
}

TEST(AuthorizationRequest, ParRequiredByServerPassesWhenPushed) {
  AuthorizationOptions o = Options();
  o.require_pushed_authorization_requests = true;
  EXPECT_EQ(ErrorOf(ValidateAuthorizationRequest(Params(), Client(), o)).rule, "pushed_required");
  RequestSource pushed;
  pushed.pushed = true;
  auto outcome = ValidateAuthorizationRequest(Params(), Client(), o, pushed);
  EXPECT_TRUE(std::holds_alternative<ValidatedAuthorizationRequest>(outcome));
}

TEST(AuthorizationRequest, PkceOptionalWhenConfigured) {
  AuthorizationOptions o = Options();
  o.require_pkce = false;
  http::FormParams no_pkce;
  for (const auto& [n, v] : Entries(Params())) {
    if (n != "code_challenge" && n != "code_challenge_method") no_pkce.Add(n, v);
  }
  auto outcome = ValidateAuthorizationRequest(no_pkce, Client(), o);
  const auto* r = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->code_challenge.empty());
  // plain stays refused even then.
  AuthorizationError e = ErrorOf(ValidateAuthorizationRequest(
      Without("code_challenge_method", "code_challenge_method=plain"), Client(), o));
  EXPECT_EQ(e.rule, "pkce");
}

TEST(AuthorizationRequest, ErrorsUseTheRequestsResponseMode) {
  AuthorizationError e = ErrorOf(ValidateAuthorizationRequest(
      Without("response_type", "response_mode=form_post"), Client(), Options()));
  EXPECT_EQ(e.response_mode, ResponseMode::kFormPost);
  EXPECT_EQ(e.error, "invalid_request");
}

TEST(AuthorizationRequest, TokenResponseTypesAreRefusedInTheFragment) {
  // Multiple Response Types §2.1, §5: never in the query, even when asked for.
  for (const char* params : {"response_type=token", "response_type=code+id_token",
                             "response_type=id_token&response_mode=query"}) {
    SCOPED_TRACE(params);
    AuthorizationError e = ErrorOf(
        ValidateAuthorizationRequest(Without("response_type", params), Client(), Options()));
    EXPECT_EQ(e.error, "unsupported_response_type");
    EXPECT_EQ(e.response_mode, ResponseMode::kFragment);
    EXPECT_EQ(ResponseModeName(e.response_mode), "fragment");
  }
  AuthorizationError form = ErrorOf(ValidateAuthorizationRequest(
      Without("response_type", "response_type=token&response_mode=form_post"), Client(),
      Options()));
  EXPECT_EQ(form.response_mode, ResponseMode::kFormPost);
  AuthorizationError none = ErrorOf(ValidateAuthorizationRequest(
      Without("response_type", "response_type=none"), Client(), Options()));
  EXPECT_EQ(none.response_mode, ResponseMode::kQuery);
}

// RFC 6749 §4.1.2.1: a redirected error carries the exact state; one too long to carry is
// answered on the error page, whichever rule failed.
TEST(AuthorizationRequest, AnOversizedStateGetsTheErrorPage) {
  const std::string long_state = "state=" + std::string(kMaxStateLength + 1, 's');
  AuthorizationError e =
      ErrorOf(ValidateAuthorizationRequest(Without("state", long_state), Client(), Options()));
  EXPECT_EQ(e.rule, "state");
  EXPECT_EQ(e.error, "invalid_request");
  EXPECT_FALSE(e.redirected());
  AuthorizationError earlier = ErrorOf(ValidateAuthorizationRequest(
      Without("state", long_state + "&response_mode=fragment_jwt"), Client(), Options()));
  EXPECT_EQ(earlier.rule, "response_mode");
  EXPECT_FALSE(earlier.redirected());
  // At the limit, the state is echoed as sent.
  const std::string fits(kMaxStateLength, 's');
  AuthorizationError echoed = ErrorOf(ValidateAuthorizationRequest(
      Without("state", "state=" + fits + "&max_age=-1"), Client(), Options()));
  EXPECT_TRUE(echoed.redirected());
  EXPECT_EQ(echoed.state, fits);
}

TEST(AuthorizationRequest, SingleChecks) {
  EXPECT_TRUE(IsE164PhoneNumber("+32470123456"));
  EXPECT_FALSE(IsE164PhoneNumber("+0470123456"));
  EXPECT_FALSE(IsE164PhoneNumber("+3247012345678901"));
  EXPECT_FALSE(IsE164PhoneNumber("+32 470 12 34"));
  EXPECT_TRUE(IsS256CodeChallenge(kChallenge));
  EXPECT_FALSE(IsS256CodeChallenge(std::string(kChallenge) + "A"));
}

TEST(AuthorizationRequest, OptionsAreChecked) {
  EXPECT_TRUE(ValidateAuthorizationOptions(Options()).ok());
  AuthorizationOptions o = Options();
  o.issuer = "https://id.example/";
  EXPECT_FALSE(ValidateAuthorizationOptions(o).ok());
  o = Options();
  o.pushed_request_lifetime_seconds = 3600;
  Status s = ValidateAuthorizationOptions(o);
  EXPECT_NE(s.message().find("oidc.pushed_request_lifetime_seconds"), std::string::npos);
  o = Options();
  o.request_object_max_lifetime_seconds = 7200;
  EXPECT_FALSE(ValidateAuthorizationOptions(o).ok());
}

// --- Responses ---

TEST(AuthorizationResponse, QueryRedirectKeepsTheRegisteredQuery) {
  auto r = RespondToClient("https://rp.example/cb?x=1", ResponseMode::kQuery, {{"code", "a b&c"}},
                           std::string("s 1"), "https://id.example");
  EXPECT_EQ(r.status(), 302);
  EXPECT_EQ(r.GetHeader("Location"),
            "https://rp.example/cb?x=1&code=a%20b%26c&state=s%201&iss=https%3A%2F%2Fid.example");
  auto post = RespondToClient("https://rp.example/cb", ResponseMode::kQuery, {}, std::nullopt,
                              "https://id.example", /*after_post=*/true);
  EXPECT_EQ(post.status(), 303);
  EXPECT_EQ(post.GetHeader("Location"), "https://rp.example/cb?iss=https%3A%2F%2Fid.example");
}

TEST(AuthorizationResponse, FormPostPageHasNoInlineScript) {
  auto r =
      RespondToClient("https://rp.example/cb", ResponseMode::kFormPost,
                      {{"code", "\"><script>x</script>"}}, std::string("s"), "https://id.example");
  EXPECT_EQ(r.status(), 200);
  const std::string& body = r.body();
  EXPECT_NE(body.find("action=\"https://rp.example/cb\""), std::string::npos);
  EXPECT_NE(body.find("&quot;&gt;&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(body.find("<script>"), std::string::npos);
  EXPECT_NE(body.find("<script src=\"/authorize/form_post.js\" defer></script>"),
            std::string::npos);
  EXPECT_NE(body.find("name=\"iss\" value=\"https://id.example\""), std::string::npos);
  auto csp = r.GetHeader("Content-Security-Policy");
  ASSERT_TRUE(csp);
  EXPECT_NE(csp->find("form-action 'self' https://rp.example/cb"), std::string::npos) << *csp;
  EXPECT_NE(csp->find("script-src 'self'"), std::string::npos);
}

TEST(AuthorizationResponse, ErrorRedirectAndPage) {
  AuthorizationError e;
  e.delivery = AuthorizationError::Delivery::kRedirect;
  e.error = "invalid_scope";
  e.description = "scope \"x\"";
  e.redirect_uri = "https://rp.example/cb";
  e.state = "s";
  auto r = RespondWithError(e, "https://id.example");
  EXPECT_EQ(r.status(), 302);
  EXPECT_EQ(r.GetHeader("Location"),
            "https://rp.example/cb?error=invalid_scope&error_description=scope%20%27x%27&state=s"
            "&iss=https%3A%2F%2Fid.example");
  e.delivery = AuthorizationError::Delivery::kErrorPage;
  auto page = RespondWithError(e, "https://id.example");
  EXPECT_EQ(page.status(), 400);
  EXPECT_FALSE(page.GetHeader("Location"));
  EXPECT_NE(page.body().find("invalid_scope"), std::string::npos);
  EXPECT_EQ(page.body().find("<script"), std::string::npos);
}

}  // namespace
}  // namespace idscheme::oidc
