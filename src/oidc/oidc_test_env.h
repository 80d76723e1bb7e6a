// Test support for the oidc tests: a migrated store on each backend with the real registry (a
// service provider, its agreement and clients), client authentication and key cache as the
// OAuth part builds them, the scheme's keys, and the authorization endpoint over all of it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "crypto/key.h"
#include "keys/key_manager.h"
#include "keys/key_store.h"
#include "oauth/client_auth.h"
#include "oauth/dpop.h"
#include "oauth/jwks_cache.h"
#include "oidc/authorization_endpoint.h"
#include "registry/oauth_client_directory.h"
#include "registry/registry.h"
#include "store/database.h"
#include "testing/test_db.h"

namespace idscheme::oidc::testenv {

inline constexpr int64_t kStart = 1'800'000'000;
inline constexpr char kIssuer[] = "https://id.example";
inline constexpr char kRedirect[] = "https://rp.example/cb";
// A verifier and its S256 challenge, BASE64URL(SHA256(kVerifier)).
inline constexpr char kVerifier[] = "dBjftJeZ4CVP-mJ0kzyzFfVXiM9H5pctYPHNVHAk5N0";
inline constexpr char kChallenge[] = "7X0Pee6cAbJpapaWgtdSwcdxQ1fD5pchD-vbEID86V4";

std::vector<store::Migration> AllMigrations();

// The scheme's keys (RSA 2048), made once per test process in a SQLite store of their own.
keys::KeyManager& SharedSchemeKeys();

struct ClientKey {
  crypto::KeyPtr key;
  std::string kid;
  nlohmann::json jwks;  // {"keys":[public jwk]}
};
ClientKey MakeClientKey(crypto::KeyType type, const std::string& kid);

class OidcTest : public ::testing::TestWithParam<idscheme::testing::Backend> {
 protected:
  void SetUp() override;

  // Registers a client of the member; returns client_id (and the secret when it has one).
  std::string AddClient(nlohmann::json metadata, std::string* secret = nullptr);
  // Metadata of a private_key_jwt web client with `key_`'s jwks.
  nlohmann::json WebClient() const;

  // The query of a good request for client_ (no leading '?').
  http::FormParams GoodParams() const;
  // Claims of a good request object for client_ at the clock's time.
  nlohmann::json RequestObjectClaims(const std::string& jti = "ro-1") const;
  std::string Sign(const nlohmann::json& claims, const ClientKey& key,
                   crypto::SigAlg alg = crypto::SigAlg::kES256) const;

  std::unique_ptr<store::Database> db_;
  FakeClock clock_{kStart};
  SeededRandom random_{7};
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<RegistryAuthorizationClients> clients_;
  std::unique_ptr<registry::OAuthClientDirectory> oauth_clients_;
  std::unique_ptr<oauth::JwksCache> jwks_;
  std::unique_ptr<oauth::ClientAuthenticator> client_auth_;
  std::unique_ptr<oauth::DpopVerifier> dpop_;  // PAR's (RFC 9449 §10.1)
  std::unique_ptr<AuthorizationEndpoint> endpoint_;
  std::string member_id_;
  ClientKey key_;
  std::string client_id_;  // private_key_jwt, redirect kRedirect, scope openid profile email phone
  AuthorizationOptions options_;
};

// Parameters from a query string (test input; asserts it parses).
http::FormParams Query(std::string_view text);

}  // namespace idscheme::oidc::testenv
