// Test support for the approval engine: a migrated database on each backend, and small real
// implementations of the interfaces the identity part will provide (activation codes spent
// through the store's accepted-once table, SIM bindings held in memory).
//
// Thread-safety: the fakes are safe from any thread; the fixture belongs to the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "approval/actions.h"
#include "approval/devices.h"
#include "approval/schema.h"
#include "audit/audit_log.h"
#include "common/base64url.h"
#include "crypto/jws.h"
#include "store/migrations.h"
#include "store/once.h"
#include "testing/test_db.h"

namespace idscheme::approval::testing {

// Codes issued with Issue(); each redeems once, decided by the store.
class FakeRedeemer final : public ActivationRedeemer {
 public:
  void Issue(const std::string& code, const std::string& identity_id) {
    std::lock_guard<std::mutex> lock(mu_);
    codes_[code] = identity_id;
  }
  Result<std::string> Redeem(store::Transaction& tx, std::string_view code) override {
    std::string identity;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = codes_.find(std::string(code));
      if (it == codes_.end()) return Status::PermissionDenied("unknown activation code");
      identity = it->second;
    }
    IDS_ASSIGN_OR_RETURN(bool first, store::AcceptOnce(tx, "activation", code, 4'000'000'000));
    if (!first) return Status::PermissionDenied("activation code already used");
    return identity;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> codes_;
};

class FakeSimBindings final : public SimBindingLookup {
 public:
  // A (re-)binding made at `at_ms`, as the identity part records its creation.
  void Bind(const std::string& identity_id, crypto::KeyPtr key, int64_t at_ms = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    bindings_[identity_id] = {"sim_" + identity_id, std::move(key), at_ms};
    swapped_.erase(identity_id);
  }
  void ReportSimSwap(const std::string& identity_id) {
    std::lock_guard<std::mutex> lock(mu_);
    swapped_[identity_id] = true;
  }
  Result<Binding> ActiveBinding(store::Executor&, std::string_view identity_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bindings_.find(std::string(identity_id));
    if (it == bindings_.end()) return Status::FailedPrecondition("no SIM binding");
    if (swapped_.count(std::string(identity_id))) {
      return Status::FailedPrecondition("the SIM binding is suspended");
    }
    return it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Binding> bindings_;
  std::map<std::string, bool> swapped_;
};

// Cheap Argon2id for tests (production defaults: PinParams{}).
inline DeviceOptions FastDeviceOptions() {
  DeviceOptions o;
  o.pin = {1, 8, 1};
  return o;
}

inline std::vector<store::Migration> AllMigrations() {
  auto all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(m);
  for (auto& m : Migrations()) all.push_back(m);
  return all;
}

// What the app sends for a PIN: 32 bytes derived on the device (here just a fixed pattern).
inline std::string PinInput(uint8_t pin_seed) {
  std::vector<uint8_t> bytes(kPinInputBytes, pin_seed);
  return Base64UrlEncode(bytes);
}

inline std::string SignDigest(const crypto::Key& key, const crypto::Sha256Digest& digest) {
  auto sig = crypto::SignBytes(crypto::SigAlg::kES256, key, digest);
  EXPECT_TRUE(sig.ok()) << sig.status().ToString();
  return sig.ok() ? Base64UrlEncode(*sig) : std::string();
}

inline crypto::KeyPtr NewDeviceKey() {
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  EXPECT_TRUE(key.ok());
  return *key;
}

inline nlohmann::json PublicJwk(const crypto::Key& key) {
  auto jwk = key.ToJwk(false);
  EXPECT_TRUE(jwk.ok());
  return *jwk;
}

class ApprovalTestBase : public ::testing::TestWithParam<idscheme::testing::Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    url_ = idscheme::testing::FreshDatabaseUrl(GetParam());
    ASSERT_FALSE(HasFatalFailure());
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::Migrate(*db_, AllMigrations()).ok());
  }

  // Another connection pool on the same database (another server process, as far as the
  // store can tell).
  std::unique_ptr<store::Database> Open() {
    auto db = store::Database::Open(url_, 8);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  // Audit entries with `action`, oldest first.
  std::vector<audit::Entry> AuditEntries(std::string_view action) {
    auto entries = audit::List(*db_, 0, 10000);
    EXPECT_TRUE(entries.ok());
    std::vector<audit::Entry> out;
    if (!entries.ok()) return out;
    for (auto& e : *entries) {
      if (e.event.action == action) out.push_back(e);
    }
    return out;
  }

  std::string url_;
  std::unique_ptr<store::Database> db_;
  FakeClock clock_;
  SeededRandom random_{42};
  FakeRedeemer redeemer_;
  FakeSimBindings sims_;
};

}  // namespace idscheme::approval::testing
