#include "crypto/jws.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/testdata/rfc_vectors.h"
#include "crypto/testdata/test_util.h"

namespace idscheme::crypto {
namespace {

using json = nlohmann::json;
using testing::B64Decode;
using testing::MustKey;
using testing::Rfc7520;
using testing::SharedKey;

std::vector<SigAlg> All() { return {AllSigAlgs().begin(), AllSigAlgs().end()}; }

Status ParseAndVerify(std::string_view compact, const Key& key,
                      std::vector<SigAlg> allowed = All()) {
  auto parsed = ParseJws(compact);
  if (!parsed.ok()) return parsed.status();
  return VerifyJws(*parsed, key, allowed);
}

// ---- Known answers ----------------------------------------------------------------------------

TEST(JwsKat, Rfc7515A1Hs256) {
  KeyPtr key = MustKey(Key::FromJwkText(testdata::kRfc7515A1Key));
  auto jws = SignJwsWithHeaderText(testdata::kRfc7515A1Header, testdata::kRfc7515Payload, *key);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(*jws, testdata::kRfc7515A1Jws);
  auto parsed = ParseJws(testdata::kRfc7515A1Jws);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->alg, SigAlg::kHS256);
  EXPECT_EQ(parsed->typ, "JWT");
  EXPECT_EQ(parsed->payload, testdata::kRfc7515Payload);
  EXPECT_TRUE(VerifyJws(*parsed, *key, {SigAlg::kHS256}).ok());
}

TEST(JwsKat, Rfc7515A2Rs256Exact) {
  KeyPtr key = MustKey(Key::FromJwkText(testdata::kRfc7515A2Key));
  auto jws = SignJwsWithHeaderText(testdata::kRfc7515A2Header, testdata::kRfc7515Payload, *key);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(*jws, testdata::kRfc7515A2Jws);
  EXPECT_TRUE(ParseAndVerify(testdata::kRfc7515A2Jws, **key->PublicOnly(), {SigAlg::kRS256}).ok());
}

TEST(JwsKat, Rfc7515A3Es256) {
  KeyPtr key = MustKey(Key::FromJwkText(testdata::kRfc7515A3Key));
  Status s = ParseAndVerify(testdata::kRfc7515A3Jws, **key->PublicOnly(), {SigAlg::kES256});
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(JwsKat, Rfc7515A4Es512) {
  KeyPtr key = MustKey(Key::FromJwkText(testdata::kRfc7515A4Key));
  Status s = ParseAndVerify(testdata::kRfc7515A4Jws, *key, {SigAlg::kES512});
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ParseJws(testdata::kRfc7515A4Jws)->payload, "Payload");
}

TEST(JwsKat, Rfc7515A5UnsecuredIsRefused) {
  auto parsed = ParseJws(testdata::kRfc7515A5Jws);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("none"), std::string::npos);
}

// RFC 7520 §4.x: sign with the example's exact protected header; compare or verify.
struct Rfc7520Jws {
  KeyPtr key;
  std::string header_text;
  std::string payload;
  std::string compact;
};
Rfc7520Jws Load7520(const std::string& section) {
  json v = Rfc7520(section);
  return {MustKey(Key::FromJwk(v["input"]["key"])),
          B64Decode(v["signing"]["protected_b64u"].get<std::string>()),
          v["input"]["payload"].get<std::string>(), v["output"]["compact"].get<std::string>()};
}

TEST(JwsKat, Rfc7520S41Rs256Exact) {
  auto v = Load7520("4_1");
  auto jws = SignJwsWithHeaderText(v.header_text, v.payload, *v.key);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(*jws, v.compact);
  EXPECT_TRUE(ParseAndVerify(v.compact, **v.key->PublicOnly(), {SigAlg::kRS256}).ok());
}

TEST(JwsKat, Rfc7520S42Ps384) {
  auto v = Load7520("4_2");
  Status s = ParseAndVerify(v.compact, **v.key->PublicOnly(), {SigAlg::kPS384});
  EXPECT_TRUE(s.ok()) << s.ToString();
  // PSS is randomised: a fresh signature differs but verifies.
  auto jws = SignJwsWithHeaderText(v.header_text, v.payload, *v.key);
  ASSERT_TRUE(jws.ok());
  EXPECT_NE(*jws, v.compact);
  EXPECT_TRUE(ParseAndVerify(*jws, *v.key, {SigAlg::kPS384}).ok());
}

TEST(JwsKat, Rfc7520S43Es512) {
  auto v = Load7520("4_3");
  Status s = ParseAndVerify(v.compact, **v.key->PublicOnly(), {SigAlg::kES512});
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ParseJws(v.compact)->payload, v.payload);
}

TEST(JwsKat, Rfc7520S44Hs256Exact) {
  auto v = Load7520("4_4");
  auto jws = SignJwsWithHeaderText(v.header_text, v.payload, *v.key);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(*jws, v.compact);
  EXPECT_TRUE(ParseAndVerify(v.compact, *v.key, {SigAlg::kHS256}).ok());
}

TEST(JwsKat, Rfc8037A4EdDsaExact) {
  KeyPtr priv = MustKey(Key::FromJwkText(testdata::kRfc8037PrivateKey));
  KeyPtr pub = MustKey(Key::FromJwkText(testdata::kRfc8037PublicKey));
  auto jws = SignJwsWithHeaderText(testdata::kRfc8037Header, testdata::kRfc8037Payload, *priv);
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  EXPECT_EQ(*jws, testdata::kRfc8037Jws);
  EXPECT_TRUE(ParseAndVerify(testdata::kRfc8037Jws, *pub, {SigAlg::kEdDSA}).ok());
}

// ---- Round trips and tampering ----------------------------------------------------------------

KeyPtr KeyFor(SigAlg alg) {
  switch (alg) {
    case SigAlg::kHS256:
      return MustKey(Key::GenerateOct(32));
    case SigAlg::kHS384:
      return MustKey(Key::GenerateOct(48));
    case SigAlg::kHS512:
      return MustKey(Key::GenerateOct(64));
    case SigAlg::kES256:
      return SharedKey(KeyType::kEcP256);
    case SigAlg::kES384:
      return SharedKey(KeyType::kEcP384);
    case SigAlg::kES512:
      return SharedKey(KeyType::kEcP521);
    case SigAlg::kEdDSA:
      return SharedKey(KeyType::kEd25519);
    default:
      return SharedKey(KeyType::kRsa);
  }
}

TEST(Jws, RoundTripEveryAlgorithm) {
  for (SigAlg alg : AllSigAlgs()) {
    SCOPED_TRACE(std::string(SigAlgName(alg)));
    KeyPtr key = KeyFor(alg);
    KeyPtr verifier = key->IsSymmetric() ? key : *key->PublicOnly();
    json header = {{"alg", SigAlgName(alg)}, {"kid", "k1"}, {"typ", "JWT"}};
    std::string payload = "{\"sub\":\"alice\"}";
    auto jws = SignJws(header, payload, *key);
    ASSERT_TRUE(jws.ok()) << jws.status().ToString();
    auto parsed = ParseJws(*jws);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->alg, alg);
    EXPECT_EQ(parsed->kid, "k1");
    EXPECT_EQ(parsed->payload, payload);
    EXPECT_EQ(parsed->header, header);
    EXPECT_TRUE(VerifyJws(*parsed, *verifier, {alg}).ok());
    // Empty payloads are allowed too.
    EXPECT_TRUE(ParseAndVerify(*SignJws(header, "", *key), *verifier, {alg}).ok());
    // Only in the allow-list.
    std::vector<SigAlg> others;
    for (SigAlg a : AllSigAlgs()) {
      if (a != alg) others.push_back(a);
    }
    EXPECT_FALSE(VerifyJws(*parsed, *verifier, others).ok());
    // Not with another key of the same kind.
    KeyPtr other = key->IsSymmetric() ? KeyFor(alg) : SharedKey(key->type(), 1);
    Status wrong = VerifyJws(*parsed, *other, {alg});
    EXPECT_EQ(wrong.code(), Status::Code::kUnauthenticated) << wrong.ToString();
    // The reason names the algorithm and nothing of OpenSSL's internals (it may reach a client).
    EXPECT_EQ(wrong.message(),
              "JWS: " + std::string(SigAlgName(alg)) + " signature does not verify");
  }
}

TEST(Jws, EveryTamperedCharacterIsRejected) {
  for (SigAlg alg : {SigAlg::kES256, SigAlg::kHS256, SigAlg::kEdDSA, SigAlg::kPS256}) {
    SCOPED_TRACE(std::string(SigAlgName(alg)));
    KeyPtr key = KeyFor(alg);
    std::string jws = *SignJws({{"alg", SigAlgName(alg)}, {"kid", "k"}}, "hello world", *key);
    ASSERT_TRUE(ParseAndVerify(jws, *key, {alg}).ok());
    // RSA signatures are long; every 7th character is enough there.
    size_t step = alg == SigAlg::kPS256 ? 7 : 1;
    for (size_t i = 0; i < jws.size(); i += step) {
      if (jws[i] == '.') continue;
      for (char repl : {'A', 'z', '-', '_', '.', '='}) {
        if (jws[i] == repl) continue;
        std::string bad = jws;
        bad[i] = repl;
        EXPECT_FALSE(ParseAndVerify(bad, *key, {alg}).ok()) << "position " << i << " " << repl;
      }
    }
    EXPECT_FALSE(ParseAndVerify(jws + "A", *key, {alg}).ok());
    EXPECT_FALSE(ParseAndVerify(jws.substr(0, jws.size() - 1), *key, {alg}).ok());
  }
}

// ---- Refusals ---------------------------------------------------------------------------------

std::string Compact(std::string_view header, std::string_view payload, std::string_view sig) {
  return Base64UrlEncode(header) + "." + Base64UrlEncode(payload) + "." + Base64UrlEncode(sig);
}

TEST(Jws, AlgNoneIsAlwaysRefused) {
  KeyPtr key = KeyFor(SigAlg::kHS256);
  for (std::string_view sig : {"", "x"}) {
    auto parsed = ParseJws(Compact(R"({"alg":"none"})", "{}", sig));
    EXPECT_FALSE(parsed.ok());
  }
  EXPECT_FALSE(ParseJws(Compact(R"({"alg":"None"})", "{}", "x")).ok());
  EXPECT_FALSE(ParseJws(Compact(R"({"alg":"NONE"})", "{}", "x")).ok());
  EXPECT_FALSE(ParseSigAlg("none").has_value());
  EXPECT_FALSE(SignJws({{"alg", "none"}}, "{}", *key).ok());
}

TEST(Jws, HmacKeyedWithAPublicKeyIsRefused) {
  // The classic confusion: an attacker HMACs with the bytes of the verifier's public key and
  // sets alg HS256. The key is asymmetric, so no HMAC is ever computed with it.
  for (KeyType type : {KeyType::kRsa, KeyType::kEcP256, KeyType::kEd25519}) {
    KeyPtr pub = *SharedKey(type)->PublicOnly();
    std::string pem = *pub->ToPem(false);
    std::vector<uint8_t> pem_bytes(pem.begin(), pem.end());
    std::string input = Base64UrlEncode(std::string_view(R"({"alg":"HS256"})")) + "." +
                        Base64UrlEncode(std::string_view("{\"sub\":\"admin\"}"));
    auto mac = HmacSha256(pem_bytes, input);
    std::string forged = input + "." + Base64UrlEncode(mac);
    Status s = ParseAndVerify(forged, *pub);  // even with HS256 allowed
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("RFC 8725"), std::string::npos) << s.message();
  }
  // And the other way: an asymmetric alg with a secret.
  KeyPtr secret = KeyFor(SigAlg::kHS256);
  EXPECT_FALSE(SignJws({{"alg", "RS256"}}, "x", *secret).ok());
  EXPECT_FALSE(CheckKeyForSigAlg(*secret, SigAlg::kES256, false).ok());
}

TEST(Jws, KeyMustFitTheAlgorithm) {
  EXPECT_FALSE(CheckKeyForSigAlg(*SharedKey(KeyType::kEcP384), SigAlg::kES256, false).ok());
  EXPECT_FALSE(CheckKeyForSigAlg(*SharedKey(KeyType::kEcP256), SigAlg::kES512, false).ok());
  EXPECT_FALSE(CheckKeyForSigAlg(*SharedKey(KeyType::kX25519), SigAlg::kEdDSA, false).ok());
  EXPECT_FALSE(CheckKeyForSigAlg(*SharedKey(KeyType::kEd25519), SigAlg::kES256, false).ok());
  // RFC 7518 §3.2: HMAC keys at least as long as the hash.
  EXPECT_FALSE(CheckKeyForSigAlg(*MustKey(Key::GenerateOct(31)), SigAlg::kHS256, false).ok());
  EXPECT_FALSE(CheckKeyForSigAlg(*MustKey(Key::GenerateOct(32)), SigAlg::kHS384, false).ok());
  EXPECT_TRUE(CheckKeyForSigAlg(*MustKey(Key::GenerateOct(64)), SigAlg::kHS256, false).ok());
  // Signing needs the private half.
  EXPECT_FALSE(SignJws({{"alg", "ES256"}}, "x", **SharedKey(KeyType::kEcP256)->PublicOnly()).ok());
  // The key's own JWK members restrict it.
  KeyPtr rsa = SharedKey(KeyType::kRsa);
  EXPECT_FALSE(
      CheckKeyForSigAlg(*rsa->WithMetadata({"", "", "RS256", {}}), SigAlg::kPS256, false).ok());
  EXPECT_TRUE(
      CheckKeyForSigAlg(*rsa->WithMetadata({"", "", "PS256", {}}), SigAlg::kPS256, false).ok());
  EXPECT_FALSE(
      CheckKeyForSigAlg(*rsa->WithMetadata({"", "enc", "", {}}), SigAlg::kPS256, false).ok());
  EXPECT_FALSE(
      CheckKeyForSigAlg(*rsa->WithMetadata({"", "", "", {"verify"}}), SigAlg::kPS256, true).ok());
  EXPECT_TRUE(
      CheckKeyForSigAlg(*rsa->WithMetadata({"", "", "", {"verify"}}), SigAlg::kPS256, false).ok());
}

TEST(Jws, RejectsMalformedCompactSerialisation) {
  KeyPtr key = KeyFor(SigAlg::kHS256);
  std::string good = *SignJws({{"alg", "HS256"}}, "payload", *key);
  ASSERT_TRUE(ParseAndVerify(good, *key).ok());
  size_t d1 = good.find('.'), d2 = good.rfind('.');
  std::string h = good.substr(0, d1), p = good.substr(d1 + 1, d2 - d1 - 1), s = good.substr(d2 + 1);

  std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"two segments", h + "." + p},
      {"four segments", good + "." + s},
      {"five segments (a JWE shape)", h + "..." + p + "." + s},
      {"empty header", "." + p + "." + s},
      {"empty signature", h + "." + p + "."},
      {"padded header", h + "=." + p + "." + s},
      {"padded signature", good + "="},
      {"whitespace", h + ". " + p + "." + s},
      {"line break", h + ".\n" + p + "." + s},
      {"standard alphabet", h + "." + p + "." + s.substr(0, 5) + "+" + s.substr(6)},
      {"non-canonical trailing bits", h + "." + p + "." + s.substr(0, s.size() - 1) + "B"},
  };
  for (const auto& [why, compact] : cases) {
    EXPECT_FALSE(ParseAndVerify(compact, *key).ok()) << why;
  }
  std::string huge(kDefaultMaxJwsSize + 1, 'A');
  EXPECT_FALSE(ParseJws(huge).ok());
  EXPECT_FALSE(ParseJws(good, good.size() - 1).ok());
}

TEST(Jws, RejectsBadProtectedHeaders) {
  KeyPtr key = KeyFor(SigAlg::kHS256);
  auto sign_raw = [&](std::string_view header) {
    std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(std::string_view("{}"));
    std::vector<uint8_t> k(32, 0);
    auto mac = HmacSha256(k, input);
    return input + "." + Base64UrlEncode(mac);
  };
  std::vector<std::pair<std::string, std::string>> cases = {
      {"not JSON", "alg:HS256"},
      {"an array", R"(["alg","HS256"])"},
      {"a string", R"("HS256")"},
      {"no alg", R"({"kid":"a"})"},
      {"alg not a string", R"({"alg":["HS256"]})"},
      {"unknown alg", R"({"alg":"HS257"})"},
      {"alg in other case", R"({"alg":"hs256"})"},
      {"duplicate alg", R"({"alg":"HS256","alg":"HS256"})"},
      {"duplicate nested", R"({"alg":"HS256","x":{"a":1,"a":2}})"},
      {"crit", R"({"alg":"HS256","crit":["exp"],"exp":1})"},
      {"empty crit", R"({"alg":"HS256","crit":[]})"},
      {"b64 false", R"({"alg":"HS256","b64":false})"},
      {"kid not a string", R"({"alg":"HS256","kid":1})"},
      {"typ not a string", R"({"alg":"HS256","typ":null})"},
      {"enc: a JWE header", R"({"alg":"HS256","enc":"A128GCM"})"},
      {"trailing garbage", R"({"alg":"HS256"}x)"},
      {"BOM", "\xEF\xBB\xBF{\"alg\":\"HS256\"}"},
      {"invalid UTF-8", "{\"alg\":\"HS256\",\"kid\":\"\xff\"}"},
  };
  for (const auto& [why, header] : cases) {
    auto parsed = ParseJws(sign_raw(header));
    EXPECT_FALSE(parsed.ok()) << why;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument) << why;
    }
  }
  // Signing refuses the same headers.
  EXPECT_FALSE(SignJws({{"alg", "HS256"}, {"crit", {"x"}}, {"x", 1}}, "{}", *key).ok());
  EXPECT_FALSE(SignJwsWithHeaderText(R"({"alg":"HS256","alg":"HS256"})", "{}", *key).ok());
  EXPECT_FALSE(SignJws(json::array({"alg"}), "{}", *key).ok());
}

TEST(Jws, EcdsaSignaturesAreRawAndExactLength) {
  KeyPtr key = KeyFor(SigAlg::kES256);
  std::vector<uint8_t> data = {1, 2, 3};
  auto sig = SignBytes(SigAlg::kES256, *key, data);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(VerifyBytes(SigAlg::kES256, *key, data, *sig).ok());
  std::vector<uint8_t> shorter(sig->begin(), sig->end() - 1);
  EXPECT_FALSE(VerifyBytes(SigAlg::kES256, *key, data, shorter).ok());
  std::vector<uint8_t> longer = *sig;
  longer.push_back(0);
  EXPECT_FALSE(VerifyBytes(SigAlg::kES256, *key, data, longer).ok());
  std::vector<uint8_t> zeros(64, 0);
  EXPECT_FALSE(VerifyBytes(SigAlg::kES256, *key, data, zeros).ok());
  EXPECT_EQ(SignBytes(SigAlg::kES512, *KeyFor(SigAlg::kES512), data)->size(), 132u);
  EXPECT_EQ(SignBytes(SigAlg::kES384, *KeyFor(SigAlg::kES384), data)->size(), 96u);
}

TEST(Jws, RsaSignatureMustBeModulusLength) {
  KeyPtr key = KeyFor(SigAlg::kRS256);
  std::vector<uint8_t> data = {1, 2, 3};
  auto sig = *SignBytes(SigAlg::kRS256, *key, data);
  EXPECT_EQ(sig.size(), 256u);
  std::vector<uint8_t> padded = {0};
  padded.insert(padded.end(), sig.begin(), sig.end());
  EXPECT_FALSE(VerifyBytes(SigAlg::kRS256, *key, data, padded).ok());
  // PKCS#1 v1.5 and PSS are not interchangeable.
  EXPECT_FALSE(VerifyBytes(SigAlg::kPS256, *key, data, sig).ok());
  EXPECT_FALSE(VerifyBytes(SigAlg::kRS384, *key, data, sig).ok());
}

TEST(Jws, NamesRoundTrip) {
  for (SigAlg alg : AllSigAlgs()) EXPECT_EQ(ParseSigAlg(SigAlgName(alg)), alg);
  EXPECT_EQ(AllSigAlgs().size(), 13u);
}

}  // namespace
}  // namespace idscheme::crypto
