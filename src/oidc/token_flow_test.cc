// The token side end to end below HTTP: a code issued as the login pages will, redeemed by the
// authorization_code grant, the tokens checked with src/crypto, userinfo, refresh rotation and
// reuse, the discovery document, and refresh tokens revoked at POST /revoke (RFC 7009). On
// SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <optional>
#include <thread>

#include "crypto/jwk.h"
#include "crypto/jwt.h"
#include "identity/identity_test_util.h"
#include "oauth/basic_auth.h"
#include "oauth/bearer.h"
#include "oauth/oauth_context.h"
#include "oauth/revocation.h"
#include "oidc/discovery.h"
#include "oidc/grants/authorization_code.h"
#include "oidc/person_test_env.h"
#include "oidc/provider.h"
#include "oidc/subject.h"
#include "oidc/userinfo.h"
#include "registry/oauth_client_directory.h"
#include "store/migrations.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;
using testenv::kChallenge;
using testenv::kIssuer;
using testenv::kRedirect;
using testenv::kVerifier;

const std::vector<uint8_t> kSubjectSecret(32, 0x5a);

// A client with an EC encryption key (use "enc") beside its signing key, registered with
// `registration` added; its userinfo answer after a login (200, application/jwt).
struct EncryptedUserinfo {
  std::string client;
  crypto::KeyPtr key;  // the client's private encryption key
  std::string body;
};

class TokenFlowTest : public testenv::OidcPersonTest {
 protected:
  void SetUp() override {
    testenv::OidcPersonTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;

    oauth::AccessTokenOptions at;
    at.issuer = kIssuer;
    access_tokens_ = std::make_unique<oauth::AccessTokenService>(testenv::SharedSchemeKeys(), *db_,
                                                                 clock_, random_, at);
    bearer_ = std::make_unique<oauth::BearerAuthenticator>(*access_tokens_, *oauth_clients_, *db_);
    codes_ = std::make_unique<AuthorizationCodes>(*db_, clock_, random_);
    refresh_ = std::make_unique<RefreshTokens>(*db_, clock_, random_);
    grants_store_ = std::make_unique<TokenGrants>(*db_, clock_);
    const JwtResponseSigner signer{testenv::SharedSchemeKeys(), *jwks_, random_};
    id_tokens_ = std::make_unique<IdTokenIssuer>(signer, clock_, IdTokenOptions{kIssuer, 300});
    PersonTokenDeps deps{
        *codes_,     *refresh_, *grants_store_, *registry_,     *identities_, *access_tokens_,
        *id_tokens_, *db_,      clock_,         kSubjectSecret, {},           &registry_->policy()};
    code_grant_ = std::make_unique<AuthorizationCodeGrant>(deps);
    refresh_grant_ = std::make_unique<RefreshTokenGrant>(deps);
    userinfo_ = std::make_unique<UserinfoEndpoint>(
        UserinfoDeps{*bearer_, *grants_store_, *registry_, *identities_, signer, clock_,
                     &registry_->policy()},
        UserinfoOptions{kIssuer, {}, ""});
  }

  // The operator replaces the member's agreement with `terms` (registry/agreement.h's JSON).
  void SetAgreement(const json& terms) {
    auto parsed = registry::ParseAgreementTerms(terms);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    ASSERT_TRUE(registry_->agreements().Set(member_id_, *parsed, "operator").ok());
  }

  ApprovedAuthorization Approved(const std::string& client_id) {
    ApprovedAuthorization a;
    a.client_id = client_id;
    a.member_id = member_id_;
    a.identity_id = person_.id;
    a.redirect_uri = kRedirect;
    a.scopes = {"openid", "email"};
    a.nonce = "n-1";
    a.code_challenge = kChallenge;
    a.code_challenge_method = "S256";
    auto claims = ParseClaimsRequest(R"({"id_token":{"given_name":{"essential":true}}})");
    EXPECT_TRUE(claims.ok());
    a.claims = *claims;
    a.approved_claims = {"email", "email_verified", "given_name"};
    a.acr = "urn:idscheme:loa:basic";
    a.amr = {"hwk", "pin"};
    a.auth_time = clock_.NowSeconds() - 2;
    a.action_id = "act_1";
    return a;
  }

  registry::ClientAuthRecord Record(const std::string& client_id) {
    auto r = registry_->FindClient(client_id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : registry::ClientAuthRecord{};
  }

  Result<oauth::TokenResponse> Call(oauth::GrantHandler& grant, const std::string& client_id,
                                    const http::FormParams& params,
                                    std::optional<std::string> jkt = std::nullopt) {
    http::Request http;
    http.set_method("POST");
    EXPECT_TRUE(http.SetTarget("/token").ok());
    oauth::AuthenticatedClient client{registry::ToOAuthRecord(Record(client_id)),
                                      oauth::ClientAuthMethod::kPrivateKeyJwt};
    oauth::TokenRequest request{http, params, grant.grant_type(), client, jkt};
    return grant.Handle(request);
  }

  // The authorization_code grant's parameters for `code` (no verifier when empty).
  static http::FormParams CodeParams(const std::string& code, std::string verifier = kVerifier) {
    http::FormParams p;
    p.Add("grant_type", "authorization_code");
    p.Add("code", code);
    p.Add("redirect_uri", kRedirect);
    if (!verifier.empty()) p.Add("code_verifier", verifier);
    return p;
  }

  Result<oauth::TokenResponse> Redeem(const std::string& client_id, const std::string& code,
                                      std::string verifier = kVerifier) {
    return Call(*code_grant_, client_id, CodeParams(code, std::move(verifier)));
  }

  // A web client allowed refresh tokens, and the tokens of one login (a refresh token among them).
  void LogInWithRefreshToken(std::string* client, std::optional<oauth::TokenResponse>* tokens) {
    json m = WebClient();
    m["grant_types"] = {"authorization_code", "refresh_token"};
    *client = AddClient(m);
    ASSERT_FALSE(client->empty());
    auto code = codes_->Issue(Approved(*client));
    ASSERT_TRUE(code.ok());
    auto redeemed = Redeem(*client, *code);
    ASSERT_TRUE(redeemed.ok()) << redeemed.status().ToString();
    ASSERT_TRUE(redeemed->extra.contains("refresh_token"));
    *tokens = std::move(*redeemed);
  }

  http::Response Userinfo(const std::string& access_token) {
    http::Request http;
    http.set_method("GET");
    EXPECT_TRUE(http.SetTarget("/userinfo").ok());
    if (!access_token.empty()) http.AddHeader("Authorization", "Bearer " + access_token);
    return userinfo_->Handle(http);
  }

  json VerifyIdToken(const std::string& token, const std::string& client_id) {
    auto set = crypto::JwkSet::Parse(*testenv::SharedSchemeKeys().JwksJson());
    EXPECT_TRUE(set.ok());
    crypto::JwtVerifyOptions o;
    o.allowed_algs = {crypto::SigAlg::kES256};
    o.clock = &clock_;
    o.issuer = kIssuer;
    o.audience = client_id;
    auto claims = crypto::VerifyJwt(token, crypto::VerifyKeysFrom(*set), o);
    EXPECT_TRUE(claims.ok()) << claims.status().ToString();
    return claims.ok() ? *claims : json();
  }

  void UserinfoEncryptedFor(const json& registration, EncryptedUserinfo* out);

  std::unique_ptr<oauth::AccessTokenService> access_tokens_;
  std::unique_ptr<oauth::BearerAuthenticator> bearer_;
  std::unique_ptr<AuthorizationCodes> codes_;
  std::unique_ptr<RefreshTokens> refresh_;
  std::unique_ptr<TokenGrants> grants_store_;
  std::unique_ptr<IdTokenIssuer> id_tokens_;
  std::unique_ptr<AuthorizationCodeGrant> code_grant_;
  std::unique_ptr<RefreshTokenGrant> refresh_grant_;
  std::unique_ptr<UserinfoEndpoint> userinfo_;
};

TEST_P(TokenFlowTest, CodeForTokensIdTokenAndUserinfo) {
  auto code = codes_->Issue(Approved(client_id_));
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  auto tokens = Redeem(client_id_, *code);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(tokens->token_type, "Bearer");
  EXPECT_EQ(tokens->scope, "openid email");
  EXPECT_FALSE(tokens->extra.contains("refresh_token"));  // not registered for it

  const auto sub = SubjectFor(Record(client_id_), person_.id, kSubjectSecret);
  ASSERT_TRUE(sub.ok());
  EXPECT_NE(*sub, person_.id);  // pairwise by default
  json id = VerifyIdToken(tokens->extra["id_token"].get<std::string>(), client_id_);
  EXPECT_EQ(id["sub"], *sub);
  EXPECT_EQ(id["nonce"], "n-1");
  EXPECT_EQ(id["acr"], "urn:idscheme:loa:basic");
  EXPECT_EQ(id["amr"], (json{"hwk", "pin"}));
  EXPECT_EQ(id["given_name"], "Anna");  // asked for in claims.id_token
  EXPECT_FALSE(id.contains("email"));   // scope claims go to userinfo
  EXPECT_TRUE(id.contains("at_hash"));

  // The access token's sub is the pairwise one too; it never names the person.
  auto context = bearer_->AuthenticateToken(tokens->access_token);
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  EXPECT_EQ(context->subject, *sub);
  EXPECT_EQ(tokens->access_token.find(person_.id), std::string::npos);

  http::Response info = Userinfo(tokens->access_token);
  ASSERT_EQ(info.status(), 200) << info.body();
  EXPECT_EQ(info.GetHeader("Cache-Control"), "no-store");
  json body = json::parse(info.body());
  EXPECT_EQ(body["sub"], *sub);
  EXPECT_EQ(body["email"], person_.attributes.email.value());
  EXPECT_FALSE(body.contains("given_name"));  // asked for in id_token only
}

TEST_P(TokenFlowTest, ReusedCodeIsRefusedAndItsTokensRevoked) {
  auto code = codes_->Issue(Approved(client_id_));
  ASSERT_TRUE(code.ok());
  auto tokens = Redeem(client_id_, *code);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(Userinfo(tokens->access_token).status(), 200);
  auto again = Redeem(client_id_, *code);
  EXPECT_EQ(again.status().oauth_error(), "invalid_grant");
  http::Response info = Userinfo(tokens->access_token);
  EXPECT_EQ(info.status(), 401);
  EXPECT_NE(info.GetHeader("WWW-Authenticate").value_or("").find("invalid_token"),
            std::string::npos);
}

// Two redemptions racing: both pass Verify, one Take wins (with its tokens' records in the same
// transaction), the other loses and revokes what the winner got (RFC 6749 §4.1.2).
TEST_P(TokenFlowTest, TheRedemptionThatLosesTheRaceRevokesTheWinnersTokens) {
  auto code = codes_->Issue(Approved(client_id_));
  ASSERT_TRUE(code.ok());
  ASSERT_TRUE(codes_->Verify(*code, client_id_, kRedirect, kVerifier).ok());  // the loser, first
  auto tokens = Redeem(client_id_, *code);                                    // the winner
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(Userinfo(tokens->access_token).status(), 200);
  EXPECT_EQ(codes_->Take(*db_, *code).oauth_error(), "invalid_grant");
  EXPECT_EQ(codes_->RefuseReused(*code, client_id_).oauth_error(), "invalid_grant");
  EXPECT_EQ(Userinfo(tokens->access_token).status(), 401);
  EXPECT_EQ(Redeem(client_id_, *code).status().oauth_error(), "invalid_grant");
}

TEST_P(TokenFlowTest, RefusalsOfTheCodeGrant) {
  auto code = codes_->Issue(Approved(client_id_));
  ASSERT_TRUE(code.ok());
  http::FormParams no_code;
  no_code.Add("redirect_uri", kRedirect);
  EXPECT_EQ(Call(*code_grant_, client_id_, no_code).status().oauth_error(), "invalid_request");
  http::FormParams no_redirect;
  no_redirect.Add("code", *code);
  EXPECT_EQ(Call(*code_grant_, client_id_, no_redirect).status().oauth_error(), "invalid_request");
  EXPECT_EQ(Redeem(client_id_, *code, "").status().oauth_error(), "invalid_grant");
  const std::string other = AddClient(WebClient());
  EXPECT_EQ(Redeem(other, *code).status().oauth_error(), "invalid_grant");
  EXPECT_TRUE(Redeem(client_id_, *code).ok());
}

TEST_P(TokenFlowTest, DpopBoundCodeNeedsTheSameKey) {
  auto approved = Approved(client_id_);
  approved.dpop_jkt = "jkt-A";
  auto code = codes_->Issue(approved);
  ASSERT_TRUE(code.ok());
  const http::FormParams p = CodeParams(*code);
  EXPECT_EQ(Call(*code_grant_, client_id_, p, "jkt-B").status().oauth_error(), "invalid_grant");
  // A refused exchange did not use the code up: whoever holds it without the key cannot burn
  // it for the client that has the key.
  auto tokens = Call(*code_grant_, client_id_, p, "jkt-A");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(tokens->token_type, "DPoP");
  auto context = bearer_->AuthenticateToken(tokens->access_token);
  ASSERT_TRUE(context.ok());
  EXPECT_EQ(context->dpop_jkt, "jkt-A");
}

TEST_P(TokenFlowTest, RevokedPersonGetsNoTokens) {
  auto code = codes_->Issue(Approved(client_id_));
  ASSERT_TRUE(code.ok());
  ASSERT_TRUE(identities_->Revoke(identity::Actor::Operator(), person_.id, "deceased").ok());
  EXPECT_EQ(Redeem(client_id_, *code).status().oauth_error(), "invalid_grant");
}

TEST_P(TokenFlowTest, RefreshTokensRotateAndReuseRevokesTheFamily) {
  std::string client;
  std::optional<oauth::TokenResponse> first;
  ASSERT_NO_FATAL_FAILURE(LogInWithRefreshToken(&client, &first));
  const std::string rt1 = first->extra["refresh_token"];

  http::FormParams p;
  p.Add("refresh_token", rt1);
  p.Add("scope", "openid");
  auto second = Call(*refresh_grant_, client, p);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  const std::string rt2 = second->extra["refresh_token"];
  EXPECT_NE(rt1, rt2);
  EXPECT_EQ(second->scope, "openid");  // narrowed
  json id = VerifyIdToken(second->extra["id_token"].get<std::string>(), client);
  EXPECT_FALSE(id.contains("nonce"));  // OIDC Core §12.2
  EXPECT_EQ(Userinfo(second->access_token).status(), 200);

  http::FormParams wider;
  wider.Add("refresh_token", rt2);
  wider.Add("scope", "openid phone");
  EXPECT_EQ(Call(*refresh_grant_, client, wider).status().oauth_error(), "invalid_scope");
  http::FormParams other_client;
  other_client.Add("refresh_token", rt2);
  EXPECT_EQ(Call(*refresh_grant_, client_id_, other_client).status().oauth_error(),
            "invalid_grant");
  // Neither refusal used rt2 up: the client that holds it keeps its login.
  http::FormParams p2;
  p2.Add("refresh_token", rt2);
  auto third = Call(*refresh_grant_, client, p2);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  const std::string rt3 = third->extra["refresh_token"];

  // rt1 again: theft suspected, the family goes: rt3 and the access tokens issued.
  EXPECT_EQ(Call(*refresh_grant_, client, p).status().oauth_error(), "invalid_grant");
  http::FormParams p3;
  p3.Add("refresh_token", rt3);
  EXPECT_EQ(Call(*refresh_grant_, client, p3).status().oauth_error(), "invalid_grant");
  EXPECT_EQ(Userinfo(third->access_token).status(), 401);
  EXPECT_EQ(Userinfo(second->access_token).status(), 401);
  EXPECT_EQ(Userinfo(first->access_token).status(), 401);
}

// Issue 5: only what the agreement allows is released, at the time it is released. The
// agreement narrowed after the approval: a refresh, and userinfo even with an access token from
// before, leave out the claim it no longer lists.
TEST_P(TokenFlowTest, AClaimTheAgreementNoLongerListsIsNoLongerReleased) {
  std::string client;
  std::optional<oauth::TokenResponse> login;
  ASSERT_NO_FATAL_FAILURE(LogInWithRefreshToken(&client, &login));
  json before = VerifyIdToken(login->extra["id_token"].get<std::string>(), client);
  EXPECT_EQ(before["given_name"], "Anna");  // claims.id_token
  http::Response first = Userinfo(login->access_token);
  ASSERT_EQ(first.status(), 200) << first.body();
  EXPECT_EQ(json::parse(first.body())["email"], "anna@example.be");  // scope email

  ASSERT_NO_FATAL_FAILURE(SetAgreement({{"services", {"login", "identification"}},
                                        {"claims", {"email_verified"}},
                                        {"assurance_levels", {"basic", "advanced"}},
                                        {"claims_outside", "refuse"}}));
  http::Response old_token = Userinfo(login->access_token);
  ASSERT_EQ(old_token.status(), 200) << old_token.body();
  json old_claims = json::parse(old_token.body());
  EXPECT_FALSE(old_claims.contains("email"));
  EXPECT_TRUE(old_claims.contains("email_verified"));

  http::FormParams p;
  p.Add("refresh_token", login->extra["refresh_token"].get<std::string>());
  auto refreshed = Call(*refresh_grant_, client, p);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  json id = VerifyIdToken(refreshed->extra["id_token"].get<std::string>(), client);
  EXPECT_FALSE(id.contains("given_name"));
  http::Response info = Userinfo(refreshed->access_token);
  ASSERT_EQ(info.status(), 200) << info.body();
  EXPECT_FALSE(json::parse(info.body()).contains("email"));
  EXPECT_TRUE(json::parse(info.body()).contains("email_verified"));
}

// The identification service taken out of the agreement: a login that shared data no longer
// stands. The refresh is refused (and leaves the refresh token unused, should the agreement
// come back), and userinfo refuses the access token from before.
TEST_P(TokenFlowTest, ALoginWhoseServiceLeftTheAgreementEnds) {
  std::string client;
  std::optional<oauth::TokenResponse> login;
  ASSERT_NO_FATAL_FAILURE(LogInWithRefreshToken(&client, &login));
  const json login_only = {{"services", {"login"}},
                           {"claims", json::array()},
                           {"assurance_levels", {"basic", "advanced"}},
                           {"claims_outside", "refuse"}};
  ASSERT_NO_FATAL_FAILURE(SetAgreement(login_only));

  http::FormParams p;
  p.Add("refresh_token", login->extra["refresh_token"].get<std::string>());
  auto refused = Call(*refresh_grant_, client, p);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().oauth_error(), "invalid_grant");
  EXPECT_NE(refused.status().message().find("identification"), std::string::npos)
      << refused.status().message();
  http::Response info = Userinfo(login->access_token);
  EXPECT_EQ(info.status(), 401);
  EXPECT_NE(info.GetHeader("WWW-Authenticate").value_or("").find("invalid_token"),
            std::string::npos);

  // A login that shared no data is a login: it goes on under the login-only agreement.
  ApprovedAuthorization plain = Approved(client);
  plain.scopes = {"openid"};
  plain.claims = {};
  plain.approved_claims = {};
  auto code = codes_->Issue(plain);
  ASSERT_TRUE(code.ok());
  auto tokens = Redeem(client, *code);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(Userinfo(tokens->access_token).status(), 200);

  // The agreement back as it was: the refused refresh token still works.
  ASSERT_NO_FATAL_FAILURE(SetAgreement({{"services", {"login", "identification"}},
                                        {"claims", {"given_name", "email", "email_verified"}},
                                        {"assurance_levels", {"basic", "advanced"}},
                                        {"claims_outside", "refuse"}}));
  auto again = Call(*refresh_grant_, client, p);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

// RFC 9700 §4.14.2: the same refresh token presented twice at once. Whenever one presentation
// is refused as a reuse, the family is revoked, and that includes what the other was just
// given, however the two interleaved.
TEST_P(TokenFlowTest, ARefreshTokenPresentedTwiceAtOnceLeavesNothingAlive) {
  std::string client;
  std::optional<oauth::TokenResponse> login;
  ASSERT_NO_FATAL_FAILURE(LogInWithRefreshToken(&client, &login));
  std::string token = login->extra["refresh_token"];
  for (int round = 0; round < 10; ++round) {
    http::FormParams p;
    p.Add("refresh_token", token);
    Result<oauth::TokenResponse> replies[2] = {Status::Internal("unset"),
                                               Status::Internal("unset")};
    std::latch start(2);
    std::thread a([&] {
      start.arrive_and_wait();
      replies[0] = Call(*refresh_grant_, client, p);
    });
    std::thread b([&] {
      start.arrive_and_wait();
      replies[1] = Call(*refresh_grant_, client, p);
    });
    a.join();
    b.join();
    const int ok = replies[0].ok() + replies[1].ok();
    ASSERT_LE(ok, 1) << "round " << round;
    for (const auto& r : replies) {
      if (!r.ok()) {
        EXPECT_EQ(r.status().oauth_error(), "invalid_grant") << r.status().ToString();
      }
    }
    // One at least was refused as a reuse, so the family was revoked.
    if (ok == 1) {
      // The winner's tokens went with it (or the winner was refused too: ok == 0).
      const auto& winner = replies[0].ok() ? replies[0] : replies[1];
      EXPECT_EQ(Userinfo(winner->access_token).status(), 401) << "round " << round;
      http::FormParams next;
      next.Add("refresh_token", winner->extra["refresh_token"].get<std::string>());
      EXPECT_EQ(Call(*refresh_grant_, client, next).status().oauth_error(), "invalid_grant");
    }
    // A fresh login for the next round.
    ASSERT_NO_FATAL_FAILURE(LogInWithRefreshToken(&client, &login));
    token = login->extra["refresh_token"];
  }
}

TEST_P(TokenFlowTest, ADpopBoundRefreshNeedsTheSameKeyAndARefusalKeepsTheToken) {
  json m = WebClient();
  m["grant_types"] = {"authorization_code", "refresh_token"};
  const std::string client = AddClient(m);
  auto approved = Approved(client);
  approved.dpop_jkt = "jkt-A";
  auto code = codes_->Issue(approved);
  ASSERT_TRUE(code.ok());
  auto tokens = Call(*code_grant_, client, CodeParams(*code), "jkt-A");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  http::FormParams p;
  p.Add("refresh_token", tokens->extra["refresh_token"].get<std::string>());
  EXPECT_EQ(Call(*refresh_grant_, client, p, "jkt-B").status().oauth_error(), "invalid_grant");
  EXPECT_EQ(Call(*refresh_grant_, client, p).status().oauth_error(), "invalid_grant");
  // Whoever holds the refresh token without the key cannot burn it for the client.
  auto refreshed = Call(*refresh_grant_, client, p, "jkt-A");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(refreshed->token_type, "DPoP");
}

// A suspension ends the logins before it: after the reinstatement, neither their codes nor their
// refresh tokens give tokens again; a new login does.
TEST_P(TokenFlowTest, ASuspensionEndsEarlierCodesAndRefreshTokensForGood) {
  std::string client;
  std::optional<oauth::TokenResponse> first;
  ASSERT_NO_FATAL_FAILURE(LogInWithRefreshToken(&client, &first));
  const std::string refresh = first->extra["refresh_token"];
  auto unused = codes_->Issue(Approved(client));
  ASSERT_TRUE(unused.ok());

  clock_.AdvanceSeconds(5);
  ASSERT_TRUE(registry_->clients().Suspend(client, "operator").ok());
  clock_.AdvanceSeconds(5);
  ASSERT_TRUE(registry_->clients().Reinstate(client, "operator").ok());

  http::FormParams p;
  p.Add("refresh_token", refresh);
  auto refreshed = Call(*refresh_grant_, client, p);
  EXPECT_EQ(refreshed.status().oauth_error(), "invalid_grant");
  EXPECT_NE(refreshed.status().message().find("suspended after this login"), std::string::npos)
      << refreshed.status().ToString();
  EXPECT_EQ(Redeem(client, *unused).status().oauth_error(), "invalid_grant");
  // A login after the reinstatement (auth_time two seconds ago) is not touched.
  clock_.AdvanceSeconds(5);
  auto fresh = codes_->Issue(Approved(client));
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(Redeem(client, *fresh).ok());
}

TEST_P(TokenFlowTest, UserinfoRefusals) {
  http::Response none = Userinfo("");
  EXPECT_EQ(none.status(), 401);
  EXPECT_EQ(none.GetHeader("WWW-Authenticate"), "Bearer");  // RFC 6750 §3.1: no error code
  EXPECT_EQ(Userinfo("garbage").status(), 401);
  // A client_credentials token has no person behind it.
  oauth::AccessTokenRequest r;
  r.subject = client_id_;
  r.client_id = client_id_;
  r.member_id = member_id_;
  r.scope = "openid";
  auto cc = access_tokens_->Issue(r);
  ASSERT_TRUE(cc.ok());
  EXPECT_EQ(Userinfo(cc->token).status(), 401);
  // Without openid: insufficient_scope (403).
  r.scope = "email";
  auto no_openid = access_tokens_->Issue(r);
  ASSERT_TRUE(no_openid.ok());
  http::Response forbidden = Userinfo(no_openid->token);
  EXPECT_EQ(forbidden.status(), 403);
}

void TokenFlowTest::UserinfoEncryptedFor(const json& registration, EncryptedUserinfo* out) {
  auto enc = testenv::MakeClientKey(crypto::KeyType::kEcP256, "enc-1");
  json m = WebClient();
  json enc_jwk = enc.jwks["keys"][0];
  enc_jwk["use"] = "enc";  // the client's signing key (no use) comes first in its set
  m["jwks"]["keys"].push_back(enc_jwk);
  m.update(registration);
  out->client = AddClient(m);
  out->key = enc.key;
  ASSERT_FALSE(out->client.empty());
  auto code = codes_->Issue(Approved(out->client));
  ASSERT_TRUE(code.ok());
  auto tokens = Redeem(out->client, *code);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  http::Response info = Userinfo(tokens->access_token);
  ASSERT_EQ(info.status(), 200) << info.body();
  EXPECT_EQ(info.GetHeader("Content-Type"), "application/jwt");
  out->body = info.body();
}

TEST_P(TokenFlowTest, SignedAndEncryptedUserinfo) {
  EncryptedUserinfo got;
  ASSERT_NO_FATAL_FAILURE(UserinfoEncryptedFor({{"userinfo_signed_response_alg", "PS256"},
                                                {"userinfo_encrypted_response_alg", "ECDH-ES"},
                                                {"userinfo_encrypted_response_enc", "A256GCM"}},
                                               &got));
  auto set = crypto::JwkSet::Parse(*testenv::SharedSchemeKeys().JwksJson());
  ASSERT_TRUE(set.ok());
  crypto::JwtVerifyOptions o;
  o.allowed_algs = {crypto::SigAlg::kPS256};
  o.clock = &clock_;
  o.issuer = kIssuer;
  o.audience = got.client;
  o.require_exp = false;
  crypto::JweAlgorithms allowed{{crypto::KeyMgmtAlg::kEcdhEs}, {crypto::ContentEnc::kA256Gcm}};
  auto claims =
      crypto::DecryptAndVerifyJwt(got.body, crypto::DecryptKeysFrom(crypto::JwkSet({got.key})),
                                  allowed, crypto::VerifyKeysFrom(*set), o);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ((*claims)["sub"], *SubjectFor(Record(got.client), person_.id, kSubjectSecret));
  EXPECT_EQ((*claims)["email"], person_.attributes.email.value());
}

// OIDC Core §5.3.2, OIDC Registration §2: with an encryption alg and no signing alg, the
// answer is the claims set encrypted (not a signed JWT inside).
TEST_P(TokenFlowTest, EncryptedOnlyUserinfoIsTheClaimsSetEncrypted) {
  EncryptedUserinfo got;
  ASSERT_NO_FATAL_FAILURE(
      UserinfoEncryptedFor({{"userinfo_encrypted_response_alg", "ECDH-ES"}}, &got));
  crypto::JweAlgorithms allowed{{crypto::KeyMgmtAlg::kEcdhEs}, {crypto::ContentEnc::kA128CbcHs256}};
  auto opened = crypto::DecryptJwe(got.body, *got.key, allowed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_FALSE(opened->header.contains("cty"));
  json claims = json::parse(opened->plaintext, nullptr, false);
  ASSERT_TRUE(claims.is_object()) << opened->plaintext;
  EXPECT_EQ(claims["sub"], *SubjectFor(Record(got.client), person_.id, kSubjectSecret));
  EXPECT_EQ(claims["aud"], got.client);
  EXPECT_EQ(claims["iss"], kIssuer);
}

// A client whose keys lost the one to encrypt its ID token to (a jwks_uri changed since its
// registration) gets a spec error, and keeps its code and its refresh token: once its keys are
// right again, the same code and the same refresh token work.
TEST_P(TokenFlowTest, WithoutAKeyToEncryptToTheCodeAndRefreshTokenStayUsable) {
  auto enc = testenv::MakeClientKey(crypto::KeyType::kRsa, "enc-1");
  json m = WebClient();
  m["grant_types"] = {"authorization_code", "refresh_token"};
  json with_enc = m["jwks"];
  json enc_jwk = enc.jwks["keys"][0];
  enc_jwk["use"] = "enc";
  with_enc["keys"].push_back(enc_jwk);
  m["jwks"] = with_enc;
  m["id_token_encrypted_response_alg"] = "RSA-OAEP-256";
  const std::string client = AddClient(m);
  ASSERT_FALSE(client.empty());
  // The registry refuses such keys at registration; the store is changed behind its back.
  auto set_keys = [&](const json& jwks) {
    auto row = db_->Exec("SELECT metadata FROM registry_clients WHERE client_id = ?",
                         {store::Text(client)});
    ASSERT_TRUE(row.ok() && row->rows.size() == 1);
    json stored = json::parse(row->rows[0].Text(0));
    stored["jwks"] = jwks;
    ASSERT_TRUE(db_->Exec("UPDATE registry_clients SET metadata = ? WHERE client_id = ?",
                          {store::Text(stored.dump()), store::Text(client)})
                    .ok());
    if (auto* epoch = db_->change_epoch()) epoch->Bump();  // as a registry writer does
  };
  auto code = codes_->Issue(Approved(client));
  ASSERT_TRUE(code.ok());
  ASSERT_NO_FATAL_FAILURE(set_keys(WebClient()["jwks"]));
  auto refused = Redeem(client, *code);
  EXPECT_EQ(refused.status().oauth_error(), "invalid_request") << refused.status().ToString();
  ASSERT_NO_FATAL_FAILURE(set_keys(with_enc));
  auto tokens = Redeem(client, *code);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_TRUE(tokens->extra.contains("refresh_token"));

  http::FormParams p;
  p.Add("refresh_token", tokens->extra["refresh_token"].get<std::string>());
  ASSERT_NO_FATAL_FAILURE(set_keys(WebClient()["jwks"]));
  EXPECT_EQ(Call(*refresh_grant_, client, p).status().oauth_error(), "invalid_request");
  ASSERT_NO_FATAL_FAILURE(set_keys(with_enc));
  auto refreshed = Call(*refresh_grant_, client, p);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_NE(refreshed->extra["refresh_token"], tokens->extra["refresh_token"]);
}

TEST_P(TokenFlowTest, DiscoveryIsCompleteAndTruthful) {
  DiscoveryOptions o;
  o.issuer = kIssuer;
  o.grant_types = {"authorization_code", "refresh_token"};
  o.dpop_signing_algs = {"ES256"};
  json d = DiscoveryDocument(o);
  EXPECT_EQ(d["issuer"], kIssuer);
  EXPECT_EQ(d["token_endpoint"], std::string(kIssuer) + "/token");
  EXPECT_EQ(d["jwks_uri"], std::string(kIssuer) + "/jwks");
  EXPECT_EQ(d["pushed_authorization_request_endpoint"], std::string(kIssuer) + "/par");
  EXPECT_FALSE(d.contains("end_session_endpoint"));
  EXPECT_EQ(d["grant_types_supported"], o.grant_types);
  EXPECT_EQ(d["code_challenge_methods_supported"], json{"S256"});
  EXPECT_EQ(d["id_token_signing_alg_values_supported"], (json{"ES256", "PS256", "RS256", "EdDSA"}));
  EXPECT_EQ(d["acr_values_supported"],
            (json{"urn:idscheme:loa:basic", "urn:idscheme:loa:advanced"}));
  EXPECT_EQ(d["dpop_signing_alg_values_supported"], json{"ES256"});
  EXPECT_TRUE(d["authorization_response_iss_parameter_supported"].get<bool>());
  // Every advertised response algorithm really works.
  for (const auto& alg : d["id_token_signing_alg_values_supported"]) {
    EXPECT_TRUE(
        testenv::SharedSchemeKeys().SigningKey(*crypto::ParseSigAlg(alg.get<std::string>())).ok())
        << alg;
  }
  DiscoveryEndpoint endpoint(o);
  http::Request r;
  http::Response res = endpoint.Handle(r);
  EXPECT_EQ(res.status(), 200);
  EXPECT_EQ(json::parse(res.body()), d);
}

// Refresh tokens revoked through the real POST /revoke, with the OAuth context and the Provider
// wired as the node wires them (Provider::Create registers the revoker).
class RefreshRevocationTest : public TokenFlowTest {
 protected:
  void SetUp() override {
    TokenFlowTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    oauth::OAuthConfig config;
    config.issuer = kIssuer;
    auto oauth = oauth::OAuthContext::Create(
        {*db_, testenv::SharedSchemeKeys(), clock_, random_, *oauth_clients_}, config);
    ASSERT_TRUE(oauth.ok()) << oauth.status().ToString();
    oauth_ = std::move(oauth).value();
    ProviderConfig provider_config;
    provider_config.subject_secret = kSubjectSecret;
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
    client_ = AddClient(m, &secret_);
    other_ = AddClient(m, &other_secret_);
    ASSERT_FALSE(client_.empty());
    ASSERT_FALSE(other_.empty());
  }

  struct Reply {
    int status = 0;
    json body;
  };

  Reply Send(const std::string& method, const std::string& path, const std::string& form,
             const std::string& authorization) {
    http::Request r;
    r.set_method(method);
    EXPECT_TRUE(r.SetTarget(path).ok());
    if (!form.empty()) {
      r.AddHeader("Content-Type", "application/x-www-form-urlencoded");
      r.set_body(form);
    }
    if (!authorization.empty()) r.AddHeader("Authorization", authorization);
    auto match = router_.Find(method, path, &r);
    EXPECT_EQ(match.kind, http::Router::Match::Kind::kFound) << path;
    if (match.kind != http::Router::Match::Kind::kFound) return {};
    http::Response response = match.route->handler(r);
    return {response.status(), json::parse(response.body(), nullptr, false)};
  }
  std::string BasicOf(const std::string& client) {
    return oauth::EncodeBasicAuthorization(client, client == client_ ? secret_ : other_secret_);
  }

  struct Tokens {
    std::string access;
    std::string refresh;
  };
  // A login of `client`: a code as the login pages issue it, redeemed at POST /token.
  Tokens Login(const std::string& client) {
    auto code = provider_->codes().Issue(Approved(client));
    EXPECT_TRUE(code.ok());
    if (!code.ok()) return {};
    Reply r =
        Send("POST", "/token",
             "grant_type=authorization_code&code=" + http::PercentEncode(*code) +
                 "&redirect_uri=" + http::PercentEncode(kRedirect) + "&code_verifier=" + kVerifier,
             BasicOf(client));
    EXPECT_EQ(r.status, 200) << r.body.dump();
    if (r.status != 200) return {};
    return {r.body.value("access_token", ""), r.body.value("refresh_token", "")};
  }
  Reply Refresh(const std::string& client, const std::string& refresh_token) {
    return Send("POST", "/token",
                "grant_type=refresh_token&refresh_token=" + http::PercentEncode(refresh_token),
                BasicOf(client));
  }
  Reply Revoke(const std::string& client, const std::string& token, const std::string& hint) {
    std::string form = "token=" + http::PercentEncode(token);
    if (!hint.empty()) form += "&token_type_hint=" + hint;
    return Send("POST", "/revoke", form, BasicOf(client));
  }
  bool Active(const std::string& client, const std::string& access_token) {
    Reply r =
        Send("POST", "/introspect", "token=" + http::PercentEncode(access_token), BasicOf(client));
    EXPECT_EQ(r.status, 200);
    return r.body.value("active", false);
  }
  int UserinfoStatus(const std::string& access_token) {
    return Send("GET", "/userinfo", "", "Bearer " + access_token).status;
  }

  std::unique_ptr<oauth::OAuthContext> oauth_;
  std::unique_ptr<Provider> provider_;  // after oauth_: unregisters itself first
  http::Router router_;
  std::string client_, secret_, other_, other_secret_;
};

TEST_P(RefreshRevocationTest, RevokingARefreshTokenRevokesItsGrant) {
  const Tokens unrelated = Login(client_);
  // RFC 7009 §2.1: the hint only orders the lookup; any hint (or none) finds a refresh token.
  for (const std::string hint : {"refresh_token", "access_token", ""}) {
    SCOPED_TRACE("token_type_hint=" + hint);
    const Tokens t = Login(client_);
    ASSERT_FALSE(t.refresh.empty());
    ASSERT_EQ(UserinfoStatus(t.access), 200);
    ASSERT_TRUE(Active(client_, t.access));

    Reply revoked = Revoke(client_, t.refresh, hint);
    EXPECT_EQ(revoked.status, 200);  // RFC 7009 §2.2
    // RFC 7009 §2: the refresh token cannot be used any more.
    Reply refreshed = Refresh(client_, t.refresh);
    EXPECT_EQ(refreshed.status, 400);
    EXPECT_EQ(refreshed.body.value("error", ""), "invalid_grant");
    // RFC 7009 §2.1: the access tokens of the same grant are invalidated too.
    EXPECT_EQ(UserinfoStatus(t.access), 401);
    EXPECT_FALSE(Active(client_, t.access));
    // Revoking again is still 200 (RFC 7009 §2.2).
    EXPECT_EQ(Revoke(client_, t.refresh, hint).status, 200);
  }
  // Another login of the same client is untouched.
  EXPECT_EQ(UserinfoStatus(unrelated.access), 200);
  EXPECT_EQ(Refresh(client_, unrelated.refresh).status, 200);
}

TEST_P(RefreshRevocationTest, AnotherClientsRefreshTokenIsRefusedAndStaysValid) {
  const Tokens t = Login(client_);
  ASSERT_FALSE(t.refresh.empty());
  for (const std::string hint : {"refresh_token", "access_token", ""}) {
    SCOPED_TRACE("token_type_hint=" + hint);
    // RFC 7009 §2.1: only the client the token was issued to may revoke it; the request of
    // another is refused, as for an access token (§2.2.1).
    Reply r = Revoke(other_, t.refresh, hint);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body.value("error", ""), "unauthorized_client");
  }
  EXPECT_EQ(UserinfoStatus(t.access), 200);
  EXPECT_TRUE(Active(client_, t.access));
  Reply refreshed = Refresh(client_, t.refresh);
  EXPECT_EQ(refreshed.status, 200) << refreshed.body.dump();
}

// RFC 7662 §2.1: refresh tokens are introspected too, by the client they were issued to.
TEST_P(RefreshRevocationTest, ARefreshTokenIsIntrospectedWhileItCanBeUsed) {
  const Tokens t = Login(client_);
  ASSERT_FALSE(t.refresh.empty());
  auto introspect = [&](const std::string& client, const std::string& token,
                        const std::string& hint) {
    std::string form = "token=" + http::PercentEncode(token);
    if (!hint.empty()) form += "&token_type_hint=" + hint;
    Reply r = Send("POST", "/introspect", form, BasicOf(client));
    EXPECT_EQ(r.status, 200);
    return r.body;
  };
  for (const std::string hint : {"refresh_token", "access_token", ""}) {
    SCOPED_TRACE("token_type_hint=" + hint);
    json body = introspect(client_, t.refresh, hint);
    EXPECT_EQ(body.value("active", false), true) << body.dump();
    EXPECT_EQ(body.value("client_id", ""), client_);
    EXPECT_EQ(body.value("iss", ""), oauth_->issuer());
    EXPECT_EQ(body.value("scope", ""), "openid email");
    EXPECT_EQ(body.value("iat", int64_t{0}), clock_.NowSeconds());
    EXPECT_GT(body.value("exp", int64_t{0}), clock_.NowSeconds());
    EXPECT_FALSE(body.value("sub", "").empty());
    // Another client learns nothing about it (RFC 7662 §2.2).
    EXPECT_EQ(introspect(other_, t.refresh, hint), json({{"active", false}}));
  }
  // Rotated out: no longer active; its replacement is.
  Reply refreshed = Refresh(client_, t.refresh);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body.dump();
  EXPECT_EQ(introspect(client_, t.refresh, ""), json({{"active", false}}));
  const std::string next = refreshed.body.value("refresh_token", "");
  EXPECT_EQ(introspect(client_, next, "refresh_token").value("active", false), true);
  // Revoked: no longer active.
  ASSERT_EQ(Revoke(client_, next, "").status, 200);
  EXPECT_EQ(introspect(client_, next, "refresh_token"), json({{"active", false}}));
}

// RFC 7662 §2.2: a person whose identity is revoked has no active token left, at
// introspection as at userinfo.
TEST_P(RefreshRevocationTest, ARevokedPersonsTokensAreInactive) {
  const Tokens t = Login(client_);
  ASSERT_TRUE(Active(client_, t.access));
  const std::string form = "token=" + http::PercentEncode(t.refresh);
  ASSERT_EQ(Send("POST", "/introspect", form, BasicOf(client_)).body.value("active", false), true);
  ASSERT_TRUE(identities_->Revoke(identity::Actor::Operator(), person_.id, "deceased").ok());
  EXPECT_FALSE(Active(client_, t.access));
  EXPECT_EQ(Send("POST", "/introspect", form, BasicOf(client_)).body, json({{"active", false}}));
  EXPECT_EQ(UserinfoStatus(t.access), 401);
}

TEST_P(RefreshRevocationTest, UnknownTokensAreAnswered200) {
  const Tokens t = Login(client_);
  for (const std::string hint : {"refresh_token", "access_token", "", "id_token"}) {
    SCOPED_TRACE("token_type_hint=" + hint);
    // RFC 7009 §2.2: an invalid token is not an error.
    for (const std::string& token :
         {std::string("not-a-token"), std::string(43, 'A'), std::string(300, 'A')}) {
      Reply r = Revoke(client_, token, hint);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.body, json::object());
    }
  }
  // RFC 7009 §2.1: token is required.
  Reply missing = Send("POST", "/revoke", "token_type_hint=refresh_token", BasicOf(client_));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body.value("error", ""), "invalid_request");
  // Nothing was revoked on the way.
  EXPECT_EQ(UserinfoStatus(t.access), 200);
  EXPECT_EQ(Refresh(client_, t.refresh).status, 200);
}

TEST_P(RefreshRevocationTest, AnAccessTokenHintedAsRefreshTokenIsStillRevoked) {
  const Tokens t = Login(client_);
  ASSERT_FALSE(t.access.empty());
  // RFC 7009 §2.1: not found as a refresh token, the server searches the access tokens.
  EXPECT_EQ(Revoke(client_, t.access, "refresh_token").status, 200);
  EXPECT_EQ(UserinfoStatus(t.access), 401);
  EXPECT_FALSE(Active(client_, t.access));
}

// OIDC Core §5.3.1 with RFC 6750 §2.2: userinfo by POST with the token in the form body.
TEST_P(RefreshRevocationTest, UserinfoTakesTheTokenFromAFormBody) {
  const Tokens t = Login(client_);
  Reply r = Send("POST", "/userinfo", "access_token=" + http::PercentEncode(t.access), "");
  EXPECT_EQ(r.status, 200) << r.body.dump();
  EXPECT_FALSE(r.body.value("sub", "").empty());
  Reply both = Send("POST", "/userinfo", "access_token=" + http::PercentEncode(t.access),
                    "Bearer " + t.access);
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(both.body.value("error", ""), "invalid_request");
}

INSTANTIATE_TEST_SUITE_P(Backends, RefreshRevocationTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

INSTANTIATE_TEST_SUITE_P(Backends, TokenFlowTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oidc
