// DPoP proofs (RFC 9449 §4): every refusal of the §4.3 checklist one by one, the replay rule on
// the store (one pool and two), and the pieces grants and resources use, on both backends.
#include "oauth/dpop.h"

#include <gtest/gtest.h>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "oauth/oauth_test_env.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using idscheme::testing::Backend;
using json = nlohmann::json;
using namespace testenv;

constexpr char kHtu[] = "https://id.example/token";

class DpopTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    OpenStore(GetParam(), &store_);
    if (HasFatalFailure()) return;
    verifier_ = std::make_unique<DpopVerifier>(*store_.db, clock_);
    key_ = MakeClientKey(crypto::KeyType::kEcP256, "dpop");
  }

  static json PublicJwk(const crypto::Key& key) { return *key.ToJwk(/*include_private=*/false); }
  json Header(const crypto::Key& key, std::string_view alg = "ES256") const {
    return {{"typ", "dpop+jwt"}, {"alg", alg}, {"jwk", PublicJwk(key)}};
  }
  json Claims(const std::string& jti = "p-1") const {
    return {{"jti", jti}, {"htm", "POST"}, {"htu", kHtu}, {"iat", clock_.NowSeconds()}};
  }
  static std::string Sign(const json& header, const json& claims, const crypto::Key& key) {
    auto jws = crypto::SignJws(header, claims.dump(), key);
    EXPECT_TRUE(jws.ok()) << jws.status().ToString();
    return jws.ok() ? *jws : "";
  }
  std::string Proof(const json& claims) const { return Sign(Header(*key_.key), claims, *key_.key); }
  std::string Proof() const { return Proof(Claims()); }

  Result<DpopProof> Verify(const std::string& proof,
                           std::optional<std::string_view> token = std::nullopt) {
    return verifier_->Verify(proof, DpopBinding{"POST", kHtu, token});
  }
  void ExpectRefused(const std::string& proof, std::string_view why,
                     std::optional<std::string_view> token = std::nullopt) {
    auto r = Verify(proof, token);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().oauth_error(), "invalid_dpop_proof") << why;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << why;
  }

  FakeClock clock_{kStart};
  Store store_;
  std::unique_ptr<DpopVerifier> verifier_;
  ClientKey key_;
};

TEST_P(DpopTest, AGoodProofGivesTheKeysThumbprint) {
  auto r = Verify(Proof());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->jkt, key_.key->Rfc7638Thumbprint());
  EXPECT_EQ(r->jti, "p-1");
  EXPECT_EQ(r->issued_at, kStart);
  EXPECT_FALSE(r->key->IsPrivate());
}

TEST_P(DpopTest, EveryAllowedAlgorithmVerifies) {
  struct Case {
    crypto::KeyType type;
    const char* alg;
  };
  for (const Case& c : {Case{crypto::KeyType::kRsa, "PS256"}, Case{crypto::KeyType::kRsa, "RS256"},
                        Case{crypto::KeyType::kEd25519, "EdDSA"}}) {
    auto key = c.type == crypto::KeyType::kRsa ? *crypto::Key::GenerateRsa(2048)
                                               : *crypto::Key::Generate(c.type);
    auto r = Verify(Sign(Header(*key, c.alg), Claims(std::string("alg-") + c.alg), *key));
    ASSERT_TRUE(r.ok()) << c.alg << ": " << r.status().ToString();
    EXPECT_EQ(r->jkt, key->Rfc7638Thumbprint());
  }
  EXPECT_EQ(verifier_->AlgsValue(), "ES256 PS256 RS256 EdDSA");
}

// RFC 9449 §4.3, item by item.
TEST_P(DpopTest, Item1MoreThanOneDpopHeaderIsRefused) {
  http::Request request;
  request.set_method("POST");
  ASSERT_TRUE(request.SetTarget("/token").ok());
  auto none = verifier_->VerifyRequest(request, DpopBinding{"POST", kHtu});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "no header: no proof, and no error";
  request.AddHeader("DPoP", Proof(Claims("h1")));
  request.AddHeader("DPoP", Proof(Claims("h2")));
  auto r = verifier_->VerifyRequest(request, DpopBinding{"POST", kHtu});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().oauth_error(), "invalid_dpop_proof");
}

TEST_P(DpopTest, Item2OnlyASingleWellFormedJwt) {
  const std::string good = Proof();
  ExpectRefused("", "empty");
  ExpectRefused("not-a-jwt", "one segment");
  ExpectRefused(good.substr(0, good.rfind('.')), "two segments");
  ExpectRefused(good + ".x", "four segments");
  ExpectRefused(good + " " + good, "two JWTs");
  ExpectRefused(good + "=", "padding");
  ExpectRefused(std::string(9000, 'a') + "." + good, "too large");
}

TEST_P(DpopTest, Item3EveryRequiredClaim) {
  for (const char* name : {"jti", "htm", "htu", "iat"}) {
    json c = Claims();
    c.erase(name);
    ExpectRefused(Proof(c), std::string(name) + " missing");
  }
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, json>>{{"jti", 7},
                                                 {"jti", ""},
                                                 {"htm", json::array({"POST"})},
                                                 {"htu", nullptr},
                                                 {"iat", "1800000000"},
                                                 {"iat", 1800000000.5}}) {
    json c = Claims();
    c[name] = value;
    ExpectRefused(Proof(c), name + " = " + value.dump());
  }
  json c = Claims();
  c["jti"] = std::string(300, 'j');
  ExpectRefused(Proof(c), "jti too long");
  ExpectRefused(Sign(Header(*key_.key), json::array({1}), *key_.key), "claims not an object");
}

TEST_P(DpopTest, Item4TypIsDpopJwt) {
  json h = Header(*key_.key);
  h.erase("typ");
  ExpectRefused(Sign(h, Claims(), *key_.key), "typ missing");
  for (const char* typ : {"JWT", "at+jwt", "dpop", "jwt+dpop"}) {
    h["typ"] = typ;
    ExpectRefused(Sign(h, Claims(), *key_.key), typ);
  }
  h["typ"] = "application/dpop+jwt";  // RFC 7515 §4.1.9: the same media type
  EXPECT_TRUE(Verify(Sign(h, Claims(), *key_.key)).ok());
}

TEST_P(DpopTest, Item5AlgAsymmetricAndAllowed) {
  // alg none: no signature at all.
  json h = Header(*key_.key, "none");
  const std::string unsigned_jwt =
      Base64UrlEncode(h.dump()) + "." + Base64UrlEncode(Claims().dump()) + ".";
  ExpectRefused(unsigned_jwt, "alg none");
  // HS256 with a symmetric jwk (the key travels in the proof: anyone could sign).
  auto secret = *crypto::Key::GenerateOct(32);
  json hs = {{"typ", "dpop+jwt"}, {"alg", "HS256"}, {"jwk", *secret->ToJwk(true)}};
  ExpectRefused(Sign(hs, Claims(), *secret), "HS256");
  // HS256 keyed with the public key's bytes (the classic confusion), with an EC jwk.
  hs["jwk"] = PublicJwk(*key_.key);
  ExpectRefused(Sign(hs, Claims(), *secret), "HS256 with a public jwk");
  // Asymmetric but not allowed by policy.
  auto p384 = *crypto::Key::Generate(crypto::KeyType::kEcP384);
  ExpectRefused(Sign(Header(*p384, "ES384"), Claims(), *p384), "ES384 not in the list");
  DpopOptions narrow;
  narrow.allowed_algs = {SigAlg::kPS256, SigAlg::kHS256};
  DpopVerifier strict(*store_.db, clock_, narrow);
  auto r = strict.Verify(Proof(), DpopBinding{"POST", kHtu});
  EXPECT_EQ(r.status().oauth_error(), "invalid_dpop_proof") << "ES256 not in the narrowed list";
  EXPECT_EQ(strict.AlgsValue(), "PS256") << "HS256 is dropped from any list";
}

TEST_P(DpopTest, Item6SignatureByTheJwksKey) {
  auto other = MakeClientKey(crypto::KeyType::kEcP256, "other");
  ExpectRefused(Sign(Header(*key_.key), Claims(), *other.key), "signed by another key");
  json h = Header(*key_.key);
  h.erase("jwk");
  ExpectRefused(Sign(h, Claims(), *key_.key), "jwk missing");
  h["jwk"] = "not-an-object";
  ExpectRefused(Sign(h, Claims(), *key_.key), "jwk not an object");
  h["jwk"] = PublicJwk(*key_.key);
  h["jwk"]["x"] = PublicJwk(*other.key)["x"];
  ExpectRefused(Sign(h, Claims(), *key_.key), "jwk point not on the curve / not the signer");
  // A flipped signature byte.
  std::string proof = Proof();
  proof.back() = proof.back() == 'A' ? 'B' : 'A';
  ExpectRefused(proof, "signature altered");
}

TEST_P(DpopTest, Item7JwkMustNotHoldAPrivateKey) {
  json h = Header(*key_.key);
  h["jwk"] = *key_.key->ToJwk(/*include_private=*/true);
  ASSERT_TRUE(h["jwk"].contains("d"));
  ExpectRefused(Sign(h, Claims(), *key_.key), "private jwk");
}

TEST_P(DpopTest, Item8HtmIsTheRequestMethod) {
  json c = Claims();
  for (const char* method : {"GET", "post", "PUT"}) {
    c["htm"] = method;
    c["jti"] = std::string("m-") + method;
    ExpectRefused(Proof(c), method);
  }
}

TEST_P(DpopTest, Item9HtuIsTheRequestUriNormalisedWithoutQueryOrFragment) {
  int n = 0;
  for (const char* htu : {"https://id.example/token?x=1", "https://id.example/token#f",
                          "HTTPS://ID.Example:443/token", "https://id.example/%74oken"}) {
    json c = Claims("u-" + std::to_string(n++));
    c["htu"] = htu;
    auto r = Verify(Proof(c));
    EXPECT_TRUE(r.ok()) << htu << ": " << r.status().ToString();
  }
  for (const char* htu :
       {"https://id.example/token/", "https://id.example/TOKEN", "https://id.example:8443/token",
        "http://id.example/token", "https://evil.example/token", "https://id.example.evil/token",
        "https://user@id.example/token", "/token", "id.example/token", "https://id.example/to ken",
        "https://id.example/%zz"}) {
    json c = Claims("u-" + std::to_string(n++));
    c["htu"] = htu;
    ExpectRefused(Proof(c), htu);
  }
}

TEST_P(DpopTest, Item11IatWithinTheWindow) {
  json c = Claims("old");
  c["iat"] = kStart - 61;
  ExpectRefused(Proof(c), "61 s old");
  c["iat"] = kStart + 61;
  c["jti"] = "future";
  ExpectRefused(Proof(c), "61 s ahead");
  c["iat"] = kStart - 60;
  c["jti"] = "edge-past";
  EXPECT_TRUE(Verify(Proof(c)).ok());
  c["iat"] = kStart + 60;
  c["jti"] = "edge-future";
  EXPECT_TRUE(Verify(Proof(c)).ok());

  DpopOptions wide;
  wide.iat_window_seconds = 300;
  DpopVerifier lenient(*store_.db, clock_, wide);
  c["iat"] = kStart - 299;
  c["jti"] = "wide";
  EXPECT_TRUE(lenient.Verify(Proof(c), DpopBinding{"POST", kHtu}).ok());
}

TEST_P(DpopTest, Item12AthHashesThePresentedAccessToken) {
  const std::string token = "an-access-token";
  json c = Claims("ath-missing");
  ExpectRefused(Proof(c), "no ath", token);
  c["ath"] = DpopAccessTokenHash("another-token");
  c["jti"] = "ath-wrong";
  ExpectRefused(Proof(c), "ath of another token", token);
  c["ath"] = 5;
  c["jti"] = "ath-number";
  ExpectRefused(Proof(c), "ath not a string", token);
  c["ath"] = DpopAccessTokenHash(token);
  c["jti"] = "ath-good";
  EXPECT_TRUE(Verify(Proof(c), token).ok());
}

TEST_P(DpopTest, AthKnownAnswerFromRfc9449) {
  // RFC 9449 §7.1, the example access token and the ath of the proof sent with it.
  EXPECT_EQ(DpopAccessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
}

TEST_P(DpopTest, AJtiIsAcceptedOnce) {
  const std::string proof = Proof();
  ASSERT_TRUE(Verify(proof).ok());
  ExpectRefused(proof, "replayed");
  // The same jti in a fresh proof by the same key: still a replay.
  clock_.AdvanceSeconds(1);
  ExpectRefused(Proof(Claims("p-1")), "same jti, new iat");
  // Another key may use the same jti (each key is its own namespace).
  auto other = MakeClientKey(crypto::KeyType::kEcP256, "other");
  EXPECT_TRUE(Verify(Sign(Header(*other.key), Claims("p-1"), *other.key)).ok());
  // A refused proof does not use its jti up.
  json bad = Claims("unused");
  bad["htm"] = "GET";
  ExpectRefused(Proof(bad), "wrong method");
  EXPECT_TRUE(Verify(Proof(Claims("unused"))).ok());
}

TEST_P(DpopTest, AReplayIsRefusedByAnotherNode) {
  // A second connection pool on the same database: another node.
  auto other_db = OpenAgain(store_.url);
  ASSERT_NE(other_db, nullptr);
  DpopVerifier other(*other_db, clock_);
  const std::string proof = Proof(Claims("cross-node"));
  ASSERT_TRUE(other.Verify(proof, DpopBinding{"POST", kHtu}).ok());
  ExpectRefused(proof, "replayed on the first node");
  auto again = other.Verify(proof, DpopBinding{"POST", kHtu});
  EXPECT_EQ(again.status().oauth_error(), "invalid_dpop_proof");
}

TEST_P(DpopTest, GrantHelpersBindTokensAndCheckDpopJkt) {
  http::Request http_request;
  http::FormParams params;
  AuthenticatedClient client{JwtClient("c", nullptr), ClientAuthMethod::kPrivateKeyJwt};
  TokenRequest request{http_request, params, "client_credentials", client};
  AccessTokenRequest token;
  TokenResponse response;
  BindToDpopKey(request, &token, &response);
  EXPECT_EQ(response.token_type, "Bearer");
  EXPECT_FALSE(token.extra.contains("cnf"));
  EXPECT_TRUE(CheckDpopJktBinding(std::nullopt, request).ok());
  EXPECT_EQ(CheckDpopJktBinding("jkt-1", request).oauth_error(), "invalid_grant");

  request.dpop_jkt = "jkt-1";
  BindToDpopKey(request, &token, &response);
  EXPECT_EQ(response.token_type, "DPoP");
  EXPECT_EQ(token.extra["cnf"], json({{"jkt", "jkt-1"}}));
  EXPECT_EQ(DpopConfirmation(token.extra), "jkt-1");
  EXPECT_TRUE(CheckDpopJktBinding("jkt-1", request).ok());
  EXPECT_EQ(CheckDpopJktBinding("jkt-2", request).oauth_error(), "invalid_grant");
  EXPECT_EQ(DpopConfirmation(json({{"cnf", {{"x5t#S256", "a"}}}})), std::nullopt);
}

TEST(DpopHtu, Normalisation) {
  EXPECT_EQ(*NormalizeHtu("HTTPS://Id.Example:443"), "https://id.example/");
  EXPECT_EQ(*NormalizeHtu("http://id.example:80/a?b#c"), "http://id.example/a");
  EXPECT_EQ(*NormalizeHtu("https://id.example:8443/a%2fb%7e"), "https://id.example:8443/a%2Fb~");
  EXPECT_EQ(*NormalizeHtu("https://[::1]:443/x"), "https://[::1]/x");
  EXPECT_EQ(*NormalizeHtu("https://[::1]:9/x"), "https://[::1]:9/x");
  EXPECT_EQ(*NormalizeHtu("https://id.example:/x"), "https://id.example/x");
  for (const char* bad : {"", "//id.example/x", "ftp://id.example/x", "https:///x",
                          "https://id.example:99999/x", "https://id.example:8a/x",
                          "https://id.example/%4", "https://id.example/\x7f", "https://a@b/",
                          // a colon in the host outside an IP-literal (found by fuzz_dpop)
                          "https://Id.Example:8443https://Id.Eq", "https://a:b:/x",
                          "https://[::1/x", "https://[::1]x/"})
    EXPECT_FALSE(NormalizeHtu(bad).ok()) << bad;
}

TEST(DpopResourceErrors, DpopCallersGetADpopChallengeWithAlgs) {
  http::Request request;
  request.set_method("GET");
  ASSERT_TRUE(request.SetTarget("/r").ok());
  const std::string algs = "ES256 PS256";
  auto bearer = ResourceErrorResponse(
      request, Status::OAuth("invalid_token", "x", Status::Code::kUnauthenticated), algs);
  EXPECT_EQ(bearer.status(), 401);
  EXPECT_EQ(*bearer.GetHeader("WWW-Authenticate"),
            "Bearer error=\"invalid_token\", error_description=\"x\"");

  auto proof = ResourceErrorResponse(
      request, Status::OAuth("invalid_dpop_proof", "bad", Status::Code::kUnauthenticated), algs);
  EXPECT_EQ(proof.status(), 401);
  EXPECT_EQ(*proof.GetHeader("WWW-Authenticate"),
            "DPoP error=\"invalid_dpop_proof\", error_description=\"bad\", algs=\"ES256 PS256\"");

  request.AddHeader("Authorization", "DPoP abc");
  auto token = ResourceErrorResponse(
      request, Status::OAuth("invalid_token", "gone", Status::Code::kUnauthenticated), algs);
  EXPECT_EQ(*token.GetHeader("WWW-Authenticate"),
            "DPoP error=\"invalid_token\", error_description=\"gone\", algs=\"ES256 PS256\"");
  auto scope = ResourceErrorResponse(
      request, Status::OAuth("insufficient_scope", "s", Status::Code::kPermissionDenied), algs);
  EXPECT_EQ(scope.status(), 403);
  EXPECT_EQ(scope.GetHeader("WWW-Authenticate")->rfind("DPoP error=\"insufficient_scope\"", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DpopTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oauth
