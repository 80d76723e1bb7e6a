#include "oidc/subject.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/base64url.h"
#include "crypto/hash.h"

namespace idscheme::oidc {
namespace {

const std::vector<uint8_t> kSecret(32, 0x42);

registry::ClientAuthRecord Client(std::string subject_type, std::string sector) {
  registry::ClientAuthRecord c;
  c.client_id = "c_1";
  c.metadata.subject_type = std::move(subject_type);
  c.sector_identifier = std::move(sector);
  return c;
}

TEST(SubjectTest, PairwiseIsTheHmacOfSectorAndId) {
  std::string input = std::string("rp.example") + '\0' + "idn_1";
  const auto want = Base64UrlEncode(crypto::HmacSha256(kSecret, input));
  EXPECT_EQ(PairwiseSubject(kSecret, "rp.example", "idn_1"), want);
  auto sub = SubjectFor(Client("pairwise", "rp.example"), "idn_1", kSecret);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, want);
  EXPECT_EQ(sub->size(), 43u);
}

TEST(SubjectTest, SameSectorSameSubOtherSectorOtherSub) {
  auto a = SubjectFor(Client("pairwise", "rp.example"), "idn_1", kSecret);
  auto b = SubjectFor(Client("pairwise", "rp.example"), "idn_1", kSecret);
  auto c = SubjectFor(Client("pairwise", "other.example"), "idn_1", kSecret);
  auto d = SubjectFor(Client("pairwise", "rp.example"), "idn_2", kSecret);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*a, *d);
  // The separator keeps "a"+"bc" and "ab"+"c" apart.
  EXPECT_NE(PairwiseSubject(kSecret, "a", "bc"), PairwiseSubject(kSecret, "ab", "c"));
  // Another secret, another sub.
  const std::vector<uint8_t> other(32, 0x43);
  EXPECT_NE(PairwiseSubject(other, "rp.example", "idn_1"), *a);
}

TEST(SubjectTest, PublicIsTheIdentityId) {
  auto sub = SubjectFor(Client("public", ""), "idn_1", {});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, "idn_1");
}

TEST(SubjectTest, Refusals) {
  EXPECT_FALSE(SubjectFor(Client("pairwise", ""), "idn_1", kSecret).ok());
  EXPECT_FALSE(
      SubjectFor(Client("pairwise", "rp.example"), "idn_1", std::vector<uint8_t>(31, 1)).ok());
  EXPECT_FALSE(SubjectFor(Client("pairwise", "rp.example"), "", kSecret).ok());
}

}  // namespace
}  // namespace idscheme::oidc
