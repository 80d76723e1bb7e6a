#include "oidc/claims_request.h"

#include <gtest/gtest.h>

namespace idscheme::oidc {
namespace {

TEST(ClaimsRequest, ParsesBothMembers) {
  auto r = ParseClaimsRequest(R"({
    "id_token": {"acr": {"essential": true, "values": ["urn:idscheme:loa:advanced"]},
                 "auth_time": null},
    "userinfo": {"given_name": {"essential": true}, "email": null,
                 "family_name": {"value": "Janssens", "purpose": "to address you"},
                 "verified_claims": {"verification": {"trust_framework": null},
                                     "claims": {"given_name": null}}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->id_token.size(), 2u);
  EXPECT_EQ(r->id_token[0].name, "acr");
  EXPECT_TRUE(r->id_token[0].essential);
  ASSERT_EQ(r->id_token[0].values.size(), 1u);
  ASSERT_EQ(r->userinfo.size(), 3u);
  EXPECT_EQ(r->userinfo[1].value, nlohmann::json("Janssens"));
  EXPECT_EQ(r->userinfo[1].purpose, "to address you");
  ASSERT_TRUE(r->userinfo_verified_claims);
  EXPECT_TRUE(r->userinfo_verified_claims->contains("verification"));
  EXPECT_FALSE(r->id_token_verified_claims);
  // acr and auth_time are about the login, not the person.
  EXPECT_EQ(r->PersonClaimNames(),
            (std::vector<std::string>{"email", "family_name", "given_name"}));
}

TEST(ClaimsRequest, EmptyObjectIsEmpty) {
  auto r = ParseClaimsRequest("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ClaimsRequest, Rejections) {
  const char* bad[] = {
      "",                                      // not JSON
      "[]",                                    // not an object
      R"({"id_token": []})",                   // member not an object
      R"({"userinfo": {"email": true}})",      // neither null nor an object
      R"({"userinfo": {"shoe_size": true}})",  // an unknown claim is still checked
      R"({"userinfo": {"email": {"essential": "yes"}}})",
      R"({"userinfo": {"email": {"value": "a", "values": ["b"]}}})",
      R"({"userinfo": {"email": {"values": []}}})",
      R"({"userinfo": {"email": {"values": [{}]}}})",
      R"({"userinfo": {"email": {"value": {"x": 1}}}})",
      R"({"userinfo": {"email": {"purpose": "x"}}})",  // purpose too short
      R"({"userinfo": {"verified_claims": 5}})",
      R"({"userinfo": {"verified_claims": []}})",
      R"({"userinfo": {"email": null, "email": null}})",  // duplicate member
  };
  for (const char* text : bad) {
    auto r = ParseClaimsRequest(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().oauth_error(), "invalid_request") << text;
  }
}

// OIDC Core §5.5, §5.5.1: members and claims not understood are ignored, not refused.
TEST(ClaimsRequest, WhatIsNotUnderstoodIsIgnored) {
  auto r = ParseClaimsRequest(
      R"({"access_token": {"x": 1}, "userinfo": {"shoe_size": null, "acr": null,)"
      R"( "email": {"essential": true, "colour": "red"}}, "id_token": {"x_custom": {}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->userinfo.size(), 1u);  // acr is for the ID token only
  EXPECT_EQ(r->userinfo[0].name, "email");
  EXPECT_TRUE(r->userinfo[0].essential);
  EXPECT_TRUE(r->id_token.empty());
  EXPECT_EQ(r->PersonClaimNames(), std::vector<std::string>{"email"});
}

// OIDC4IDA: a purpose is 3 to 300 characters, whatever their bytes.
TEST(ClaimsRequest, PurposeLengthIsInCharacters) {
  auto with = [](const std::string& purpose) {
    return ParseClaimsRequest(R"({"userinfo":{"email":{"purpose":")" + purpose + R"("}}})");
  };
  std::string euros;
  for (int i = 0; i < 300; ++i) euros += "\u20ac";
  EXPECT_TRUE(with(euros).ok());              // 300 characters, 900 bytes
  EXPECT_FALSE(with(euros + "\u20ac").ok());  // 301
  EXPECT_FALSE(with("\u76ee\u7684").ok());    // 2 characters, 6 bytes
  EXPECT_TRUE(with("\u76ee\u7684\u3002").ok());
}

TEST(ClaimsRequest, TooLongIsRefused) {
  std::string text = R"({"userinfo": {"email": {"purpose": ")" +
                     std::string(kMaxClaimsParameterBytes, 'a') + R"("}}})";
  EXPECT_FALSE(ParseClaimsRequest(text).ok());
}

}  // namespace
}  // namespace idscheme::oidc
