// The member APIs end to end: a real node (store, keys, HTTP server on port 0) on both backends.
// A registrar's client gets an access token at POST /token (client_credentials with
// private_key_jwt), uses it on /registrar/v1, and loses it the moment its member is suspended
// or terminated; a service provider's token is refused on the registrar API. A client's
// sector_identifier_uri is fetched with the node's own HTTPS client at registration.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "crypto/jws.h"
#include "crypto/key.h"
#include "http/form.h"
#include "http/server.h"
#include "identity/identity_test_util.h"
#include "oauth/client_assertion.h"
#include "registry/client_metadata.h"
#include "server/node.h"
#include "testing/http_client.h"
#include "testing/test_db.h"
#include "testing/test_node.h"

namespace idscheme::server {
namespace {

using json = nlohmann::json;
using testing::Backend;

std::string TestData(const char* name) {
  return std::string(IDSCHEME_HTTP_TESTDATA_DIR) + "/" + name;
}

// A relying party's web server on 127.0.0.1 (HTTPS, the test certificate), serving `documents`
// by path; 404 for anything else.
std::unique_ptr<http::Server> StartRelyingPartyServer(
    const std::map<std::string, std::string>& documents) {
  http::Router router;
  for (const auto& [path, body] : documents) {
    router.Add("GET", path, "document",
               [body](http::Request&) { return http::Response::JsonText(200, body); });
  }
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.worker_threads = 1;
  options.access_log = false;
  options.tls_cert_file = TestData("test_cert.pem");
  options.tls_key_file = TestData("test_key.pem");
  auto server = std::make_unique<http::Server>(options, std::move(router));
  Status s = server->Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return server;
}

class MemberApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    // The node trusts the test certificate for documents clients register by URL.
    auto inst =
        testing::StartTestNode(GetParam(), {{"oauth.jwks_ca_file", TestData("test_cert.pem")}});
    ASSERT_TRUE(inst.ok()) << inst.status().ToString();
    instance_ = std::move(inst).value();
    port_ = instance_->port();
  }

  registry::Registry& registry() { return instance_->node().registry(); }

  // A member of `role` with one private_key_jwt client; returns {member_id, client_id}.
  std::pair<std::string, std::string> AddMemberWithClient(registry::Role role) {
    registry::NewMember m{role, "Member", "BE0123456789", {"ops@member.example", ""}, ""};
    auto member = registry().members().Create(m, "operator");
    EXPECT_TRUE(member.ok()) << member.status().ToString();
    auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
    EXPECT_TRUE(key.ok());
    crypto::KeyPtr signing = (*key)->WithKid("k1");
    json metadata = {{"grant_types", {"client_credentials"}},
                     {"token_endpoint_auth_method", "private_key_jwt"},
                     {"jwks", {{"keys", {*signing->ToJwk(false)}}}}};
    auto valid = registry::ValidateClientMetadata(metadata);
    EXPECT_TRUE(valid.ok()) << valid.status().ToString();
    auto client = registry().clients().Create(member->id, *valid, "operator", "operator");
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    keys_[client->client.client_id] = signing;
    return {member->id, client->client.client_id};
  }

  // POST /token, client_credentials, authenticated by a signed client assertion (RFC 7523).
  std::string Token(const std::string& client_id) {
    const int64_t now = instance_->node().clock().NowSeconds();
    json claims = {
        {"iss", client_id}, {"sub", client_id}, {"aud", instance_->node().config().server.issuer},
        {"iat", now},       {"exp", now + 60},  {"jti", "jti-" + std::to_string(++jti_)}};
    auto assertion =
        crypto::SignJws({{"alg", "ES256"}, {"kid", "k1"}}, claims.dump(), *keys_[client_id]);
    EXPECT_TRUE(assertion.ok()) << assertion.status().ToString();
    std::string form = "grant_type=client_credentials&client_assertion_type=" +
                       http::PercentEncode(oauth::kJwtBearerAssertionType) +
                       "&client_assertion=" + http::PercentEncode(*assertion);
    auto r = testing::Post(port_, "/token", "application/x-www-form-urlencoded", form);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false).value("access_token", "");
  }

  testing::HttpReply Call(const std::string& method, const std::string& target,
                          const std::string& token, const json& body = nullptr) {
    std::string text = body.is_null() ? "" : body.dump();
    std::string req =
        method + " " + target +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " + token +
        "\r\n";
    if (!text.empty()) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
    return testing::SendRaw(port_, req);
  }

  std::unique_ptr<Instance> instance_;
  uint16_t port_ = 0;
  std::map<std::string, crypto::KeyPtr> keys_;
  int jti_ = 0;
};

TEST_P(MemberApiTest, ARegistrarsTokenWorksUntilItsMemberIsSuspended) {
  auto [registrar, client] = AddMemberWithClient(registry::Role::kIdentityRegistrar);
  std::string token = Token(client);
  ASSERT_FALSE(token.empty());

  auto created =
      Call("POST", "/registrar/v1/identities", token, identity::testing::SampleIdentity());
  ASSERT_EQ(created.status, 201) << created.body;
  json identity = json::parse(created.body);
  EXPECT_EQ(identity["registrar_id"], registrar);
  std::string path = "/registrar/v1/identities/" + identity["id"].get<std::string>();
  EXPECT_EQ(Call("GET", path, token).status, 200);
  auto code = Call("POST", path + "/activation-codes", token);
  EXPECT_EQ(code.status, 201) << code.body;

  ASSERT_TRUE(registry().members().Suspend(registrar, "operator").ok());
  auto after = Call("GET", path, token);
  EXPECT_TRUE(after.status == 401 || after.status == 403) << after.status << " " << after.body;
  EXPECT_EQ(Call("POST", "/registrar/v1/identities", token,
                 identity::testing::SampleIdentity("+32470000002"))
                .status,
            after.status);
  // Reinstating does not bring the old token back; a token asked for at once works, even in
  // the reinstatement's own second. (Not in the suspension's: a token's iat has whole seconds,
  // so the second of a switch-off refuses every token issued in it.)
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ASSERT_TRUE(registry().members().Reinstate(registrar, "operator").ok());
  EXPECT_EQ(Call("GET", path, token).status, after.status);
  const std::string fresh = Token(client);
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(Call("GET", path, fresh).status, 200);
}

// Issue 4: the node serves the registrar's device routes behind the bearer token, scoped to the
// registrar's own identities.
TEST_P(MemberApiTest, ARegistrarReachesTheDevicesOfItsOwnIdentitiesOnly) {
  auto [registrar, client] = AddMemberWithClient(registry::Role::kIdentityRegistrar);
  auto [other, other_client] = AddMemberWithClient(registry::Role::kIdentityRegistrar);
  std::string token = Token(client);
  auto created =
      Call("POST", "/registrar/v1/identities", token, identity::testing::SampleIdentity());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string devices =
      "/registrar/v1/identities/" + json::parse(created.body)["id"].get<std::string>() + "/devices";

  auto listed = Call("GET", devices, token);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body)["devices"], json::array());
  EXPECT_EQ(Call("DELETE", devices + "/dev_unknown", token).status, 404);
  const std::string other_token = Token(other_client);
  EXPECT_EQ(Call("GET", devices, other_token).status, 404);
  EXPECT_EQ(Call("GET", devices, "not-a-token").status, 401);
}

TEST_P(MemberApiTest, SuspendingAServiceProviderFailsItsPendingRequestsAtOnce) {
  auto [shop, client] = AddMemberWithClient(registry::Role::kServiceProvider);
  auto [other, other_client] = AddMemberWithClient(registry::Role::kServiceProvider);
  approval::NewAction request;
  request.type = approval::ActionType::kLogin;
  request.member_id = shop;
  request.member_display_name = "Member";
  request.client_id = client;
  request.identity_id = "idn_anna";
  auto pending = instance_->node().actions().Create(request);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  request.member_id = other;
  request.client_id = other_client;
  auto others = instance_->node().actions().Create(request);
  ASSERT_TRUE(others.ok()) << others.status().ToString();

  // The node's status hook cancels the member's pending actions in the suspension's transaction.
  ASSERT_TRUE(registry().members().Suspend(shop, "operator").ok());
  auto after = instance_->node().actions().Get(pending->id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, approval::ActionState::kCancelled);
  EXPECT_EQ(after->decided_by, "system:suspended");
  EXPECT_EQ(instance_->node().actions().Get(others->id)->state, approval::ActionState::kPending);

  // A deleted client's pending requests go the same way: nobody can approve them any more.
  ASSERT_TRUE(registry().clients().Delete(other_client, "operator").ok());
  auto deleted = instance_->node().actions().Get(others->id);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->state, approval::ActionState::kCancelled);
  EXPECT_EQ(deleted->decided_by, "system:deleted");
}

TEST_P(MemberApiTest, ATerminatedSimControllerIsShutOutAtOnce) {
  auto [mno, client] = AddMemberWithClient(registry::Role::kSimController);
  std::string token = Token(client);
  json binding = {{"phone_number", "+32470123456"},
                  {"iccid", identity::testing::kIccid},
                  {"public_key", identity::testing::SimKeyJwk()}};
  auto bound = Call("POST", "/simcontroller/v1/bindings", token, binding);
  ASSERT_EQ(bound.status, 201) << bound.body;
  EXPECT_TRUE(instance_->node().sim_bindings().ActiveBinding("+32470123456").ok());

  ASSERT_TRUE(registry().members().Terminate(mno, "operator").ok());
  auto after = Call("POST", "/simcontroller/v1/events", token,
                    json{{"phone_number", "+32470123456"}, {"type", "sim_swap"}});
  EXPECT_TRUE(after.status == 401 || after.status == 403) << after.status << " " << after.body;
}

TEST_P(MemberApiTest, AServiceProvidersTokenIsRefusedOnTheRegistrarApi) {
  auto [shop, client] = AddMemberWithClient(registry::Role::kServiceProvider);
  std::string token = Token(client);
  ASSERT_FALSE(token.empty());
  auto r = Call("POST", "/registrar/v1/identities", token, identity::testing::SampleIdentity());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("error", ""), "access_denied");
  EXPECT_EQ(Call("GET", "/simcontroller/v1/bindings?phone_number=%2B32470123456", token).status,
            403);
  EXPECT_EQ(Call("GET", "/registrar/v1/identities", "not-a-token").status, 401);
}

// OIDC Registration §5 through the node's own HTTPS client: the admin API registers a client
// with a sector_identifier_uri only when the document served there lists its redirect URIs.
TEST_P(MemberApiTest, TheAdminApiFetchesTheSectorDocumentOfAClient) {
  auto [manager, manager_client] = AddMemberWithClient(registry::Role::kSchemeManager);
  auto [shop, shop_client] = AddMemberWithClient(registry::Role::kServiceProvider);
  std::string token = Token(manager_client);
  ASSERT_FALSE(token.empty());
  auto rp = StartRelyingPartyServer(
      {{"/sector.json", R"(["https://a.shop.example/cb", "https://b.shop.example/cb"])"},
       {"/old-sector.json", R"(["https://a.shop.example/cb"])"}});
  const std::string base = "https://127.0.0.1:" + std::to_string(rp->port());
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  json metadata = {{"redirect_uris", {"https://a.shop.example/cb", "https://b.shop.example/cb"}},
                   {"jwks", {{"keys", {*(*key)->WithKid("k1")->ToJwk(false)}}}},
                   {"sector_identifier_uri", base + "/old-sector.json"}};
  const std::string clients = "/admin/v1/members/" + shop + "/clients";

  // A document that misses a redirect URI: refused, saying which.
  auto refused = Call("POST", clients, token, metadata);
  ASSERT_EQ(refused.status, 400) << refused.body;
  json error = json::parse(refused.body, nullptr, false);
  EXPECT_EQ(error.value("error", ""), "invalid_request");
  EXPECT_EQ(error.value("error_description", ""),
            "sector_identifier_uri: the document at " + base +
                "/old-sector.json does not list redirect_uris[1] 'https://b.shop.example/cb' "
                "(it must list every URI the client registers, exactly as registered); add it "
                "to the document");

  // A document that lists them all: registered, with the document's host as the sector.
  metadata["sector_identifier_uri"] = base + "/sector.json";
  auto created = Call("POST", clients, token, metadata);
  ASSERT_EQ(created.status, 201) << created.body;
  json client = json::parse(created.body);
  EXPECT_EQ(client["sector_identifier"], "127.0.0.1");

  // Every update fetches it again: a document that is gone refuses the update.
  metadata["sector_identifier_uri"] = base + "/gone.json";
  auto gone =
      Call("PUT", "/admin/v1/clients/" + client["client_id"].get<std::string>(), token, metadata);
  ASSERT_EQ(gone.status, 400) << gone.body;
  EXPECT_EQ(json::parse(gone.body, nullptr, false).value("error_description", ""),
            "sector_identifier_uri: cannot fetch " + base + "/gone.json (fetch: HTTP 404)");
}

INSTANTIATE_TEST_SUITE_P(Backends, MemberApiTest, testing::AllBackends(), testing::BackendName);

}  // namespace
}  // namespace idscheme::server
