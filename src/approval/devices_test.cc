#include "approval/devices.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <tuple>

#include "approval/test_env.h"

namespace idscheme::approval {
namespace {

using testing::ApprovalTestBase;
using testing::PinInput;

class DevicesTest : public ApprovalTestBase {
 protected:
  void SetUp() override {
    ApprovalTestBase::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    devices_ =
        std::make_unique<Devices>(*db_, clock_, random_, redeemer_, testing::FastDeviceOptions());
  }

  Device Enrol(const std::string& identity, uint8_t pin = 7, std::string name = "phone") {
    const std::string code = "code-" + std::to_string(next_code_++);
    redeemer_.Issue(code, identity);
    auto key = testing::NewDeviceKey();
    auto d = devices_->Enrol({code, testing::PublicJwk(*key), name, PinInput(pin)});
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : Device{};
  }

  static void ExpectRefused(const Status& s) {
    const Status r = PinRefused();
    EXPECT_EQ(s.code(), r.code()) << s.ToString();
    EXPECT_EQ(s.message(), r.message());
    EXPECT_EQ(s.oauth_error(), r.oauth_error());
  }

  std::unique_ptr<Devices> devices_;
  int next_code_ = 1;
};

TEST_P(DevicesTest, EnrolsListsAndSpendsTheActivationCode) {
  redeemer_.Issue("abc", "id_anna");
  auto key = testing::NewDeviceKey();
  auto d = devices_->Enrol({"abc", testing::PublicJwk(*key), "Anna's phone", PinInput(1)});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->identity_id, "id_anna");
  EXPECT_EQ(d->status, DeviceStatus::kActive);
  EXPECT_EQ(d->jwk_thumbprint, key->Rfc7638Thumbprint());
  EXPECT_TRUE(d->public_key->SameKeyAs(*key));
  EXPECT_FALSE(d->public_key->IsPrivate());

  // The code is spent: a second enrolment with it fails and stores nothing.
  auto again = devices_->Enrol({"abc", testing::PublicJwk(*key), "second", PinInput(1)});
  EXPECT_FALSE(again.ok());
  Enrol("id_anna", 2, "tablet");
  Enrol("id_bob");

  auto list = devices_->List("id_anna");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "Anna's phone");
  EXPECT_EQ((*list)[1].name, "tablet");
  auto got = devices_->Get(d->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ToJson()["status"], "active");
  EXPECT_EQ(AuditEntries("device.enrol").size(), 3u);
}

TEST_P(DevicesTest, EnrolRejectsBadInput) {
  redeemer_.Issue("c", "id_anna");
  auto key = testing::NewDeviceKey();
  const auto jwk = testing::PublicJwk(*key);
  auto private_jwk = key->ToJwk(true);
  ASSERT_TRUE(private_jwk.ok());
  auto p384 = crypto::Key::Generate(crypto::KeyType::kEcP384);
  ASSERT_TRUE(p384.ok());

  EXPECT_FALSE(devices_->Enrol({"c", *private_jwk, "phone", PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", testing::PublicJwk(**p384), "phone", PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", nlohmann::json::array(), "phone", PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", jwk, "", PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", jwk, "a\nb", PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", jwk, std::string(65, 'x'), PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", jwk, "\xC0\xAF", PinInput(1)}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", jwk, "phone", Base64UrlEncode(std::string(31, 'x'))}).ok());
  EXPECT_FALSE(devices_->Enrol({"c", jwk, "phone", PinInput(1) + "="}).ok());
  EXPECT_FALSE(devices_->Enrol({"unknown", jwk, "phone", PinInput(1)}).ok());
  // None of these spent the code.
  EXPECT_TRUE(devices_->Enrol({"c", jwk, std::string(64, 'x'), PinInput(1)}).ok());
}

TEST_P(DevicesTest, StoresOnlyASaltedVerifier) {
  auto a = Enrol("id_anna", 9);
  auto b = Enrol("id_bob", 9);  // the same PIN derivation
  auto r = db_->Exec("SELECT pin_salt, pin_verifier FROM approval_devices ORDER BY id");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 2u);
  const std::vector<uint8_t> input(kPinInputBytes, 9);
  EXPECT_NE(r->rows[0].Bytes(1), input);
  EXPECT_NE(r->rows[0].Bytes(0), r->rows[1].Bytes(0));
  EXPECT_NE(r->rows[0].Bytes(1), r->rows[1].Bytes(1));
}

TEST_P(DevicesTest, RightPinPassesWrongPinIsRefused) {
  auto d = Enrol("id_anna", 7);
  EXPECT_TRUE(devices_->VerifyPin(d.id, PinInput(7)).ok());
  ExpectRefused(devices_->VerifyPin(d.id, PinInput(8)));
  EXPECT_EQ(devices_->Get(d.id)->pin_failures, 1);
  EXPECT_EQ(AuditEntries("device.pin_failure").size(), 1u);
}

TEST_P(DevicesTest, FiveWrongPinsLockAndThenEvenTheRightPinIsRefused) {
  auto d = Enrol("id_anna", 7);
  for (int i = 0; i < 4; ++i) ExpectRefused(devices_->VerifyPin(d.id, PinInput(1)));
  EXPECT_EQ(devices_->Get(d.id)->status, DeviceStatus::kActive);
  ExpectRefused(devices_->VerifyPin(d.id, PinInput(1)));  // the fifth
  EXPECT_EQ(devices_->Get(d.id)->status, DeviceStatus::kLocked);
  ExpectRefused(devices_->VerifyPin(d.id, PinInput(7)));  // the right one, too late
  EXPECT_EQ(AuditEntries("device.lock").size(), 1u);
  auto list = devices_->List("id_anna");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].status, DeviceStatus::kLocked);

  // Re-enrolment with a new activation code gives a working device.
  auto fresh = Enrol("id_anna", 7);
  EXPECT_TRUE(devices_->VerifyPin(fresh.id, PinInput(7)).ok());
  ExpectRefused(devices_->VerifyPin(d.id, PinInput(7)));
}

// approval.max_devices_per_identity counts active devices: a person whose phone locked itself
// again and again re-enrols each time with a new activation code, never shut out by the locked
// ones they cannot remove themselves.
TEST_P(DevicesTest, LockedDevicesDoNotCountAgainstTheLimit) {
  DeviceOptions one = testing::FastDeviceOptions();
  one.max_devices_per_identity = 1;
  devices_ = std::make_unique<Devices>(*db_, clock_, random_, redeemer_, one);
  for (int round = 0; round < 3; ++round) {
    auto d = Enrol("id_anna", 7);
    ASSERT_FALSE(d.id.empty()) << round;
    for (int i = 0; i < 5; ++i) ExpectRefused(devices_->VerifyPin(d.id, PinInput(1)));
    ASSERT_EQ(devices_->Get(d.id)->status, DeviceStatus::kLocked);
  }
  Enrol("id_anna", 7);  // the one active device
  redeemer_.Issue("one-too-many", "id_anna");
  auto key = testing::NewDeviceKey();
  auto refused = devices_->Enrol({"one-too-many", testing::PublicJwk(*key), "phone", PinInput(7)});
  EXPECT_EQ(refused.status().code(), Status::Code::kResourceExhausted);
}

TEST_P(DevicesTest, AVerifierWithOtherParametersIsRemadeOnTheRightPin) {
  auto d = Enrol("id_anna", 7);  // t=1, 8 KiB
  auto params = [&] {
    auto r = db_->Exec(
        "SELECT pin_t_cost, pin_m_cost_kib, pin_verifier FROM approval_devices"
        " WHERE id = ?",
        {store::Text(d.id)});
    EXPECT_TRUE(r.ok());
    return std::make_tuple(r->rows[0].Int(0), r->rows[0].Int(1), r->rows[0].Bytes(2));
  };
  const auto before = params();
  EXPECT_EQ(std::get<1>(before), 8);
  DeviceOptions changed = testing::FastDeviceOptions();
  changed.pin = {2, 16, 1};
  Devices upgraded(*db_, clock_, random_, redeemer_, changed);
  // A wrong PIN changes nothing; the right one passes with the old verifier and re-makes it.
  ExpectRefused(upgraded.VerifyPin(d.id, PinInput(8)));
  EXPECT_EQ(params(), before);
  EXPECT_TRUE(upgraded.VerifyPin(d.id, PinInput(7)).ok());
  const auto after = params();
  EXPECT_EQ(std::get<0>(after), 2);
  EXPECT_EQ(std::get<1>(after), 16);
  EXPECT_NE(std::get<2>(after), std::get<2>(before));
  EXPECT_TRUE(upgraded.VerifyPin(d.id, PinInput(7)).ok());
  ExpectRefused(upgraded.VerifyPin(d.id, PinInput(8)));
  EXPECT_EQ(devices_->Get(d.id)->pin_failures, 1);
}

TEST_P(DevicesTest, TheProductionVerifierIsLight) {
  // docs/pin.md: the input is already a device-side Argon2id; the server's is light.
  const PinParams production;
  EXPECT_EQ(production.t_cost, 1u);
  EXPECT_LE(production.m_cost_kib, 1024u);
  Devices real(*db_, clock_, random_, redeemer_);
  redeemer_.Issue("light", "id_anna");
  auto key = testing::NewDeviceKey();
  auto d = real.Enrol({"light", testing::PublicJwk(*key), "phone", PinInput(3)});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(real.VerifyPin(d->id, PinInput(3)).ok());
  ExpectRefused(real.VerifyPin(d->id, PinInput(4)));
}

TEST_P(DevicesTest, SuccessResetsTheCount) {
  auto d = Enrol("id_anna", 7);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) ExpectRefused(devices_->VerifyPin(d.id, PinInput(1)));
    EXPECT_TRUE(devices_->VerifyPin(d.id, PinInput(7)).ok()) << round;
    EXPECT_EQ(devices_->Get(d.id)->pin_failures, 0);
  }
  EXPECT_EQ(devices_->Get(d.id)->status, DeviceStatus::kActive);
  EXPECT_TRUE(devices_->Get(d.id)->last_used_at_ms.has_value());
}

TEST_P(DevicesTest, EveryRefusalLooksTheSame) {
  auto wrong = Enrol("id_anna", 7);
  auto locked = Enrol("id_bob", 7);
  auto removed = Enrol("id_carl", 7);
  for (int i = 0; i < 5; ++i) (void)devices_->VerifyPin(locked.id, PinInput(1));
  ASSERT_TRUE(devices_->Remove("id_carl", removed.id, "operator").ok());

  ExpectRefused(devices_->VerifyPin(wrong.id, PinInput(1)));           // wrong PIN
  ExpectRefused(devices_->VerifyPin(locked.id, PinInput(7)));          // locked, right PIN
  ExpectRefused(devices_->VerifyPin(removed.id, PinInput(7)));         // removed, right PIN
  ExpectRefused(devices_->VerifyPin("dev_nonexistent", PinInput(7)));  // unknown device
  ExpectRefused(devices_->VerifyPin(wrong.id, "not base64url!"));      // malformed
}

// Parallel guesses cannot get past the limit: a verdict is written only while the count is
// below it, by the statement that compares it.
TEST_P(DevicesTest, ParallelGuessesStopAtTheLimit) {
  auto d = Enrol("id_anna", 7);
  auto other = Open();
  ASSERT_NE(other, nullptr);
  Devices second(*other, clock_, random_, redeemer_, testing::FastDeviceOptions());
  std::atomic<int> checked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      Devices& use = (t % 2 == 0) ? *devices_ : second;
      ExpectRefused(use.VerifyPin(d.id, PinInput(static_cast<uint8_t>(100 + t))));
      ++checked;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(checked.load(), 12);
  auto after = devices_->Get(d.id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, DeviceStatus::kLocked);
  EXPECT_EQ(after->pin_failures, 5);
  EXPECT_EQ(AuditEntries("device.pin_failure").size(), 5u);
}

TEST_P(DevicesTest, RemoveIsPerIdentityAndFinal) {
  auto d = Enrol("id_anna", 7);
  EXPECT_EQ(devices_->Remove("id_bob", d.id, "device:x").code(), Status::Code::kNotFound);
  ASSERT_TRUE(devices_->Remove("id_anna", d.id, "device:" + d.id).ok());
  EXPECT_EQ(devices_->Remove("id_anna", d.id, "operator").code(), Status::Code::kNotFound);
  EXPECT_TRUE(devices_->List("id_anna")->empty());
  EXPECT_EQ(devices_->Get(d.id)->status, DeviceStatus::kRemoved);
  ExpectRefused(devices_->VerifyPin(d.id, PinInput(7)));
  EXPECT_EQ(AuditEntries("device.remove").size(), 1u);
}

TEST_P(DevicesTest, DeviceCountIsLimited) {
  auto options = testing::FastDeviceOptions();
  options.max_devices_per_identity = 2;
  Devices limited(*db_, clock_, random_, redeemer_, options);
  for (int i = 0; i < 3; ++i) {
    redeemer_.Issue("lim" + std::to_string(i), "id_anna");
    auto key = testing::NewDeviceKey();
    auto d = limited.Enrol({"lim" + std::to_string(i), testing::PublicJwk(*key), "p", PinInput(1)});
    EXPECT_EQ(d.ok(), i < 2) << i;
    if (i == 2) {
      EXPECT_EQ(d.status().code(), Status::Code::kResourceExhausted);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, DevicesTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::approval
