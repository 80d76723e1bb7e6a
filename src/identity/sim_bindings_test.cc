// SIM bindings over the store, on SQLite and PostgreSQL.
#include "identity/sim_bindings.h"

#include <gtest/gtest.h>

#include "crypto/key.h"
#include "identity/identity_test_util.h"

namespace idscheme::identity {
namespace {

using json = nlohmann::json;
using registry::Role;
using testing::IdentityTest;
using testing::kIccid;
using testing::SimKeyJwk;

constexpr char kPhone[] = "+32470123456";

class SimBindingsTest : public IdentityTest {
 protected:
  void SetUp() override {
    IdentityTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    mno_ = AddMember(Role::kSimController, "Telco");
    other_ = AddMember(Role::kSimController, "Other Telco");
  }
  Result<SimBinding> Bind(const std::string& controller, const std::string& phone = kPhone,
                          const json& key = SimKeyJwk()) {
    return sims_->Bind(controller, {phone, kIccid, key}, "client:c_" + controller);
  }
  std::string mno_, other_;
};

TEST_P(SimBindingsTest, BindQueryAndSuspend) {
  json key = SimKeyJwk();
  auto b = Bind(mno_, kPhone, key);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->status, BindingStatus::kActive);
  EXPECT_EQ(b->public_jwk, key);
  EXPECT_EQ(b->jwk_thumbprint, (*crypto::Key::FromPublicJwk(key))->Rfc7638Thumbprint());
  auto got = sims_->Get(mno_, b->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ToJson(), b->ToJson());
  auto active = sims_->ActiveBinding(kPhone);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->id, b->id);
  EXPECT_FALSE(*sims_->LastEventAt(kPhone));

  // A swap reported two minutes after it happened: suspended at once, the event time kept.
  clock_.AdvanceSeconds(120);
  SimEvent swap{kPhone, SimEventType::kSimSwap, testing::kNow + 10};
  auto suspended = sims_->Report(mno_, swap, "client:c_mno");
  ASSERT_TRUE(suspended.ok()) << suspended.status().ToString();
  EXPECT_EQ(suspended->status, BindingStatus::kSuspended);
  EXPECT_EQ(suspended->event_at_ms, (testing::kNow + 10) * 1000);
  EXPECT_EQ(suspended->reported_at_ms, (testing::kNow + 120) * 1000);
  EXPECT_EQ(sims_->ActiveBinding(kPhone).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(**sims_->LastEventAt(kPhone), (testing::kNow + 10) * 1000);
  EXPECT_EQ(sims_->Report(mno_, swap, "x").status().code(), Status::Code::kNotFound);

  // The new SIM gets a new binding; the history stays.
  auto rebound = Bind(mno_);
  ASSERT_TRUE(rebound.ok()) << rebound.status().ToString();
  auto list = sims_->ListByPhone(mno_, kPhone);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, rebound->id);
  EXPECT_EQ((*list)[1].ToJson()["event"]["type"], "sim_swap");

  // Line termination, with no event time given: now.
  auto ended = sims_->Report(mno_, {kPhone, SimEventType::kLineTermination, std::nullopt}, "x");
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->event_at_ms, (testing::kNow + 120) * 1000);
  EXPECT_EQ(**sims_->LastEventAt(kPhone), (testing::kNow + 120) * 1000);

  ASSERT_EQ(AuditEntries("sim.bind").size(), 2u);
  auto suspends = AuditEntries("sim.suspend");
  ASSERT_EQ(suspends.size(), 2u);
  EXPECT_EQ(suspends[0]["details"]["event"], "sim_swap");
  EXPECT_EQ(AuditEntries("sim.bind")[0].dump().find(kIccid), std::string::npos);
}

TEST_P(SimBindingsTest, OneActiveBindingPerNumber) {
  ASSERT_TRUE(Bind(mno_).ok());
  auto again = Bind(mno_);
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(Bind(other_).status().code(), Status::Code::kAlreadyExists);
  EXPECT_TRUE(Bind(mno_, "+32470000002").ok());
}

// A controller vouches for SIMs only while it is an active member: suspended, its bindings count
// for nothing until it is reinstated; terminated, never again, and another controller may then
// bind the number (the old binding ends, recorded as controller_terminated).
TEST_P(SimBindingsTest, ABindingCountsOnlyWhileItsControllerIsActive) {
  const std::string registrar = AddMember(Role::kIdentityRegistrar);
  const Identity person = CreateIdentity(registrar, kPhone);
  auto b = Bind(mno_);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto counts = [&]() {
    const bool by_phone = sims_->ActiveBinding(kPhone).ok();
    const bool by_identity = ActiveBindingOfIdentity(*db_, person.id).ok();
    EXPECT_EQ(by_phone, by_identity);
    return by_phone && by_identity;
  };
  EXPECT_TRUE(counts());

  ASSERT_TRUE(registry_->members().Suspend(mno_, "operator", "fraud inquiry").ok());
  EXPECT_FALSE(counts());
  // A suspended controller still holds the number: the suspension may be lifted.
  EXPECT_EQ(Bind(other_).status().code(), Status::Code::kAlreadyExists);
  ASSERT_TRUE(registry_->members().Reinstate(mno_, "operator", "cleared").ok());
  EXPECT_TRUE(counts());

  ASSERT_TRUE(registry_->members().Terminate(mno_, "operator", "licence withdrawn").ok());
  EXPECT_FALSE(counts());
  clock_.AdvanceSeconds(5);
  auto rebound = Bind(other_);
  ASSERT_TRUE(rebound.ok()) << rebound.status().ToString();
  EXPECT_TRUE(counts());
  EXPECT_EQ(sims_->ActiveBinding(kPhone)->id, rebound->id);
  auto old = sims_->Get(mno_, b->id);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->status, BindingStatus::kSuspended);
  EXPECT_EQ(old->ToJson()["event"]["type"], "controller_terminated");
  EXPECT_EQ(**sims_->LastEventAt(kPhone), (testing::kNow + 5) * 1000);
  auto suspends = AuditEntries("sim.suspend");
  ASSERT_EQ(suspends.size(), 1u);
  EXPECT_EQ(suspends[0]["details"]["event"], "controller_terminated");
  // Controllers cannot report the scheme's own event.
  EXPECT_FALSE(ParseSimEvent({{"phone_number", kPhone}, {"type", "controller_terminated"}}).ok());
}

TEST_P(SimBindingsTest, AControllerSeesOnlyItsOwnBindings) {
  auto b = Bind(mno_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(sims_->Get(other_, b->id).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(sims_->ListByPhone(other_, kPhone)->empty());
  EXPECT_EQ(
      sims_->Report(other_, {kPhone, SimEventType::kSimSwap, std::nullopt}, "x").status().code(),
      Status::Code::kNotFound);
  EXPECT_TRUE(sims_->ActiveBinding(kPhone).ok());  // still active
  std::string registrar = AddMember(Role::kIdentityRegistrar);
  EXPECT_EQ(Bind(registrar, "+32470000009").status().message(),
            "controller_id: " + registrar + " is not a SIM controller");
}

TEST_P(SimBindingsTest, OnlyPublicP256Keys) {
  auto p384 = crypto::Key::Generate(crypto::KeyType::kEcP384);
  ASSERT_TRUE(p384.ok());
  auto r = Bind(mno_, kPhone, *(*p384)->ToJwk(false));
  EXPECT_EQ(r.status().message(), "public_key: must be an EC P-256 key (kty EC, crv P-256)");
  auto p256 = crypto::Key::Generate(crypto::KeyType::kEcP256);
  auto priv = Bind(mno_, kPhone, *(*p256)->ToJwk(true));
  EXPECT_EQ(priv.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(priv.status().message().rfind("public_key: ", 0), 0u);
  json off_curve = SimKeyJwk();
  off_curve["y"] = off_curve["x"];
  EXPECT_EQ(Bind(mno_, kPhone, off_curve).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Bind(mno_, "0470123456").status().message(),
            "phone_number: must be E.164, e.g. +31612345678");
  // A report dated in the future is refused.
  ASSERT_TRUE(Bind(mno_).ok());
  EXPECT_EQ(sims_->Report(mno_, {kPhone, SimEventType::kSimSwap, testing::kNow + 3600}, "x")
                .status()
                .message(),
            "occurred_at: is in the future");
}

INSTANTIATE_TEST_SUITE_P(Backends, SimBindingsTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::identity
