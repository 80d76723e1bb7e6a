#include "oidc/claims_release.h"

#include <gtest/gtest.h>

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

identity::Identity Anna() {
  identity::Identity p;
  p.id = "idn_1";
  auto& a = p.attributes;
  a.given_name = "Anna";
  a.middle_name = "Maria";
  a.family_name = "Peeters";
  a.birthdate = "1990-04-27";
  a.phone_number = "+32470123456";
  a.email = "anna@example.be";
  a.nationalities = std::vector<std::string>{"BE"};
  a.address = identity::Address{"Grote Markt 1", "Mechelen", "Antwerpen", "2800", "BE"};
  a.national_id_number = "90042712345";
  p.evidence.method = "pipp";
  p.evidence.time = 1'790'000'000;
  p.evidence.document_type = "idcard";
  p.evidence.document_number = "592123456789";
  p.evidence.issuing_country = "BE";
  p.evidence.date_of_issuance = "2021-03-01";
  p.evidence.date_of_expiry = "2031-03-01";
  // As a registrar's creation dates them: every attribute by the evidence.
  for (const auto& name : a.Names()) p.verified_at[name] = p.evidence.time;
  p.updated_at_ms = 1'790'000'123'456;
  return p;
}

ClaimsRequest Claims(std::string_view text) {
  auto c = ParseClaimsRequest(text);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ClaimsRequest{};
}

ApprovedAuthorization Grant(std::vector<std::string> scopes, std::string_view claims,
                            std::vector<std::string> approved) {
  ApprovedAuthorization g;
  g.scopes = std::move(scopes);
  if (!claims.empty()) g.claims = Claims(claims);
  g.approved_claims = std::move(approved);
  return g;
}

registry::AgreementTerms Terms(std::vector<std::string> claims) {
  auto t = registry::ParseAgreementTerms({{"services", {"login", "identification"}},
                                          {"claims", claims},
                                          {"assurance_levels", {"basic"}},
                                          {"claims_outside", "refuse"}});
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : registry::AgreementTerms{};
}

TEST(ClaimsToShowTest, ScopeAndClaimsParameterWithinTheAgreement) {
  auto shown = ClaimsToShow(
      {"openid", "email", "phone"},
      Claims(R"({"id_token":{"given_name":{"essential":true},"acr":null,"birthdate":null},)"
             R"("userinfo":{"verified_claims":{"verification":{"trust_framework":null},)"
             R"("claims":{"family_name":null,"urn:idscheme:claims:national_id_number":null}}}})"),
      Terms({"email", "email_verified", "given_name", "family_name",
             "urn:idscheme:claims:national_id_number"}));
  // phone_number, birthdate: outside the agreement; acr: not a person claim.
  EXPECT_EQ(shown, (std::vector<std::string>{"email", "email_verified", "given_name", "family_name",
                                             "urn:idscheme:claims:national_id_number"}));
}

TEST(ClaimsToShowTest, LoginOnlyShowsNothing) {
  EXPECT_TRUE(ClaimsToShow({"openid"}, ClaimsRequest{}, Terms({"email"})).empty());
}

TEST(ClaimsReleaseTest, ScopeClaimsGoToUserinfoInTheCodeFlow) {
  auto out = ReleaseClaims(Anna(), Grant({"openid", "email"}, "", {"email", "email_verified"}));
  EXPECT_EQ(out.id_token, json::object());
  EXPECT_EQ(out.userinfo, (json{{"email", "anna@example.be"}, {"email_verified", true}}));
  ClaimsReleaseOptions no_token;
  no_token.access_token_issued = false;
  out = ReleaseClaims(Anna(), Grant({"openid", "email"}, "", {"email"}), no_token);
  EXPECT_EQ(out.id_token, (json{{"email", "anna@example.be"}}));
  EXPECT_EQ(out.userinfo, json::object());
}

TEST(ClaimsReleaseTest, OnlyApprovedClaimsAreReleased) {
  auto out = ReleaseClaims(Anna(), Grant({"openid", "profile", "email"},
                                         R"({"id_token":{"birthdate":null}})", {"given_name"}));
  EXPECT_EQ(out.id_token, json::object());
  EXPECT_EQ(out.userinfo, (json{{"given_name", "Anna"}}));
}

TEST(ClaimsReleaseTest, ClaimsParameterPlacesClaims) {
  auto out =
      ReleaseClaims(Anna(), Grant({"openid"},
                                  R"({"id_token":{"name":null,"acr":{"essential":true}},)"
                                  R"("userinfo":{"address":null,"msisdn":null,"nickname":null}})",
                                  {"name", "address", "msisdn", "nickname"}));
  EXPECT_EQ(out.id_token, (json{{"name", "Anna Maria Peeters"}}));
  EXPECT_EQ(out.userinfo["msisdn"], "32470123456");
  EXPECT_EQ(out.userinfo["address"]["locality"], "Mechelen");
  EXPECT_FALSE(out.userinfo.contains("nickname"));  // the record has none
}

TEST(ClaimsReleaseTest, RequestedValueMustMatch) {
  auto out = ReleaseClaims(
      Anna(), Grant({"openid"},
                    R"({"id_token":{"given_name":{"value":"Bert"},"family_name":{"values":)"
                    R"(["X","Peeters"]}}})",
                    {"given_name", "family_name"}));
  EXPECT_EQ(out.id_token, (json{{"family_name", "Peeters"}}));
}

TEST(ClaimsReleaseTest, SchemeClaims) {
  auto id = ClaimValue(Anna(), "urn:idscheme:claims:id_document");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ((*id)["number"], "592123456789");
  EXPECT_EQ((*id)["date_of_expiry"], "2031-03-01");
  EXPECT_EQ(ClaimValue(Anna(), "urn:idscheme:claims:national_id_number"), json("90042712345"));
  EXPECT_EQ(ClaimValue(Anna(), "updated_at"), json(1'790'000'123));
  EXPECT_FALSE(ClaimValue(Anna(), "picture").has_value());
  identity::Identity bare = Anna();
  bare.attributes.email.reset();
  EXPECT_FALSE(ClaimValue(bare, "email_verified").has_value());
}

TEST(ClaimsReleaseTest, VerifiedClaimsWithEvidence) {
  auto out = ReleaseClaims(
      Anna(), Grant({"openid"},
                    R"({"userinfo":{"verified_claims":{"verification":{"trust_framework":null,)"
                    R"("time":null,"evidence":[{"type":{"value":"document"}}]},)"
                    R"("claims":{"given_name":null,"birthdate":null,"family_name":null}}}})",
                    {"given_name", "family_name", "urn:idscheme:claims:id_document"}));
  ASSERT_TRUE(out.userinfo.contains("verified_claims"));
  const json& vc = out.userinfo["verified_claims"];
  EXPECT_EQ(vc["claims"], (json{{"given_name", "Anna"}, {"family_name", "Peeters"}}));
  EXPECT_EQ(vc["verification"]["trust_framework"], "eidas");
  EXPECT_FALSE(vc["verification"].contains("assurance_level"));  // not asked for
  EXPECT_EQ(vc["verification"]["time"], "2026-09-21T14:13:20Z");
  EXPECT_EQ(vc["verification"]["evidence"][0]["method"], "pipp");
  EXPECT_EQ(vc["verification"]["evidence"][0]["document_details"]["document_number"],
            "592123456789");
  EXPECT_FALSE(out.userinfo.contains("given_name"));  // only inside verified_claims
  EXPECT_TRUE(out.id_token.empty());
}

// The evidence's document details are the ID document claim: without its approval they stay
// home, and the person is shown the document when evidence is asked for.
TEST(ClaimsReleaseTest, TheDocumentGoesInTheEvidenceOnlyWhenApproved) {
  const char* request = R"({"userinfo":{"verified_claims":{"verification":{"evidence":null},)"
                        R"("claims":{"given_name":null}}}})";
  auto out = ReleaseClaims(Anna(), Grant({"openid"}, request, {"given_name"}));
  const json& evidence = out.userinfo["verified_claims"]["verification"]["evidence"][0];
  EXPECT_EQ(evidence["method"], "pipp");
  EXPECT_FALSE(evidence.contains("document_details")) << evidence.dump();
  auto shown = ClaimsToShow({"openid"}, Claims(request),
                            Terms({"given_name", "urn:idscheme:claims:id_document"}));
  EXPECT_EQ(shown, (std::vector<std::string>{"given_name", "urn:idscheme:claims:id_document"}));
  EXPECT_EQ(ClaimsToShow({"openid"}, Claims(request), Terms({"given_name"})),
            std::vector<std::string>{"given_name"});
}

// OIDC4IDA §5: verified_claims holds only what the verification it carries verified.
TEST(ClaimsReleaseTest, OnlyWhatTheEvidenceVerifiedIsVerifiedClaims) {
  identity::Identity anna = Anna();
  anna.verified_at["family_name"] = anna.evidence.time + 3600;  // changed later, no evidence
  auto out =
      ReleaseClaims(anna, Grant({"openid"},
                                R"({"userinfo":{"verified_claims":{"claims":{"given_name":null,)"
                                R"("family_name":null,"name":null,"updated_at":null}}}})",
                                {"given_name", "family_name", "name", "updated_at"}));
  EXPECT_EQ(out.userinfo["verified_claims"]["claims"], (json{{"given_name", "Anna"}}));
}

// OIDC4IDA §6: constraints on the verification leave an element out when not met.
TEST(ClaimsReleaseTest, VerificationConstraintsAreHeld) {
  auto release = [&](const std::string& verification, int64_t now) {
    ClaimsReleaseOptions options;
    options.now_seconds = now;
    return ReleaseClaims(Anna(),
                         Grant({"openid"},
                               R"({"userinfo":{"verified_claims":{"verification":)" + verification +
                                   R"(,"claims":{"given_name":null}}}})",
                               {"given_name"}),
                         options)
        .userinfo.contains("verified_claims");
  };
  const int64_t t = 1'790'000'000;
  EXPECT_TRUE(release(R"({"trust_framework":{"value":"eidas"}})", t));
  EXPECT_FALSE(release(R"({"trust_framework":{"value":"de_aml"}})", t));
  EXPECT_TRUE(release(R"({"assurance_level":{"values":["high","substantial"]}})", t));
  EXPECT_FALSE(release(R"({"assurance_level":{"values":["high"]}})", t));
  EXPECT_TRUE(release(R"({"time":{"max_age":60}})", t + 60));
  EXPECT_FALSE(release(R"({"time":{"max_age":60}})", t + 61));
}

// OIDC Core §5.5.1: a value asked for in the claims parameter holds for the same claim asked
// for by scope.
TEST(ClaimsReleaseTest, AValueMismatchIsNotBroughtBackByScope) {
  auto out = ReleaseClaims(
      Anna(), Grant({"openid", "profile"}, R"({"userinfo":{"given_name":{"value":"Wrong"}}})",
                    {"given_name", "family_name"}));
  EXPECT_FALSE(out.userinfo.contains("given_name")) << out.userinfo.dump();
  EXPECT_EQ(out.userinfo["family_name"], "Peeters");
}

TEST(ClaimsReleaseTest, VerifiedClaimsArrayAndNothingToRelease) {
  auto out = ReleaseClaims(
      Anna(), Grant({"openid"},
                    R"({"id_token":{"verified_claims":[{"claims":{"given_name":null}},)"
                    R"({"claims":{"birthdate":null}}]}})",
                    {"given_name"}));
  ASSERT_TRUE(out.id_token["verified_claims"].is_array());
  ASSERT_EQ(out.id_token["verified_claims"].size(), 1u);
  EXPECT_EQ(out.id_token["verified_claims"][0]["verification"]["assurance_level"], "substantial");
  out = ReleaseClaims(
      Anna(),
      Grant({"openid"}, R"({"id_token":{"verified_claims":{"claims":{"birthdate":null}}}})", {}));
  EXPECT_FALSE(out.id_token.contains("verified_claims"));
}

}  // namespace
}  // namespace idscheme::oidc
