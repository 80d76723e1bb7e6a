#include "crypto/jwe.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/base64url.h"
#include "crypto/random.h"
#include "crypto/testdata/rfc_vectors.h"
#include "crypto/testdata/test_util.h"

namespace idscheme::crypto {
namespace {

using json = nlohmann::json;
using testing::B64Decode;
using testing::MustKey;
using testing::Rfc7520;
using testing::SharedKey;

JweAlgorithms Everything() {
  return {{AllKeyMgmtAlgs().begin(), AllKeyMgmtAlgs().end()},
          {AllContentEncs().begin(), AllContentEncs().end()}};
}

std::vector<uint8_t> B64Bytes(const json& v) {
  auto r = Base64UrlDecode(v.get<std::string>());
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::vector<uint8_t>{};
}

Result<std::string> Decrypt(std::string_view compact, const Key& key,
                            const JweAlgorithms& allowed = Everything()) {
  auto jwe = ParseJwe(compact);
  if (!jwe.ok()) return jwe.status();
  return DecryptJwe(*jwe, key, allowed);
}

// ---- Known answers ----------------------------------------------------------------------------

TEST(JweKat, Rfc7516A1RsaOaepA256Gcm) {
  KeyPtr key = MustKey(Key::FromJwkText(testdata::kRfc7516A1Key));
  auto pt = Decrypt(testdata::kRfc7516A1Jwe, *key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, testdata::kRfc7516A1Plaintext);
}

TEST(JweKat, Rfc7516A3A128KwA128CbcHs256Exact) {
  KeyPtr key = MustKey(Key::FromJwkText(testdata::kRfc7516A3Key));
  EncryptOptions options;
  options.cek.assign(std::begin(testdata::kRfc7516A3Cek), std::end(testdata::kRfc7516A3Cek));
  options.iv.assign(std::begin(testdata::kRfc7516A3Iv), std::end(testdata::kRfc7516A3Iv));
  options.header_text = std::string(testdata::kRfc7516A3Header);
  auto jwe = EncryptJwe({}, testdata::kRfc7516A3Plaintext, *key, SystemRandom(), options);
  ASSERT_TRUE(jwe.ok()) << jwe.status().ToString();
  EXPECT_EQ(*jwe, testdata::kRfc7516A3Jwe);
  auto pt = Decrypt(testdata::kRfc7516A3Jwe, *key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, testdata::kRfc7516A3Plaintext);
}

struct Rfc7520Jwe {
  json v;
  KeyPtr key;
  std::string plaintext;
  std::string compact;
};
Rfc7520Jwe Load7520(const std::string& section) {
  json v = Rfc7520(section);
  return {v, MustKey(Key::FromJwk(v["input"]["key"])), v["input"]["plaintext"],
          v["output"]["compact"]};
}

// Encrypts the example again from its generated factors and expects the published bytes.
void ExpectExactEncryption(const Rfc7520Jwe& x) {
  EncryptOptions options;
  const json& gen = x.v["generated"];
  if (gen.contains("cek")) options.cek = B64Bytes(gen["cek"]);
  options.iv = B64Bytes(gen["iv"]);
  if (x.v.contains("encrypting_key") && x.v["encrypting_key"].contains("epk")) {
    options.ephemeral_key = MustKey(Key::FromJwk(x.v["encrypting_key"]["epk"]));
  }
  options.header_text = B64Decode(x.v["encrypting_content"]["protected_b64u"]);
  auto jwe = EncryptJwe({}, x.plaintext, *x.key, SystemRandom(), options);
  ASSERT_TRUE(jwe.ok()) << jwe.status().ToString();
  EXPECT_EQ(*jwe, x.compact);
}

TEST(JweKat, Rfc7520S51Rsa15IsRefused) {
  auto x = Load7520("5_1");
  auto jwe = ParseJwe(x.compact);
  ASSERT_FALSE(jwe.ok());
  EXPECT_NE(jwe.status().message().find("RSA1_5"), std::string::npos);
  EXPECT_FALSE(ParseKeyMgmtAlg("RSA1_5").has_value());
  EXPECT_FALSE(
      EncryptJwe({{"alg", "RSA1_5"}, {"enc", "A128CBC-HS256"}}, "x", *x.key, SystemRandom()).ok());
}

TEST(JweKat, Rfc7520S52RsaOaepA256Gcm) {
  auto x = Load7520("5_2");
  auto pt = Decrypt(x.compact, *x.key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, x.plaintext);
}

TEST(JweKat, Rfc7520S54EcdhEsA128KwA128Gcm) {
  auto x = Load7520("5_4");
  auto pt = Decrypt(x.compact, *x.key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, x.plaintext);
  ExpectExactEncryption(x);
}

TEST(JweKat, Rfc7520S55EcdhEsA128CbcHs256) {
  auto x = Load7520("5_5");
  auto pt = Decrypt(x.compact, *x.key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, x.plaintext);
  ExpectExactEncryption(x);
}

TEST(JweKat, Rfc7520S56DirA128GcmExact) {
  auto x = Load7520("5_6");
  ExpectExactEncryption(x);
  auto pt = Decrypt(x.compact, *x.key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, x.plaintext);
}

TEST(JweKat, Rfc7520S58A128KwA128GcmExact) {
  auto x = Load7520("5_8");
  ExpectExactEncryption(x);
  auto pt = Decrypt(x.compact, *x.key);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, x.plaintext);
}

// ---- Round trips ------------------------------------------------------------------------------

KeyPtr RecipientFor(KeyMgmtAlg alg, ContentEnc enc, KeyType ec_type = KeyType::kEcP256) {
  switch (alg) {
    case KeyMgmtAlg::kRsaOaep:
    case KeyMgmtAlg::kRsaOaep256:
      return SharedKey(KeyType::kRsa);
    case KeyMgmtAlg::kA128Kw:
      return MustKey(Key::GenerateOct(16));
    case KeyMgmtAlg::kA192Kw:
      return MustKey(Key::GenerateOct(24));
    case KeyMgmtAlg::kA256Kw:
      return MustKey(Key::GenerateOct(32));
    case KeyMgmtAlg::kDir:
      return MustKey(Key::GenerateOct(ContentKeySize(enc)));
    default:
      return SharedKey(ec_type);
  }
}

TEST(Jwe, RoundTripEveryAlgorithmAndEncryption) {
  for (KeyMgmtAlg alg : AllKeyMgmtAlgs()) {
    for (ContentEnc enc : AllContentEncs()) {
      SCOPED_TRACE(std::string(KeyMgmtAlgName(alg)) + " " + std::string(ContentEncName(enc)));
      KeyPtr key = RecipientFor(alg, enc);
      KeyPtr to = key->IsSymmetric() ? key : *key->PublicOnly();
      json header = {{"alg", KeyMgmtAlgName(alg)}, {"enc", ContentEncName(enc)}, {"kid", "r1"}};
      std::string plaintext = "the secret of the ring";
      auto jwe = EncryptJwe(header, plaintext, *to, SystemRandom());
      ASSERT_TRUE(jwe.ok()) << jwe.status().ToString();
      auto parsed = ParseJwe(*jwe);
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
      EXPECT_EQ(parsed->alg, alg);
      EXPECT_EQ(parsed->enc, enc);
      EXPECT_EQ(parsed->kid, "r1");
      auto pt = DecryptJwe(*parsed, *key, Everything());
      ASSERT_TRUE(pt.ok()) << pt.status().ToString();
      EXPECT_EQ(*pt, plaintext);
      // Empty plaintext too.
      EXPECT_EQ(*Decrypt(*EncryptJwe(header, "", *to, SystemRandom()), *key), "");
      // The allow-lists decide.
      EXPECT_FALSE(DecryptJwe(*parsed, *key, {{alg}, {}}).ok());
      EXPECT_FALSE(DecryptJwe(*parsed, *key, {{}, {enc}}).ok());
      EXPECT_TRUE(DecryptJwe(*parsed, *key, {{alg}, {enc}}).ok());
    }
  }
}

TEST(Jwe, EcdhEsOnEveryCurve) {
  for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kX25519}) {
    for (KeyMgmtAlg alg : {KeyMgmtAlg::kEcdhEs, KeyMgmtAlg::kEcdhEsA256Kw}) {
      SCOPED_TRACE(std::string(KeyTypeName(type)) + " " + std::string(KeyMgmtAlgName(alg)));
      KeyPtr key = SharedKey(type);
      json header = {{"alg", KeyMgmtAlgName(alg)},
                     {"enc", "A256GCM"},
                     {"apu", Base64UrlEncode(std::string_view("Alice"))},
                     {"apv", Base64UrlEncode(std::string_view("Bob"))}};
      auto jwe = EncryptJwe(header, "hello", **key->PublicOnly(), SystemRandom());
      ASSERT_TRUE(jwe.ok()) << jwe.status().ToString();
      auto parsed = *ParseJwe(*jwe);
      EXPECT_EQ(parsed.header["epk"]["kty"], type == KeyType::kX25519 ? "OKP" : "EC");
      EXPECT_FALSE(parsed.header["epk"].contains("d"));
      EXPECT_EQ(*DecryptJwe(parsed, *key, Everything()), "hello");
      // apu/apv are bound into the key derivation.
      json changed = parsed.header;
      changed["apv"] = Base64UrlEncode(std::string_view("Eve"));
      parsed.header = changed;
      EXPECT_FALSE(DecryptJwe(parsed, *key, Everything()).ok());
    }
  }
}

// ---- Tampering and wrong keys -----------------------------------------------------------------

TEST(Jwe, EveryTamperedCharacterIsRejected) {
  struct Case {
    KeyMgmtAlg alg;
    ContentEnc enc;
  } cases[] = {{KeyMgmtAlg::kA128Kw, ContentEnc::kA128CbcHs256},
               {KeyMgmtAlg::kDir, ContentEnc::kA256Gcm},
               {KeyMgmtAlg::kEcdhEs, ContentEnc::kA128Gcm},
               {KeyMgmtAlg::kEcdhEsA128Kw, ContentEnc::kA256CbcHs512}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(KeyMgmtAlgName(c.alg)) + " " + std::string(ContentEncName(c.enc)));
    KeyPtr key = RecipientFor(c.alg, c.enc);
    json header = {{"alg", KeyMgmtAlgName(c.alg)}, {"enc", ContentEncName(c.enc)}};
    std::string jwe = *EncryptJwe(header, "attack at dawn", *key, SystemRandom());
    ASSERT_TRUE(Decrypt(jwe, *key).ok());
    for (size_t i = 0; i < jwe.size(); ++i) {
      if (jwe[i] == '.') continue;
      for (char repl : {'A', 'z', '_'}) {
        if (jwe[i] == repl) continue;
        std::string bad = jwe;
        bad[i] = repl;
        EXPECT_FALSE(Decrypt(bad, *key).ok()) << "position " << i;
      }
    }
  }
}

TEST(Jwe, RsaOaepTamperingAndWrongKeysFailAlike) {
  KeyPtr key = SharedKey(KeyType::kRsa);
  json header = {{"alg", "RSA-OAEP-256"}, {"enc", "A128GCM"}};
  std::string jwe = *EncryptJwe(header, "x", *key, SystemRandom());
  auto parts = [&](std::string s) {
    std::vector<std::string> out;
    size_t start = 0, dot;
    while ((dot = s.find('.', start)) != std::string::npos) {
      out.push_back(s.substr(start, dot - start));
      start = dot + 1;
    }
    out.push_back(s.substr(start));
    return out;
  };
  auto p = parts(jwe);
  // A corrupted encrypted key, the right key but the wrong CEK, and another private key all end
  // in the same error (RFC 7516 §11.5).
  std::vector<uint8_t> ek = *Base64UrlDecode(p[1]);
  ek[10] ^= 1;
  std::string bad_key = p[0] + "." + Base64UrlEncode(ek) + "." + p[2] + "." + p[3] + "." + p[4];
  auto r1 = Decrypt(bad_key, *key);
  KeyPtr other = SharedKey(KeyType::kRsa, 1);
  auto r2 = Decrypt(jwe, *other);
  std::vector<uint8_t> tag = *Base64UrlDecode(p[4]);
  tag[0] ^= 1;
  auto r3 = Decrypt(p[0] + "." + p[1] + "." + p[2] + "." + p[3] + "." + Base64UrlEncode(tag), *key);
  for (const auto* r : {&r1, &r2, &r3}) {
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->status().code(), Status::Code::kUnauthenticated);
    EXPECT_EQ(r->status().message(), "JWE: decryption failed");
  }
  // A short encrypted key is no different.
  std::vector<uint8_t> short_ek(ek.begin(), ek.end() - 1);
  auto r4 =
      Decrypt(p[0] + "." + Base64UrlEncode(short_ek) + "." + p[2] + "." + p[3] + "." + p[4], *key);
  EXPECT_EQ(r4.status().message(), "JWE: decryption failed");
}

TEST(Jwe, WrongSymmetricKeyFails) {
  KeyPtr key = MustKey(Key::GenerateOct(16));
  KeyPtr other = MustKey(Key::GenerateOct(16));
  std::string jwe = *EncryptJwe({{"alg", "A128KW"}, {"enc", "A128GCM"}}, "x", *key, SystemRandom());
  auto r = Decrypt(jwe, *other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JWE: decryption failed");
  // A key of the wrong size is refused before any cryptography.
  EXPECT_EQ(Decrypt(jwe, *MustKey(Key::GenerateOct(32))).status().code(),
            Status::Code::kInvalidArgument);
}

// ---- Refusals ---------------------------------------------------------------------------------

std::string WithHeader(const std::string& jwe, std::string_view header) {
  return Base64UrlEncode(header) + jwe.substr(jwe.find('.'));
}

TEST(Jwe, RefusesHeadersItDoesNotSupport) {
  KeyPtr key = MustKey(Key::GenerateOct(16));
  std::string jwe = *EncryptJwe({{"alg", "A128KW"}, {"enc", "A128GCM"}}, "x", *key, SystemRandom());
  std::vector<std::pair<std::string, std::string>> cases = {
      {"zip", R"({"alg":"A128KW","enc":"A128GCM","zip":"DEF"})"},
      {"crit", R"({"alg":"A128KW","enc":"A128GCM","crit":["x"],"x":1})"},
      {"no enc", R"({"alg":"A128KW"})"},
      {"no alg", R"({"enc":"A128GCM"})"},
      {"unknown enc", R"({"alg":"A128KW","enc":"A128CCM"})"},
      {"PBES2", R"({"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2s":"AAAA","p2c":1000})"},
      {"AES-GCM key wrap", R"({"alg":"A128GCMKW","enc":"A128GCM","iv":"AAAA","tag":"AAAA"})"},
      {"RSA1_5", R"({"alg":"RSA1_5","enc":"A128GCM"})"},
      {"alg none", R"({"alg":"none","enc":"A128GCM"})"},
      {"duplicate enc", R"({"alg":"A128KW","enc":"A128GCM","enc":"A128GCM"})"},
      {"not an object", R"(["A128KW"])"},
  };
  for (const auto& [why, header] : cases) {
    auto r = Decrypt(WithHeader(jwe, header), *key);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << why << r.status().ToString();
  }
  EXPECT_FALSE(
      EncryptJwe({{"alg", "A128KW"}, {"enc", "A128GCM"}, {"zip", "DEF"}}, "x", *key, SystemRandom())
          .ok());
}

TEST(Jwe, RejectsMalformedCompactSerialisation) {
  KeyPtr key = MustKey(Key::GenerateOct(16));
  std::string jwe = *EncryptJwe({{"alg", "A128KW"}, {"enc", "A128GCM"}}, "x", *key, SystemRandom());
  EXPECT_FALSE(Decrypt(jwe + ".", *key).ok());
  EXPECT_FALSE(Decrypt(jwe.substr(0, jwe.rfind('.')), *key).ok());
  EXPECT_FALSE(Decrypt(jwe + "=", *key).ok());
  EXPECT_FALSE(Decrypt("....", *key).ok());
  EXPECT_FALSE(Decrypt("", *key).ok());
  EXPECT_FALSE(ParseJwe(std::string(kDefaultMaxJweSize + 1, 'A')).ok());

  // Sizes that follow from the algorithms: IV, tag, encrypted key.
  KeyPtr dir = MustKey(Key::GenerateOct(16));
  std::string d = *EncryptJwe({{"alg", "dir"}, {"enc", "A128GCM"}}, "x", *dir, SystemRandom());
  size_t d1 = d.find('.'), d2 = d.find('.', d1 + 1);
  EXPECT_EQ(d2, d1 + 1);  // empty encrypted key
  EXPECT_FALSE(Decrypt(d.substr(0, d1 + 1) + "AAAAAAAAAAAAAAAAAAAAAA" + d.substr(d2), *dir).ok());
  std::string iv_short = d;
  size_t d3 = d.find('.', d2 + 1);
  iv_short.erase(d3 - 2, 2);
  EXPECT_FALSE(Decrypt(iv_short, *dir).ok());
  std::string tag_short = d.substr(0, d.size() - 2);
  EXPECT_FALSE(Decrypt(tag_short, *dir).ok());
}

TEST(Jwe, EphemeralKeyMustBeAValidPointOnTheRecipientsCurve) {
  KeyPtr key = SharedKey(KeyType::kEcP256);
  json header = {{"alg", "ECDH-ES"}, {"enc", "A128GCM"}};
  std::string jwe = *EncryptJwe(header, "x", *key, SystemRandom());
  ParsedJwe parsed = *ParseJwe(jwe);
  ASSERT_TRUE(DecryptJwe(parsed, *key, Everything()).ok());

  auto with_epk = [&](json epk) {
    ParsedJwe p = parsed;
    p.header["epk"] = std::move(epk);
    return DecryptJwe(p, *key, Everything());
  };
  json epk = parsed.header["epk"];
  std::string y = epk["y"];
  y[3] = y[3] == 'A' ? 'B' : 'A';
  json off_curve = epk;
  off_curve["y"] = y;
  auto r = with_epk(off_curve);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("epk"), std::string::npos) << r.status().message();

  json zero = epk;
  zero["x"] = std::string(43, 'A');
  zero["y"] = std::string(43, 'A');
  EXPECT_FALSE(with_epk(zero).ok());
  EXPECT_FALSE(with_epk(*SharedKey(KeyType::kEcP384)->ToJwk(false)).ok());  // other curve
  EXPECT_FALSE(with_epk(*SharedKey(KeyType::kX25519)->ToJwk(false)).ok());
  EXPECT_FALSE(with_epk(*SharedKey(KeyType::kEcP256)->ToJwk(true)).ok());  // carries d
  EXPECT_FALSE(with_epk("not a key").ok());

  ParsedJwe no_epk = parsed;
  no_epk.header.erase("epk");
  EXPECT_FALSE(DecryptJwe(no_epk, *key, Everything()).ok());
  EXPECT_FALSE(ParseJwe(WithHeader(jwe, R"({"alg":"ECDH-ES","enc":"A128GCM"})")).ok());
}

TEST(Jwe, KeyMustFitTheAlgorithm) {
  auto check = [](const KeyPtr& key, KeyMgmtAlg alg, ContentEnc enc) {
    return CheckKeyForJwe(*key, alg, enc, false).ok();
  };
  EXPECT_FALSE(check(SharedKey(KeyType::kEcP256), KeyMgmtAlg::kRsaOaep, ContentEnc::kA128Gcm));
  EXPECT_FALSE(check(SharedKey(KeyType::kRsa), KeyMgmtAlg::kEcdhEs, ContentEnc::kA128Gcm));
  EXPECT_FALSE(check(SharedKey(KeyType::kEd25519), KeyMgmtAlg::kEcdhEs, ContentEnc::kA128Gcm));
  EXPECT_FALSE(check(MustKey(Key::GenerateOct(32)), KeyMgmtAlg::kA128Kw, ContentEnc::kA128Gcm));
  EXPECT_FALSE(check(MustKey(Key::GenerateOct(16)), KeyMgmtAlg::kDir, ContentEnc::kA256Gcm));
  EXPECT_TRUE(check(MustKey(Key::GenerateOct(64)), KeyMgmtAlg::kDir, ContentEnc::kA256CbcHs512));
  EXPECT_FALSE(CheckKeyForJwe(**SharedKey(KeyType::kRsa)->PublicOnly(), KeyMgmtAlg::kRsaOaep,
                              ContentEnc::kA128Gcm, /*decrypting=*/true)
                   .ok());
  KeyPtr rsa = SharedKey(KeyType::kRsa);
  EXPECT_FALSE(
      check(rsa->WithMetadata({"", "sig", "", {}}), KeyMgmtAlg::kRsaOaep, ContentEnc::kA128Gcm));
  EXPECT_FALSE(check(rsa->WithMetadata({"", "", "RSA-OAEP", {}}), KeyMgmtAlg::kRsaOaep256,
                     ContentEnc::kA128Gcm));
  EXPECT_TRUE(check(rsa->WithMetadata({"", "enc", "RSA-OAEP-256", {"wrapKey"}}),
                    KeyMgmtAlg::kRsaOaep256, ContentEnc::kA128Gcm));
}

TEST(Jwe, EncryptOptionsAreChecked) {
  KeyPtr key = SharedKey(KeyType::kEcP256);
  json header = {{"alg", "ECDH-ES"}, {"enc", "A128GCM"}};
  EncryptOptions cek;
  cek.cek.assign(16, 1);
  EXPECT_FALSE(EncryptJwe(header, "x", *key, SystemRandom(), cek).ok());
  EncryptOptions iv;
  iv.iv.assign(16, 1);  // GCM takes 12
  EXPECT_FALSE(EncryptJwe(header, "x", *key, SystemRandom(), iv).ok());
  EncryptOptions eph;
  eph.ephemeral_key = SharedKey(KeyType::kEcP384);
  EXPECT_FALSE(EncryptJwe(header, "x", *key, SystemRandom(), eph).ok());
  EncryptOptions text;
  text.ephemeral_key = MustKey(Key::Generate(KeyType::kEcP256));
  text.header_text = R"({"alg":"ECDH-ES","enc":"A128GCM"})";  // no epk
  EXPECT_FALSE(EncryptJwe({}, "x", *key, SystemRandom(), text).ok());
}

TEST(Jwe, NamesRoundTrip) {
  for (KeyMgmtAlg a : AllKeyMgmtAlgs()) EXPECT_EQ(ParseKeyMgmtAlg(KeyMgmtAlgName(a)), a);
  for (ContentEnc e : AllContentEncs()) EXPECT_EQ(ParseContentEnc(ContentEncName(e)), e);
}

}  // namespace
}  // namespace idscheme::crypto
