// The login part's pieces: phone number normalisation, language choice, the pages (no secret
// field, strict CSP, escaping), QR images, and the session store and rate counters on both
// backends. The flow end to end (browser, app, code, tokens) is tested at the node
// (server/login_e2e_test.cc) and with a real OIDC client and Chromium (e2e/).
#include <gtest/gtest.h>

#include <thread>

#include "common/clock.h"
#include "common/random.h"
#include "login/login_flow.h"
#include "login/login_sessions.h"
#include "login/messages.h"
#include "login/pages.h"
#include "login/qr_image.h"
#include "oidc/claims_release.h"
#include "store/migrations.h"
#include "testing/test_db.h"

namespace idscheme::login {
namespace {

using idscheme::testing::Backend;

TEST(PhoneNumber, NormalisesWhatPeopleType) {
  EXPECT_EQ(NormalizePhoneNumber("+32 470 12 34 56"), "+32470123456");
  EXPECT_EQ(NormalizePhoneNumber("0032-470.12(34)56"), "+32470123456");
  EXPECT_EQ(NormalizePhoneNumber("+32470123456"), "+32470123456");
}

TEST(PhoneNumber, RefusesWhatIsNotE164) {
  EXPECT_FALSE(NormalizePhoneNumber(""));
  EXPECT_FALSE(NormalizePhoneNumber("0470123456"));   // national format
  EXPECT_FALSE(NormalizePhoneNumber("+0470123456"));  // no country code starts with 0
  EXPECT_FALSE(NormalizePhoneNumber("+32 470 12 34 5x"));
  EXPECT_FALSE(NormalizePhoneNumber("+1234567890123456"));  // 16 digits: E.164 allows 15
  EXPECT_FALSE(NormalizePhoneNumber(std::string(40, '1')));
}

TEST(Locale, UiLocalesFirstThenAcceptLanguageThenEnglish) {
  std::vector<std::string> ui = {"es", "nl-BE", "fr"};
  EXPECT_EQ(ChooseLocale(ui, "de"), "nl");
  std::vector<std::string> none;
  EXPECT_EQ(ChooseLocale(none, "es;q=1, fr;q=0.4, de-CH;q=0.8"), "de");
  EXPECT_EQ(ChooseLocale(none, "fr-FR,fr;q=0.9,en;q=0.8"), "fr");
  EXPECT_EQ(ChooseLocale(none, "es, it"), "en");
  EXPECT_EQ(ChooseLocale(none, ""), "en");
  // Malformed q-values are skipped, not trusted.
  EXPECT_EQ(ChooseLocale(none, "de;q=2, nl;q=abc, fr;q=0.5"), "fr");
}

TEST(Locale, EveryMessageExistsInEveryLanguage) {
  for (auto locale : SupportedLocales()) {
    for (int m = 0; m < static_cast<int>(Msg::kCount); ++m) {
      EXPECT_FALSE(Text(locale, static_cast<Msg>(m)).empty()) << locale << " " << m;
    }
  }
  EXPECT_EQ(Text("nl", Msg::kCancel), "Annuleren");
  EXPECT_EQ(ClaimLabel("de", "given_name"), "Vorname");
  EXPECT_EQ(ClaimLabel("fr", "urn:example:unknown"), "urn:example:unknown");
  // Every claim that can be released has a name the person reads, in every language.
  for (auto locale : SupportedLocales()) {
    for (std::string_view claim : oidc::ReleasableClaims())
      EXPECT_NE(ClaimLabel(locale, claim), claim) << locale << " " << claim;
  }
}

PageContext Ctx(std::string locale = "en") {
  return {std::move(locale), "lgn_abc", "Bank <&> \"Co\"", "https://rp.example/cb"};
}

TEST(Pages, PhonePageAsksOnlyForAPhoneNumber) {
  PhonePage page;
  page.claims = {"given_name", "birthdate"};
  page.phone = "+32\"><script>";
  http::Response r = RenderPhonePage(Ctx(), page);
  const std::string& html = r.body();
  EXPECT_EQ(r.status(), 200);
  // Anti-phishing (issue 4): the only input is the phone number.
  EXPECT_NE(html.find("<input type=\"tel\" name=\"phone\""), std::string::npos);
  size_t inputs = 0;
  for (size_t at = html.find("<input"); at != std::string::npos; at = html.find("<input", at + 1))
    ++inputs;
  EXPECT_EQ(inputs, 1u);
  EXPECT_EQ(html.find("password"), std::string::npos);
  EXPECT_NE(html.find("<label for=\"phone\">"), std::string::npos);
  // The verified name and the typed value are escaped; no inline script or style.
  EXPECT_NE(html.find("Bank &lt;&amp;&gt; &quot;Co&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_NE(html.find("First name"), std::string::npos);
  auto csp = r.GetHeader("Content-Security-Policy");
  ASSERT_TRUE(csp);
  EXPECT_NE(csp->find("script-src 'self'"), std::string_view::npos);
  // The cancel form ends in a redirect to the client: form-action must allow it.
  EXPECT_NE(csp->find("https://rp.example/cb"), std::string_view::npos);
  EXPECT_EQ(r.GetHeader("Cache-Control"), "no-store");
}

TEST(Pages, PhonePageInDutchWithAnError) {
  PhonePage page;
  page.error = std::string(Text("nl", Msg::kInvalidPhone));
  http::Response r = RenderPhonePage(Ctx("nl"), page, 400);
  EXPECT_EQ(r.status(), 400);
  EXPECT_NE(r.body().find("<html lang=\"nl\">"), std::string::npos);
  EXPECT_NE(r.body().find("role=\"alert\""), std::string::npos);
  EXPECT_NE(r.body().find("aria-invalid=\"true\""), std::string::npos);
  EXPECT_NE(r.body().find("Uw mobiele telefoonnummer"), std::string::npos);
}

TEST(Pages, WaitingPageShowsCodeQrLiveStatusAndANoScriptWay) {
  WaitingPage page;
  page.verification_code = "42";
  page.qr = true;
  http::Response r = RenderWaitingPage(Ctx("fr"), page);
  const std::string& html = r.body();
  EXPECT_NE(html.find("<p class=\"code\" id=\"verification-code\">42</p>"), std::string::npos);
  EXPECT_NE(html.find("src=\"/login/lgn_abc/qr.svg\""), std::string::npos);
  EXPECT_NE(html.find("aria-live=\"polite\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/login/lgn_abc/continue\""), std::string::npos);
  EXPECT_EQ(html.find("http-equiv=\"refresh\""), std::string::npos);  // WCAG 2.2.1
  EXPECT_NE(html.find("data-status=\"/login/lgn_abc/status\""), std::string::npos);
  EXPECT_NE(html.find("<script src=\"/login/assets/login.js\" defer></script>"), std::string::npos);
  EXPECT_NE(html.find("Scannez ce code"), std::string::npos);
}

TEST(Pages, OutcomePagesOfferTheWayBack) {
  for (auto [outcome, name] :
       {std::pair{Outcome::kRefused, "refused"}, std::pair{Outcome::kExpired, "expired"},
        std::pair{Outcome::kLocked, "locked"}, std::pair{Outcome::kCancelled, "cancelled"},
        std::pair{Outcome::kUnreachable, "unreachable"}}) {
    http::Response r = RenderOutcomePage(Ctx("de"), outcome);
    EXPECT_NE(r.body().find(std::string("data-outcome=\"") + name + "\""), std::string::npos);
    EXPECT_NE(r.body().find("action=\"/login/lgn_abc/return\""), std::string::npos);
    EXPECT_NE(r.body().find("Zurück zu"), std::string::npos);
  }
}

TEST(Qr, SvgOfAShortText) {
  auto svg = QrSvg("idscheme:1:act_x:123:abc");
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", 0), 0u);
  EXPECT_NE(svg->find("h1v1h-1z"), std::string::npos);
  EXPECT_NE(*svg, *QrSvg("idscheme:1:act_x:124:abd"));  // content changes the picture
  EXPECT_FALSE(QrSvg(std::string(2000, 'a')).ok());
}

class SessionsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    db_ = idscheme::testing::FreshDatabase(GetParam());
    ASSERT_TRUE(db_);
    auto migrations = store::Migrations();
    for (auto& m : Migrations()) migrations.push_back(m);
    ASSERT_TRUE(store::Migrate(*db_, migrations).ok());
  }

  oidc::ValidatedAuthorizationRequest Request() {
    oidc::ValidatedAuthorizationRequest r;
    r.client_id = "cli_1";
    r.member_id = "mem_1";
    r.redirect_uri = "https://rp.example/cb";
    r.response_mode = oidc::ResponseMode::kFormPost;
    r.scopes = {"openid", "email"};
    r.state = "st";
    r.nonce = "n-0S6";
    r.code_challenge = "7X0Pee6cAbJpapaWgtdSwcdxQ1fD5pchD-vbEID86V4";
    r.code_challenge_method = "S256";
    r.dpop_jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";  // RFC 9449 §10
    r.claims_json = R"({"userinfo":{"given_name":{"essential":true}}})";
    auto claims = oidc::ParseClaimsRequest(r.claims_json);
    EXPECT_TRUE(claims.ok());
    r.claims = *claims;
    r.acr_values = {"urn:idscheme:loa:advanced"};
    r.acr_levels = {registry::AssuranceLevel::kAdvanced};
    r.max_age = 0;
    r.login_hint = "+32470123456";
    r.ui_locales = {"nl"};
    r.source.pushed = true;
    return r;
  }

  std::unique_ptr<store::Database> db_;
  FakeClock clock_{1'800'000'000};
  SeededRandom random_{3};
};

TEST_P(SessionsTest, StoredRequestReadsBackTheSame) {
  LoginSessions sessions(*db_, clock_, random_);
  auto created = sessions.Create(Request(), "nl", 600);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto got = sessions.Get(created->session.id, created->browser_secret);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(RequestToJson(got->request), RequestToJson(Request()));
  EXPECT_EQ(got->request.claims.userinfo.size(), 1u);
  EXPECT_EQ(got->state, SessionState::kPhone);
  EXPECT_EQ(got->locale, "nl");
}

TEST_P(SessionsTest, OnlyTheBrowserThatStartedItGetsIt) {
  LoginSessions sessions(*db_, clock_, random_);
  auto created = sessions.Create(Request(), "en", 600);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(sessions.Get(created->session.id, "").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(sessions.Get(created->session.id, "someone-else").status().code(),
            Status::Code::kNotFound);
  clock_.Advance(std::chrono::seconds(600));
  EXPECT_EQ(sessions.Get(created->session.id, created->browser_secret).status().code(),
            Status::Code::kNotFound);
}

TEST_P(SessionsTest, StatesMoveOnceEvenUnderRaces) {
  LoginSessions sessions(*db_, clock_, random_);
  auto created = sessions.Create(Request(), "en", 600);
  ASSERT_TRUE(created.ok());
  const std::string id = created->session.id;
  EXPECT_TRUE(sessions.StartWaiting(id, "act_1", false).ok());
  EXPECT_FALSE(sessions.StartDecoy(id, "12", clock_.NowSeconds() + 180).ok());
  auto got = sessions.Get(id, created->browser_secret);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, SessionState::kWaiting);
  EXPECT_EQ(got->action_id, "act_1");
  // Tabs or nodes racing to send the code (eight pooled connections): exactly one may.
  std::atomic<int> wins = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      LoginSessions s(*db_, clock_, random_);
      if (s.Finish(id).ok()) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(sessions.Get(id, created->browser_secret)->state, SessionState::kDone);
}

TEST_P(SessionsTest, RateLimiterCountsPerWindowInTheStore) {
  RateLimiter limiter(*db_, clock_);
  clock_.AdvanceSeconds(3600 - clock_.NowSeconds() % 3600 + 600);  // 10 minutes into an hour
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Hit("phone:x", 3600, 3)->within);
  const auto refused = limiter.Hit("phone:x", 3600, 3);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->within);
  EXPECT_EQ(refused->retry_after_seconds, 3000);         // until the window's end
  EXPECT_TRUE(limiter.Hit("phone:y", 3600, 3)->within);  // another key has its own count
  clock_.Advance(std::chrono::seconds(3000));
  EXPECT_TRUE(limiter.Hit("phone:x", 3600, 3)->within);  // a new window
  LoginSessions sessions(*db_, clock_, random_);
  clock_.Advance(std::chrono::seconds(2 * 3600));
  auto purged = sessions.PurgeExpired();
  ASSERT_TRUE(purged.ok());
  EXPECT_GE(*purged, 2);
}

TEST_P(SessionsTest, RateLimiterCountsSeveralLimitsInOneWrite) {
  RateLimiter limiter(*db_, clock_);
  clock_.AdvanceSeconds(3600 - clock_.NowSeconds() % 3600 + 30);  // 30 s into an hour
  const std::vector<RateLimiter::Limit> limits = {{"addr:a", 60, 2}, {"phone:p", 3600, 3}};
  EXPECT_TRUE(limiter.HitAll(limits)->within);
  EXPECT_TRUE(limiter.HitAll(limits)->within);
  const auto address_over = limiter.HitAll(limits);  // the address is over its 2
  ASSERT_TRUE(address_over.ok());
  EXPECT_FALSE(address_over->within);
  EXPECT_EQ(address_over->retry_after_seconds, 30);  // the minute's end
  // Every counter was counted, as separate hits would be: the phone is at 3 now.
  EXPECT_FALSE(limiter.Hit("phone:p", 3600, 3)->within);
  clock_.AdvanceSeconds(30);  // a new window for the address only
  const auto both_over = limiter.HitAll(limits);
  ASSERT_TRUE(both_over.ok());
  EXPECT_FALSE(both_over->within);                    // the phone is over its 3
  EXPECT_EQ(both_over->retry_after_seconds, 3540);    // the longer wait: the hour's end
  EXPECT_TRUE(limiter.Hit("addr:a", 60, 2)->within);  // the address was counted once in its window
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionsTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::login
