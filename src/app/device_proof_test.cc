#include "app/device_proof.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/base64url.h"

namespace idscheme::app {
namespace {

using json = nlohmann::json;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kUrl[] = "https://id.example/app/v1/devices";

class DeviceProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
    ASSERT_TRUE(key.ok());
    key_ = *key;
  }

  std::string Sign(const json& header, const json& claims) {
    auto jws = crypto::SignJws(header, claims.dump(), *key_);
    EXPECT_TRUE(jws.ok()) << jws.status().ToString();
    return jws.ok() ? *jws : "";
  }
  json Header() { return {{"typ", "idscheme-device+jwt"}, {"alg", "ES256"}, {"kid", "dev_1"}}; }
  json Claims() {
    return {{"htm", "GET"}, {"htu", kUrl}, {"iat", kNow}, {"jti", "0123456789abcdef"}};
  }
  Status Check(const std::string& jwt, std::string_view method = "GET", std::string_view url = kUrl,
               int64_t now = kNow) {
    auto proof = ParseDeviceProof(jwt);
    if (!proof.ok()) return proof.status();
    return VerifyDeviceProof(*proof, *key_, method, url, now, 60).status();
  }

  crypto::KeyPtr key_;
  SeededRandom random_{3};
};

TEST_F(DeviceProofTest, MadeProofVerifies) {
  auto jwt = MakeDeviceProof(*key_, "dev_1", "POST", kUrl, kNow, random_);
  ASSERT_TRUE(jwt.ok());
  auto proof = ParseDeviceAuthorization("Device " + *jwt);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->device_id, "dev_1");
  auto claims = VerifyDeviceProof(*proof, *key_, "POST", kUrl, kNow + 60, 60);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(claims->iat, kNow);
  EXPECT_GE(claims->jti.size(), 16u);
  EXPECT_TRUE(ParseDeviceAuthorization("device " + *jwt).ok());  // RFC 9110 §11.1
}

TEST_F(DeviceProofTest, AuthorizationHeaderShape) {
  auto jwt = MakeDeviceProof(*key_, "dev_1", "GET", kUrl, kNow, random_);
  ASSERT_TRUE(jwt.ok());
  for (const std::string& bad :
       {std::string(), std::string("Device"), std::string("Device "), "Bearer " + *jwt,
        "Device  " + *jwt, "DPoP " + *jwt, "Devices " + *jwt}) {
    auto r = ParseDeviceAuthorization(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().oauth_error(), "invalid_token");
    EXPECT_EQ(r.status().code(), Status::Code::kUnauthenticated);
  }
}

TEST_F(DeviceProofTest, HeaderRules) {
  EXPECT_TRUE(Check(Sign(Header(), Claims())).ok());
  json h = Header();
  h["typ"] = "dpop+jwt";
  EXPECT_FALSE(Check(Sign(h, Claims())).ok());
  h = Header();
  h.erase("typ");
  EXPECT_FALSE(Check(Sign(h, Claims())).ok());
  h = Header();
  h.erase("kid");
  EXPECT_FALSE(Check(Sign(h, Claims())).ok());
  h = Header();
  h["kid"] = "dev 1";
  EXPECT_FALSE(Check(Sign(h, Claims())).ok());
  h = Header();
  h["jwk"] = json::object();  // nothing beyond typ, alg, kid
  EXPECT_FALSE(Check(Sign(h, Claims())).ok());
  // alg none / HS256 never.
  const std::string none = Base64UrlEncode(
      json{{"typ", "idscheme-device+jwt"}, {"alg", "none"}, {"kid", "dev_1"}}.dump());
  EXPECT_FALSE(Check(none + "." + Base64UrlEncode(Claims().dump()) + ".").ok());
}

TEST_F(DeviceProofTest, ClaimRules) {
  auto with = [&](const char* name, const json& value) {
    json c = Claims();
    if (value.is_null()) {
      c.erase(name);
    } else {
      c[name] = value;
    }
    return Check(Sign(Header(), c));
  };
  EXPECT_FALSE(with("htm", nullptr).ok());
  EXPECT_FALSE(with("htm", "get").ok());
  EXPECT_FALSE(with("htm", "POST").ok());
  EXPECT_FALSE(with("htu", nullptr).ok());
  EXPECT_FALSE(with("htu", std::string(kUrl) + "?x=1").ok());
  EXPECT_FALSE(with("htu", "https://evil.example/app/v1/devices").ok());
  EXPECT_FALSE(with("iat", nullptr).ok());
  EXPECT_FALSE(with("iat", "1700000000").ok());
  EXPECT_FALSE(with("iat", 1.7e9).ok());
  EXPECT_TRUE(with("iat", kNow - 60).ok());
  EXPECT_FALSE(with("iat", kNow - 61).ok());
  EXPECT_TRUE(with("iat", kNow + 60).ok());
  EXPECT_FALSE(with("iat", kNow + 61).ok());
  EXPECT_FALSE(with("jti", nullptr).ok());
  EXPECT_FALSE(with("jti", "short").ok());
  EXPECT_FALSE(with("jti", std::string(65, 'a')).ok());
  EXPECT_FALSE(with("jti", "0123456789abcdef!").ok());
  EXPECT_FALSE(with("ath", "x").ok());  // no other claims
}

TEST_F(DeviceProofTest, SignatureByAnotherKeyRefused) {
  auto other = crypto::Key::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  auto jwt = MakeDeviceProof(**other, "dev_1", "GET", kUrl, kNow, random_);
  ASSERT_TRUE(jwt.ok());
  EXPECT_FALSE(Check(*jwt).ok());
}

TEST_F(DeviceProofTest, DuplicateClaimRefused) {
  const std::string payload =
      R"({"htm":"GET","htu":"https://id.example/app/v1/devices","iat":1700000000,)"
      R"("jti":"0123456789abcdef","jti":"0123456789abcdeg"})";
  auto jws = crypto::SignJws(Header(), payload, *key_);
  ASSERT_TRUE(jws.ok());
  EXPECT_FALSE(Check(*jws).ok());
}

}  // namespace
}  // namespace idscheme::app
