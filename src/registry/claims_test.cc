#include "registry/claims.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace idscheme::registry {
namespace {

TEST(ClaimsTest, CatalogueHoldsTheThreeFamiliesWithoutDuplicates) {
  std::set<std::string_view> names;
  int standard = 0, ida = 0, scheme = 0;
  for (const auto& c : ClaimCatalogue()) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_FALSE(c.description.empty()) << c.name;
    if (c.family == ClaimFamily::kOidcStandard) ++standard;
    if (c.family == ClaimFamily::kIdentityAssurance) ++ida;
    if (c.family == ClaimFamily::kScheme) {
      ++scheme;
      EXPECT_EQ(c.name.rfind("urn:idscheme:claims:", 0), 0u) << c.name;
    }
  }
  EXPECT_EQ(standard, 20);  // OIDC Core §5.1
  EXPECT_EQ(ida, 9);        // OIDC4IDA §4
  EXPECT_GE(scheme, 2);
}

TEST(ClaimsTest, KnownAndUnknownNames) {
  for (auto name : {"sub", "birthdate", "phone_number_verified", "nationalities", "msisdn",
                    "urn:idscheme:claims:national_id_number", "urn:idscheme:claims:id_document"})
    EXPECT_TRUE(IsKnownClaim(name)) << name;
  for (auto name : {"", "Name", "verified_claims", "urn:idscheme:claims:", "email "})
    EXPECT_FALSE(IsKnownClaim(name)) << name;
}

TEST(ClaimsTest, ScopesMapToTheirClaims) {
  EXPECT_EQ(ScopeClaims("profile").size(), 14u);  // OIDC Core §5.4
  EXPECT_EQ(ScopeClaims("email").size(), 2u);
  EXPECT_EQ(ScopeClaims("address").front(), "address");
  EXPECT_EQ(ScopeClaims("phone").size(), 2u);
  EXPECT_TRUE(ScopeClaims("openid").empty());
  for (auto scope : {"profile", "email", "address", "phone"}) {
    for (auto claim : ScopeClaims(scope)) EXPECT_TRUE(IsKnownClaim(claim)) << claim;
  }
  EXPECT_TRUE(IsKnownScope("offline_access"));
  EXPECT_FALSE(IsKnownScope("admin"));
}

}  // namespace
}  // namespace idscheme::registry
