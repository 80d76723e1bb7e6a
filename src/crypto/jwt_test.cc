#include "crypto/jwt.h"

#include <gtest/gtest.h>

#include <string>

#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/random.h"
#include "crypto/testdata/test_util.h"

namespace idscheme::crypto {
namespace {

using json = nlohmann::json;
using testing::MustKey;
using testing::SharedKey;

constexpr int64_t kNow = 1'700'000'000;

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() : clock_(kNow) {
    key_ = SharedKey(KeyType::kEcP256)->WithKid("sig-1");
    pub_ = *key_->PublicOnly();
    JwkSet set;
    set.Add(pub_);
    resolver_ = VerifyKeysFrom(set);
    options_.allowed_algs = {SigAlg::kES256, SigAlg::kPS256};
    options_.clock = &clock_;
    options_.leeway_seconds = 30;
    options_.issuer = "https://op.example";
    options_.audience = "client-1";
  }

  json Claims() const {
    return {{"iss", "https://op.example"},
            {"sub", "alice"},
            {"aud", "client-1"},
            {"iat", kNow},
            {"exp", kNow + 300}};
  }
  std::string Sign(const json& claims, std::string_view typ = "JWT") const {
    auto t = SignJwt(claims, *key_, SigAlg::kES256, "sig-1", typ);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : "";
  }
  Status Verify(const std::string& token) const {
    return VerifyJwt(token, resolver_, options_).status();
  }
  Status VerifyClaims(const json& claims) const { return Verify(Sign(claims)); }

  FakeClock clock_;
  KeyPtr key_, pub_;
  JwtKeyResolver resolver_;
  JwtVerifyOptions options_;
};

TEST_F(JwtTest, SignsAndVerifies) {
  std::string token = Sign(Claims());
  auto claims = VerifyJwt(token, resolver_, options_);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(*claims, Claims());
  auto parsed = *ParseJws(token);
  EXPECT_EQ(parsed.kid, "sig-1");
  EXPECT_EQ(parsed.typ, "JWT");
  EXPECT_FALSE(SignJwt(json::array(), *key_, SigAlg::kES256).ok());
}

TEST_F(JwtTest, TimeChecksWithLeeway) {
  json c = Claims();
  c["exp"] = kNow - 29;  // expired, but within the leeway
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["exp"] = kNow - 30;
  EXPECT_EQ(VerifyClaims(c).code(), Status::Code::kFailedPrecondition);
  c = Claims();
  c["nbf"] = kNow + 30;
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["nbf"] = kNow + 31;
  EXPECT_EQ(VerifyClaims(c).code(), Status::Code::kFailedPrecondition);
  c = Claims();
  c["iat"] = kNow + 31;
  EXPECT_EQ(VerifyClaims(c).code(), Status::Code::kFailedPrecondition);

  // The clock moves; the token does not.
  std::string token = Sign(Claims());
  EXPECT_TRUE(Verify(token).ok());
  clock_.AdvanceSeconds(300 + 29);
  EXPECT_TRUE(Verify(token).ok());
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(Verify(token).code(), Status::Code::kFailedPrecondition);
}

TEST_F(JwtTest, MaxAgeAndRequiredExp) {
  options_.max_age_seconds = 60;
  json c = Claims();
  c["iat"] = kNow - 90;  // 60 + 30 leeway
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["iat"] = kNow - 91;
  EXPECT_EQ(VerifyClaims(c).code(), Status::Code::kFailedPrecondition);
  c.erase("iat");
  EXPECT_FALSE(VerifyClaims(c).ok());
  options_.max_age_seconds.reset();
  c = Claims();
  c.erase("exp");
  EXPECT_FALSE(VerifyClaims(c).ok());
  options_.require_exp = false;
  EXPECT_TRUE(VerifyClaims(c).ok());
}

TEST_F(JwtTest, NumericDatesMustBeNumbers) {
  for (json bad : {json("1700000300"), json(true), json::array({kNow}), json(nullptr)}) {
    json c = Claims();
    c["exp"] = bad;
    EXPECT_FALSE(VerifyClaims(c).ok()) << bad.dump();
  }
  json c = Claims();
  c["exp"] = static_cast<double>(kNow) + 300.5;  // fractions are allowed
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["exp"] = 1e300;
  EXPECT_FALSE(VerifyClaims(c).ok());
  c["exp"] = UINT64_MAX;
  EXPECT_FALSE(VerifyClaims(c).ok());
  c = Claims();
  c["nbf"] = INT64_MIN;  // no overflow when the leeway is applied
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["exp"] = INT64_MAX;
  EXPECT_TRUE(VerifyClaims(c).ok());
}

TEST_F(JwtTest, IssuerAndAudience) {
  json c = Claims();
  c["iss"] = "https://op.example/";
  EXPECT_FALSE(VerifyClaims(c).ok());
  c.erase("iss");
  EXPECT_FALSE(VerifyClaims(c).ok());
  c = Claims();
  c["iss"] = 5;
  EXPECT_FALSE(VerifyClaims(c).ok());
  c = Claims();
  c["aud"] = "client-2";
  EXPECT_FALSE(VerifyClaims(c).ok());
  c["aud"] = json::array({"client-2", "client-1"});
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["aud"] = json::array({"client-2"});
  EXPECT_FALSE(VerifyClaims(c).ok());
  c["aud"] = json::array();
  EXPECT_FALSE(VerifyClaims(c).ok());
  c["aud"] = json::array({"client-1", 3});
  EXPECT_FALSE(VerifyClaims(c).ok());
  c.erase("aud");
  EXPECT_FALSE(VerifyClaims(c).ok());
  options_.audience.clear();
  EXPECT_TRUE(VerifyClaims(c).ok());
  c["sub"] = json::object();
  EXPECT_FALSE(VerifyClaims(c).ok());
}

TEST_F(JwtTest, RequiredClaims) {
  options_.required_claims = {"sub", "nonce"};
  EXPECT_FALSE(VerifyClaims(Claims()).ok());
  json c = Claims();
  c["nonce"] = "n-0S6_WzA2Mj";
  EXPECT_TRUE(VerifyClaims(c).ok());
}

TEST_F(JwtTest, ExplicitTyping) {
  options_.expected_typ = "at+jwt";
  EXPECT_FALSE(Verify(Sign(Claims(), "JWT")).ok());
  EXPECT_TRUE(Verify(Sign(Claims(), "at+JWT")).ok());
  EXPECT_TRUE(Verify(Sign(Claims(), "application/at+jwt")).ok());
  EXPECT_FALSE(Verify(Sign(Claims(), "")).ok());
  EXPECT_TRUE(SameMediaType("JWT", "application/jwt"));
  EXPECT_FALSE(SameMediaType("JWT", "text/jwt"));
  EXPECT_FALSE(SameMediaType("", ""));
}

TEST_F(JwtTest, AlgorithmAndKeyChecks) {
  options_.allowed_algs = {SigAlg::kPS256};
  EXPECT_FALSE(Verify(Sign(Claims())).ok());
  options_.allowed_algs = {};
  EXPECT_FALSE(Verify(Sign(Claims())).ok());
  options_.allowed_algs = {SigAlg::kES256};
  // Unknown kid: the resolver has nothing.
  auto other = SignJwt(Claims(), *key_, SigAlg::kES256, "sig-2");
  EXPECT_EQ(Verify(*other).code(), Status::Code::kNotFound);
  // Right kid, wrong key material.
  KeyPtr impostor = MustKey(Key::Generate(KeyType::kEcP256));
  auto forged = SignJwt(Claims(), *impostor, SigAlg::kES256, "sig-1");
  EXPECT_EQ(Verify(*forged).code(), Status::Code::kUnauthenticated);
  // No kid, one key: fine. A fixed key resolver works too.
  auto no_kid = SignJwt(Claims(), *key_, SigAlg::kES256);
  EXPECT_TRUE(Verify(*no_kid).ok());
  EXPECT_TRUE(VerifyJwt(*no_kid, FixedVerifyKey(pub_), options_).ok());
  EXPECT_FALSE(VerifyJwt(*no_kid, FixedVerifyKey(SharedKey(KeyType::kRsa)), options_).ok());
  EXPECT_FALSE(VerifyJwt(*no_kid, nullptr, options_).ok());
  options_.clock = nullptr;
  EXPECT_FALSE(Verify(*no_kid).ok());
}

TEST_F(JwtTest, ClaimsMustBeAStrictJsonObject) {
  auto sign_payload = [&](std::string_view payload) {
    return *SignJws({{"alg", "ES256"}, {"kid", "sig-1"}}, payload, *key_);
  };
  EXPECT_FALSE(Verify(sign_payload("[]")).ok());
  EXPECT_FALSE(Verify(sign_payload("not json")).ok());
  EXPECT_FALSE(
      Verify(sign_payload(R"({"iss":"https://op.example","aud":"client-1","exp":1700000300,)"
                          R"("sub":"alice","sub":"mallory"})"))
          .ok());
  EXPECT_TRUE(Verify(sign_payload(R"({"iss":"https://op.example","aud":"client-1",)"
                                  R"("exp":1700000300,"sub":"alice"})"))
                  .ok());
}

TEST_F(JwtTest, NestedJwt) {
  KeyPtr enc_key = SharedKey(KeyType::kRsa)->WithMetadata({"enc-1", "enc", "", {}});
  JwkSet decryption;
  decryption.Add(enc_key);
  JweAlgorithms allowed = {{KeyMgmtAlg::kRsaOaep256}, {ContentEnc::kA256Gcm}};
  std::string signed_jwt = Sign(Claims());
  auto token = EncryptJwt(signed_jwt, **enc_key->PublicOnly(), KeyMgmtAlg::kRsaOaep256,
                          ContentEnc::kA256Gcm, SystemRandom(), "enc-1");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(ParseJwe(*token)->cty, "JWT");
  auto claims =
      DecryptAndVerifyJwt(*token, DecryptKeysFrom(decryption), allowed, resolver_, options_);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ(*claims, Claims());

  // Without cty "JWT" it is not a nested JWT.
  auto plain = EncryptJwe({{"alg", "RSA-OAEP-256"}, {"enc", "A256GCM"}, {"kid", "enc-1"}},
                          signed_jwt, *enc_key, SystemRandom());
  EXPECT_FALSE(
      DecryptAndVerifyJwt(*plain, DecryptKeysFrom(decryption), allowed, resolver_, options_).ok());
  // The inner signature still counts.
  KeyPtr impostor = MustKey(Key::Generate(KeyType::kEcP256));
  auto forged_inner = *SignJwt(Claims(), *impostor, SigAlg::kES256, "sig-1");
  auto forged = EncryptJwt(forged_inner, *enc_key, KeyMgmtAlg::kRsaOaep256, ContentEnc::kA256Gcm,
                           SystemRandom(), "enc-1");
  EXPECT_EQ(DecryptAndVerifyJwt(*forged, DecryptKeysFrom(decryption), allowed, resolver_, options_)
                .status()
                .code(),
            Status::Code::kUnauthenticated);
  // Encryption algorithms outside the allow-list are refused.
  auto other = EncryptJwt(signed_jwt, *enc_key, KeyMgmtAlg::kRsaOaep, ContentEnc::kA256Gcm,
                          SystemRandom(), "enc-1");
  EXPECT_FALSE(
      DecryptAndVerifyJwt(*other, DecryptKeysFrom(decryption), allowed, resolver_, options_).ok());
  // A signed-only token is not accepted where encryption is required.
  EXPECT_FALSE(
      DecryptAndVerifyJwt(signed_jwt, DecryptKeysFrom(decryption), allowed, resolver_, options_)
          .ok());
}

}  // namespace
}  // namespace idscheme::crypto
