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

// RFC 4231 §4: test case 1, case 2 (a key shorter than the output), case 6 (a key longer than
// the block, hashed first).
TEST(Hash, HmacRfc4231) {
  struct Case {
    std::vector<uint8_t> key;
    std::string data, sha256, sha384, sha512;
  };
  const Case cases[] = {
      {std::vector<uint8_t>(20, 0x0b), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
       "faea9ea9076ede7f4af152e8b2fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      {Bytes("Jefe"), "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
       "8e2240ca5e69e2c78b3239ecfab21649",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      {std::vector<uint8_t>(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
       "0c2ef6ab4030fe8296248df163f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.data);
    auto data = Bytes(c.data);
    EXPECT_EQ(Hex(HmacSha256(c.key, data)), c.sha256);
    EXPECT_EQ(Hex(HmacSha384(c.key, data)), c.sha384);
    EXPECT_EQ(Hex(HmacSha512(c.key, data)), c.sha512);
  }
}

TEST(Hash, HmacKeysUpToTheBlockAreZeroPadded) {
  // RFC 2104 §2: a key shorter than the block is padded with zeros, so these are the same key;
  // one byte more than the block is hashed first and is not.
  auto data = Bytes("Hi There");
  std::vector<uint8_t> key(20, 0x0b);
  for (size_t block : {size_t{64}, size_t{128}}) {
    std::vector<uint8_t> padded = key;
    padded.resize(block, 0);
    std::vector<uint8_t> longer = key;
    longer.resize(block + 1, 0);
    if (block == 64) {
      EXPECT_EQ(Hex(HmacSha256(key, data)), Hex(HmacSha256(padded, data)));
      EXPECT_NE(Hex(HmacSha256(key, data)), Hex(HmacSha256(longer, data)));
    } else {
      EXPECT_EQ(Hex(HmacSha384(key, data)), Hex(HmacSha384(padded, data)));
      EXPECT_EQ(Hex(HmacSha512(key, data)), Hex(HmacSha512(padded, data)));
      EXPECT_NE(Hex(HmacSha512(key, data)), Hex(HmacSha512(longer, data)));
    }
  }
  // An empty key is the all-zero block.
  std::vector<uint8_t> none;
  EXPECT_EQ(Hex(HmacSha256(none, data)), Hex(HmacSha256(std::vector<uint8_t>(64, 0), data)));
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
