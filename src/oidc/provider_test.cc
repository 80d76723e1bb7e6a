// The node-facing assembly: Provider::Create's checks, the grants it adds to the token
// endpoint, and the routes with discovery listing every grant served.
#include "oidc/provider.h"

#include <gtest/gtest.h>

#include "oauth/grants/client_credentials.h"
#include "oidc/oidc_test_env.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

class ProviderTest : public testenv::OidcTest {
 protected:
  void SetUp() override {
    testenv::OidcTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    identities_ = std::make_unique<identity::Identities>(*db_, clock_, random_);
    oauth::OAuthConfig config;
    config.issuer = testenv::kIssuer;
    auto oauth = oauth::OAuthContext::Create(
        {*db_, testenv::SharedSchemeKeys(), clock_, random_, *oauth_clients_}, config);
    ASSERT_TRUE(oauth.ok()) << oauth.status().ToString();
    oauth_ = std::move(oauth).value();
  }

  ProviderDeps Deps() {
    return {*db_, clock_, random_, testenv::SharedSchemeKeys(), *oauth_, *registry_, *identities_};
  }

  std::unique_ptr<identity::Identities> identities_;
  std::unique_ptr<oauth::OAuthContext> oauth_;
};

TEST_P(ProviderTest, CreateRefusesAShortSubjectSecret) {
  ProviderConfig config;
  config.subject_secret.assign(31, 1);
  EXPECT_EQ(Provider::Create(Deps(), config).status().code(), Status::Code::kInvalidArgument);
  config.subject_secret.assign(32, 1);
  config.codes.lifetime_seconds = 0;
  EXPECT_FALSE(Provider::Create(Deps(), config).ok());
}

TEST_P(ProviderTest, GrantsAndRoutes) {
  ProviderConfig config;
  config.subject_secret.assign(32, 1);
  auto provider = Provider::Create(Deps(), config);
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  oauth::TokenEndpoint& token = oauth_->token_endpoint();
  (*provider)->AddGrants(token);
  const auto types = token.GrantTypes();
  for (const char* t : {"authorization_code", "refresh_token"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  }
  http::Router router;
  AddProviderRoutes(router, **provider, token);
  http::Request get;
  EXPECT_EQ(router.Find("GET", "/userinfo", &get).kind, http::Router::Match::Kind::kFound);
  EXPECT_EQ(router.Find("POST", "/userinfo", &get).kind, http::Router::Match::Kind::kFound);
  auto match = router.Find("GET", kDiscoveryPath, &get);
  ASSERT_EQ(match.kind, http::Router::Match::Kind::kFound);
  http::Response r = match.route->handler(get);
  ASSERT_EQ(r.status(), 200);
  json d = json::parse(r.body());
  EXPECT_EQ(d["issuer"], testenv::kIssuer);
  EXPECT_EQ(d["grant_types_supported"], json(types));
  EXPECT_FALSE(d.contains("dpop_signing_alg_values_supported"));  // DPoP not enabled
  // RP-Initiated Logout §2.1: the end_session_endpoint, served for GET and POST.
  EXPECT_EQ(d["end_session_endpoint"], std::string(testenv::kIssuer) + "/logout");
  EXPECT_EQ(router.Find("GET", "/logout", &get).kind, http::Router::Match::Kind::kFound);
  EXPECT_EQ(router.Find("POST", "/logout", &get).kind, http::Router::Match::Kind::kFound);
  // Userinfo without a token: the RFC 6750 §3.1 challenge.
  auto ui = router.Find("GET", "/userinfo", &get);
  http::Response unauth = ui.route->handler(get);
  EXPECT_EQ(unauth.status(), 401);
  EXPECT_EQ(unauth.GetHeader("WWW-Authenticate"), "Bearer");
}

INSTANTIATE_TEST_SUITE_P(Backends, ProviderTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oidc
