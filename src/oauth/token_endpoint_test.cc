// The token endpoint end to end: a real HTTP server on port 0 (two, for the replay race), the
// scheme's keys, the test client directory, on both backends.
#include "oauth/token_endpoint.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "crypto/jwt.h"
#include "crypto/random.h"
#include "http/form.h"
#include "oauth/basic_auth.h"
#include "oauth/dpop.h"
#include "oauth/oauth_context.h"
#include "oauth/oauth_test_env.h"
#include "testing/http_client.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using idscheme::testing::Backend;
using idscheme::testing::HttpReply;
using namespace testenv;

constexpr char kForm[] = "application/x-www-form-urlencoded";

// One node: the OAuth context over a store, its routes (and /jwks) on a server on port 0.
struct TestNode {
  std::unique_ptr<store::Database> own_db;  // set for a second node on the same database
  std::unique_ptr<testing::TableClientDirectory> own_clients;
  std::unique_ptr<OAuthContext> oauth;
  std::unique_ptr<http::Server> server;
  uint16_t port() const { return server->port(); }
};

class TokenEndpointTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    OpenStore(GetParam(), &store_);
    if (HasFatalFailure()) return;
    StartNode(*store_.db, *store_.clients, &node_);
    if (HasFatalFailure()) return;
    key_ = MakeClientKey(crypto::KeyType::kEcP256, "k1");
    Put(JwtClient("jwt-client", key_.jwks));
    Put(SecretClient("basic-client", "s3cret", kAuthClientSecretBasic));
    auto no_grant = SecretClient("code-only", "s3cret", kAuthClientSecretBasic);
    no_grant.grant_types = {"authorization_code"};
    Put(no_grant);
    // Registered for person scopes too (a client that also logs people in).
    auto web = SecretClient("web-client", "s3cret", kAuthClientSecretBasic);
    web.scopes = {"openid", "profile", "email", "phone", "offline_access", "members:read"};
    Put(web);
  }

  void StartNode(store::Database& db, ClientDirectory& clients, TestNode* node) {
    OAuthConfig config;
    config.issuer = kIssuer;
    config.jwks_allow_loopback_http = true;
    auto ctx = OAuthContext::Create(
        OAuthDeps{db, *keys_.manager, clock_, crypto::SystemRandom(), clients}, config);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    node->oauth = std::move(ctx).value();
    http::Router router;
    AddTokenRoutes(router, *node->oauth);
    keys::KeyManager* km = keys_.manager.get();
    router.Add("GET", "/jwks", "jwks",
               [km](http::Request&) { return http::Response::JsonText(200, *km->JwksJson()); });
    http::ServerOptions options;
    options.worker_threads = 2;
    options.access_log = false;
    node->server = std::make_unique<http::Server>(options, std::move(router));
    Status s = node->server->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Put(const ClientAuthRecord& r) {
    ASSERT_TRUE(store_.clients->PutMember(r.member_id, true, r.member_status_changed_at).ok());
    ASSERT_TRUE(store_.clients->PutClient(r).ok());
  }

  static std::string Form(const std::vector<std::pair<std::string, std::string>>& params) {
    std::string out;
    for (const auto& [k, v] : params) {
      if (!out.empty()) out += '&';
      out += http::PercentEncode(k) + "=" + http::PercentEncode(v);
    }
    return out;
  }
  std::string Assertion(const std::string& jti, const nlohmann::json& aud = kIssuer) {
    return SignAssertion(key_, SigAlg::kES256,
                         AssertionClaims("jwt-client", clock_.NowSeconds(), jti, aud));
  }
  std::string JwtBody(const std::string& assertion, const std::string& scope = "") {
    std::vector<std::pair<std::string, std::string>> p = {
        {"grant_type", "client_credentials"},
        {"client_assertion_type", std::string(kJwtBearerAssertionType)},
        {"client_assertion", assertion}};
    if (!scope.empty()) p.emplace_back("scope", scope);
    return Form(p);
  }
  HttpReply PostToken(uint16_t port, const std::string& body,
                      const std::map<std::string, std::string>& headers = {}) {
    return idscheme::testing::Post(port, "/token", kForm, body, headers);
  }
  HttpReply Basic(const std::string& body, const std::string& client = "basic-client",
                  const std::string& secret = "s3cret") {
    return PostToken(node_.port(), body,
                     {{"Authorization", EncodeBasicAuthorization(client, secret)}});
  }
  static void ExpectError(const HttpReply& r, int status, std::string_view error) {
    EXPECT_EQ(r.status, status) << r.raw;
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.raw;
    EXPECT_EQ(body.value("error", ""), error) << r.raw;
    EXPECT_EQ(r.headers.count("cache-control") ? r.headers.at("cache-control") : "", "no-store");
  }

  FakeClock clock_{kStart};
  Store store_;
  SchemeKeys& keys_ = SharedSchemeKeys();
  TestNode node_;
  ClientKey key_;
};

TEST_P(TokenEndpointTest, ClientCredentialsWithPrivateKeyJwtReturnsAVerifiableJwt) {
  auto r = PostToken(node_.port(), JwtBody(Assertion("a1"), "members:read members:write"));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["cache-control"], "no-store");
  EXPECT_EQ(r.headers["pragma"], "no-cache");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 600);
  EXPECT_EQ(body["scope"], "members:read members:write");
  const std::string token = body["access_token"];

  // Verify it as a resource server would: with the keys published at /jwks.
  auto jwks = idscheme::testing::Get(node_.port(), "/jwks");
  ASSERT_EQ(jwks.status, 200);
  auto set = crypto::JwkSet::Parse(jwks.body);
  ASSERT_TRUE(set.ok());
  crypto::JwtVerifyOptions options;
  options.allowed_algs = {SigAlg::kES256};
  options.clock = &clock_;
  options.issuer = kIssuer;
  options.audience = kIssuer;
  options.expected_typ = "at+jwt";
  auto claims = crypto::VerifyJwt(token, crypto::VerifyKeysFrom(*set), options);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ((*claims)["sub"], "jwt-client");
  EXPECT_EQ((*claims)["client_id"], "jwt-client");
  EXPECT_EQ((*claims)["member_id"], "member-jwt-client");

  auto ctx = node_.oauth->bearer().AuthenticateToken(token);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->client_id, "jwt-client");
}

TEST_P(TokenEndpointTest, AssertionAudienceMayBeTheTokenEndpoint) {
  auto r = PostToken(node_.port(), JwtBody(Assertion("a2", kTokenUrl)));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_FALSE(nlohmann::json::parse(r.body).contains("scope")) << "none asked, none granted";
}

TEST_P(TokenEndpointTest, ClientKeysFromAJwksUriOnALocalServer) {
  JwksServer jwks;
  jwks.Set(key_.jwks.dump(), "max-age=300");
  Put(JwtClient("uri-client", nullptr, jwks.url()));
  auto assertion =
      SignAssertion(key_, SigAlg::kES256, AssertionClaims("uri-client", clock_.NowSeconds(), "u1"));
  auto r = PostToken(node_.port(), JwtBody(assertion));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(jwks.hits(), 1);
}

TEST_P(TokenEndpointTest, ClientSecretBasic) {
  auto r = Basic("grant_type=client_credentials&scope=members%3Aread");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(nlohmann::json::parse(r.body)["scope"], "members:read");
}

TEST_P(TokenEndpointTest, ErrorsCarryTheirCodesAndStatuses) {
  // RFC 6749 §5.2, one by one.
  ExpectError(Basic("grant_type=client_credentials", "basic-client", "nope"), 401,
              "invalid_client");
  auto wrong_secret = Basic("grant_type=client_credentials", "basic-client", "nope");
  EXPECT_EQ(wrong_secret.headers["www-authenticate"].rfind("Basic", 0), 0u) << wrong_secret.raw;
  ExpectError(Basic("grant_type=client_credentials", "nobody"), 401, "invalid_client");
  ExpectError(Basic("scope=members%3Aread"), 400, "invalid_request");  // no grant_type
  ExpectError(Basic("grant_type=password&username=a&password=b"), 400, "unsupported_grant_type");
  ExpectError(Basic("grant_type=client_credentials", "code-only"), 400, "unauthorized_client");
  ExpectError(Basic("grant_type=client_credentials&scope=admin"), 400, "invalid_scope");
  // RFC 6749 §3.3, §4.4: the OpenID Connect scopes are about a person, and this grant has none,
  // even for a client registered for them.
  for (const char* scope :
       {"openid", "openid+email", "profile", "offline_access", "members%3Aread+phone"}) {
    SCOPED_TRACE(scope);
    ExpectError(Basic(std::string("grant_type=client_credentials&scope=") + scope, "web-client"),
                400, "invalid_scope");
  }
  EXPECT_EQ(Basic("grant_type=client_credentials&scope=members%3Aread", "web-client").status, 200);
  ExpectError(Basic("grant_type=client_credentials&scope=members%3Aread++members%3Awrite"), 400,
              "invalid_scope");
  ExpectError(Basic("grant_type=client_credentials&grant_type=client_credentials"), 400,
              "invalid_request");  // RFC 6749 §3.1: no parameter twice
  ExpectError(Basic("grant_type=client_credentials&client_secret=s3cret"), 400,
              "invalid_request");  // two methods
  ExpectError(PostToken(node_.port(), "grant_type=client_credentials"), 401, "invalid_client");
  ExpectError(Basic("grant_type=%ZZ"), 400, "invalid_request");
  auto json = idscheme::testing::Post(
      node_.port(), "/token", "application/json", R"({"grant_type":"client_credentials"})",
      {{"Authorization", EncodeBasicAuthorization("basic-client", "s3cret")}});
  ExpectError(json, 400, "invalid_request");
  EXPECT_EQ(idscheme::testing::Get(node_.port(), "/token").status, 405);
}

TEST_P(TokenEndpointTest, ReplayedAssertionIsRefused) {
  const std::string body = JwtBody(Assertion("replay"));
  ASSERT_EQ(PostToken(node_.port(), body).status, 200);
  ExpectError(PostToken(node_.port(), body), 401, "invalid_client");
}

TEST_P(TokenEndpointTest, SuspendedMemberGetsNoTokenAndLosesTheOnesItHas) {
  auto r = PostToken(node_.port(), JwtBody(Assertion("s1")));
  ASSERT_EQ(r.status, 200);
  const std::string token = nlohmann::json::parse(r.body)["access_token"];
  ASSERT_TRUE(node_.oauth->bearer().AuthenticateToken(token).ok());
  ASSERT_TRUE(store_.clients->SetMemberActive("member-jwt-client", false, kStart).ok());
  ExpectError(PostToken(node_.port(), JwtBody(Assertion("s2"))), 401, "invalid_client");
  auto check = node_.oauth->bearer().AuthenticateToken(token);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().oauth_error(), "invalid_token");
}

// A directory whose first read of `client_id` is followed, before the caller goes on, by a
// suspension of the client's member, a second boundary passing, and a reinstatement: another
// node's operator acting between this node's client check and its signature.
class SuspendedRightAfterTheRead final : public ClientDirectory {
 public:
  SuspendedRightAfterTheRead(testing::TableClientDirectory& inner, FakeClock& clock)
      : inner_(inner), clock_(clock) {}
  Result<ClientAuthRecord> FindClient(std::string_view client_id) override {
    auto record = inner_.FindClient(client_id);
    if (record.ok() && !done_.exchange(true)) {
      // Switched off at .9 of this second: the cutoff is the next whole second.
      clock_.Advance(std::chrono::milliseconds(900));
      const int64_t cutoff = clock_.NowSeconds() + 1;
      EXPECT_TRUE(inner_.SetMemberActive(record->member_id, false, cutoff).ok());
      clock_.Advance(std::chrono::milliseconds(300));
      EXPECT_TRUE(inner_.SetMemberActive(record->member_id, true, cutoff).ok());
    }
    return record;
  }

 private:
  testing::TableClientDirectory& inner_;
  FakeClock& clock_;
  std::atomic<bool> done_{false};
};

TEST_P(TokenEndpointTest, ATokenIsNeverYoungerThanTheClientCheckItWasIssuedOn) {
  SuspendedRightAfterTheRead racing(*store_.clients, clock_);
  TestNode node;
  StartNode(*store_.db, racing, &node);
  if (HasFatalFailure()) return;
  auto r = PostToken(node.port(), JwtBody(Assertion("race-suspend")));
  ASSERT_EQ(r.status, 200) << r.raw;  // the read saw the member active
  const std::string token = nlohmann::json::parse(r.body)["access_token"];
  auto jws = crypto::ParseJws(token);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(nlohmann::json::parse(jws->payload)["iat"],
            kStart);  // the clock before the read, not after the signature
  // The suspension ended it, and the reinstatement does not bring it back.
  auto check = node.oauth->bearer().AuthenticateToken(token);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().oauth_error(), "invalid_token");
}

TEST_P(TokenEndpointTest, SameAssertionSentToTwoNodesAtOnceSucceedsExactlyOnce) {
  // A second node: its own connection pool on the same database, its own caches and server.
  TestNode other;
  other.own_db = OpenAgain(store_.url);
  ASSERT_NE(other.own_db, nullptr);
  other.own_clients = std::make_unique<testing::TableClientDirectory>(*other.own_db);
  StartNode(*other.own_db, *other.own_clients, &other);
  if (HasFatalFailure()) return;
  for (int round = 0; round < 5; ++round) {
    const std::string body = JwtBody(Assertion("race-" + std::to_string(round)));
    std::latch start(2);
    HttpReply replies[2];
    std::thread a([&] {
      start.arrive_and_wait();
      replies[0] = PostToken(node_.port(), body);
    });
    std::thread b([&] {
      start.arrive_and_wait();
      replies[1] = PostToken(other.port(), body);
    });
    a.join();
    b.join();
    const int ok = (replies[0].status == 200) + (replies[1].status == 200);
    EXPECT_EQ(ok, 1) << "round " << round << ": " << replies[0].raw << "\n" << replies[1].raw;
    for (const auto& r : replies) {
      if (r.status != 200) ExpectError(r, 401, "invalid_client");
    }
  }
}

TEST_P(TokenEndpointTest, StepsCanBeTestedAlone) {
  http::Request request;
  request.set_method("POST");
  ASSERT_TRUE(request.SetTarget("/token").ok());
  request.AddHeader("Content-Type", kForm);
  request.set_body("grant_type=client_credentials&scope=a");
  auto params = ReadTokenParams(request);
  ASSERT_TRUE(params.ok());
  auto client = JwtClient("c", nullptr);
  auto grant = node_.oauth->token_endpoint().SelectGrant(*params, client);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ((*grant)->grant_type(), "client_credentials");
  client.grant_types.clear();
  EXPECT_EQ(node_.oauth->token_endpoint().SelectGrant(*params, client).status().oauth_error(),
            "unauthorized_client");
  EXPECT_EQ(node_.oauth->token_endpoint().GrantTypes(),
            (std::vector<std::string>{"client_credentials"}));

  EXPECT_EQ(*ParseScope("a b a"), (std::vector<std::string>{"a", "b"}));
  for (const char* bad : {"", " a", "a ", "a  b", "a\"b", "a\\b", "a\tb"})
    EXPECT_FALSE(ParseScope(bad).ok()) << bad;
}

TEST_P(TokenEndpointTest, ConfigurationIsChecked) {
  auto make = [&](OAuthConfig c) {
    return OAuthContext::Create(
        OAuthDeps{*store_.db, *keys_.manager, clock_, crypto::SystemRandom(), *store_.clients}, c);
  };
  OAuthConfig c;
  EXPECT_FALSE(make(c).ok()) << "no issuer";
  c.issuer = "https://id.example/";
  EXPECT_FALSE(make(c).ok()) << "trailing slash";
  c.issuer = kIssuer;
  EXPECT_TRUE(make(c).ok());
  c.access_token_format = "paseto";
  EXPECT_FALSE(make(c).ok());
  c.access_token_format = "opaque";
  c.access_token_signing_alg = "HS256";
  EXPECT_FALSE(make(c).ok());
  c.access_token_signing_alg = "PS256";
  c.access_token_ttl_seconds = 0;
  auto r = make(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("oauth.access_token_ttl_seconds"), std::string::npos);
}

// Introspection (RFC 7662) and revocation (RFC 7009) share this fixture: same server, same
// clients.
TEST_P(TokenEndpointTest, IntrospectionShowsATokenOnlyToItsClientWhileItIsValid) {
  auto issued = Basic("grant_type=client_credentials&scope=members%3Aread");
  ASSERT_EQ(issued.status, 200) << issued.raw;
  const std::string token = nlohmann::json::parse(issued.body)["access_token"];
  auto introspect = [&](const std::string& client, const std::string& secret,
                        const std::string& tok) {
    return idscheme::testing::Post(node_.port(), "/introspect", kForm,
                                   Form({{"token", tok}, {"token_type_hint", "access_token"}}),
                                   {{"Authorization", EncodeBasicAuthorization(client, secret)}});
  };
  auto r = introspect("basic-client", "s3cret", token);
  ASSERT_EQ(r.status, 200) << r.raw;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["active"], true);
  EXPECT_EQ(body["client_id"], "basic-client");
  EXPECT_EQ(body["scope"], "members:read");
  EXPECT_EQ(body["iss"], kIssuer);
  EXPECT_EQ(body["exp"].get<int64_t>(), kStart + 600);
  EXPECT_EQ(r.headers["cache-control"], "no-store");

  // Another client learns nothing, not even that the token exists (RFC 7662 §2.2).
  Put(SecretClient("other-client", "0ther", kAuthClientSecretBasic));
  EXPECT_EQ(nlohmann::json::parse(introspect("other-client", "0ther", token).body),
            nlohmann::json({{"active", false}}));
  EXPECT_EQ(nlohmann::json::parse(introspect("basic-client", "s3cret", "garbage.token.x").body),
            nlohmann::json({{"active", false}}));
  // Authentication and the token parameter are required.
  ExpectError(introspect("basic-client", "wrong", token), 401, "invalid_client");
  ExpectError(idscheme::testing::Post(
                  node_.port(), "/introspect", kForm, "token_type_hint=access_token",
                  {{"Authorization", EncodeBasicAuthorization("basic-client", "s3cret")}}),
              400, "invalid_request");

  // Expired (past the leeway between the scheme's own nodes): inactive.
  clock_.AdvanceSeconds(600 + 6);
  EXPECT_EQ(nlohmann::json::parse(introspect("basic-client", "s3cret", token).body)["active"],
            false);
}

TEST_P(TokenEndpointTest, RevokedTokenIsDeadEverywhereAndOnlyItsClientMayRevokeIt) {
  auto issued = PostToken(node_.port(), JwtBody(Assertion("rv1")));
  ASSERT_EQ(issued.status, 200) << issued.raw;
  const std::string token = nlohmann::json::parse(issued.body)["access_token"];
  Put(SecretClient("other-client", "0ther", kAuthClientSecretBasic));
  auto revoke_as_other = idscheme::testing::Post(
      node_.port(), "/revoke", kForm, Form({{"token", token}}),
      {{"Authorization", EncodeBasicAuthorization("other-client", "0ther")}});
  ExpectError(revoke_as_other, 400, "unauthorized_client");
  ASSERT_TRUE(node_.oauth->bearer().AuthenticateToken(token).ok());

  // The owner revokes with a client assertion whose audience is the revocation endpoint.
  const std::string assertion = Assertion("rv2", std::string(kIssuer) + "/revoke");
  auto revoked =
      idscheme::testing::Post(node_.port(), "/revoke", kForm,
                              Form({{"token", token},
                                    {"token_type_hint", "access_token"},
                                    {"client_assertion_type", std::string(kJwtBearerAssertionType)},
                                    {"client_assertion", assertion}}));
  ASSERT_EQ(revoked.status, 200) << revoked.raw;
  auto check = node_.oauth->bearer().AuthenticateToken(token);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().oauth_error(), "invalid_token");

  // A second node on the same database sees the revocation too.
  TestNode other;
  other.own_db = OpenAgain(store_.url);
  StartNode(*other.own_db, *store_.clients, &other);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_FALSE(other.oauth->bearer().AuthenticateToken(token).ok());

  // RFC 7009 §2.2: an unknown or already revoked token is answered 200 too.
  for (const std::string& tok : std::vector<std::string>{"no-such-token", token}) {
    auto again = idscheme::testing::Post(
        node_.port(), "/revoke", kForm, Form({{"token", tok}}),
        {{"Authorization", EncodeBasicAuthorization("basic-client", "s3cret")}});
    EXPECT_EQ(again.status, tok == token ? 400 : 200) << again.raw;  // not basic-client's token
  }
}

// DPoP (RFC 9449): proofs at the token endpoint, bound tokens at the bearer check.
class DpopTokenTest : public TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    dpop_key_ = MakeClientKey(crypto::KeyType::kEcP256, "dpop");
  }
  std::string Proof(const crypto::Key& key, const std::string& htm, const std::string& htu,
                    const std::string& jti, std::optional<std::string> token = std::nullopt) {
    nlohmann::json header = {
        {"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", *key.ToJwk(/*include_private=*/false)}};
    nlohmann::json claims = {
        {"jti", jti}, {"htm", htm}, {"htu", htu}, {"iat", clock_.NowSeconds()}};
    if (token) claims["ath"] = DpopAccessTokenHash(*token);
    auto jws = crypto::SignJws(header, claims.dump(), key);
    EXPECT_TRUE(jws.ok());
    return jws.ok() ? *jws : "";
  }
  std::string TokenProof(const std::string& jti) {
    return Proof(*dpop_key_.key, "POST", kTokenUrl, jti);
  }
  // A DPoP-bound token for basic-client.
  std::string BoundToken(const std::string& jti) {
    auto r = PostToken(node_.port(), "grant_type=client_credentials&scope=members%3Aread",
                       {{"Authorization", EncodeBasicAuthorization("basic-client", "s3cret")},
                        {"DPoP", TokenProof(jti)}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.status == 200 ? nlohmann::json::parse(r.body)["access_token"].get<std::string>() : "";
  }
  // A resource request as the member API receives it.
  static http::Request ResourceRequest(const std::string& authorization,
                                       const std::string& proof = "") {
    http::Request request;
    request.set_method("GET");
    EXPECT_TRUE(request.SetTarget("/registrar/v1/identities?page=2").ok());
    request.AddHeader("Authorization", authorization);
    if (!proof.empty()) request.AddHeader("DPoP", proof);
    return request;
  }
  static constexpr char kResourceUrl[] = "https://id.example/registrar/v1/identities";

  ClientKey dpop_key_;
};

TEST_P(DpopTokenTest, AProofGivesADpopBoundJwtWithCnf) {
  auto r = PostToken(node_.port(), JwtBody(Assertion("d1"), "members:read"),
                     {{"DPoP", TokenProof("tp-1")}});
  ASSERT_EQ(r.status, 200) << r.raw;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["token_type"], "DPoP");  // RFC 9449 §5
  const std::string token = body["access_token"];
  auto jwks = crypto::JwkSet::Parse(idscheme::testing::Get(node_.port(), "/jwks").body);
  ASSERT_TRUE(jwks.ok());
  crypto::JwtVerifyOptions options;
  options.allowed_algs = {SigAlg::kES256};
  options.clock = &clock_;
  options.expected_typ = "at+jwt";
  auto claims = crypto::VerifyJwt(token, crypto::VerifyKeysFrom(*jwks), options);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  // RFC 9449 §6.1: cnf.jkt is the RFC 7638 thumbprint of the proof's key.
  EXPECT_EQ((*claims)["cnf"], nlohmann::json({{"jkt", dpop_key_.key->Rfc7638Thumbprint()}}));

  // Without a proof: a plain bearer token, no cnf.
  auto plain = PostToken(node_.port(), JwtBody(Assertion("d2")));
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(nlohmann::json::parse(plain.body)["token_type"], "Bearer");
}

TEST_P(DpopTokenTest, BadProofsAreInvalidDpopProof) {
  auto with_proof = [&](const std::string& proof) {
    return PostToken(
        node_.port(), "grant_type=client_credentials",
        {{"Authorization", EncodeBasicAuthorization("basic-client", "s3cret")}, {"DPoP", proof}});
  };
  ExpectError(with_proof("garbage"), 400, "invalid_dpop_proof");
  ExpectError(with_proof(Proof(*dpop_key_.key, "GET", kTokenUrl, "b1")), 400, "invalid_dpop_proof");
  ExpectError(with_proof(Proof(*dpop_key_.key, "POST", "https://id.example/par", "b2")), 400,
              "invalid_dpop_proof");
  const std::string proof = TokenProof("b3");
  ASSERT_EQ(with_proof(proof).status, 200);
  ExpectError(with_proof(proof), 400, "invalid_dpop_proof");  // replayed
}

TEST_P(DpopTokenTest, AClientRegisteredForDpopMustSendAProof) {
  auto client = SecretClient("dpop-client", "s3cret", kAuthClientSecretBasic);
  client.dpop_bound_access_tokens = true;
  Put(client);
  const auto auth = EncodeBasicAuthorization("dpop-client", "s3cret");
  // RFC 9449 §5.2: no proof, no token.
  ExpectError(PostToken(node_.port(), "grant_type=client_credentials", {{"Authorization", auth}}),
              400, "invalid_request");
  auto r = PostToken(node_.port(), "grant_type=client_credentials",
                     {{"Authorization", auth}, {"DPoP", TokenProof("reg-1")}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(nlohmann::json::parse(r.body)["token_type"], "DPoP");
}

TEST_P(DpopTokenTest, ABoundTokenAtTheBearerCheck) {
  const std::string token = BoundToken("bt-1");
  const BearerAuthenticator& bearer = node_.oauth->bearer();

  // Good: DPoP scheme, a fresh proof by the bound key with ath.
  auto ok = bearer.Authenticate(
      ResourceRequest("DPoP " + token, Proof(*dpop_key_.key, "GET", kResourceUrl, "r1", token)));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->client_id, "basic-client");
  EXPECT_EQ(ok->dpop_jkt, dpop_key_.key->Rfc7638Thumbprint());

  auto refused = [&](const http::Request& request, std::string_view error, std::string_view why) {
    auto r = bearer.Authenticate(request);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().oauth_error(), error) << why;
    // RFC 9449 §7.1: 401 with a DPoP challenge naming the error and the algorithms.
    auto response = BearerErrorResponse(request, r.status(), *node_.oauth);
    EXPECT_EQ(response.status(), 401) << why;
    const std::string challenge(response.GetHeader("WWW-Authenticate").value_or(""));
    EXPECT_EQ(challenge.rfind("DPoP error=\"" + std::string(error) + "\"", 0), 0u) << challenge;
    EXPECT_NE(challenge.find("algs=\"ES256 PS256 RS256 EdDSA\""), std::string::npos) << challenge;
  };
  // A proof by another key: the token is bound to dpop_key_.
  auto other = MakeClientKey(crypto::KeyType::kEcP256, "other");
  refused(ResourceRequest("DPoP " + token, Proof(*other.key, "GET", kResourceUrl, "r2", token)),
          "invalid_token", "wrong key");
  // No ath (RFC 9449 §4.3 item 12).
  refused(ResourceRequest("DPoP " + token, Proof(*dpop_key_.key, "GET", kResourceUrl, "r3")),
          "invalid_dpop_proof", "missing ath");
  // No proof at all.
  refused(ResourceRequest("DPoP " + token), "invalid_dpop_proof", "no proof");
  // A proof for another resource.
  refused(ResourceRequest("DPoP " + token,
                          Proof(*dpop_key_.key, "GET", "https://id.example/admin/v1", "r4", token)),
          "invalid_dpop_proof", "htu of another resource");
  // The good proof again: replayed.
  refused(ResourceRequest("DPoP " + token, Proof(*dpop_key_.key, "GET", kResourceUrl, "r1", token)),
          "invalid_dpop_proof", "replayed proof");

  // RFC 9449 §7.2: a bound token presented as a bearer token is refused, proof or not.
  for (const std::string& proof :
       {std::string(), Proof(*dpop_key_.key, "GET", kResourceUrl, "r5", token)}) {
    auto r = bearer.Authenticate(ResourceRequest("Bearer " + token, proof));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().oauth_error(), "invalid_token");
  }

  // An unbound token is not accepted under the DPoP scheme, and still works as Bearer.
  auto plain = Basic("grant_type=client_credentials");
  ASSERT_EQ(plain.status, 200);
  const std::string bearer_token = nlohmann::json::parse(plain.body)["access_token"];
  refused(ResourceRequest("DPoP " + bearer_token,
                          Proof(*dpop_key_.key, "GET", kResourceUrl, "r6", bearer_token)),
          "invalid_token", "unbound token as DPoP");
  EXPECT_TRUE(bearer.Authenticate(ResourceRequest("Bearer " + bearer_token)).ok());
}

TEST_P(DpopTokenTest, OpaqueBoundTokensAndIntrospectionShowCnf) {
  OAuthConfig config;
  config.issuer = kIssuer;
  config.access_token_format = "opaque";
  auto ctx = OAuthContext::Create(
      OAuthDeps{*store_.db, *keys_.manager, clock_, crypto::SystemRandom(), *store_.clients},
      config);
  ASSERT_TRUE(ctx.ok());
  node_.server->Stop();
  node_.oauth = std::move(ctx).value();
  http::Router router;
  AddTokenRoutes(router, *node_.oauth);
  http::ServerOptions options;
  options.worker_threads = 2;
  options.access_log = false;
  node_.server = std::make_unique<http::Server>(options, std::move(router));
  ASSERT_TRUE(node_.server->Start().ok());

  const std::string token = BoundToken("op-1");
  ASSERT_EQ(token.find('.'), std::string::npos) << "opaque";
  auto r = idscheme::testing::Post(
      node_.port(), "/introspect", kForm, Form({{"token", token}}),
      {{"Authorization", EncodeBasicAuthorization("basic-client", "s3cret")}});
  ASSERT_EQ(r.status, 200) << r.raw;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["active"], true);
  // RFC 9449 §6.2.
  EXPECT_EQ(body["token_type"], "DPoP");
  EXPECT_EQ(body["cnf"], nlohmann::json({{"jkt", dpop_key_.key->Rfc7638Thumbprint()}}));
  auto ok = node_.oauth->bearer().Authenticate(
      ResourceRequest("DPoP " + token, Proof(*dpop_key_.key, "GET", kResourceUrl, "op-r", token)));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, DpopTokenTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

INSTANTIATE_TEST_SUITE_P(Backends, TokenEndpointTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oauth
