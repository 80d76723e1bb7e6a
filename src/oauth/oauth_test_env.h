// Test support for the OAuth tests: a migrated store with the scheme's keys and the test client
// directory, client keys and assertions, and a real local server publishing a client's JWKS.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "crypto/jws.h"
#include "crypto/key.h"
#include "http/server.h"
#include "keys/key_manager.h"
#include "keys/key_store.h"
#include "oauth/testing/table_client_directory.h"
#include "store/database.h"
#include "testing/test_db.h"

namespace idscheme::oauth::testenv {

inline constexpr int64_t kStart = 1'800'000'000;
inline constexpr char kIssuer[] = "https://id.example";
inline constexpr char kTokenUrl[] = "https://id.example/token";

// Every migration the OAuth tests need (store, audit, keys, oauth), in order.
std::vector<store::Migration> AllMigrations();

// A fresh migrated database with the test client directory's tables.
struct Store {
  std::string url;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<testing::TableClientDirectory> clients;
};
// Fails the current test (ASSERT-style: check HasFatalFailure) on error.
void OpenStore(idscheme::testing::Backend backend, Store* out);
// A second connection pool on the same database (another "node").
std::unique_ptr<store::Database> OpenAgain(const std::string& url);

// The scheme's keys (every slot, RSA 2048), generated once per test process in a SQLite store
// of their own: generating them per test would dominate the run time, and where they are kept
// is not what these tests are about.
struct SchemeKeys {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<keys::DbKeyStore> store;
  std::unique_ptr<keys::KeyManager> manager;
};
SchemeKeys& SharedSchemeKeys();

// A client's key pair with a kid, and its public JWK Set.
struct ClientKey {
  crypto::KeyPtr key;
  std::string kid;
  nlohmann::json jwks;  // {"keys":[public jwk]}
};
ClientKey MakeClientKey(crypto::KeyType type, std::string kid);

// The claims of a good assertion for `client_id` at `now`.
nlohmann::json AssertionClaims(const std::string& client_id, int64_t now,
                               const std::string& jti = "jti-1",
                               const nlohmann::json& aud = kIssuer);
// Signs `claims` with `key` under {"alg", "kid"} (kid omitted when empty).
std::string SignAssertion(const ClientKey& key, crypto::SigAlg alg, const nlohmann::json& claims,
                          bool with_kid = true);

// A registry record for an active private_key_jwt client of an active member.
ClientAuthRecord JwtClient(const std::string& client_id, const nlohmann::json& jwks,
                           const std::string& jwks_uri = {});
// A registry record for an active client_secret_basic / _post client.
ClientAuthRecord SecretClient(const std::string& client_id, const std::string& secret,
                              std::string_view method);

// A real idscheme HTTP server on 127.0.0.1:0 serving a settable JWKS at /jwks.
class JwksServer {
 public:
  JwksServer();
  ~JwksServer();
  void Set(std::string body, std::string cache_control = "", int status = 200);
  std::string url() const;
  int hits() const { return hits_.load(); }

 private:
  mutable std::mutex mu_;
  std::string body_ = R"({"keys":[]})";
  std::string cache_control_;
  int status_ = 200;
  std::atomic<int> hits_{0};
  std::unique_ptr<http::Server> server_;
};

}  // namespace idscheme::oauth::testenv
