// Client authentication on both backends: private_key_jwt (inline keys and a jwks_uri served by
// a real local server), client_secret_basic / _post, one method per request, inactive clients
// and members, jti replay.
#include "oauth/client_auth.h"

#include <gtest/gtest.h>

#include "oauth/basic_auth.h"
#include "oauth/oauth_test_env.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using idscheme::testing::Backend;
using namespace testenv;

class ClientAuthTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    OpenStore(GetParam(), &store_);
    if (HasFatalFailure()) return;
    FetchOptions fetch;
    fetch.allow_loopback_http = true;
    fetcher_ = std::make_unique<HttpsFetcher>(fetch);
    cache_ = std::make_unique<JwksCache>(
        JwksCacheOptions{}, [this](std::string_view url) { return fetcher_->Get(url); }, clock_);
    ClientAuthOptions options;
    options.audiences = {kIssuer, kTokenUrl};
    auth_ = std::make_unique<ClientAuthenticator>(*store_.clients, *cache_, *store_.db, clock_,
                                                  options);
    key_ = MakeClientKey(crypto::KeyType::kEcP256, "k1");
    Put(JwtClient("jwt-client", key_.jwks));
    Put(SecretClient("basic-client", "s3cret", kAuthClientSecretBasic));
    Put(SecretClient("post-client", "s3cret", kAuthClientSecretPost));
  }

  void Put(const ClientAuthRecord& r) {
    ASSERT_TRUE(store_.clients->PutMember(r.member_id, true, r.member_status_changed_at).ok());
    Status s = store_.clients->PutClient(r);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  Result<AuthenticatedClient> Auth(const std::vector<std::pair<std::string, std::string>>& form,
                                   const std::vector<std::string>& authorization = {}) {
    http::Request request;
    request.set_method("POST");
    EXPECT_TRUE(request.SetTarget("/token").ok());
    for (const auto& a : authorization) request.AddHeader("Authorization", a);
    http::FormParams params;
    for (const auto& [k, v] : form) params.Add(k, v);
    return auth_->Authenticate(request, params);
  }
  Result<AuthenticatedClient> AuthAssertion(const std::string& assertion) {
    return Auth({{"client_assertion_type", std::string(kJwtBearerAssertionType)},
                 {"client_assertion", assertion}});
  }
  std::string Assertion(const std::string& client_id, const std::string& jti = "jti-1") {
    return SignAssertion(key_, SigAlg::kES256,
                         AssertionClaims(client_id, clock_.NowSeconds(), jti));
  }
  static void ExpectError(const Result<AuthenticatedClient>& r, std::string_view error,
                          std::string_view why) {
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().oauth_error(), error) << why << ": " << r.status().ToString();
  }

  FakeClock clock_{kStart};
  Store store_;
  std::unique_ptr<HttpsFetcher> fetcher_;
  std::unique_ptr<JwksCache> cache_;
  std::unique_ptr<ClientAuthenticator> auth_;
  ClientKey key_;
};

TEST_P(ClientAuthTest, PrivateKeyJwtWithInlineKeys) {
  auto r = AuthAssertion(Assertion("jwt-client"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->record.client_id, "jwt-client");
  EXPECT_EQ(r->method, ClientAuthMethod::kPrivateKeyJwt);
}

TEST_P(ClientAuthTest, PrivateKeyJwtReusedJtiIsRefused) {
  const std::string a = Assertion("jwt-client", "once");
  ASSERT_TRUE(AuthAssertion(a).ok());
  ExpectError(AuthAssertion(a), "invalid_client", "the same assertion again");
  ExpectError(AuthAssertion(Assertion("jwt-client", "once")), "invalid_client",
              "a new assertion with a used jti");
  // The jti is per client: another client may use the same value.
  Put(JwtClient("jwt-client-2", key_.jwks));
  EXPECT_TRUE(AuthAssertion(Assertion("jwt-client-2", "once")).ok());
}

TEST_P(ClientAuthTest, PrivateKeyJwtFailedAssertionDoesNotBurnItsJti) {
  auto bad = AssertionClaims("jwt-client", kStart, "keep");
  bad["aud"] = "https://elsewhere";
  ExpectError(AuthAssertion(SignAssertion(key_, SigAlg::kES256, bad)), "invalid_client", "aud");
  EXPECT_TRUE(AuthAssertion(Assertion("jwt-client", "keep")).ok());
}

TEST_P(ClientAuthTest, PrivateKeyJwtClaimRulesGiveInvalidClient) {
  auto c = AssertionClaims("jwt-client", kStart);
  c["iss"] = "basic-client";
  ExpectError(AuthAssertion(SignAssertion(key_, SigAlg::kES256, c)), "invalid_client",
              "iss names another client");
  c = AssertionClaims("jwt-client", kStart);
  c["exp"] = kStart - 100;
  ExpectError(AuthAssertion(SignAssertion(key_, SigAlg::kES256, c)), "invalid_client", "expired");
  c = AssertionClaims("jwt-client", kStart);
  c["exp"] = kStart + 301 + 30;
  ExpectError(AuthAssertion(SignAssertion(key_, SigAlg::kES256, c)), "invalid_client", "exp far");
  c = AssertionClaims("jwt-client", kStart);
  c.erase("jti");
  ExpectError(AuthAssertion(SignAssertion(key_, SigAlg::kES256, c)), "invalid_client", "no jti");
}

TEST_P(ClientAuthTest, PrivateKeyJwtParameterRules) {
  const std::string a = Assertion("jwt-client");
  ExpectError(Auth({{"client_assertion", a}}), "invalid_request", "no assertion type");
  ExpectError(Auth({{"client_assertion_type", std::string(kJwtBearerAssertionType)}}),
              "invalid_request", "no assertion");
  ExpectError(Auth({{"client_assertion_type", "urn:other"}, {"client_assertion", a}}),
              "invalid_client", "unknown assertion type");
  ExpectError(Auth({{"client_id", "basic-client"},
                    {"client_assertion_type", std::string(kJwtBearerAssertionType)},
                    {"client_assertion", a}}),
              "invalid_client", "client_id differs from iss");
  EXPECT_TRUE(Auth({{"client_id", "jwt-client"},
                    {"client_assertion_type", std::string(kJwtBearerAssertionType)},
                    {"client_assertion", a}})
                  .ok());
  ExpectError(AuthAssertion("not-a-jwt"), "invalid_client", "garbage");
}

TEST_P(ClientAuthTest, PrivateKeyJwtFromJwksUriWithRotation) {
  JwksServer server;
  server.Set(key_.jwks.dump(), "max-age=3600");
  Put(JwtClient("uri-client", nullptr, server.url()));
  ASSERT_TRUE(AuthAssertion(Assertion("uri-client", "a")).ok());
  EXPECT_EQ(server.hits(), 1);
  ASSERT_TRUE(AuthAssertion(Assertion("uri-client", "b")).ok());
  EXPECT_EQ(server.hits(), 1) << "parsed keys are cached";

  // The client publishes a new key and signs with it: unknown kid -> one refetch -> ok.
  clock_.AdvanceSeconds(11);
  ClientKey k2 = MakeClientKey(crypto::KeyType::kEcP256, "k2");
  nlohmann::json both = key_.jwks;
  both["keys"].push_back(k2.jwks["keys"][0]);
  server.Set(both.dump(), "max-age=3600");
  auto c = AssertionClaims("uri-client", clock_.NowSeconds(), "c");
  ASSERT_TRUE(AuthAssertion(SignAssertion(k2, SigAlg::kES256, c)).ok());
  EXPECT_EQ(server.hits(), 2);

  // A key it never published: one refetch is not allowed yet, and the answer is invalid_client.
  ClientKey k3 = MakeClientKey(crypto::KeyType::kEcP256, "k3");
  c["jti"] = "d";
  ExpectError(AuthAssertion(SignAssertion(k3, SigAlg::kES256, c)), "invalid_client",
              "still unknown kid");
  EXPECT_EQ(server.hits(), 2);
  clock_.AdvanceSeconds(10);
  c = AssertionClaims("uri-client", clock_.NowSeconds(), "e");
  ExpectError(AuthAssertion(SignAssertion(k3, SigAlg::kES256, c)), "invalid_client",
              "unknown kid after a refetch");
  EXPECT_EQ(server.hits(), 3);
}

TEST_P(ClientAuthTest, ClientSecretBasicWithFormEncodedSpecialCharacters) {
  const std::string id = "odd:client id+%";
  const std::string secret = "p@ss w:rd/+%&=";
  Put(SecretClient(id, secret, kAuthClientSecretBasic));
  auto r = Auth({}, {EncodeBasicAuthorization(id, secret)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->record.client_id, id);
  EXPECT_EQ(r->method, ClientAuthMethod::kClientSecretBasic);
  // The same body client_id is fine; another one is not.
  EXPECT_TRUE(Auth({{"client_id", id}}, {EncodeBasicAuthorization(id, secret)}).ok());
  ExpectError(Auth({{"client_id", "basic-client"}}, {EncodeBasicAuthorization(id, secret)}),
              "invalid_client", "body client_id differs");
}

TEST_P(ClientAuthTest, SecretMismatch) {
  ExpectError(Auth({}, {EncodeBasicAuthorization("basic-client", "wrong")}), "invalid_client",
              "wrong secret");
  ExpectError(Auth({}, {EncodeBasicAuthorization("basic-client", "")}), "invalid_client",
              "empty secret");
  ExpectError(Auth({}, {EncodeBasicAuthorization("basic-client", "s3cret ")}), "invalid_client",
              "secret with a trailing space");
  ExpectError(Auth({{"client_id", "post-client"}, {"client_secret", "S3cret"}}), "invalid_client",
              "post: wrong case");
  ExpectError(Auth({}, {EncodeBasicAuthorization("nobody", "s3cret")}), "invalid_client",
              "unknown client");
  ExpectError(Auth({}, {"Basic !!"}), "invalid_client", "unreadable Basic");
}

TEST_P(ClientAuthTest, ClientSecretPost) {
  auto r = Auth({{"client_id", "post-client"}, {"client_secret", "s3cret"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, ClientAuthMethod::kClientSecretPost);
  ExpectError(Auth({{"client_secret", "s3cret"}}), "invalid_request", "no client_id");
}

TEST_P(ClientAuthTest, TheRegisteredMethodOnly) {
  ExpectError(Auth({{"client_id", "basic-client"}, {"client_secret", "s3cret"}}), "invalid_client",
              "basic client using post");
  ExpectError(Auth({}, {EncodeBasicAuthorization("post-client", "s3cret")}), "invalid_client",
              "post client using basic");
  Put(SecretClient("jwt-too", "s3cret", kAuthPrivateKeyJwt));
  ExpectError(Auth({}, {EncodeBasicAuthorization("jwt-too", "s3cret")}), "invalid_client",
              "jwt client using a secret");
  ExpectError(Auth({{"client_id", "basic-client"}}), "invalid_client", "no credentials");
  ExpectError(Auth({}), "invalid_client", "nothing at all");
}

TEST_P(ClientAuthTest, TwoMethodsAtOnceIsInvalidRequest) {
  const std::string basic = EncodeBasicAuthorization("basic-client", "s3cret");
  ExpectError(Auth({{"client_secret", "s3cret"}}, {basic}), "invalid_request", "basic + post");
  ExpectError(Auth({{"client_assertion_type", std::string(kJwtBearerAssertionType)},
                    {"client_assertion", Assertion("jwt-client")}},
                   {basic}),
              "invalid_request", "basic + jwt");
  ExpectError(Auth({{"client_id", "post-client"},
                    {"client_secret", "s3cret"},
                    {"client_assertion_type", std::string(kJwtBearerAssertionType)},
                    {"client_assertion", Assertion("jwt-client")}}),
              "invalid_request", "post + jwt");
  ExpectError(Auth({}, {basic, basic}), "invalid_request", "two Authorization headers");
  ExpectError(Auth({{"client_id", "a"}, {"client_id", "a"}, {"client_secret", "s"}}),
              "invalid_request", "client_id twice");
  ExpectError(Auth({}, {"Bearer abc"}), "invalid_client", "another scheme");
}

TEST_P(ClientAuthTest, InactiveClientOrMemberIsRefusedWithoutSayingWhich) {
  const std::string basic = EncodeBasicAuthorization("basic-client", "s3cret");
  ASSERT_TRUE(Auth({}, {basic}).ok());
  auto unknown = Auth({}, {EncodeBasicAuthorization("nobody", "s3cret")});
  ASSERT_FALSE(unknown.ok());

  ASSERT_TRUE(store_.clients->SetMemberActive("member-basic-client", false, kStart).ok());
  auto suspended = Auth({}, {basic});
  ExpectError(suspended, "invalid_client", "member suspended");
  EXPECT_EQ(suspended.status().message(), unknown.status().message());

  ASSERT_TRUE(store_.clients->SetMemberActive("member-basic-client", true, kStart + 1).ok());
  ASSERT_TRUE(Auth({}, {basic}).ok()) << "reinstated";
  ASSERT_TRUE(store_.clients->SetClientActive("basic-client", false).ok());
  auto inactive = Auth({}, {basic});
  ExpectError(inactive, "invalid_client", "client inactive");
  EXPECT_EQ(inactive.status().message(), unknown.status().message());

  ASSERT_TRUE(store_.clients->SetMemberActive("member-jwt-client", false, kStart).ok());
  ExpectError(AuthAssertion(Assertion("jwt-client")), "invalid_client", "jwt, member suspended");
}

TEST_P(ClientAuthTest, InvalidClientIsAnUnauthenticatedStatus) {
  auto r = Auth({}, {EncodeBasicAuthorization("basic-client", "wrong")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnauthenticated);
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientAuthTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oauth
