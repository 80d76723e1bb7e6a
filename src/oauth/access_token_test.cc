// Access tokens (JWT per RFC 9068, and opaque) and the bearer check, on both backends with the
// scheme's real keys.
#include "oauth/access_token.h"

#include <gtest/gtest.h>

#include "common/base64url.h"
#include "crypto/jwt.h"
#include "crypto/random.h"
#include "oauth/bearer.h"
#include "oauth/oauth_test_env.h"
#include "oauth/revocation.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using idscheme::testing::Backend;
using namespace testenv;

class AccessTokenTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    OpenStore(GetParam(), &store_);
    if (HasFatalFailure()) return;
    client_ = JwtClient("svc", nullptr);
    ASSERT_TRUE(store_.clients->PutMember(client_.member_id, true, kStart - 100).ok());
    ASSERT_TRUE(store_.clients->PutClient(client_).ok());
    Make(AccessTokenFormat::kJwt);
  }

  void Make(AccessTokenFormat format) {
    AccessTokenOptions o;
    o.issuer = kIssuer;
    o.format = format;
    tokens_ = std::make_unique<AccessTokenService>(*keys_.manager, *store_.db, clock_,
                                                   crypto::SystemRandom(), o);
    bearer_ = std::make_unique<BearerAuthenticator>(*tokens_, *store_.clients, *store_.db);
  }

  IssuedAccessToken Issue(std::string scope = "members:read") {
    AccessTokenRequest r;
    r.subject = client_.client_id;
    r.client_id = client_.client_id;
    r.member_id = client_.member_id;
    r.scope = std::move(scope);
    auto issued = tokens_->Issue(r);
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : IssuedAccessToken{};
  }

  Result<AccessContext> Check(const std::string& authorization, const std::string& target = "/x") {
    http::Request request;
    request.set_method("GET");
    EXPECT_TRUE(request.SetTarget(target).ok());
    if (!authorization.empty()) request.AddHeader("Authorization", authorization);
    return bearer_->Authenticate(request);
  }
  static void ExpectInvalidToken(const Result<AccessContext>& r, std::string_view why) {
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().oauth_error(), "invalid_token") << why << ": " << r.status().ToString();
    EXPECT_EQ(r.status().code(), Status::Code::kUnauthenticated) << why;
  }
  // Signs `claims` with the scheme's active ES256 key under `typ`.
  std::string SignWithSchemeKey(const nlohmann::json& claims, std::string_view typ) {
    auto key = keys_.manager->SigningKey(SigAlg::kES256);
    EXPECT_TRUE(key.ok());
    auto t = crypto::SignJwt(claims, **key, SigAlg::kES256, (*key)->kid(), typ);
    EXPECT_TRUE(t.ok());
    return *t;
  }

  // The claims of a token, decoded without verification (for re-signing them).
  static nlohmann::json ClaimsOf(const std::string& token) {
    const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    return nlohmann::json::parse(*Base64UrlDecodeToString(token.substr(dot1 + 1, dot2 - dot1 - 1)));
  }

  FakeClock clock_{kStart};
  Store store_;
  SchemeKeys& keys_ = SharedSchemeKeys();
  ClientAuthRecord client_;
  std::unique_ptr<AccessTokenService> tokens_;
  std::unique_ptr<BearerAuthenticator> bearer_;
};

TEST_P(AccessTokenTest, JwtFollowsRfc9068AndVerifiesWithThePublishedJwks) {
  auto issued = Issue("members:read members:write");
  EXPECT_EQ(issued.expires_in, 600);
  auto jws = crypto::ParseJws(issued.token);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->typ, "at+jwt");
  EXPECT_EQ(jws->alg, SigAlg::kES256);
  auto es256 = keys_.manager->SigningKey(SigAlg::kES256);
  EXPECT_EQ(jws->kid, (*es256)->kid());

  // What a resource server elsewhere does: verify with the public JWKS only.
  auto set = crypto::JwkSet::Parse(*keys_.manager->JwksJson());
  ASSERT_TRUE(set.ok());
  crypto::JwtVerifyOptions options;
  options.allowed_algs = {SigAlg::kES256};
  options.clock = &clock_;
  options.issuer = kIssuer;
  options.audience = kIssuer;
  options.expected_typ = "at+jwt";
  options.required_claims = {"sub", "client_id", "iat", "jti", "exp"};
  auto claims = crypto::VerifyJwt(issued.token, crypto::VerifyKeysFrom(*set), options);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ((*claims)["sub"], "svc");
  EXPECT_EQ((*claims)["client_id"], "svc");
  EXPECT_EQ((*claims)["aud"], kIssuer);
  EXPECT_EQ((*claims)["scope"], "members:read members:write");
  EXPECT_EQ((*claims)["member_id"], "member-svc");
  EXPECT_EQ((*claims)["iat"], kStart);
  EXPECT_EQ((*claims)["exp"], kStart + 600);
  EXPECT_EQ((*claims)["jti"].get<std::string>().size(), 22u);
}

TEST_P(AccessTokenTest, BearerAcceptsAValidToken) {
  auto issued = Issue("members:read members:write");
  auto ctx = Check("Bearer " + issued.token);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->client_id, "svc");
  EXPECT_EQ(ctx->member_id, "member-svc");
  EXPECT_EQ(ctx->member_role, "service_provider");
  EXPECT_EQ(ctx->scopes, (std::vector<std::string>{"members:read", "members:write"}));
  EXPECT_TRUE(RequireScope(*ctx, "members:write").ok());
  auto missing = RequireScope(*ctx, "admin");
  EXPECT_EQ(missing.oauth_error(), "insufficient_scope");
  EXPECT_EQ(missing.code(), Status::Code::kPermissionDenied);
}

TEST_P(AccessTokenTest, BearerRefusesAnExpiredToken) {
  auto issued = Issue();
  clock_.AdvanceSeconds(600 + 4);
  EXPECT_TRUE(Check("Bearer " + issued.token).ok()) << "within the 5 s leeway";
  clock_.AdvanceSeconds(1);
  ExpectInvalidToken(Check("Bearer " + issued.token), "expired");
}

TEST_P(AccessTokenTest, BearerRefusesTheWrongTyp) {
  const nlohmann::json json = ClaimsOf(Issue().token);
  ExpectInvalidToken(Check("Bearer " + SignWithSchemeKey(json, "JWT")), "typ JWT");
  ExpectInvalidToken(Check("Bearer " + SignWithSchemeKey(json, "")), "no typ");
  EXPECT_TRUE(Check("Bearer " + SignWithSchemeKey(json, "application/at+jwt")).ok());
}

TEST_P(AccessTokenTest, BearerRefusesATamperedToken) {
  const std::string token = Issue("members:read").token;
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  auto payload = ClaimsOf(token);
  payload["scope"] = "members:read admin";
  const std::string forged =
      token.substr(0, dot1 + 1) + Base64UrlEncode(payload.dump()) + token.substr(dot2);
  ExpectInvalidToken(Check("Bearer " + forged), "payload changed");
  std::string flipped = token;
  flipped[dot2 + 3] = flipped[dot2 + 3] == 'A' ? 'B' : 'A';
  ExpectInvalidToken(Check("Bearer " + flipped), "signature changed");
}

TEST_P(AccessTokenTest, BearerRefusesATokenSignedByAnUnknownKey) {
  const nlohmann::json json = ClaimsOf(Issue().token);
  auto stranger = crypto::Key::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(stranger.ok());
  // Unknown kid.
  auto t1 = crypto::SignJwt(json, **stranger, SigAlg::kES256, "unknown-kid", "at+jwt");
  ExpectInvalidToken(Check("Bearer " + *t1), "unknown kid");
  // A known kid, but another key's signature.
  auto es256 = keys_.manager->SigningKey(SigAlg::kES256);
  auto t2 = crypto::SignJwt(json, **stranger, SigAlg::kES256, (*es256)->kid(), "at+jwt");
  ExpectInvalidToken(Check("Bearer " + *t2), "kid of ours, key of another");
  // No kid.
  auto t3 = crypto::SignJwt(json, **es256, SigAlg::kES256, "", "at+jwt");
  ExpectInvalidToken(Check("Bearer " + *t3), "no kid");
  // HS256 keyed with our public key.
  const std::string pub = (*es256)->ToJwk(false)->dump();
  auto secret = crypto::Key::FromOctets(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pub.data()), pub.size()));
  auto t4 = crypto::SignJwt(json, **secret, SigAlg::kHS256, (*es256)->kid(), "at+jwt");
  ExpectInvalidToken(Check("Bearer " + *t4), "HS256");
}

TEST_P(AccessTokenTest, BearerRefusesOtherIssuersAndAudiences) {
  const nlohmann::json claims = ClaimsOf(Issue().token);
  auto c = claims;
  c["iss"] = "https://evil.example";
  ExpectInvalidToken(Check("Bearer " + SignWithSchemeKey(c, "at+jwt")), "issuer");
  c = claims;
  c["aud"] = "https://other-resource.example";
  ExpectInvalidToken(Check("Bearer " + SignWithSchemeKey(c, "at+jwt")), "audience");
  c["aud"] = {"https://other-resource.example", kIssuer};
  EXPECT_TRUE(Check("Bearer " + SignWithSchemeKey(c, "at+jwt")).ok());
}

TEST_P(AccessTokenTest, SuspendingTheMemberEndsItsTokensAtOnce) {
  auto old_token = Issue();
  ASSERT_TRUE(Check("Bearer " + old_token.token).ok());
  clock_.AdvanceSeconds(10);
  ASSERT_TRUE(store_.clients->SetMemberActive(client_.member_id, false, clock_.NowSeconds()).ok());
  ExpectInvalidToken(Check("Bearer " + old_token.token), "member suspended");
  clock_.AdvanceSeconds(10);
  ASSERT_TRUE(store_.clients->SetMemberActive(client_.member_id, true, clock_.NowSeconds()).ok());
  ExpectInvalidToken(Check("Bearer " + old_token.token), "issued before the suspension");
  auto new_token = Issue();
  EXPECT_TRUE(Check("Bearer " + new_token.token).ok()) << "issued after reinstatement";
}

TEST_P(AccessTokenTest, DeactivatedOrDeletedClientEndsItsTokens) {
  auto issued = Issue();
  ASSERT_TRUE(store_.clients->SetClientActive("svc", false).ok());
  ExpectInvalidToken(Check("Bearer " + issued.token), "client inactive");
  ASSERT_TRUE(store_.clients->SetClientActive("svc", true).ok());
  EXPECT_TRUE(Check("Bearer " + issued.token).ok());
  ASSERT_TRUE(store_.db->Exec("DELETE FROM oauth_test_clients").ok());
  ExpectInvalidToken(Check("Bearer " + issued.token), "client gone");
}

TEST_P(AccessTokenTest, RevokedJtiIsRefused) {
  auto issued = Issue();
  ASSERT_TRUE(Check("Bearer " + issued.token).ok());
  ASSERT_TRUE(RevokeAccessToken(*store_.db, issued.claims.jti, "svc", issued.claims.expires_at,
                                clock_.NowSeconds())
                  .ok());
  ASSERT_TRUE(RevokeAccessToken(*store_.db, issued.claims.jti, "svc", issued.claims.expires_at,
                                clock_.NowSeconds())
                  .ok())
      << "revoking twice is fine";
  ExpectInvalidToken(Check("Bearer " + issued.token), "revoked");
  // Purged only once the token is expired anyway.
  ASSERT_TRUE(PurgeExpiredTokens(*store_.db, issued.claims.expires_at).ok());
  EXPECT_TRUE(*IsAccessTokenRevoked(*store_.db, issued.claims.jti));
  ASSERT_TRUE(PurgeExpiredTokens(*store_.db, issued.claims.expires_at + 1).ok());
  EXPECT_FALSE(*IsAccessTokenRevoked(*store_.db, issued.claims.jti));
}

TEST_P(AccessTokenTest, OpaqueTokensAreStoredHashedAndCheckedTheSameWay) {
  Make(AccessTokenFormat::kOpaque);
  auto issued = Issue("members:read");
  EXPECT_EQ(issued.token.find('.'), std::string::npos);
  EXPECT_EQ(issued.token.size(), 43u);
  auto ctx = Check("Bearer " + issued.token);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->member_id, "member-svc");
  EXPECT_TRUE(ctx->HasScope("members:read"));
  auto rows = store_.db->Exec("SELECT claims FROM oauth_access_tokens");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].Text(0).find(issued.token), std::string::npos);

  ExpectInvalidToken(Check("Bearer " + Base64UrlEncode(std::string(32, 'x'))), "unknown");
  ASSERT_TRUE(
      RevokeAccessToken(*store_.db, issued.claims.jti, "svc", issued.claims.expires_at, kStart)
          .ok());
  ExpectInvalidToken(Check("Bearer " + issued.token), "revoked");
  auto second = Issue();
  clock_.AdvanceSeconds(700);
  ExpectInvalidToken(Check("Bearer " + second.token), "expired");
}

TEST_P(AccessTokenTest, BothFormatsStayValidAcrossAConfigurationChange) {
  auto jwt = Issue();
  Make(AccessTokenFormat::kOpaque);
  EXPECT_TRUE(Check("Bearer " + jwt.token).ok());
}

TEST_P(AccessTokenTest, RequestShapes) {
  auto issued = Issue();
  // No credentials: 401 without an error code (RFC 6750 §3.1).
  auto none = Check("");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().oauth_error(), "");
  EXPECT_EQ(none.status().code(), Status::Code::kUnauthenticated);
  auto basic = Check("Basic YTpi");
  EXPECT_EQ(basic.status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(basic.status().oauth_error(), "");
  // A token in the query string is refused even alongside a good header.
  auto q = Check("Bearer " + issued.token, "/x?access_token=" + issued.token);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().oauth_error(), "invalid_request");
  EXPECT_TRUE(Check("Bearer " + issued.token, "/x?page=2").ok());
  // Two Authorization headers.
  http::Request request;
  request.set_method("GET");
  ASSERT_TRUE(request.SetTarget("/x").ok());
  request.AddHeader("Authorization", "Bearer " + issued.token);
  request.AddHeader("Authorization", "Bearer " + issued.token);
  EXPECT_EQ(bearer_->Authenticate(request).status().oauth_error(), "invalid_request");
  ExpectInvalidToken(Check("Bearer not-a-token"), "garbage");
  ExpectInvalidToken(Check("Bearer a.b.c"), "garbage JWT");
}

// RFC 6750 §2.2: a form-encoded body may carry the token instead of the header, never both.
TEST_P(AccessTokenTest, FormBodyTokens) {
  auto issued = Issue("members:read");
  auto post = [this](const std::string& body, const std::string& content_type,
                     const std::string& authorization = "", const std::string& method = "POST") {
    http::Request request;
    request.set_method(method);
    EXPECT_TRUE(request.SetTarget("/x").ok());
    if (!content_type.empty()) request.AddHeader("Content-Type", content_type);
    if (!authorization.empty()) request.AddHeader("Authorization", authorization);
    request.set_body(body);
    return bearer_->Authenticate(request);
  };
  const std::string form = "application/x-www-form-urlencoded";
  auto ok = post("access_token=" + issued.token, form);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->HasScope("members:read"));
  EXPECT_TRUE(post("x=1&access_token=" + issued.token, form + "; charset=utf-8").ok());
  ExpectInvalidToken(post("access_token=not-a-token", form), "garbage in the body");
  // Both ways at once, or twice in the body: invalid_request (RFC 6750 §2).
  EXPECT_EQ(
      post("access_token=" + issued.token, form, "Bearer " + issued.token).status().oauth_error(),
      "invalid_request");
  EXPECT_EQ(post("access_token=" + issued.token + "&access_token=" + issued.token, form)
                .status()
                .oauth_error(),
            "invalid_request");
  EXPECT_EQ(post("access_token=%zz", form).status().oauth_error(), "invalid_request");
  // Only a form body counts: JSON, or no Content-Type, is no credential at all.
  for (const std::string& type : {std::string("application/json"), std::string()}) {
    auto none = post("access_token=" + issued.token, type);
    EXPECT_EQ(none.status().code(), Status::Code::kUnauthenticated) << type;
    EXPECT_EQ(none.status().oauth_error(), "") << type;
  }
  // A form body with other members leaves the header in charge.
  EXPECT_TRUE(post("page=2", form, "Bearer " + issued.token).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, AccessTokenTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oauth
