// Test support for the registry's tests: a migrated database on each backend, a registry over it
// with a fake clock, and helpers that make valid members, agreements and clients.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "registry/registry.h"
#include "store/database.h"
#include "testing/test_db.h"

namespace idscheme::registry::testing {

// A public EC P-256 JWK Set (a client's keys).
nlohmann::json TestJwks();
// Valid metadata for a private_key_jwt client with one redirect URI.
nlohmann::json WebClientMetadata(const std::string& redirect = "https://rp.example/cb");

// Every migration a registry database needs (store, audit, registry).
std::vector<store::Migration> RegistryMigrations();

class RegistryTest : public ::testing::TestWithParam<idscheme::testing::Backend> {
 protected:
  void SetUp() override;

  Member AddMember(Role role, const std::string& name = "Acme Bank",
                   const std::string& reseller_id = "");
  Agreement SetTerms(const std::string& member_id, const nlohmann::json& terms);
  ClientWithSecret AddClient(const std::string& member_id, const nlohmann::json& metadata);
  // The audit entries whose action is `action`, oldest first.
  std::vector<nlohmann::json> AuditEntries(const std::string& action);

  std::string url_;
  std::unique_ptr<store::Database> db_;
  FakeClock clock_;
  SeededRandom random_{42};
  std::unique_ptr<Registry> registry_;
};

}  // namespace idscheme::registry::testing
