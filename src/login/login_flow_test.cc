// The login flow below HTTP, with the real registry, identities, approval engine and store on
// both backends: the browser's requests are built as the server would hand them to the
// handlers. (The whole login through a real server, a real OIDC client and Chromium is
// tests/e2e.)
#include "login/login_flow.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "approval/devices.h"
#include "approval/schema.h"
#include "approval/test_env.h"
#include "audit/audit_log.h"
#include "identity/identity_test_util.h"
#include "oauth/migrations.h"
#include "oidc/migrations.h"
#include "registry/client_metadata.h"

namespace idscheme::login {
namespace {

using json = nlohmann::json;
using idscheme::testing::Backend;

constexpr char kPhone[] = "+32470000001";
constexpr char kRedirect[] = "https://rp.example/cb";

class LoginFlowTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    db_ = idscheme::testing::FreshDatabase(GetParam());
    ASSERT_TRUE(db_);
    auto all = identity::testing::IdentityTestMigrations();
    for (auto& m : oauth::Migrations()) all.push_back(m);
    for (auto& m : oidc::Migrations()) all.push_back(m);
    for (auto& m : approval::Migrations()) all.push_back(m);
    for (auto& m : Migrations()) all.push_back(m);
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    Status migrated = store::Migrate(*db_, all);
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();

    registry_ = std::make_unique<registry::Registry>(*db_, clock_, random_);
    member_id_ = AddMember(registry::Role::kServiceProvider, "Acme Shop");
    auto terms =
        registry::ParseAgreementTerms({{"services", {"login", "identification"}},
                                       {"claims", {"given_name", "email", "email_verified"}},
                                       {"assurance_levels", {"basic"}},
                                       {"claims_outside", "refuse"}});
    ASSERT_TRUE(terms.ok()) << terms.status().ToString();
    ASSERT_TRUE(registry_->agreements().Set(member_id_, *terms, "operator").ok());
    auto key = approval::testing::NewDeviceKey();
    auto metadata = registry::ValidateClientMetadata(
        {{"redirect_uris", {kRedirect}},
         {"jwks", {{"keys", json::array({approval::testing::PublicJwk(*key)})}}},
         {"client_name", "Acme web"},
         {"scope", "openid email"}});
    ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
    auto client = registry_->clients().Create(member_id_, *metadata, "operator", "operator");
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_id_ = client->client.client_id;

    identities_ = std::make_unique<identity::Identities>(*db_, clock_, random_);
    const std::string registrar = AddMember(registry::Role::kIdentityRegistrar, "Registrar");
    auto body = identity::ParseNewIdentity(identity::testing::SampleIdentity(kPhone));
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    auto person = identities_->Create(identity::Actor::Operator(), registrar, *body);
    ASSERT_TRUE(person.ok()) << person.status().ToString();
    identity_id_ = person->id;

    devices_ = std::make_unique<approval::Devices>(*db_, clock_, random_, redeemer_,
                                                   approval::testing::FastDeviceOptions());
    actions_ = std::make_unique<approval::Actions>(*db_, clock_, random_, nullptr);
    codes_ = std::make_unique<oidc::AuthorizationCodes>(*db_, clock_, random_);
    LoginOptions options;
    options.issuer = "https://id.example";
    UseOptions(options);
  }

  void UseOptions(const LoginOptions& options) {
    flow_ = std::make_unique<LoginFlow>(
        LoginDeps{*db_,
                  clock_,
                  random_,
                  *actions_,
                  *identities_,
                  *registry_,
                  *codes_,
                  {},
                  [](std::string_view client_id, std::string_view identity_id) {
                    return Result<std::string>(SubjectIn(client_id, identity_id));
                  }},
        options);
  }

  std::string AddMember(registry::Role role, const std::string& name) {
    registry::NewMember m;
    m.role = role;
    m.display_name = name;
    m.legal_id = "BE0123456789";
    m.contacts.email = "ops@member.example";
    auto created = registry_->members().Create(m, "operator");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : "";
  }

  std::string EnrolDevice() {
    const std::string code = "code-" + std::to_string(next_code_++);
    redeemer_.Issue(code, identity_id_);
    device_key_ = approval::testing::NewDeviceKey();
    auto d = devices_->Enrol({code, approval::testing::PublicJwk(*device_key_), "phone",
                              approval::testing::PinInput(7)});
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->id : "";
  }

  // The sub the test's subject function gives (the node's is oidc::Provider::SubjectOf).
  static std::string SubjectIn(std::string_view client_id, std::string_view identity_id) {
    return "sub-" + std::string(client_id) + "-" + std::string(identity_id);
  }

  // The phone approves the login's one pending action with the last enrolled device.
  void ApprovePending(const std::string& device_id) {
    auto pending = actions_->Pending(identity_id_);
    ASSERT_TRUE(pending.ok());
    ASSERT_EQ(pending->size(), 1u);
    const approval::Action& a = pending->front();
    auto digest = approval::ActionDigest(a);
    ASSERT_TRUE(digest.ok());
    approval::Approval ap;
    ap.action_id = a.id;
    ap.device_id = device_id;
    ap.verification_code = a.verification_code;
    ap.device_signature = approval::testing::SignDigest(*device_key_, *digest);
    auto approved = actions_->Approve(ap);
    ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  }

  oidc::ValidatedAuthorizationRequest Request() const {
    oidc::ValidatedAuthorizationRequest r = request_template_;
    r.client_id = client_id_;
    r.member_id = member_id_;
    r.redirect_uri = kRedirect;
    r.response_mode = oidc::ResponseMode::kFormPost;
    r.scopes = {"openid", "email"};
    r.state = "st";
    r.nonce = "n-0S6";
    r.code_challenge = "7X0Pee6cAbJpapaWgtdSwcdxQ1fD5pchD-vbEID86V4";
    r.code_challenge_method = "S256";
    return r;
  }

  // The browser: its session page and cookie after /authorize.
  void Begin() {
    http::Request authorize;
    authorize.set_method("GET");
    ASSERT_TRUE(authorize.SetTarget("/authorize").ok());
    http::Response r = flow_->Begin(Request(), authorize);
    ASSERT_EQ(r.status(), 303);
    page_ = std::string(r.GetHeader("Location").value_or(""));
    ASSERT_EQ(page_.rfind("/login/lgn_", 0), 0u) << page_;
    std::string cookie(r.GetHeader("Set-Cookie").value_or(""));
    cookie_ = cookie.substr(0, cookie.find(';'));
  }

  http::Request Browser(const std::string& method, const std::string& suffix,
                        const std::string& form = {}) {
    http::Request r;
    r.set_method(method);
    EXPECT_TRUE(r.SetTarget(page_ + suffix).ok());
    r.AddPathParam("id", page_.substr(std::string("/login/").size()));
    r.AddHeader("Cookie", cookie_);
    r.set_remote("192.0.2.1", 40000);
    if (!form.empty()) {
      r.AddHeader("Content-Type", "application/x-www-form-urlencoded");
      r.set_body(form);
    }
    return r;
  }

  // Logs the enrolled person in as far as the waiting page: the id of the action it made.
  std::string WaitForTheApp() {
    EnrolDevice();
    Begin();
    EXPECT_EQ(flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001")).status(), 303);
    auto pending = actions_->Pending(identity_id_);
    EXPECT_TRUE(pending.ok());
    EXPECT_EQ(pending.ok() ? pending->size() : 0u, 1u);
    return pending.ok() && pending->size() == 1 ? pending->front().id : "";
  }

  std::string StatusOfPage() {
    http::Response r = flow_->StatusJson(Browser("GET", "/status"));
    EXPECT_EQ(r.status(), 200);
    return json::parse(r.body()).value("state", "");
  }

  std::unique_ptr<store::Database> db_;
  FakeClock clock_{identity::testing::kNow};
  SeededRandom random_{5};
  approval::testing::FakeRedeemer redeemer_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<identity::Identities> identities_;
  std::unique_ptr<approval::Devices> devices_;
  std::unique_ptr<approval::Actions> actions_;
  std::unique_ptr<oidc::AuthorizationCodes> codes_;
  std::unique_ptr<LoginFlow> flow_;
  std::string member_id_;
  std::string client_id_;
  std::string identity_id_;
  int next_code_ = 1;
  crypto::KeyPtr device_key_;
  oidc::ValidatedAuthorizationRequest request_template_;  // what Request() starts from
  std::string page_;
  std::string cookie_;
};

// An action the scheme ended (here: cancelled, as a revocation or suspension does) is not
// reported to the person as refused by them.
TEST_P(LoginFlowTest, ACancelledActionShowsTheCancelledPage) {
  const std::string action = WaitForTheApp();
  ASSERT_FALSE(action.empty());
  ASSERT_TRUE(actions_->Cancel(action, "system:identity_revoked").ok());
  EXPECT_EQ(StatusOfPage(), "cancelled");
  http::Response outcome = flow_->Show(Browser("GET", ""));
  EXPECT_EQ(outcome.status(), 200);
  EXPECT_NE(outcome.body().find("data-outcome=\"cancelled\""), std::string::npos) << outcome.body();
  // The service provider is not told that the person refused.
  http::Response back = flow_->Return(Browser("POST", "/return"));
  EXPECT_NE(back.body().find("access_denied"), std::string::npos) << back.body();
  EXPECT_NE(back.body().find("ended by the scheme"), std::string::npos) << back.body();
}

// An advanced request the person's enrolment cannot reach (no SIM binding), ended when the
// person tried to approve it: the page says why in the person's language, and the service
// provider gets access_denied saying so, at once rather than after the expiry.
TEST_P(LoginFlowTest, AnUnreachableLevelShowsItsPageAndTellsTheServiceProvider) {
  const std::string action = WaitForTheApp();
  ASSERT_FALSE(action.empty());
  ASSERT_TRUE(actions_->Cancel(action, std::string(approval::kDecidedByLevelUnreachable)).ok());
  EXPECT_EQ(StatusOfPage(), "unreachable");
  http::Response outcome = flow_->Show(Browser("GET", ""));
  EXPECT_EQ(outcome.status(), 200);
  EXPECT_NE(outcome.body().find("data-outcome=\"unreachable\""), std::string::npos)
      << outcome.body();
  EXPECT_NE(outcome.body().find("SIM"), std::string::npos) << outcome.body();
  http::Response back = flow_->Return(Browser("POST", "/return"));
  EXPECT_NE(back.body().find("access_denied"), std::string::npos) << back.body();
  EXPECT_NE(back.body().find("cannot reach the advanced level"), std::string::npos) << back.body();
}

TEST_P(LoginFlowTest, FiveWrongPinsDuringALoginShowTheLockedPage) {
  const std::string device = EnrolDevice();
  ASSERT_NO_FATAL_FAILURE(Begin());
  http::Response sent = flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001"));
  ASSERT_EQ(sent.status(), 303) << sent.body();
  http::Response waiting = flow_->Show(Browser("GET", ""));
  ASSERT_EQ(waiting.status(), 200);
  EXPECT_NE(waiting.body().find("id=\"verification-code\""), std::string::npos);
  EXPECT_EQ(StatusOfPage(), "pending");
  auto pending = actions_->Pending(identity_id_);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);

  // The app's PIN is wrong five times in a row.
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(devices_->VerifyPin(device, approval::testing::PinInput(1)).ok());
  }
  EXPECT_EQ(StatusOfPage(), "locked");
  http::Response outcome = flow_->Show(Browser("GET", ""));
  EXPECT_EQ(outcome.status(), 200);
  EXPECT_NE(outcome.body().find("data-outcome=\"locked\""), std::string::npos) << outcome.body();
  // The audit log says why.
  auto entries = audit::List(*db_, 0, 1000);
  ASSERT_TRUE(entries.ok());
  int locks = 0;
  int cancels = 0;
  for (const auto& e : *entries) {
    if (e.event.action == "device.lock" && e.event.subject == device) ++locks;
    if (e.event.action == "approval.cancel_locked" && e.event.subject == device &&
        e.event.details.value("cancelled", 0) == 1) {
      ++cancels;
    }
  }
  EXPECT_EQ(locks, 1);
  EXPECT_EQ(cancels, 1);
  // Back to the service provider: access_denied, saying so.
  http::Response back = flow_->Return(Browser("POST", "/return"));
  EXPECT_NE(back.body().find("access_denied"), std::string::npos) << back.body();
  EXPECT_NE(back.body().find("the app is locked"), std::string::npos) << back.body();
}

// Issue 4: logins started per number are limited (push bombing). The refusal says, in its
// Retry-After header, when to try again (RFC 6585 §4): the end of the hour that refused it.
TEST_P(LoginFlowTest, TooManyLoginsForANumberAreRefusedUntilTheWindowEnds) {
  EnrolDevice();
  LoginOptions options;
  options.issuer = "https://id.example";
  options.actions_per_phone_per_hour = 2;
  UseOptions(options);
  clock_.AdvanceSeconds(3600 - clock_.NowSeconds() % 3600 - 100);  // 100 s before the hour
  for (int i = 0; i < 2; ++i) {
    ASSERT_NO_FATAL_FAILURE(Begin());
    EXPECT_EQ(flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001")).status(), 303);
  }
  ASSERT_NO_FATAL_FAILURE(Begin());
  http::Response refused = flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001"));
  EXPECT_EQ(refused.status(), 429);
  EXPECT_EQ(refused.GetHeader("Retry-After").value_or(""), "100");
  EXPECT_NE(refused.body().find("Too many attempts"), std::string::npos) << refused.body();
  // The person is not stranded: the page leads back to the service provider.
  EXPECT_NE(refused.body().find("action=\"" + page_ + "/cancel\""), std::string::npos)
      << refused.body();
  EXPECT_NE(refused.body().find("Return to Acme Shop"), std::string::npos) << refused.body();
  // Nothing was sent to the app for the refused one.
  auto pending = actions_->Pending(identity_id_);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->size(), 2u);
  // The next hour lets the number in again.
  clock_.AdvanceSeconds(100);
  ASSERT_NO_FATAL_FAILURE(Begin());
  EXPECT_EQ(flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001")).status(), 303);
}

TEST_P(LoginFlowTest, WithAnotherActiveDeviceTheLoginStaysPending) {
  const std::string phone = EnrolDevice();
  EnrolDevice();
  ASSERT_NO_FATAL_FAILURE(Begin());
  ASSERT_EQ(flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001")).status(), 303);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(devices_->VerifyPin(phone, approval::testing::PinInput(1)).ok());
  }
  EXPECT_EQ(StatusOfPage(), "pending");
}

// OIDC Core §3.1.2.2: a request that names a sub (claims.id_token.sub.value) gets a code only
// when that person approved; anyone else's approval ends as access_denied, without a code.
TEST_P(LoginFlowTest, ASubTheRequestNamedMustBeThePersonWhoApproved) {
  const std::string device = EnrolDevice();
  for (bool same_person : {false, true}) {
    SCOPED_TRACE(same_person ? "the named person" : "another person");
    const std::string named = same_person ? SubjectIn(client_id_, identity_id_) : "someone-else";
    request_template_.claims_json = R"({"id_token":{"sub":{"value":")" + named + R"("}}})";
    auto claims = oidc::ParseClaimsRequest(request_template_.claims_json);
    ASSERT_TRUE(claims.ok()) << claims.status().ToString();
    request_template_.claims = *claims;
    ASSERT_NO_FATAL_FAILURE(Begin());
    ASSERT_EQ(flow_->SubmitPhone(Browser("POST", "/phone", "phone=%2B32470000001")).status(), 303);
    ASSERT_NO_FATAL_FAILURE(ApprovePending(device));
    EXPECT_EQ(StatusOfPage(), "approved");
    http::Response back = flow_->Continue(Browser("GET", "/continue"));
    const std::string& form = back.body();
    if (same_person) {
      EXPECT_NE(form.find("name=\"code\""), std::string::npos) << form;
      EXPECT_EQ(form.find("access_denied"), std::string::npos) << form;
    } else {
      EXPECT_NE(form.find("access_denied"), std::string::npos) << form;
      EXPECT_NE(form.find("not the sub the request named"), std::string::npos) << form;
      EXPECT_EQ(form.find("name=\"code\""), std::string::npos) << form;
    }
  }
  // `values` naming no one who approved is the same; a non-string value matches no one.
  auto claims = oidc::ParseClaimsRequest(R"({"userinfo":{"sub":{"values":[1,"x"]}}})");
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->RequestedSubjects().size(), 2u);
  EXPECT_EQ(claims->RequestedSubjects()[1], "x");
  EXPECT_NE(claims->RequestedSubjects()[0], "1");
}

INSTANTIATE_TEST_SUITE_P(Backends, LoginFlowTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

// The two routes that issue the authorization code once the person approved answer no HEAD
// (RFC 9110 §9.2.1): a HEAD would take the code and end the browser's login unseen.
TEST_P(LoginFlowTest, TheRoutesThatIssueTheCodeHaveNoHead) {
  http::Router router;
  AddLoginRoutes(router, *flow_);
  for (const char* path : {"/login/abc", "/login/abc/continue"}) {
    EXPECT_EQ(router.Find("HEAD", path, nullptr).kind, http::Router::Match::Kind::kMethodNotAllowed)
        << path;
    EXPECT_EQ(router.Find("GET", path, nullptr).kind, http::Router::Match::Kind::kFound) << path;
  }
  EXPECT_EQ(router.Find("HEAD", "/login/abc/status", nullptr).kind,
            http::Router::Match::Kind::kFound);
}

}  // namespace
}  // namespace idscheme::login
