#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace idscheme::crypto {
namespace {

template <typename C>
std::string Hex(const C& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Hash, ShaKnownAnswers) {
  // FIPS 180-2 "abc" examples.
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha384("abc")),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(Hex(Sha512("abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hash, HmacRfc4231Case1) {
  std::vector<uint8_t> key(20, 0x0b);
  auto data = Bytes("Hi There");
  EXPECT_EQ(Hex(HmacSha256(key, data)),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha384(key, data)),
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
            "faea9ea9076ede7f4af152e8b2fa9cb6");
  EXPECT_EQ(Hex(HmacSha512(key, data)),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
}

TEST(Hash, HkdfRfc5869Case1) {
  std::vector<uint8_t> ikm(22, 0x0b);
  std::vector<uint8_t> salt, info;
  for (int i = 0; i <= 0x0c; ++i) salt.push_back(static_cast<uint8_t>(i));
  for (int i = 0xf0; i <= 0xf9; ++i) info.push_back(static_cast<uint8_t>(i));
  auto okm = HkdfSha256(ikm, salt, info, 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(Hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
  EXPECT_FALSE(HkdfSha256(ikm, salt, info, 0).ok());
  EXPECT_FALSE(HkdfSha256(ikm, salt, info, 255 * 32 + 1).ok());
}

TEST(Hash, ConstantTimeEqualsIsLengthSafe) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(Random, OpenSslRandomFillsAndDiffers) {
  OpenSslRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) seen.insert(random.Token(16));
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(&SystemRandom(), &SystemRandom());
  std::vector<uint8_t> empty;
  SystemRandom().Fill(empty);  // no-op, no crash
}

TEST(Aead, SealOpenRoundTrip) {
  std::vector<uint8_t> key(32, 7);
  auto aad = Bytes("key-id-1");
  auto pt = Bytes("private key bytes");
  auto sealed = Aes256GcmSeal(key, pt, aad, SystemRandom());
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->size(), kAeadNonceSize + pt.size() + kAeadTagSize);
  auto opened = Aes256GcmOpen(key, *sealed, aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, pt);
  // Two seals of the same data differ (fresh nonce).
  EXPECT_NE(*Aes256GcmSeal(key, pt, aad, SystemRandom()), *sealed);
  // Empty plaintext works.
  auto sealed_empty = Aes256GcmSeal(key, {}, aad, SystemRandom());
  ASSERT_TRUE(sealed_empty.ok());
  EXPECT_TRUE(Aes256GcmOpen(key, *sealed_empty, aad)->empty());
}

TEST(Aead, OpenRejectsEveryChange) {
  std::vector<uint8_t> key(32, 7);
  auto aad = Bytes("key-id-1");
  auto sealed = *Aes256GcmSeal(key, Bytes("secret"), aad, SystemRandom());
  for (size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    auto r = Aes256GcmOpen(key, bad, aad);
    EXPECT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), Status::Code::kUnauthenticated);
  }
  EXPECT_FALSE(Aes256GcmOpen(key, sealed, Bytes("key-id-2")).ok());
  std::vector<uint8_t> other(32, 8);
  EXPECT_FALSE(Aes256GcmOpen(other, sealed, aad).ok());
  EXPECT_FALSE(Aes256GcmOpen(key, std::span(sealed).first(27), aad).ok());
  std::vector<uint8_t> short_key(16, 7);
  EXPECT_FALSE(Aes256GcmSeal(short_key, Bytes("x"), aad, SystemRandom()).ok());
  EXPECT_FALSE(Aes256GcmOpen(short_key, sealed, aad).ok());
}

}  // namespace
}  // namespace idscheme::crypto
