#include "oauth/oauth_test_env.h"

#include <stdexcept>

#include "audit/audit_log.h"
#include "common/base64url.h"
#include "crypto/random.h"
#include "oauth/client_auth.h"
#include "oauth/migrations.h"
#include "store/migrations.h"

namespace idscheme::oauth::testenv {

std::vector<store::Migration> AllMigrations() {
  auto all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(m);
  for (auto& m : keys::Migrations()) all.push_back(m);
  for (auto& m : oauth::Migrations()) all.push_back(m);
  return all;
}

void OpenStore(idscheme::testing::Backend backend, Store* out) {
  out->url = idscheme::testing::FreshDatabaseUrl(backend);
  auto db = store::Database::Open(out->url, 8);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  out->db = std::move(db).value();
  Status s = store::Migrate(*out->db, AllMigrations());
  ASSERT_TRUE(s.ok()) << s.ToString();
  out->clients = std::make_unique<testing::TableClientDirectory>(*out->db);
  s = out->clients->CreateTables();
  ASSERT_TRUE(s.ok()) << s.ToString();
}

std::unique_ptr<store::Database> OpenAgain(const std::string& url) {
  auto db = store::Database::Open(url, 8);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

SchemeKeys& SharedSchemeKeys() {
  static SchemeKeys* keys = [] {
    static FakeClock clock(kStart);
    auto* k = new SchemeKeys();
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
    k->manager = std::make_unique<keys::KeyManager>(*k->store, clock);
    s = k->store->EnsureInitialized(clock.NowSeconds());
    if (s.ok()) s = k->manager->Reload();
    if (!s.ok()) throw std::runtime_error(s.ToString());
    return k;
  }();
  return *keys;
}

ClientKey MakeClientKey(crypto::KeyType type, std::string kid) {
  auto key = crypto::Key::Generate(type);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  ClientKey out;
  out.kid = std::move(kid);
  out.key = (*key)->WithKid(out.kid);
  auto jwk = out.key->ToJwk(/*include_private=*/false);
  EXPECT_TRUE(jwk.ok());
  out.jwks = {{"keys", nlohmann::json::array({*jwk})}};
  return out;
}

nlohmann::json AssertionClaims(const std::string& client_id, int64_t now, const std::string& jti,
                               const nlohmann::json& aud) {
  return {{"iss", client_id}, {"sub", client_id}, {"aud", aud},
          {"iat", now},       {"exp", now + 60},  {"jti", jti}};
}

std::string SignAssertion(const ClientKey& key, crypto::SigAlg alg, const nlohmann::json& claims,
                          bool with_kid) {
  nlohmann::json header = {{"alg", std::string(crypto::SigAlgName(alg))}};
  if (with_kid) header["kid"] = key.kid;
  auto jws = crypto::SignJws(header, claims.dump(), *key.key);
  EXPECT_TRUE(jws.ok()) << jws.status().ToString();
  return jws.ok() ? *jws : std::string();
}

ClientAuthRecord JwtClient(const std::string& client_id, const nlohmann::json& jwks,
                           const std::string& jwks_uri) {
  ClientAuthRecord r;
  r.client_id = client_id;
  r.member_id = "member-" + client_id;
  r.client_active = true;
  r.member_active = true;
  r.member_status_changed_at = kStart - 86400;
  r.token_endpoint_auth_method = std::string(kAuthPrivateKeyJwt);
  r.jwks = jwks;
  r.jwks_uri = jwks_uri;
  r.grant_types = {"client_credentials"};
  r.scopes = {"members:read", "members:write"};
  r.member_role = "service_provider";
  return r;
}

ClientAuthRecord SecretClient(const std::string& client_id, const std::string& secret,
                              std::string_view method) {
  ClientAuthRecord r = JwtClient(client_id, nullptr);
  r.token_endpoint_auth_method = std::string(method);
  r.secret_hash = HashClientSecret(secret);
  return r;
}

JwksServer::JwksServer() {
  http::Router router;
  router.Add("GET", "/jwks", "jwks", [this](http::Request&) {
    ++hits_;
    std::lock_guard lock(mu_);
    auto r = http::Response::JsonText(status_, body_);
    if (!cache_control_.empty()) r.SetHeader("Cache-Control", cache_control_);
    return r;
  });
  http::ServerOptions options;
  options.worker_threads = 2;
  options.access_log = false;
  server_ = std::make_unique<http::Server>(options, std::move(router));
  Status s = server_->Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

JwksServer::~JwksServer() { server_->Stop(std::chrono::seconds(1)); }

void JwksServer::Set(std::string body, std::string cache_control, int status) {
  std::lock_guard lock(mu_);
  body_ = std::move(body);
  cache_control_ = std::move(cache_control);
  status_ = status;
}

std::string JwksServer::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + "/jwks";
}

}  // namespace idscheme::oauth::testenv
