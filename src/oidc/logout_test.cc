// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) through the real GET and POST
// /logout routes, with the OAuth context and the Provider wired as the node wires them: logins
// redeemed at the real /token, then ended at /logout, and checked at /token, /userinfo and
// /introspect. On SQLite and PostgreSQL.
#include "oidc/logout.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "audit/audit_log.h"
#include "common/base64url.h"
#include "crypto/jwt.h"
#include "identity/identity_test_util.h"
#include "oauth/basic_auth.h"
#include "oauth/oauth_context.h"
#include "oidc/person_test_env.h"
#include "oidc/provider.h"
#include "oidc/subject.h"
#include "store/migrations.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;
using testenv::kChallenge;
using testenv::kIssuer;
using testenv::kRedirect;
using testenv::kVerifier;

constexpr char kBye[] = "https://rp.example/bye";
constexpr char kByeWithQuery[] = "https://rp.example/bye?lang=nl";
const std::vector<uint8_t> kSubjectSecret(32, 0x5a);

class LogoutTest : public testenv::OidcPersonTest {
 protected:
  void SetUp() override {
    testenv::OidcPersonTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    person_id_ = person_.id;

    oauth::OAuthConfig config;
    config.issuer = kIssuer;
    auto oauth = oauth::OAuthContext::Create(
        {*db_, testenv::SharedSchemeKeys(), clock_, random_, *oauth_clients_}, config);
    ASSERT_TRUE(oauth.ok()) << oauth.status().ToString();
    oauth_ = std::move(oauth).value();
    ProviderConfig provider_config;
    provider_config.subject_secret = kSubjectSecret;
    provider_config.logged_out_page = [](const LoggedOutPage& page) {
      std::string locales;
      for (const auto& l : page.ui_locales) locales += l + ",";
      return http::Response::Html(200,
                                  "<p>logged out " + locales + " " + page.accept_language + "</p>");
    };
    auto provider = Provider::Create(
        {*db_, clock_, random_, testenv::SharedSchemeKeys(), *oauth_, *registry_, *identities_},
        provider_config);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(provider).value();
    provider_->AddGrants(oauth_->token_endpoint());
    oauth::AddTokenRoutes(router_, *oauth_);
    AddProviderRoutes(router_, *provider_, oauth_->token_endpoint());

    json m = WebClient();
    m.erase("jwks");
    m["token_endpoint_auth_method"] = "client_secret_basic";
    m["grant_types"] = {"authorization_code", "refresh_token"};
    m["post_logout_redirect_uris"] = {kBye, kByeWithQuery};
    client_ = AddClient(m, &secret_);
    other_ = AddClient(m, &other_secret_);
    ASSERT_FALSE(client_.empty());
    ASSERT_FALSE(other_.empty());
  }

  ApprovedAuthorization Approved(const std::string& client, const std::string& action) {
    ApprovedAuthorization a;
    a.client_id = client;
    a.member_id = member_id_;
    a.identity_id = person_id_;
    a.redirect_uri = kRedirect;
    a.scopes = {"openid", "email"};
    a.nonce = "n-1";
    a.code_challenge = kChallenge;
    a.code_challenge_method = "S256";
    a.approved_claims = {"email"};
    a.acr = "urn:idscheme:loa:basic";
    a.amr = {"hwk", "pin"};
    a.auth_time = clock_.NowSeconds();
    a.action_id = action;
    return a;
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& form = "", const std::string& authorization = "",
                      const std::string& accept_language = "") {
    http::Request r;
    r.set_method(method);
    EXPECT_TRUE(r.SetTarget(target).ok()) << target;
    if (!form.empty()) {
      r.AddHeader("Content-Type", "application/x-www-form-urlencoded");
      r.set_body(form);
    }
    if (!authorization.empty()) r.AddHeader("Authorization", authorization);
    if (!accept_language.empty()) r.AddHeader("Accept-Language", accept_language);
    const std::string path = target.substr(0, target.find('?'));
    auto match = router_.Find(method, path, &r);
    EXPECT_EQ(match.kind, http::Router::Match::Kind::kFound) << path;
    if (match.kind != http::Router::Match::Kind::kFound) return http::Response(404);
    return match.route->handler(r);
  }
  std::string BasicOf(const std::string& client) {
    return oauth::EncodeBasicAuthorization(client, client == client_ ? secret_ : other_secret_);
  }

  struct Tokens {
    std::string access;
    std::string refresh;
    std::string id_token;
  };
  // A login of `client`: a code as the login pages issue it, redeemed at POST /token.
  Tokens Login(const std::string& client, const std::string& action = "act_1") {
    auto code = provider_->codes().Issue(Approved(client, action));
    EXPECT_TRUE(code.ok());
    if (!code.ok()) return {};
    http::Response r =
        Call("POST", "/token",
             "grant_type=authorization_code&code=" + http::PercentEncode(*code) +
                 "&redirect_uri=" + http::PercentEncode(kRedirect) + "&code_verifier=" + kVerifier,
             BasicOf(client));
    EXPECT_EQ(r.status(), 200) << r.body();
    if (r.status() != 200) return {};
    json body = json::parse(r.body());
    return {body.value("access_token", ""), body.value("refresh_token", ""),
            body.value("id_token", "")};
  }
  // The status of a refresh at POST /token (200, or 400 invalid_grant once revoked).
  int RefreshStatus(const std::string& client, const std::string& refresh_token) {
    return Call("POST", "/token",
                "grant_type=refresh_token&refresh_token=" + http::PercentEncode(refresh_token),
                BasicOf(client))
        .status();
  }
  bool Active(const std::string& client, const std::string& access_token) {
    http::Response r =
        Call("POST", "/introspect", "token=" + http::PercentEncode(access_token), BasicOf(client));
    EXPECT_EQ(r.status(), 200);
    return json::parse(r.body()).value("active", false);
  }
  int UserinfoStatus(const std::string& access_token) {
    return Call("GET", "/userinfo", "", "Bearer " + access_token).status();
  }
  static std::string Query(std::initializer_list<std::pair<std::string, std::string>> params) {
    std::string out;
    for (const auto& [n, v] : params) {
      out += out.empty() ? "" : "&";
      out += http::PercentEncode(n) + "=" + http::PercentEncode(v);
    }
    return out;
  }
  http::Response Logout(std::initializer_list<std::pair<std::string, std::string>> params) {
    return Call("GET", "/logout?" + Query(params));
  }
  // The entries of the audit log with `action`.
  std::vector<audit::Entry> AuditEntries(const std::string& action) {
    auto entries = audit::List(*db_, 0, 1000);
    EXPECT_TRUE(entries.ok());
    std::vector<audit::Entry> out;
    for (const auto& e : entries.ok() ? *entries : std::vector<audit::Entry>{}) {
      if (e.event.action == action) out.push_back(e);
    }
    return out;
  }
  // An error page: HTML with the strict CSP, no redirect, naming `error`.
  static void ExpectErrorPage(const http::Response& r, const std::string& error) {
    EXPECT_EQ(r.status(), 400) << r.body();
    EXPECT_FALSE(r.GetHeader("Location"));
    EXPECT_NE(r.GetHeader("Content-Type").value_or("").find("text/html"), std::string::npos);
    EXPECT_NE(r.GetHeader("Content-Security-Policy").value_or("").find("default-src 'none'"),
              std::string::npos);
    EXPECT_NE(r.body().find(error), std::string::npos) << r.body();
  }
  // `claims` signed with the scheme's ES256 key, as an ID token is.
  std::string SignWithSchemeKey(const json& claims, std::string_view typ = "JWT") {
    auto key = testenv::SharedSchemeKeys().SigningKey(crypto::SigAlg::kES256);
    EXPECT_TRUE(key.ok());
    auto jwt = crypto::SignJwt(claims, **key, crypto::SigAlg::kES256, (*key)->kid(), typ);
    EXPECT_TRUE(jwt.ok());
    return jwt.ok() ? *jwt : "";
  }
  json ClaimsOf(const std::string& jwt) {
    auto jws = crypto::ParseJws(jwt);
    EXPECT_TRUE(jws.ok());
    return jws.ok() ? json::parse(jws->payload) : json();
  }

  std::string person_id_;
  std::unique_ptr<oauth::OAuthContext> oauth_;
  std::unique_ptr<Provider> provider_;  // after oauth_: unregisters itself first
  http::Router router_;
  std::string client_, secret_, other_, other_secret_;
};

TEST_P(LogoutTest, GoodHintAndRegisteredUriRedirectWithStateAndEndTheLogins) {
  const Tokens t = Login(client_, "act_1");
  const Tokens earlier = Login(client_, "act_0");   // an earlier login of the same person
  const Tokens elsewhere = Login(other_, "act_2");  // the same person at another client
  ASSERT_FALSE(t.id_token.empty());
  ASSERT_FALSE(t.refresh.empty());
  ASSERT_EQ(UserinfoStatus(t.access), 200);
  // RFC 9110 §9.2.1: a HEAD (a link preview) never logs anyone out.
  EXPECT_EQ(router_.Find("HEAD", "/logout", nullptr).kind,
            http::Router::Match::Kind::kMethodNotAllowed);

  http::Response r = Logout(
      {{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", kBye}, {"state", "st 1&x"}});
  EXPECT_EQ(r.status(), 303) << r.body();
  EXPECT_EQ(r.GetHeader("Location"), std::string(kBye) + "?state=st%201%26x");
  // The refresh tokens and access tokens the client held for the person are revoked.
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 400);
  EXPECT_EQ(RefreshStatus(client_, earlier.refresh), 400);
  EXPECT_EQ(UserinfoStatus(t.access), 401);
  EXPECT_FALSE(Active(client_, t.access));
  EXPECT_FALSE(Active(client_, earlier.access));
  // Another client's login is its own.
  EXPECT_TRUE(Active(other_, elsewhere.access));
  EXPECT_EQ(RefreshStatus(other_, elsewhere.refresh), 200);
  // Audited once, naming the approvals whose logins ended.
  auto entries = AuditEntries("oidc.logout");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.actor, "client:" + client_);
  EXPECT_EQ(entries[0].event.subject, client_);
  EXPECT_EQ(entries[0].event.details["refresh_families"], 2);
  EXPECT_EQ(entries[0].event.details["action_ids"], (json{"act_0", "act_1"}));
  // The same logout again: nothing left to end, nothing audited, still redirected.
  r = Logout({{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", kBye}});
  EXPECT_EQ(r.status(), 303);
  EXPECT_EQ(r.GetHeader("Location"), kBye);
  EXPECT_EQ(AuditEntries("oidc.logout").size(), 1u);
}

TEST_P(LogoutTest, PostFormAndARegisteredQueryIsKept) {
  const Tokens t = Login(client_);
  http::Response r = Call("POST", "/logout",
                          Query({{"id_token_hint", t.id_token},
                                 {"client_id", client_},
                                 {"post_logout_redirect_uri", kByeWithQuery},
                                 {"state", "s2"}}));
  EXPECT_EQ(r.status(), 303) << r.body();
  EXPECT_EQ(r.GetHeader("Location"), std::string(kByeWithQuery) + "&state=s2");
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 400);
}

TEST_P(LogoutTest, UnregisteredUriIsAnErrorPageAndNothingIsRevoked) {
  const Tokens t = Login(client_);
  for (const std::string uri : {"https://evil.example/bye", "https://rp.example/bye/",
                                "https://rp.example/bye?lang=fr", kRedirect}) {
    SCOPED_TRACE(uri);
    http::Response r =
        Logout({{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", uri}, {"state", "s"}});
    ExpectErrorPage(r, "invalid_request");
    EXPECT_EQ(r.body().find("evil.example"), std::string::npos);
  }
  // Registered for another client only: the same.
  json m = WebClient();
  m["post_logout_redirect_uris"] = {"https://rp.example/other-bye"};
  AddClient(m);
  ExpectErrorPage(Logout({{"id_token_hint", t.id_token},
                          {"post_logout_redirect_uri", "https://rp.example/other-bye"}}),
                  "invalid_request");
  // RP-Initiated Logout §4: a refused request ends nothing.
  EXPECT_TRUE(Active(client_, t.access));
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 200);
  EXPECT_TRUE(AuditEntries("oidc.logout").empty());
}

TEST_P(LogoutTest, HintAndClientIdMustAgree) {
  const Tokens t = Login(client_);
  // RP-Initiated Logout §2: client_id is the one the ID token was issued to.
  ExpectErrorPage(Logout({{"id_token_hint", t.id_token},
                          {"client_id", other_},
                          {"post_logout_redirect_uri", kBye}}),
                  "invalid_request");
  ExpectErrorPage(Logout({{"id_token_hint", t.id_token}, {"client_id", other_}}),
                  "invalid_request");
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 200);
}

TEST_P(LogoutTest, HintsThatDoNotVerifyAreRefused) {
  const Tokens t = Login(client_);
  const json claims = ClaimsOf(t.id_token);
  std::string tampered = t.id_token;
  const size_t sig = tampered.rfind('.') + 10;
  tampered[sig] = tampered[sig] == 'A' ? 'B' : 'A';
  json other_sub = claims;
  other_sub["sub"] = "someone-else";
  std::string forged_payload = t.id_token;  // the payload swapped, the signature kept
  {
    const size_t a = forged_payload.find('.'), b = forged_payload.rfind('.');
    forged_payload = forged_payload.substr(0, a + 1) + Base64UrlEncode(other_sub.dump()) +
                     forged_payload.substr(b);
  }
  auto foreign = testenv::MakeClientKey(crypto::KeyType::kEcP256, "not-ours");
  json other_issuer = claims;
  other_issuer["iss"] = "https://other.example";
  json no_auth_time = claims;  // a signed userinfo response looks like this
  no_auth_time.erase("auth_time");
  json array_aud = claims;
  array_aud["aud"] = {client_};
  std::vector<std::pair<std::string, std::string>> cases = {
      {"tampered signature", tampered},
      {"payload swapped", forged_payload},
      {"signed by a key that is not the scheme's",
       *crypto::SignJwt(claims, *foreign.key, crypto::SigAlg::kES256, foreign.kid)},
      {"another issuer", SignWithSchemeKey(other_issuer)},
      {"not an ID token (typ)", SignWithSchemeKey(claims, "at+jwt")},
      {"not an ID token (no auth_time)", SignWithSchemeKey(no_auth_time)},
      {"aud as an array", SignWithSchemeKey(array_aud)},
      {"an access token", t.access},
      {"garbage", "not-a-jwt"},
      {"encrypted", "a.b.c.d.e"},
      {"too large", std::string(kMaxIdTokenHintLength + 1, 'a')},
  };
  for (const auto& [name, hint] : cases) {
    SCOPED_TRACE(name);
    http::Response r = Logout({{"id_token_hint", hint}, {"post_logout_redirect_uri", kBye}});
    ExpectErrorPage(r, "invalid_request");
  }
  EXPECT_TRUE(Active(client_, t.access));
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 200);
  // The same claims, re-signed by the scheme (a control: the refusals above are about the token).
  EXPECT_EQ(Logout({{"id_token_hint", SignWithSchemeKey(claims)}}).status(), 200);
}

TEST_P(LogoutTest, AnExpiredHintIsAccepted) {
  const Tokens t = Login(client_);
  // Rotated once: the refresh token in hand is the newest of its family.
  http::Response rotated = Call(
      "POST", "/token", "grant_type=refresh_token&refresh_token=" + t.refresh, BasicOf(client_));
  ASSERT_EQ(rotated.status(), 200);
  const std::string refresh = json::parse(rotated.body())["refresh_token"];
  // A day later: the ID token (5 minutes) expired long ago; the refresh token lives 30 days.
  clock_.AdvanceSeconds(24 * 3600);
  ASSERT_LT(ClaimsOf(t.id_token)["exp"].get<int64_t>(), clock_.NowSeconds());
  // RP-Initiated Logout §2: the hint is accepted even when exp has passed.
  http::Response r = Logout({{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", kBye}});
  EXPECT_EQ(r.status(), 303) << r.body();
  EXPECT_EQ(RefreshStatus(client_, refresh), 400);
}

TEST_P(LogoutTest, WithoutAHintNothingIsRevoked) {
  const Tokens t = Login(client_);
  // client_id alone identifies the client for the redirect (§3), but names nobody.
  http::Response r =
      Logout({{"client_id", client_}, {"post_logout_redirect_uri", kBye}, {"state", "s"}});
  EXPECT_EQ(r.status(), 303) << r.body();
  EXPECT_EQ(r.GetHeader("Location"), std::string(kBye) + "?state=s");
  // Nothing at all: the logged-out page, in the person's language when asked.
  r = Call("GET", "/logout?ui_locales=nl-BE+en", "", "", "fr;q=0.5");
  EXPECT_EQ(r.status(), 200);
  EXPECT_NE(r.body().find("logged out nl-BE,en, fr;q=0.5"), std::string::npos) << r.body();
  // logout_hint is accepted and changes nothing (no session to choose among).
  EXPECT_EQ(Logout({{"logout_hint", "anna"}}).status(), 200);
  EXPECT_TRUE(Active(client_, t.access));
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 200);
  EXPECT_TRUE(AuditEntries("oidc.logout").empty());
}

TEST_P(LogoutTest, Rejections) {
  const Tokens t = Login(client_);
  struct Case {
    const char* name;
    std::string query;
    const char* error;
  };
  const std::vector<Case> cases = {
      // RP-Initiated Logout §3: no redirect without knowing whose URI it is.
      {"redirect without a client", Query({{"post_logout_redirect_uri", kBye}}), "invalid_request"},
      {"unknown client", Query({{"client_id", "cli_nobody"}}), "invalid_client"},
      {"parameter twice", Query({{"client_id", client_}, {"client_id", client_}}),
       "invalid_request"},
      {"state too long", Query({{"client_id", client_}, {"state", std::string(1025, 's')}}),
       "invalid_request"},
      {"logout_hint too long", Query({{"logout_hint", std::string(513, 'x')}}), "invalid_request"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectErrorPage(Call("GET", "/logout?" + c.query), c.error);
  }
  ExpectErrorPage(Call("GET", "/logout?client_id=%zz"), "invalid_request");
  // A suspended client: nobody is sent there.
  ASSERT_TRUE(registry_->clients().Suspend(client_, "operator").ok());
  ExpectErrorPage(Logout({{"id_token_hint", t.id_token}, {"post_logout_redirect_uri", kBye}}),
                  "unauthorized_client");
}

// Refresh tokens stored before they carried their sub (migration 702) are found through their
// grant, and get their sub on the way.
TEST_P(LogoutTest, RefreshTokensStoredWithoutTheirSubAreEndedToo) {
  const Tokens t = Login(client_);
  ASSERT_TRUE(db_->Exec("UPDATE oidc_refresh_tokens SET subject = NULL").ok());
  const Tokens elsewhere = Login(other_);
  ASSERT_TRUE(db_->Exec("UPDATE oidc_refresh_tokens SET subject = NULL").ok());
  EXPECT_EQ(Logout({{"id_token_hint", t.id_token}}).status(), 200);
  EXPECT_EQ(RefreshStatus(client_, t.refresh), 400);
  EXPECT_EQ(RefreshStatus(other_, elsewhere.refresh), 200);
  auto client = registry_->FindClient(client_);
  ASSERT_TRUE(client.ok());
  auto rows = db_->Exec("SELECT subject FROM oidc_refresh_tokens WHERE client_id = ?",
                        {store::Text(client_)});
  ASSERT_TRUE(rows.ok());
  ASSERT_FALSE(rows->rows.empty());
  for (const auto& row : rows->rows) {
    EXPECT_EQ(row.Text(0), *SubjectFor(*client, person_id_, kSubjectSecret));
  }
}

// Access-token records stored before they carried their client (migration 702) are ended too,
// and only the logging-out client's: another client's token of the same person stays active.
TEST_P(LogoutTest, AccessTokensStoredWithoutTheirClientAreEndedToo) {
  const Tokens t = Login(client_);
  const Tokens elsewhere = Login(other_, "act_2");
  ASSERT_TRUE(db_->Exec("UPDATE oidc_token_grants SET client_id = NULL").ok());
  ASSERT_TRUE(Active(client_, t.access));
  EXPECT_EQ(Logout({{"id_token_hint", t.id_token}}).status(), 200);
  EXPECT_FALSE(Active(client_, t.access));
  EXPECT_EQ(UserinfoStatus(t.access), 401);
  EXPECT_TRUE(Active(other_, elsewhere.access));
  auto rows = db_->Exec("SELECT client_id FROM oidc_token_grants WHERE client_id IS NOT NULL");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].Text(0), client_);
}

TEST_P(LogoutTest, EndClientLoginsAlone) {
  const Tokens t = Login(client_);
  auto client = registry_->FindClient(client_);
  ASSERT_TRUE(client.ok());
  // Another person's sub ends nothing.
  auto none = EndClientLogins(*db_, *client, "someone-else", kSubjectSecret, clock_);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->refresh_families, 0);
  EXPECT_EQ(none->access_tokens, 0);
  auto ended = EndClientLogins(*db_, *client, ClaimsOf(t.id_token)["sub"].get<std::string>(),
                               kSubjectSecret, clock_);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(ended->refresh_families, 1);
  EXPECT_EQ(ended->access_tokens, 1);
  EXPECT_EQ(ended->action_ids, std::vector<std::string>{"act_1"});
  EXPECT_FALSE(Active(client_, t.access));
}

TEST_P(LogoutTest, AccessTokensOfLoginsWithoutRefreshTokensAreEndedToo) {
  json m = WebClient();
  m.erase("jwks");
  m["token_endpoint_auth_method"] = "client_secret_basic";
  m["post_logout_redirect_uris"] = {kBye};
  std::string secret;
  const std::string plain = AddClient(m, &secret);  // authorization_code only
  client_ = plain;                                  // BasicOf(client_) uses secret_
  secret_ = secret;
  const Tokens t = Login(plain, "act_9");
  ASSERT_TRUE(t.refresh.empty());
  ASSERT_TRUE(Active(plain, t.access));
  EXPECT_EQ(Logout({{"id_token_hint", t.id_token}}).status(), 200);
  EXPECT_FALSE(Active(plain, t.access));
  EXPECT_EQ(UserinfoStatus(t.access), 401);
  auto entries = AuditEntries("oidc.logout");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.details["access_tokens"], 1);
  EXPECT_EQ(entries[0].event.details["refresh_families"], 0);
  EXPECT_EQ(entries[0].event.details["action_ids"], json{"act_9"});
}

INSTANTIATE_TEST_SUITE_P(Backends, LogoutTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oidc
