// The reference app's client pieces: PIN derivation, the sealed device key and its state file,
// and the server URL it accepts.
#include "app/device_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "app/http_client.h"
#include "app/pin_derivation.h"
#include "testing/test_db.h"

namespace idscheme::app {
namespace {

std::vector<uint8_t> Salt(uint8_t seed) { return std::vector<uint8_t>(kDeviceSaltBytes, seed); }

TEST(PinDerivationTest, TwoIndependentOutputsThatDependOnPinAndSalt) {
  auto a = DerivePinKeys("1234", Salt(1), kTestDevicePinParams);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->pin_input.size(), approval::kPinInputBytes);
  EXPECT_EQ(a->wrap_key.size(), 32u);
  EXPECT_NE(a->pin_input, a->wrap_key);
  auto again = DerivePinKeys("1234", Salt(1), kTestDevicePinParams);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pin_input, a->pin_input);
  EXPECT_EQ(again->wrap_key, a->wrap_key);
  auto other_pin = DerivePinKeys("1235", Salt(1), kTestDevicePinParams);
  auto other_salt = DerivePinKeys("1234", Salt(2), kTestDevicePinParams);
  auto other_cost = DerivePinKeys("1234", Salt(1), {2, 8, 1});
  ASSERT_TRUE(other_pin.ok() && other_salt.ok() && other_cost.ok());
  EXPECT_NE(other_pin->pin_input, a->pin_input);
  EXPECT_NE(other_salt->pin_input, a->pin_input);
  EXPECT_NE(other_cost->pin_input, a->pin_input);
  EXPECT_FALSE(DerivePinKeys("", Salt(1), kTestDevicePinParams).ok());
  EXPECT_FALSE(DerivePinKeys("1234", std::vector<uint8_t>(16, 1), kTestDevicePinParams).ok());
}

class DeviceStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
    ASSERT_TRUE(key.ok());
    key_ = *key;
    state_.server = "http://127.0.0.1:8080";
    state_.device_id = "dev_abc";
    state_.device_salt = Salt(3);
    state_.pin_params = kTestDevicePinParams;
    state_.public_jwk = *key_->ToJwk(false);
    auto pin = DerivePinKeys("1234", state_.device_salt, state_.pin_params);
    ASSERT_TRUE(pin.ok());
    wrap_ = pin->wrap_key;
    ASSERT_TRUE(SealDeviceKey(state_, *key_, wrap_, random_).ok());
  }

  crypto::KeyPtr key_;
  DeviceState state_;
  std::vector<uint8_t> wrap_;
  SeededRandom random_{5};
};

TEST_F(DeviceStateTest, SealedKeyOpensOnlyWithTheRightPinAndDevice) {
  auto opened = OpenDeviceKey(state_, wrap_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE((*opened)->SameKeyAs(*key_));
  EXPECT_TRUE((*opened)->IsPrivate());

  auto wrong = DerivePinKeys("9999", state_.device_salt, state_.pin_params);
  ASSERT_TRUE(wrong.ok());
  auto refused = OpenDeviceKey(state_, wrong->wrap_key);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kUnauthenticated);

  DeviceState moved = state_;
  moved.device_id = "dev_other";  // the sealed key is bound to its device id
  EXPECT_FALSE(OpenDeviceKey(moved, wrap_).ok());
}

TEST_F(DeviceStateTest, FileIsPrivateAndRoundTrips) {
  const std::string path = idscheme::testing::TempDir() + "/state.json";
  ASSERT_TRUE(SaveDeviceState(path, state_).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("\"d\""), std::string::npos);  // no clear private key
  auto loaded = LoadDeviceState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->ToJson(), state_.ToJson());
  EXPECT_TRUE(OpenDeviceKey(*loaded, wrap_).ok());
  // Saving again replaces it.
  ASSERT_TRUE(SaveDeviceState(path, state_).ok());
  EXPECT_EQ(LoadDeviceState(idscheme::testing::TempDir() + "/none.json").status().code(),
            Status::Code::kNotFound);
}

TEST(BaseUrlTest, LoopbackHttpOnly) {
  auto a = ParseBaseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8080");
  EXPECT_EQ(a->text, "http://127.0.0.1:8080");
  auto b = ParseBaseUrl("http://[::1]:9000/id/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->path, "/id");
  EXPECT_EQ(b->text, "http://[::1]:9000/id");
  auto c = ParseBaseUrl("http://localhost");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, "80");
  for (const char* bad : {"https://127.0.0.1", "http://id.example", "http://127.0.0.1:0",
                          "http://127.0.0.1:70000", "http://127.0.0.1:8080?x", "http://u@127.0.0.1",
                          "ftp://127.0.0.1", "http://[::1", "http://127.0.0.1:80x", ""}) {
    EXPECT_FALSE(ParseBaseUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace idscheme::app
