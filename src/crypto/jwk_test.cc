#include "crypto/jwk.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/testdata/rfc_vectors.h"
#include "crypto/testdata/test_util.h"

namespace idscheme::crypto {
namespace {

using json = nlohmann::json;
using testing::MustKey;
using testing::Rfc7520;
using testing::SharedKey;

TEST(JwkSet, ParsesAndSkipsUnsupportedKinds) {
  json set = {{"keys",
               {Rfc7520("3_1"),
                Rfc7520("3_3"),
                json::parse(testdata::kRfc8037PublicKey),
                {{"kty", "EC"}, {"crv", "secp256k1"}, {"x", "AA"}, {"y", "AA"}},
                {{"kty", "OKP"}, {"crv", "Ed448"}, {"x", "AA"}},
                {{"kty", "PQC"}, {"pub", "AAAA"}},
                {{"kty", "RSA"}, {"n", "3Q"}, {"e", "AQAB"}}}}};  // 8-bit RSA
  auto parsed = JwkSet::FromJson(set);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->keys().size(), 3u);
  EXPECT_EQ(parsed->skipped(), 4u);
  EXPECT_EQ(parsed->FindByKid("bilbo.baggins@hobbiton.example")->type(), KeyType::kEcP521);
  EXPECT_EQ(parsed->FindByKid("nobody"), nullptr);
  auto text = JwkSet::Parse(set.dump());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->keys().size(), 3u);
}

TEST(JwkSet, RejectsMalformedSets) {
  json ec = Rfc7520("3_1");
  json broken = ec;
  broken["x"] = "!";
  std::vector<std::pair<std::string, std::string>> cases = {
      {"not JSON", "{"},
      {"an array", "[]"},
      {"no keys", "{}"},
      {"keys not an array", R"({"keys":{}})"},
      {"a key not an object", R"({"keys":["x"]})"},
      {"kty missing", R"({"keys":[{"kid":"a"}]})"},
      {"malformed supported key", json{{"keys", {broken}}}.dump()},
      {"duplicate member", R"({"keys":[],"keys":[]})"},
      {"private key in a public set", json{{"keys", {Rfc7520("3_2")}}}.dump()},
      {"secret in a public set", json{{"keys", {Rfc7520("3_5")}}}.dump()},
  };
  for (const auto& [why, text] : cases) EXPECT_FALSE(JwkSet::Parse(text).ok()) << why;
  JwkSetOptions small;
  small.max_keys = 1;
  EXPECT_FALSE(JwkSet::FromJson({{"keys", {ec, ec}}}, small).ok());
  small.max_size = 10;
  EXPECT_FALSE(JwkSet::Parse(json{{"keys", {ec}}}.dump(), small).ok());
}

TEST(JwkSet, PrivateSetsWhenAllowed) {
  JwkSetOptions options;
  options.allow_private = true;
  auto set =
      JwkSet::FromJson({{"keys", {Rfc7520("3_2"), Rfc7520("3_4"), Rfc7520("3_5")}}}, options);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->keys().size(), 3u);
  // The published form has public members only and leaves the secret out.
  json pub = *set->ToPublicJson();
  ASSERT_EQ(pub["keys"].size(), 2u);
  for (const auto& k : pub["keys"]) {
    EXPECT_FALSE(k.contains("d"));
    EXPECT_FALSE(k.contains("k"));
  }
  auto reparsed = JwkSet::FromJson(pub);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_TRUE(reparsed->keys()[0]->SameKeyAs(*set->keys()[0]));
}

TEST(JwkSet, FindsTheKeyForAnAlgorithm) {
  JwkSet set;
  KeyPtr ec1 = SharedKey(KeyType::kEcP256)->WithMetadata({"ec1", "sig", "ES256", {}});
  KeyPtr ec2 = MustKey(Key::Generate(KeyType::kEcP256))->WithKid("ec2");
  KeyPtr rsa = SharedKey(KeyType::kRsa)->WithMetadata({"rsa", "enc", "RSA-OAEP-256", {}});
  set.Add(ec1);
  set.Add(ec2);
  set.Add(rsa);
  EXPECT_EQ(*set.FindForVerify("ec1", SigAlg::kES256), ec1);
  EXPECT_EQ(*set.FindForVerify("ec2", SigAlg::kES256), ec2);
  EXPECT_EQ(set.FindForVerify("ec1", SigAlg::kES384).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(set.FindForVerify("rsa", SigAlg::kPS256).status().code(), Status::Code::kNotFound);
  // Without a kid, two keys fit ES256: ambiguous (OIDC Core §10.1).
  EXPECT_EQ(set.FindForVerify("", SigAlg::kES256).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(*set.FindForDecrypt("", KeyMgmtAlg::kRsaOaep256, ContentEnc::kA128Gcm), rsa);
  EXPECT_FALSE(set.FindForDecrypt("", KeyMgmtAlg::kRsaOaep, ContentEnc::kA128Gcm).ok());
  EXPECT_EQ(set.FindByAlgUse("ES256", "sig").size(), 2u);  // ec2 has neither member
  EXPECT_EQ(set.FindByAlgUse("", "enc").size(), 2u);
  EXPECT_EQ(set.FindByAlgUse("RSA-OAEP-256", "").size(), 2u);
  // Same kid twice: a kid alone cannot decide.
  set.Add(ec2);
  EXPECT_FALSE(set.FindForVerify("ec2", SigAlg::kES256).ok());
}

}  // namespace
}  // namespace idscheme::crypto
