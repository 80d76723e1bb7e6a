// RFC 7523 client assertion rules, one by one, with a fixed client key.
#include "oauth/client_assertion.h"

#include <gtest/gtest.h>

#include "common/base64url.h"
#include "crypto/jwt.h"
#include "oauth/oauth_test_env.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using namespace testenv;

class ClientAssertionTest : public ::testing::Test {
 protected:
  ClientAssertionTest() {
    key_ = MakeClientKey(crypto::KeyType::kEcP256, "k1");
    policy_.audiences = {kIssuer, kTokenUrl};
  }

  Result<VerifiedClientAssertion> Verify(const std::string& assertion,
                                         std::string_view registered_alg = "") {
    auto parsed = ParseClientAssertion(assertion);
    if (!parsed.ok()) return parsed.status();
    auto resolver = [this](std::string_view kid, SigAlg alg) -> Result<crypto::KeyPtr> {
      auto set = crypto::JwkSet::FromJson(key_.jwks);
      if (!set.ok()) return set.status();
      return set->FindForVerify(kid, alg);
    };
    return VerifyClientAssertion(*parsed, parsed->issuer, AllowedAssertionAlgs(registered_alg),
                                 resolver, policy_, clock_);
  }

  void ExpectRefused(const std::string& assertion, std::string_view why,
                     std::string_view registered_alg = "") {
    auto r = Verify(assertion, registered_alg);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().oauth_error(), "invalid_client") << why << ": " << r.status().ToString();
    EXPECT_EQ(r.status().code(), Status::Code::kUnauthenticated) << why;
  }

  std::string Sign(const nlohmann::json& claims) {
    return SignAssertion(key_, SigAlg::kES256, claims);
  }
  nlohmann::json Claims() { return AssertionClaims("c1", clock_.NowSeconds()); }

  FakeClock clock_{kStart};
  ClientKey key_;
  ClientAssertionPolicy policy_;
};

TEST_F(ClientAssertionTest, AcceptsAGoodAssertion) {
  auto r = Verify(Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->client_id, "c1");
  EXPECT_EQ(r->jti, "jti-1");
  EXPECT_EQ(r->expires_at, kStart + 60);
}

TEST_F(ClientAssertionTest, AudienceMayBeTheIssuerOrTheTokenEndpointOrAnArray) {
  auto c = Claims();
  c["aud"] = kTokenUrl;
  EXPECT_TRUE(Verify(Sign(c)).ok());
  c["aud"] = nlohmann::json::array({"https://other.example", kIssuer});
  EXPECT_TRUE(Verify(Sign(c)).ok());
}

TEST_F(ClientAssertionTest, WrongIssuerOrSubject) {
  auto c = Claims();
  c["sub"] = "c2";
  ExpectRefused(Sign(c), "sub differs from iss");
  c = Claims();
  c.erase("sub");
  ExpectRefused(Sign(c), "no sub");
  c = Claims();
  c.erase("iss");
  ExpectRefused(Sign(c), "no iss");
  c = Claims();
  c["iss"] = 5;
  ExpectRefused(Sign(c), "iss not a string");
  // The caller names the client from iss; a verifier told another client refuses.
  auto parsed = ParseClientAssertion(Sign(Claims()));
  ASSERT_TRUE(parsed.ok());
  auto r = VerifyClientAssertion(*parsed, "c2", AllowedAssertionAlgs(""),
                                 crypto::FixedVerifyKey(key_.key), policy_, clock_);
  EXPECT_FALSE(r.ok());
}

TEST_F(ClientAssertionTest, WrongAudience) {
  auto c = Claims();
  c["aud"] = "https://id.example/other";
  ExpectRefused(Sign(c), "other audience");
  c["aud"] = nlohmann::json::array({"https://elsewhere"});
  ExpectRefused(Sign(c), "array without us");
  c.erase("aud");
  ExpectRefused(Sign(c), "no aud");
  c["aud"] = "https://ID.example";
  ExpectRefused(Sign(c), "aud is compared exactly");
}

TEST_F(ClientAssertionTest, Lifetime) {
  auto c = Claims();
  c["exp"] = kStart - 31;  // beyond the 30 s leeway
  ExpectRefused(Sign(c), "expired");
  c = Claims();
  c.erase("exp");
  ExpectRefused(Sign(c), "no exp");
  c = Claims();
  c["exp"] = kStart + 3600;
  ExpectRefused(Sign(c), "exp too far ahead");
  c["exp"] = kStart + 300;
  EXPECT_TRUE(Verify(Sign(c)).ok()) << "exactly the maximum lifetime";
  c = Claims();
  c["nbf"] = kStart + 120;
  ExpectRefused(Sign(c), "not yet valid");
  c = Claims();
  c["iat"] = kStart + 120;
  ExpectRefused(Sign(c), "issued in the future");
  c = Claims();
  c["iat"] = kStart + 10;  // within the leeway
  EXPECT_TRUE(Verify(Sign(c)).ok());
  c = Claims();
  c["exp"] = "soon";
  ExpectRefused(Sign(c), "exp not a number");
}

TEST_F(ClientAssertionTest, JtiRequired) {
  auto c = Claims();
  c.erase("jti");
  ExpectRefused(Sign(c), "no jti");
  c["jti"] = "";
  ExpectRefused(Sign(c), "empty jti");
  c["jti"] = 7;
  ExpectRefused(Sign(c), "jti not a string");
  c["jti"] = std::string(300, 'j');
  ExpectRefused(Sign(c), "jti too long");
}

// RFC 8725 §3.11-3.12: a request object (which passes through browsers) or another kind of JWT
// signed by the client's key never authenticates the client.
TEST_F(ClientAssertionTest, OnlyAssertionsPassAsAssertions) {
  auto typed = [&](const char* typ, const nlohmann::json& claims) {
    nlohmann::json header = {{"alg", "ES256"}, {"kid", key_.kid}, {"typ", typ}};
    auto jws = crypto::SignJws(header, claims.dump(), *key_.key);
    EXPECT_TRUE(jws.ok());
    return jws.ok() ? *jws : std::string();
  };
  EXPECT_TRUE(Verify(typed("JWT", Claims())).ok());
  EXPECT_TRUE(Verify(typed("client-authentication+jwt", Claims())).ok());
  EXPECT_TRUE(Verify(typed("application/client-authentication+jwt", Claims())).ok());
  ExpectRefused(typed("oauth-authz-req+jwt", Claims()), "a typed request object");
  ExpectRefused(typed("dpop+jwt", Claims()), "a DPoP proof");
  ExpectRefused(typed("at+jwt", Claims()), "an access token");
  // An untyped request object, with iss = sub = the client and the server as aud.
  auto request = Claims();
  request["response_type"] = "code";
  request["client_id"] = "c1";
  ExpectRefused(Sign(request), "an untyped request object");
  request.erase("response_type");
  request["redirect_uri"] = "https://rp.example/cb";
  ExpectRefused(Sign(request), "an untyped request object without response_type");
}

TEST_F(ClientAssertionTest, AlgNoneIsRefused) {
  const std::string header = Base64UrlEncode(std::string(R"({"alg":"none"})"));
  const std::string payload = Base64UrlEncode(Claims().dump());
  ExpectRefused(header + "." + payload + ".", "alg none");
  ExpectRefused(header + "." + payload + ".AAAA", "alg none with a signature");
}

TEST_F(ClientAssertionTest, HmacWithThePublicKeyAsSecretIsRefused) {
  // The classic confusion: HS256 keyed with the bytes of the client's public key.
  for (const std::string& public_bytes :
       {key_.jwks["keys"][0].dump(), *key_.key->ToPem(/*include_private=*/false)}) {
    auto secret = crypto::Key::FromOctets(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(public_bytes.data()), public_bytes.size()));
    ASSERT_TRUE(secret.ok());
    auto jws = crypto::SignJws({{"alg", "HS256"}, {"kid", "k1"}}, Claims().dump(), **secret);
    ASSERT_TRUE(jws.ok());
    ExpectRefused(*jws, "HS256");
    ExpectRefused(*jws, "HS256 even when registered", "HS256");
  }
  EXPECT_TRUE(AllowedAssertionAlgs("HS256").empty());
  EXPECT_TRUE(AllowedAssertionAlgs("none").empty());
}

TEST_F(ClientAssertionTest, Rs256OnlyWhenRegistered) {
  key_ = MakeClientKey(crypto::KeyType::kRsa, "r1");
  auto rs = SignAssertion(key_, SigAlg::kRS256, Claims());
  ExpectRefused(rs, "RS256 not registered");
  EXPECT_TRUE(Verify(rs, "RS256").ok());
  auto ps = SignAssertion(key_, SigAlg::kPS256, Claims());
  EXPECT_TRUE(Verify(ps).ok()) << "PS256 is in the default set";
  ExpectRefused(ps, "a registered alg is the only one", "RS256");
}

TEST_F(ClientAssertionTest, EdDsaAccepted) {
  key_ = MakeClientKey(crypto::KeyType::kEd25519, "e1");
  EXPECT_TRUE(Verify(SignAssertion(key_, SigAlg::kEdDSA, Claims())).ok());
}

TEST_F(ClientAssertionTest, SignatureByAnotherKeyIsRefused) {
  ClientKey other = MakeClientKey(crypto::KeyType::kEcP256, "k1");
  ExpectRefused(SignAssertion(other, SigAlg::kES256, Claims()), "wrong key, same kid");
  std::string good = Sign(Claims());
  good[good.size() - 5] = good[good.size() - 5] == 'A' ? 'B' : 'A';
  ExpectRefused(good, "tampered signature");
}

TEST_F(ClientAssertionTest, UnknownKidIsRefused) {
  ClientKey other = MakeClientKey(crypto::KeyType::kEcP256, "k2");
  ExpectRefused(SignAssertion(other, SigAlg::kES256, Claims()), "unknown kid");
}

TEST_F(ClientAssertionTest, MalformedInputIsInvalidClient) {
  for (std::string bad : {std::string(""), std::string("abc"), std::string("a.b.c"),
                          std::string(20000, 'a'), Sign(Claims()) + ".x"}) {
    auto r = ParseClientAssertion(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().oauth_error(), "invalid_client");
  }
  // Claims that are not a JSON object.
  auto jws = crypto::SignJws({{"alg", "ES256"}, {"kid", "k1"}}, "[1,2]", *key_.key);
  ASSERT_TRUE(jws.ok());
  EXPECT_FALSE(ParseClientAssertion(*jws).ok());
}

}  // namespace
}  // namespace idscheme::oauth
