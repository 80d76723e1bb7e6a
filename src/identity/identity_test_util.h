// Test support for the identity tests: a migrated database on each backend (store, audit,
// registry, identity), the registry, Identities and SimBindings over it with a fake clock, and
// valid request bodies to start from.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "identity/identities.h"
#include "identity/sim_bindings.h"
#include "registry/registry.h"
#include "store/database.h"
#include "testing/test_db.h"

namespace idscheme::identity::testing {

// FakeClock's start: 2023-11-14T22:13:20Z.
inline constexpr int64_t kNow = 1'700'000'000;

// A complete, valid identity body (attributes.h) with the given phone number.
nlohmann::json SampleIdentity(const std::string& phone = "+32470123456");
// A valid evidence object.
nlohmann::json SampleEvidence();
// A fresh EC P-256 public JWK (a secure element's key).
nlohmann::json SimKeyJwk();
// A valid ICCID (Luhn digit last).
inline constexpr char kIccid[] = "8932000000000000006";

// Store, audit, registry and identity migrations, in order.
std::vector<store::Migration> IdentityTestMigrations();

class IdentityTest : public ::testing::TestWithParam<idscheme::testing::Backend> {
 protected:
  void SetUp() override;

  std::string AddMember(registry::Role role, const std::string& name = "Registrar");
  Identity CreateIdentity(const std::string& registrar_id,
                          const std::string& phone = "+32470123456");
  // The audit entries whose action is `action`, oldest first.
  std::vector<nlohmann::json> AuditEntries(const std::string& action);

  std::string url_;  // the store's
  std::unique_ptr<store::Database> db_;
  FakeClock clock_{kNow};
  SeededRandom random_{7};
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<Identities> identities_;
  std::unique_ptr<SimBindings> sims_;
};

}  // namespace idscheme::identity::testing
