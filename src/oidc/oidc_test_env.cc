#include "oidc/oidc_test_env.h"

#include <stdexcept>

#include "audit/audit_log.h"
#include "crypto/jwt.h"
#include "crypto/random.h"
#include "oauth/migrations.h"
#include "oidc/migrations.h"
#include "store/migrations.h"

namespace idscheme::oidc::testenv {

using json = nlohmann::json;

std::vector<store::Migration> AllMigrations() {
  auto all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(m);
  for (auto& m : keys::Migrations()) all.push_back(m);
  for (auto& m : registry::Migrations()) all.push_back(m);
  for (auto& m : oauth::Migrations()) all.push_back(m);
  for (auto& m : oidc::Migrations()) all.push_back(m);
  return all;
}

keys::KeyManager& SharedSchemeKeys() {
  struct Keys {
    FakeClock clock{kStart};
    std::unique_ptr<store::Database> db;
    std::unique_ptr<keys::DbKeyStore> store;
    std::unique_ptr<keys::KeyManager> manager;
  };
  static Keys* keys = [] {
    auto* k = new Keys();
    auto db = store::Database::Open(idscheme::testing::TempDir() + "/scheme-keys.db", 4);
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    k->db = std::move(db).value();
    auto all = store::Migrations();
    for (auto& m : audit::Migrations()) all.push_back(m);
    for (auto& m : keys::Migrations()) all.push_back(m);
    Status s = store::Migrate(*k->db, all);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    k->store = std::make_unique<keys::DbKeyStore>(*k->db, std::vector<uint8_t>(32, 9),
                                                  crypto::SystemRandom(), 2048);
    k->manager = std::make_unique<keys::KeyManager>(*k->store, k->clock);
    s = k->store->EnsureInitialized(k->clock.NowSeconds());
    if (s.ok()) s = k->manager->Reload();
    if (!s.ok()) throw std::runtime_error(s.ToString());
    return k;
  }();
  return *keys->manager;
}

ClientKey MakeClientKey(crypto::KeyType type, const std::string& kid) {
  auto key = crypto::Key::Generate(type);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  ClientKey out;
  out.kid = kid;
  out.key = (*key)->WithKid(kid);
  auto jwk = out.key->ToJwk(/*include_private=*/false);
  EXPECT_TRUE(jwk.ok());
  out.jwks = {{"keys", json::array({*jwk})}};
  return out;
}

http::FormParams Query(std::string_view text) {
  auto p = http::ParseForm(text);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : http::FormParams();
}

void OidcTest::SetUp() {
  IDS_REQUIRE_BACKEND(GetParam());
  db_ = idscheme::testing::FreshDatabase(GetParam());
  ASSERT_TRUE(db_);
  Status s = store::Migrate(*db_, AllMigrations());
  ASSERT_TRUE(s.ok()) << s.ToString();
  registry_ = std::make_unique<registry::Registry>(*db_, clock_, random_);

  registry::NewMember m;
  m.role = registry::Role::kServiceProvider;
  m.display_name = "Acme Shop";
  m.legal_id = "BE0123456789";
  m.contacts.email = "ops@acme.example";
  auto member = registry_->members().Create(m, "operator");
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  member_id_ = member->id;
  auto terms = registry::ParseAgreementTerms(
      {{"services", {"login", "identification"}},
       {"claims", {"name", "given_name", "family_name", "email", "email_verified"}},
       {"assurance_levels", {"basic", "advanced"}},
       {"claims_outside", "refuse"}});
  ASSERT_TRUE(terms.ok()) << terms.status().ToString();
  ASSERT_TRUE(registry_->agreements().Set(member_id_, *terms, "operator").ok());

  key_ = MakeClientKey(crypto::KeyType::kEcP256, "rp-key-1");
  client_id_ = AddClient(WebClient());
  ASSERT_FALSE(client_id_.empty());

  clients_ = std::make_unique<RegistryAuthorizationClients>(*registry_);
  oauth_clients_ = std::make_unique<registry::OAuthClientDirectory>(*registry_);
  jwks_ = std::make_unique<oauth::JwksCache>(
      oauth::JwksCacheOptions{},
      [](std::string_view) -> Result<oauth::FetchResponse> {
        return Status::Unavailable("no network in tests");
      },
      clock_);
  oauth::ClientAuthOptions auth;
  auth.audiences = {kIssuer, std::string(kIssuer) + std::string(kParPath)};
  client_auth_ =
      std::make_unique<oauth::ClientAuthenticator>(*oauth_clients_, *jwks_, *db_, clock_, auth);
  options_.issuer = kIssuer;
  dpop_ = std::make_unique<oauth::DpopVerifier>(*db_, clock_);
  endpoint_ = std::make_unique<AuthorizationEndpoint>(
      AuthorizationEndpointDeps{*clients_, *client_auth_, *jwks_, SharedSchemeKeys(), *db_, clock_,
                                random_, nullptr, dpop_.get()},
      options_);
}

json OidcTest::WebClient() const {
  return {{"redirect_uris", {kRedirect, "https://rp.example/cb2?x=1"}},
          {"jwks", key_.jwks},
          {"client_name", "Acme web"},
          {"scope", "openid profile email phone"}};
}

std::string OidcTest::AddClient(json metadata, std::string* secret) {
  auto m = registry::ValidateClientMetadata(metadata);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return {};
  auto c = registry_->clients().Create(member_id_, *m, "operator", "operator");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return {};
  if (secret) *secret = c->secret;
  return c->client.client_id;
}

http::FormParams OidcTest::GoodParams() const {
  http::FormParams p;
  p.Add("response_type", "code");
  p.Add("client_id", client_id_);
  p.Add("redirect_uri", kRedirect);
  p.Add("scope", "openid email");
  p.Add("state", "st-1");
  p.Add("nonce", "n-1");
  p.Add("code_challenge", kChallenge);
  p.Add("code_challenge_method", "S256");
  return p;
}

json OidcTest::RequestObjectClaims(const std::string& jti) const {
  const int64_t now = clock_.NowSeconds();
  return {{"iss", client_id_},
          {"aud", kIssuer},
          {"iat", now},
          {"nbf", now},
          {"exp", now + 300},
          {"jti", jti},
          {"response_type", "code"},
          {"client_id", client_id_},
          {"redirect_uri", kRedirect},
          {"scope", "openid email"},
          {"state", "ro-state"},
          {"nonce", "ro-nonce"},
          {"max_age", 600},
          {"claims", {{"userinfo", {{"email", {{"essential", true}}}}}}},
          {"code_challenge", kChallenge},
          {"code_challenge_method", "S256"}};
}

std::string OidcTest::Sign(const json& claims, const ClientKey& key, crypto::SigAlg alg) const {
  auto jwt = crypto::SignJwt(claims, *key.key, alg, key.kid, "oauth-authz-req+jwt");
  EXPECT_TRUE(jwt.ok()) << jwt.status().ToString();
  return jwt.ok() ? *jwt : std::string();
}

}  // namespace idscheme::oidc::testenv
