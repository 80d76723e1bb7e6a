#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "audit/audit_log.h"
#include "crypto/jws.h"
#include "crypto/random.h"
#include "keys/key_manager.h"
#include "keys/key_store.h"
#include "store/migrations.h"
#include "testing/test_db.h"

namespace idscheme::keys {
namespace {

using testing::Backend;
constexpr int kRsaBits = 2048;  // fast enough for tests; production default is 3072

std::vector<uint8_t> Kek(uint8_t fill) { return std::vector<uint8_t>(32, fill); }

class KeysTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    url_ = testing::FreshDatabaseUrl(GetParam());
    auto db = store::Database::Open(url_, 8);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto all = store::Migrations();
    for (auto& m : audit::Migrations()) all.push_back(m);
    for (auto& m : Migrations()) all.push_back(m);
    ASSERT_TRUE(store::Migrate(*db_, all).ok());
    store_ = std::make_unique<DbKeyStore>(*db_, Kek(7), crypto::SystemRandom(), kRsaBits);
    manager_ = std::make_unique<KeyManager>(*store_, clock_);
    ASSERT_TRUE(store_->EnsureInitialized(clock_.NowSeconds()).ok());
    ASSERT_TRUE(manager_->Reload().ok());
  }

  nlohmann::json Jwks() { return nlohmann::json::parse(*manager_->JwksJson()); }
  bool Published(const std::string& kid) {
    auto jwks = Jwks();
    for (const auto& k : jwks["keys"])
      if (k["kid"] == kid) return true;
    return false;
  }

  FakeClock clock_{1'800'000'000};
  std::string url_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<DbKeyStore> store_;
  std::unique_ptr<KeyManager> manager_;
};

TEST_P(KeysTest, FirstStartPublishesActiveAndNextOfEverySlot) {
  auto jwks = Jwks();
  ASSERT_EQ(jwks["keys"].size(), 2 * AllSlots().size());
  for (const auto& k : jwks["keys"]) {
    EXPECT_FALSE(k.contains("d")) << "private member published";
    EXPECT_FALSE(k.contains("p"));
    EXPECT_TRUE(k.contains("kid"));
    EXPECT_TRUE(k["use"] == "sig" || k["use"] == "enc");
  }
  EXPECT_EQ(manager_->SigningAlgNames(),
            (std::vector<std::string>{"ES256", "PS256", "RS256", "EdDSA"}));
  // Starting again changes nothing.
  ASSERT_TRUE(store_->EnsureInitialized(clock_.NowSeconds()).ok());
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_EQ(Jwks()["keys"].size(), 2 * AllSlots().size());
}

TEST_P(KeysTest, ActiveKeySignsAndJwksVerifies) {
  for (auto alg : {crypto::SigAlg::kES256, crypto::SigAlg::kPS256, crypto::SigAlg::kRS256,
                   crypto::SigAlg::kEdDSA}) {
    auto key = manager_->SigningKey(alg);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    auto jws = crypto::SignJws({{"alg", crypto::SigAlgName(alg)}, {"kid", (*key)->kid()}},
                               "payload", **key);
    ASSERT_TRUE(jws.ok()) << jws.status().ToString();
    auto parsed = crypto::ParseJws(*jws);
    ASSERT_TRUE(parsed.ok());
    bool verified = false;
    auto jwks = Jwks();
    for (const auto& k : jwks["keys"]) {
      if (k["kid"] != parsed->kid) continue;
      auto pub = crypto::Key::FromPublicJwk(k);
      ASSERT_TRUE(pub.ok()) << pub.status().ToString();
      verified = crypto::VerifyJws(*parsed, **pub, {alg}).ok();
    }
    EXPECT_TRUE(verified) << crypto::SigAlgName(alg);
  }
}

TEST_P(KeysTest, RotationPublishesBeforeSigningAndRetiresLater) {
  auto before = manager_->Records();
  std::string old_active, next;
  for (const auto& r : before) {
    if (r.slot != "ES256") continue;
    (r.state == KeyState::kActive ? old_active : next) = r.kid;
  }
  ASSERT_TRUE(Published(next));  // the next key is public before it ever signs

  auto report = store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->changes.size(), 1u);
  EXPECT_EQ(report->changes[0].active_kid, next);
  EXPECT_EQ(report->changes[0].retiring_kid, old_active);
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_EQ((*manager_->SigningKey(crypto::SigAlg::kES256))->kid(), next);
  EXPECT_TRUE(Published(old_active));  // still verifies what it signed
  EXPECT_TRUE(Published(report->changes[0].next_kid));
  EXPECT_NE(manager_->FindByKid(old_active), nullptr);

  // Within the retiring period a second rotation keeps the old key published...
  clock_.AdvanceSeconds(1800);
  ASSERT_TRUE(store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, 0).ok());
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_TRUE(Published(old_active));
  // ...and once the period is over it leaves the JWKS even before the next rotation, and is
  // no longer found by its kid (nothing it signed or encrypted to is accepted any more).
  clock_.AdvanceSeconds(1801);
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_FALSE(Published(old_active));
  EXPECT_EQ(manager_->FindByKid(old_active), nullptr);
  auto third = store_->Rotate({}, clock_.NowSeconds(), 3600, 0);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->removed_kids, std::vector<std::string>{old_active});
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_EQ(manager_->FindByKid(old_active), nullptr);

  // Every rotation is in the audit log, and the log verifies.
  auto entries = audit::List(*db_, 0, 1000);
  ASSERT_TRUE(entries.ok());
  int rotations = 0;
  for (const auto& e : *entries) rotations += e.event.action == "key.rotate";
  EXPECT_EQ(rotations, 1 + 1 + static_cast<int>(AllSlots().size()));
  EXPECT_TRUE(audit::Verify(*db_)->ok);
}

// The same for the encryption keys: a retired one past its period decrypts nothing, even if no
// reload came between (the clock decides, not the snapshot).
TEST_P(KeysTest, ARetiredEncryptionKeyStopsDecryptingWhenItsPeriodEnds) {
  std::string old_active;
  for (const auto& r : manager_->Records()) {
    if (r.slot == "RSA-OAEP-256" && r.state == KeyState::kActive) old_active = r.kid;
  }
  ASSERT_FALSE(old_active.empty());
  ASSERT_TRUE(store_->Rotate({"RSA-OAEP-256"}, clock_.NowSeconds(), 60, 0).ok());
  ASSERT_TRUE(manager_->Reload().ok());
  auto has = [&](const crypto::KeyPtr& k) {
    for (const auto& d : manager_->DecryptionKeys())
      if (d == k) return true;
    return false;
  };
  crypto::KeyPtr retiring = manager_->FindByKid(old_active);
  ASSERT_NE(retiring, nullptr);
  EXPECT_TRUE(has(retiring));
  clock_.AdvanceSeconds(61);
  EXPECT_EQ(manager_->FindByKid(old_active), nullptr);
  EXPECT_FALSE(has(retiring));
}

// A next key signs only once every node and relying party can have read it: two rotations in
// a row would make a key that was published a moment ago sign. Refused, naming the wait; nothing
// changes. Past the wait, or with 0 (a compromised key), it rotates.
TEST_P(KeysTest, ANextKeyPublishedTooRecentlyIsNotPromoted) {
  constexpr int64_t kMinPublished = kJwksCacheSeconds + 30;
  clock_.AdvanceSeconds(kMinPublished);
  ASSERT_TRUE(store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, kMinPublished).ok());
  ASSERT_TRUE(manager_->Reload().ok());
  const auto before = manager_->Records();

  clock_.AdvanceSeconds(10);
  auto refused = store_->Rotate({}, clock_.NowSeconds(), 3600, kMinPublished);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "slot ES256: its next key was published 10 s ago, and nodes and relying parties may "
            "not have read it yet (they may keep the JWKS 330 s); rotate again in 320 s");
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_EQ(manager_->Records().size(), before.size());  // no slot rotated, ES256's or others'

  clock_.AdvanceSeconds(319);
  EXPECT_FALSE(store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, kMinPublished).ok());
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, kMinPublished).ok());
  EXPECT_TRUE(store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, 0).ok());
}

// Another node rotated at once (--force) and signs with a key this node has not loaded: the
// first lookup of that kid re-reads the store, so what the other node signed verifies here. Such
// re-reads happen at most once a second, and keys already loaded are not unsealed again.
TEST_P(KeysTest, AKidAnotherNodeJustActivatedIsFoundByReadingAgain) {
  KeyManager other_node(*store_, clock_);
  ASSERT_TRUE(other_node.Reload().ok());
  const crypto::KeyPtr es256_before = *manager_->SigningKey(crypto::SigAlg::kES256);

  auto first = store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, 0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, 0);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(manager_->Reload().ok());  // the node that rotated
  const std::string signing = (*manager_->SigningKey(crypto::SigAlg::kES256))->kid();
  EXPECT_EQ(signing, second->changes[0].active_kid);  // made in the first rotation

  crypto::KeyPtr found = other_node.FindByKid(signing);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->kid(), signing);
  // Within the same second another unknown kid does not make it read again.
  auto third = store_->Rotate({"ES256"}, clock_.NowSeconds(), 3600, 0);
  ASSERT_TRUE(third.ok());
  const std::string made_now = third->changes[0].next_kid;  // unknown to other_node
  EXPECT_EQ(other_node.FindByKid(made_now), nullptr);
  EXPECT_EQ(other_node.FindByKid("no-such-kid"), nullptr);
  clock_.AdvanceSeconds(1);
  EXPECT_NE(other_node.FindByKid(made_now), nullptr);

  // A reload keeps the parsed keys of the kids it had: the same objects, not unsealed again.
  ASSERT_TRUE(manager_->Reload().ok());
  EXPECT_EQ(manager_->FindByKid(es256_before->kid()), es256_before);
}

TEST_P(KeysTest, PrivateKeysAreSealedAtRest) {
  auto rows = db_->Exec("SELECT private_sealed, public_jwk FROM signing_keys");
  ASSERT_TRUE(rows.ok());
  ASSERT_FALSE(rows->rows.empty());
  for (const auto& r : rows->rows) {
    std::string sealed(r.Bytes(0).begin(), r.Bytes(0).end());
    EXPECT_EQ(sealed.find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(r.Text(1).find("\"d\""), std::string::npos);
  }
  // Another KEK cannot open them, and says so.
  DbKeyStore wrong(*db_, Kek(8), crypto::SystemRandom(), kRsaBits);
  auto loaded = wrong.LoadPublished({});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("key-encryption key"), std::string::npos);
}

TEST_P(KeysTest, UnknownSlotIsRefused) {
  auto r = store_->Rotate({"HS256"}, clock_.NowSeconds(), 60, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST_P(KeysTest, TwoNodesInitialisingAtOnceLeaveOneKeyPerState) {
  auto db2 = testing::FreshDatabase(GetParam());  // a clean store for this race
  ASSERT_NE(db2, nullptr);
  auto all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(m);
  for (auto& m : Migrations()) all.push_back(m);
  ASSERT_TRUE(store::Migrate(*db2, all).ok());
  DbKeyStore a(*db2, Kek(7), crypto::SystemRandom(), kRsaBits);
  DbKeyStore b(*db2, Kek(7), crypto::SystemRandom(), kRsaBits);
  Status sa, sb;
  std::thread ta([&] { sa = a.EnsureInitialized(1); });
  std::thread tb([&] { sb = b.EnsureInitialized(1); });
  ta.join();
  tb.join();
  EXPECT_TRUE(sa.ok()) << sa.ToString();
  EXPECT_TRUE(sb.ok()) << sb.ToString();
  auto counts = db2->Exec("SELECT slot, state, COUNT(*) FROM signing_keys GROUP BY slot, state");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->rows.size(), 2 * AllSlots().size());
  for (const auto& r : counts->rows) EXPECT_EQ(r.Int(2), 1) << r.Text(0) << " " << r.Text(1);
}

INSTANTIATE_TEST_SUITE_P(Backends, KeysTest, testing::AllBackends(), testing::BackendName);

TEST(Kek, GeneratedOnceWithPrivateMode) {
  std::string dir = testing::TempDir();
  auto first = LoadKek({.data_dir = dir}, crypto::SystemRandom());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/kek").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadKek({.data_dir = dir}, crypto::SystemRandom());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*first, *again);
}

TEST(Kek, SharedStoreNeedsAnExplicitKey) {
  auto r = LoadKek({.data_dir = "", .shared_store = true}, crypto::SystemRandom());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("keys.kek"), std::string::npos);
  EXPECT_FALSE(LoadKek({.kek_b64 = "short"}, crypto::SystemRandom()).ok());
  EXPECT_FALSE(LoadKek({.kek_file = "/nonexistent/kek"}, crypto::SystemRandom()).ok());
  auto ok = LoadKek({.kek_b64 = std::string(43, 'A')}, crypto::SystemRandom());
  EXPECT_TRUE(ok.ok());
}

TEST(Kek, CheckFindsWhatLoadWouldRefuseAndCreatesNothing) {
  const std::string dir = testing::TempDir() + "/data";
  // A first start would make <data_dir>/kek: fine, and nothing is made now.
  EXPECT_TRUE(CheckKek({.data_dir = dir}).ok());
  EXPECT_FALSE(std::filesystem::exists(dir));
  Status missing = CheckKek({.kek_file = dir + "/kek", .data_dir = dir});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("keys.kek_file: " + dir + "/kek does not exist"),
            std::string::npos)
      << missing.message();
  EXPECT_FALSE(std::filesystem::exists(dir));
  const std::string bad = testing::TempDir() + "/bad-kek";
  std::ofstream(bad) << "not a key\n";
  Status malformed = CheckKek({.kek_file = bad});
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.message().find("keys.kek_file: " + bad), std::string::npos)
      << malformed.message();
  EXPECT_FALSE(CheckKek({.kek_file = testing::TempDir()}).ok());  // a directory
  EXPECT_FALSE(CheckKek({.data_dir = "", .shared_store = true}).ok());
  EXPECT_FALSE(CheckKek({.kek_b64 = "short"}).ok());
  auto made = LoadKek({.data_dir = dir}, crypto::SystemRandom());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(CheckKek({.kek_file = dir + "/kek"}).ok());
}

}  // namespace
}  // namespace idscheme::keys
