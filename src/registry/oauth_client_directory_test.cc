#include "registry/oauth_client_directory.h"

#include <gtest/gtest.h>

#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::RegistryTest;

class OAuthClientDirectoryTest : public RegistryTest {};

TEST_P(OAuthClientDirectoryTest, MapsTheRegistryRecord) {
  Member sp = AddMember(Role::kServiceProvider);
  json metadata = testing::WebClientMetadata();
  metadata["token_endpoint_auth_signing_alg"] = "PS256";
  metadata["grant_types"] = {"authorization_code", "refresh_token"};
  metadata["scope"] = "openid email offline_access";
  std::string id = AddClient(sp.id, metadata).client.client_id;
  OAuthClientDirectory directory(*registry_);

  auto r = directory.FindClient(id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->client_id, id);
  EXPECT_EQ(r->member_id, sp.id);
  EXPECT_TRUE(r->client_active);
  EXPECT_TRUE(r->member_active);
  EXPECT_EQ(r->member_status_changed_at, 0);  // never changed: creation does not count
  EXPECT_EQ(r->token_endpoint_auth_method, "private_key_jwt");
  EXPECT_EQ(r->token_endpoint_auth_signing_alg, "PS256");
  EXPECT_EQ(r->jwks, testing::TestJwks());
  EXPECT_TRUE(r->secret_hash.empty());
  EXPECT_TRUE(r->AllowsGrant("refresh_token"));
  EXPECT_TRUE(r->AllowsScope("offline_access"));
  EXPECT_FALSE(r->AllowsScope("profile"));
  EXPECT_EQ(r->member_role, "service_provider");
  EXPECT_EQ(directory.FindClient("c_none").status().code(), Status::Code::kNotFound);

  // A suspension: inactive, and tokens issued before it (in whole seconds, rounded up) refused.
  clock_.Advance(std::chrono::milliseconds(1500));
  ASSERT_TRUE(registry_->members().Suspend(sp.id, "operator").ok());
  r = directory.FindClient(id);
  EXPECT_FALSE(r->member_active);
  EXPECT_EQ(r->member_status_changed_at, (clock_.NowMillis() + 999) / 1000);
  const int64_t suspended = r->member_status_changed_at;
  clock_.AdvanceSeconds(10);
  ASSERT_TRUE(registry_->members().Reinstate(sp.id, "operator").ok());
  r = directory.FindClient(id);
  EXPECT_TRUE(r->member_active);
  // Tokens from before the suspension stay dead; one issued from the reinstatement on lives,
  // even in the reinstatement's own second.
  EXPECT_EQ(r->member_status_changed_at, suspended);
  // A client's own status change counts too.
  clock_.AdvanceSeconds(10);
  ASSERT_TRUE(registry_->clients().Suspend(id, "operator").ok());
  r = directory.FindClient(id);
  EXPECT_FALSE(r->client_active);
  EXPECT_EQ(r->member_status_changed_at, (clock_.NowMillis() + 999) / 1000);
}

TEST_P(OAuthClientDirectoryTest, SecretClientsAndResellers) {
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member shop = AddMember(Role::kServiceProvider, "Shop", reseller.id);
  auto c = AddClient(shop.id, {{"redirect_uris", {"https://shop.example/cb"}},
                               {"token_endpoint_auth_method", "client_secret_post"}});
  OAuthClientDirectory directory(*registry_);
  auto r = directory.FindClient(c.client.client_id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->secret_hash, HashClientSecret(c.secret));
  EXPECT_TRUE(r->jwks.is_null());
  ASSERT_TRUE(registry_->members().Terminate(reseller.id, "operator").ok());
  EXPECT_FALSE(directory.FindClient(c.client.client_id)->member_active);
}

INSTANTIATE_TEST_SUITE_P(Backends, OAuthClientDirectoryTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::registry
