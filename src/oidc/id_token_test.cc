#include "oidc/id_token.h"

#include <gtest/gtest.h>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/jwk.h"
#include "crypto/jwt.h"
#include "oidc/oidc_test_env.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;
using testenv::kIssuer;
using testenv::kStart;

class IdTokenTest : public ::testing::Test {
 protected:
  IdTokenTest()
      : jwks_(
            oauth::JwksCacheOptions{},
            [](std::string_view) -> Result<oauth::FetchResponse> {
              return Status::Unavailable("no network in tests");
            },
            clock_),
        issuer_(JwtResponseSigner{testenv::SharedSchemeKeys(), jwks_, random_}, clock_,
                IdTokenOptions{kIssuer, 300}) {}

  registry::ClientAuthRecord Client(std::string alg, const json& jwks = nullptr) {
    registry::ClientAuthRecord c;
    c.client_id = "c_" + std::to_string(++clients_);
    c.metadata.id_token_signed_response_alg = std::move(alg);
    c.metadata.token_endpoint_auth_method = "private_key_jwt";
    if (!jwks.is_null()) c.metadata.jwks = jwks;
    return c;
  }

  IdTokenContent Content() {
    IdTokenContent c;
    c.subject = "sub-1";
    c.nonce = "n-0S6_WzA2Mj";
    c.acr = "urn:idscheme:loa:basic";
    c.amr = {"hwk", "pin"};
    c.auth_time = kStart - 5;
    c.person_claims = {{"email", "anna@example.be"}, {"iss", "forged"}};
    return c;
  }

  json Verify(const std::string& token, crypto::SigAlg alg, const std::string& aud) {
    auto set = crypto::JwkSet::Parse(*testenv::SharedSchemeKeys().JwksJson());
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    crypto::JwtVerifyOptions o;
    o.allowed_algs = {alg};
    o.clock = &clock_;
    o.issuer = kIssuer;
    o.audience = aud;
    auto claims = crypto::VerifyJwt(token, crypto::VerifyKeysFrom(*set), o);
    EXPECT_TRUE(claims.ok()) << claims.status().ToString();
    return claims.ok() ? *claims : json();
  }

  FakeClock clock_{kStart};
  SeededRandom random_{3};
  oauth::JwksCache jwks_;
  IdTokenIssuer issuer_;
  int clients_ = 0;
};

TEST_F(IdTokenTest, SignedWithEachSupportedAlg) {
  for (auto alg : SupportedResponseSigningAlgs()) {
    const std::string name(crypto::SigAlgName(alg));
    auto client = Client(name);
    auto token = issuer_.Issue(client, Content());
    ASSERT_TRUE(token.ok()) << name << ": " << token.status().ToString();
    json claims = Verify(*token, alg, client.client_id);
    EXPECT_EQ(claims["iss"], kIssuer) << name;
    EXPECT_EQ(claims["sub"], "sub-1");
    EXPECT_EQ(claims["aud"], client.client_id);
    EXPECT_EQ(claims["iat"], kStart);
    EXPECT_EQ(claims["exp"], kStart + 300);
    EXPECT_EQ(claims["auth_time"], kStart - 5);
    EXPECT_EQ(claims["nonce"], "n-0S6_WzA2Mj");
    EXPECT_EQ(claims["acr"], "urn:idscheme:loa:basic");
    EXPECT_EQ(claims["amr"], (json{"hwk", "pin"}));
    EXPECT_EQ(claims["email"], "anna@example.be");
    EXPECT_FALSE(claims.contains("at_hash"));
    // The header names the scheme key that signed it.
    auto parsed = crypto::ParseJws(*token);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed->header.contains("kid"));
    EXPECT_EQ(parsed->header["alg"], name);
  }
}

TEST_F(IdTokenTest, WithoutNonceNoNonceClaim) {
  auto content = Content();
  content.nonce.reset();
  auto claims = issuer_.Claims(Client("ES256"), content);
  ASSERT_TRUE(claims.ok());
  EXPECT_FALSE(claims->contains("nonce"));
}

// OIDC Core §3.1.3.6: at_hash is the left half of SHA-256 of the access token, base64url.
TEST_F(IdTokenTest, AtHash) {
  const std::string at = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
  const auto digest = crypto::Sha256(at);
  const std::string want = Base64UrlEncode(std::span<const uint8_t>(digest.data(), 16));
  auto content = Content();
  content.access_token = at;
  auto claims = issuer_.Claims(Client("PS256"), content);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["at_hash"], want);
  auto ed = AccessTokenHash(at, crypto::SigAlg::kEdDSA);
  ASSERT_TRUE(ed.ok());
  EXPECT_EQ(ed->size(), 43u);  // 32 bytes of SHA-512
  EXPECT_FALSE(AccessTokenHash(at, crypto::SigAlg::kHS256).ok());
}

TEST_F(IdTokenTest, ProtocolClaimsWinOverPersonClaims) {
  auto claims = issuer_.Claims(Client("ES256"), Content());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["iss"], kIssuer);
}

TEST_F(IdTokenTest, EncryptedToTheClientsKey) {
  struct Case {
    crypto::KeyType type;
    std::string alg, enc;
    crypto::KeyMgmtAlg kma;
    crypto::ContentEnc ce;
  };
  const Case cases[] = {
      {crypto::KeyType::kRsa, "RSA-OAEP-256", "A128CBC-HS256", crypto::KeyMgmtAlg::kRsaOaep256,
       crypto::ContentEnc::kA128CbcHs256},
      {crypto::KeyType::kEcP256, "ECDH-ES", "A256GCM", crypto::KeyMgmtAlg::kEcdhEs,
       crypto::ContentEnc::kA256Gcm},
      {crypto::KeyType::kEcP256, "ECDH-ES+A256KW", "", crypto::KeyMgmtAlg::kEcdhEsA256Kw,
       crypto::ContentEnc::kA128CbcHs256},
  };
  for (const auto& c : cases) {
    auto key = testenv::MakeClientKey(c.type, "enc-1");
    auto client = Client("ES256", key.jwks);
    client.metadata.id_token_encrypted_response_alg = c.alg;
    client.metadata.id_token_encrypted_response_enc = c.enc;
    auto token = issuer_.Issue(client, Content());
    ASSERT_TRUE(token.ok()) << c.alg << ": " << token.status().ToString();
    auto set = crypto::JwkSet::Parse(*testenv::SharedSchemeKeys().JwksJson());
    ASSERT_TRUE(set.ok());
    crypto::JwtVerifyOptions o;
    o.allowed_algs = {crypto::SigAlg::kES256};
    o.clock = &clock_;
    o.issuer = kIssuer;
    o.audience = client.client_id;
    crypto::JweAlgorithms allowed;
    allowed.algs = {c.kma};
    allowed.encs = {c.ce};
    auto claims =
        crypto::DecryptAndVerifyJwt(*token, crypto::DecryptKeysFrom(crypto::JwkSet({key.key})),
                                    allowed, crypto::VerifyKeysFrom(*set), o);
    ASSERT_TRUE(claims.ok()) << c.alg << ": " << claims.status().ToString();
    EXPECT_EQ((*claims)["sub"], "sub-1");
  }
}

TEST_F(IdTokenTest, EncryptionWithoutASuitableKeyFails) {
  auto key = testenv::MakeClientKey(crypto::KeyType::kEcP256, "ec-1");
  auto client = Client("ES256", key.jwks);
  client.metadata.id_token_encrypted_response_alg = "RSA-OAEP-256";
  // The client's to fix (a spec error code, not a server failure).
  EXPECT_EQ(issuer_.Issue(client, Content()).status().oauth_error(), "invalid_request");
  auto no_keys = Client("ES256");
  no_keys.metadata.id_token_encrypted_response_alg = "ECDH-ES";
  EXPECT_FALSE(issuer_.Issue(no_keys, Content()).ok());
}

TEST_F(IdTokenTest, UnsupportedAlgsAreRefused) {
  EXPECT_FALSE(issuer_.Issue(Client("HS256"), Content()).ok());
  EXPECT_FALSE(issuer_.Issue(Client("none"), Content()).ok());
  auto client = Client("ES256");
  client.metadata.id_token_encrypted_response_alg = "RSA1_5";
  EXPECT_FALSE(issuer_.Issue(client, Content()).ok());
}

}  // namespace
}  // namespace idscheme::oidc
