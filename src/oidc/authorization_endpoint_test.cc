// The authorization and PAR endpoints over the real registry, store (both backends), client
// authentication and scheme keys; routes through a real http::Server on port 0.
#include "oidc/authorization_endpoint.h"

#include <gtest/gtest.h>

#include <limits>

#include "common/base64url.h"
#include "crypto/jwt.h"
#include "http/server.h"
#include "oidc/oidc_test_env.h"
#include "testing/http_client.h"

namespace idscheme::oidc {
namespace {

// The entries of `p`, kept alive for a range-for over a temporary.
std::vector<http::FormParams::Entry> Entries(const http::FormParams& p) { return p.entries(); }

using json = nlohmann::json;
using testenv::kIssuer;
using testenv::kRedirect;
using testenv::OidcTest;

class AuthorizeTest : public OidcTest {
 protected:
  AuthorizationOutcome Authorize(const http::FormParams& p) { return endpoint_->Authorize(p); }

  static const ValidatedAuthorizationRequest* Ok(const AuthorizationOutcome& o) {
    const auto* r = std::get_if<ValidatedAuthorizationRequest>(&o);
    if (!r)
      ADD_FAILURE() << "refused: " << std::get<AuthorizationError>(o).error << " "
                    << std::get<AuthorizationError>(o).description;
    return r;
  }
  static AuthorizationError Err(const AuthorizationOutcome& o) {
    const auto* e = std::get_if<AuthorizationError>(&o);
    if (!e) {
      ADD_FAILURE() << "expected an error";
      return {};
    }
    return *e;
  }
  // {client_id, request} for `object`.
  http::FormParams WithObject(const std::string& object, const std::string& client_id = "") const {
    http::FormParams p;
    p.Add("client_id", client_id.empty() ? client_id_ : client_id);
    p.Add("request", object);
    return p;
  }
  // The scheme's published encryption key for `alg` (public half).
  crypto::KeyPtr SchemeEncryptionKey(crypto::KeyMgmtAlg alg) {
    for (const auto& key : testenv::SharedSchemeKeys().DecryptionKeys()) {
      if (crypto::CheckKeyForJwe(*key, alg, crypto::ContentEnc::kA256Gcm, true).ok()) {
        auto pub = key->PublicOnly();
        EXPECT_TRUE(pub.ok());
        return pub.ok() ? *pub : nullptr;
      }
    }
    ADD_FAILURE() << "no scheme key for " << crypto::KeyMgmtAlgName(alg);
    return nullptr;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AuthorizeTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

TEST_P(AuthorizeTest, PlainRequest) {
  auto o = Authorize(GoodParams());
  const auto* r = Ok(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->client_id, client_id_);
  EXPECT_EQ(r->member_id, member_id_);
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_FALSE(r->source.pushed);
  EXPECT_FALSE(r->source.request_object);
}

TEST_P(AuthorizeTest, UnknownOrSuspendedClientGetsAPage) {
  http::FormParams p = testenv::Query("client_id=c_nobody&redirect_uri=https%3A%2F%2Fx");
  AuthorizationError e = Err(Authorize(p));
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_FALSE(e.redirected());

  ASSERT_TRUE(registry_->clients().Suspend(client_id_, "operator").ok());
  e = Err(Authorize(GoodParams()));
  EXPECT_EQ(e.error, "access_denied");
  EXPECT_FALSE(e.redirected());
}

TEST_P(AuthorizeTest, RegisteredRedirectWithQueryMatchesExactly) {
  http::FormParams p;
  for (const auto& [n, v] : Entries(GoodParams())) {
    p.Add(n, n == "redirect_uri" ? "https://rp.example/cb2?x=1" : v);
  }
  ASSERT_TRUE(Ok(Authorize(p)));
}

// --- Request objects (RFC 9101) ---

TEST_P(AuthorizeTest, SignedRequestObject) {
  http::FormParams p = WithObject(Sign(RequestObjectClaims(), key_));
  // RFC 9101 §6.3: parameters outside are ignored.
  p.Add("scope", "openid nonsense");
  p.Add("state", "outer-state");
  auto o = Authorize(p);
  const auto* r = Ok(o);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->source.request_object);
  EXPECT_EQ(r->state, "ro-state");
  EXPECT_EQ(r->nonce, "ro-nonce");
  EXPECT_EQ(r->max_age, 600);
  ASSERT_EQ(r->claims.userinfo.size(), 1u);
  EXPECT_TRUE(r->claims.userinfo[0].essential);
}

TEST_P(AuthorizeTest, SignedAndEncryptedRequestObject) {
  int n = 0;
  for (auto alg : {crypto::KeyMgmtAlg::kRsaOaep256, crypto::KeyMgmtAlg::kEcdhEs,
                   crypto::KeyMgmtAlg::kEcdhEsA256Kw}) {
    SCOPED_TRACE(crypto::KeyMgmtAlgName(alg));
    crypto::KeyPtr scheme = SchemeEncryptionKey(alg);
    ASSERT_TRUE(scheme);
    std::string inner = Sign(RequestObjectClaims("enc-" + std::to_string(n++)), key_);
    auto jwe = crypto::EncryptJwt(inner, *scheme, alg, crypto::ContentEnc::kA256Gcm, random_,
                                  scheme->kid());
    ASSERT_TRUE(jwe.ok()) << jwe.status().ToString();
    auto outcome = Authorize(WithObject(*jwe));
    const auto* r = Ok(outcome);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, "ro-state");
  }
}

// RFC 7516 §4.1.6: kid is optional. Without one, the object is opened with whichever published
// encryption key fits, not only the active one: a client may have cached the JWK Set and used
// the next key (or, after a rotation, the retiring one).
TEST_P(AuthorizeTest, AnEncryptedObjectWithoutKidOpensWithAnyPublishedKey) {
  int n = 0;
  for (const auto& r : testenv::SharedSchemeKeys().Records()) {
    if (r.use != "enc" || r.slot != "RSA-OAEP-256") continue;
    SCOPED_TRACE(r.kid);
    std::string inner = Sign(RequestObjectClaims("nokid-" + std::to_string(n++)), key_);
    auto jwe = crypto::EncryptJwt(inner, *r.key, crypto::KeyMgmtAlg::kRsaOaep256,
                                  crypto::ContentEnc::kA256Gcm, random_);
    ASSERT_TRUE(jwe.ok()) << jwe.status().ToString();
    auto outcome = Authorize(WithObject(*jwe));
    const auto* ok = Ok(outcome);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->state, "ro-state");
  }
  EXPECT_GE(n, 2);  // active and next at least
}

TEST_P(AuthorizeTest, EncryptedButUnsignedIsRefused) {
  crypto::KeyPtr scheme = SchemeEncryptionKey(crypto::KeyMgmtAlg::kRsaOaep256);
  ASSERT_TRUE(scheme);
  auto jwe = crypto::EncryptJwe({{"alg", "RSA-OAEP-256"}, {"enc", "A256GCM"}},
                                RequestObjectClaims().dump(), *scheme, random_);
  ASSERT_TRUE(jwe.ok());
  AuthorizationError e = Err(Authorize(WithObject(*jwe)));
  EXPECT_EQ(e.error, "invalid_request_object");
  EXPECT_FALSE(e.redirected());
}

TEST_P(AuthorizeTest, RequestObjectRejections) {
  const int64_t now = clock_.NowSeconds();
  testenv::ClientKey other = testenv::MakeClientKey(crypto::KeyType::kEcP256, key_.kid);
  std::string none_token = Base64UrlEncode(std::string(R"({"alg":"none"})")) + "." +
                           Base64UrlEncode(RequestObjectClaims("none").dump()) + ".";
  // HMAC keyed with bytes the attacker knows (the RFC 8725 §2.1 confusion): never accepted.
  auto oct = crypto::Key::GenerateOct(32);
  ASSERT_TRUE(oct.ok());
  auto hmac_jwt = crypto::SignJwt(RequestObjectClaims("hs"), *(*oct)->WithKid(key_.kid),
                                  crypto::SigAlg::kHS256, key_.kid);
  ASSERT_TRUE(hmac_jwt.ok());
  const std::string hmac = *hmac_jwt;
  auto with = [&](const char* name, json value, const std::string& jti) {
    json c = RequestObjectClaims(jti);
    if (value.is_null()) {
      c.erase(name);
    } else {
      c[name] = value;
    }
    return Sign(c, key_);
  };
  struct Case {
    const char* name;
    std::string object;
  };
  std::vector<Case> cases = {
      {"wrong key", Sign(RequestObjectClaims("wk"), other)},
      {"HS256", hmac},
      {"alg none", none_token},
      {"not a JWT", "abc"},
      {"expired", with("exp", now - 120, "exp")},
      {"exp too far ahead", with("exp", now + 3 * 3600, "far")},
      {"no exp", with("exp", nullptr, "noexp")},
      {"nbf in the future", with("nbf", now + 600, "nbf")},
      {"nbf long ago", with("nbf", now - 2 * 3600, "oldnbf")},
      {"nbf at the int64 minimum", with("nbf", std::numeric_limits<int64_t>::min(), "minnbf")},
      {"exp at the int64 minimum", with("exp", std::numeric_limits<int64_t>::min(), "minexp")},
      {"exp beyond int64", with("exp", std::numeric_limits<uint64_t>::max(), "maxexp")},
      {"no jti", with("jti", nullptr, "x")},
      {"wrong aud", with("aud", "https://other.example", "aud")},
      {"wrong iss", with("iss", "c_other", "iss")},
      {"inner client_id differs", with("client_id", "c_other", "cid")},
      {"request_uri inside", with("request_uri", "urn:x", "ru")},
      {"array value", with("scope", json::array({"openid"}), "arr")},
      {"object value", with("state", json::object({{"a", 1}}), "obj")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AuthorizationError e = Err(Authorize(WithObject(c.object)));
    EXPECT_EQ(e.error, "invalid_request_object") << e.description;
    EXPECT_FALSE(e.redirected());
  }
}

// RFC 6749 §3.1: parameters the server does not know are ignored, whatever their JSON type;
// RFC 7519 §2: NumericDates may have a fraction.
TEST_P(AuthorizeTest, RequestObjectUnknownMembersAndFractionalDatesAreFine) {
  json c = RequestObjectClaims("lenient");
  c["authorization_details"] = json::array({{{"type", "payment_initiation"}}});
  c["resource"] = json::array({"https://a.example", "https://b.example"});
  c["x_flag"] = true;
  c["login_hint"] = nullptr;  // null: as if absent
  c["exp"] = static_cast<double>(clock_.NowSeconds()) + 300.5;
  c["nbf"] = static_cast<double>(clock_.NowSeconds()) - 0.25;
  auto o = Authorize(WithObject(Sign(c, key_)));
  const auto* r = Ok(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "ro-state");
  EXPECT_FALSE(r->login_hint);
}

TEST_P(AuthorizeTest, RegisteredRequestObjectAlgIsTheOnlyOne) {
  json m = WebClient();
  m["request_object_signing_alg"] = "PS256";
  std::string ps_client = AddClient(m);
  json c = RequestObjectClaims("ps");
  c["iss"] = ps_client;
  c["client_id"] = ps_client;
  AuthorizationError e = Err(Authorize(WithObject(Sign(c, key_), ps_client)));
  EXPECT_EQ(e.error, "invalid_request_object");  // ES256 is not its registered alg
}

TEST_P(AuthorizeTest, RequestObjectJtiIsAcceptedOnce) {
  std::string object = Sign(RequestObjectClaims("once"), key_);
  ASSERT_TRUE(Ok(Authorize(WithObject(object))));
  AuthorizationError e = Err(Authorize(WithObject(object)));
  EXPECT_EQ(e.error, "invalid_request_object");
  EXPECT_NE(e.description.find("jti"), std::string::npos);
}

TEST_P(AuthorizeTest, OuterClientIdMustBeTheObjectsClient) {
  std::string second = AddClient(WebClient());  // same keys, another client
  AuthorizationError e = Err(Authorize(WithObject(Sign(RequestObjectClaims("x"), key_), second)));
  EXPECT_EQ(e.error, "invalid_request_object");
}

TEST_P(AuthorizeTest, RequestAndRequestUriTogether) {
  http::FormParams p = WithObject(Sign(RequestObjectClaims(), key_));
  p.Add("request_uri", std::string(kRequestUriPrefix) + "abc");
  AuthorizationError e = Err(Authorize(p));
  EXPECT_EQ(e.error, "invalid_request");
  EXPECT_FALSE(e.redirected());
}

TEST_P(AuthorizeTest, ForeignRequestUriIsNotSupported) {
  http::FormParams p;
  p.Add("client_id", client_id_);
  p.Add("request_uri", "https://rp.example/request.jwt");
  AuthorizationError e = Err(Authorize(p));
  EXPECT_EQ(e.error, "request_uri_not_supported");
  EXPECT_FALSE(e.redirected());
}

// --- The agreement (registry policy) ---

TEST_P(AuthorizeTest, PolicyRefusesClaimsOutsideTheAgreement) {
  AuthorizationEndpoint with_policy(
      AuthorizationEndpointDeps{*clients_, *client_auth_, *jwks_, testenv::SharedSchemeKeys(), *db_,
                                clock_, random_, &registry_->policy()},
      options_);
  ASSERT_TRUE(Ok(with_policy.Authorize(GoodParams())));  // email is in the agreement
  http::FormParams p;
  for (const auto& [n, v] : Entries(GoodParams())) p.Add(n, n == "scope" ? "openid phone" : v);
  AuthorizationError e = Err(with_policy.Authorize(p));
  EXPECT_TRUE(e.redirected());
  EXPECT_EQ(e.error, "invalid_scope");
  EXPECT_EQ(e.state, "st-1");
  // The same claim inside verified_claims is outside the agreement just as much.
  http::FormParams vc;
  for (const auto& [n, v] : Entries(GoodParams())) {
    if (n == "claims") continue;
    vc.Add(n, v);
  }
  vc.Add("claims", R"({"userinfo":{"verified_claims":{"claims":{"phone_number":null}}}})");
  EXPECT_EQ(Err(with_policy.Authorize(vc)).error, "invalid_scope");
  // Asking for the sub (even with verified_claims naming nothing) asks for no data.
  http::FormParams sub_only;
  for (const auto& [n, v] : Entries(GoodParams())) {
    if (n == "claims") continue;
    sub_only.Add(n, n == "scope" ? "openid" : v);
  }
  sub_only.Add("claims",
               R"({"id_token":{"sub":null},"userinfo":{"verified_claims":{"claims":{}}}})");
  ASSERT_TRUE(Ok(with_policy.Authorize(sub_only)));
}

// --- Through a real server: /authorize, /par ---

class RoutesTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    http::Router router;
    AddAuthorizationRoutes(
        router, *endpoint_, [](const ValidatedAuthorizationRequest& r, const http::Request&) {
          return http::Response::Html(
              200, "<p>approve " + r.client_id + " " + r.state.value_or("") + "</p>");
        });
    http::ServerOptions options;
    options.worker_threads = 2;
    options.access_log = false;
    server_ = std::make_unique<http::Server>(options, std::move(router));
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(1));
  }
  uint16_t port() const { return server_->port(); }

  static std::string Encode(const http::FormParams& p) {
    std::string out;
    for (const auto& [n, v] : p.entries()) {
      if (!out.empty()) out += '&';
      out += http::PercentEncode(n) + "=" + http::PercentEncode(v);
    }
    return out;
  }
  // A client assertion for `client_id` with aud = the PAR endpoint.
  std::string Assertion(const std::string& client_id, const std::string& jti) {
    const int64_t now = clock_.NowSeconds();
    json claims = {{"iss", client_id}, {"sub", client_id}, {"aud", std::string(kIssuer) + "/par"},
                   {"iat", now},       {"exp", now + 60},  {"jti", jti}};
    auto jwt = crypto::SignJwt(claims, *key_.key, crypto::SigAlg::kES256, key_.kid);
    EXPECT_TRUE(jwt.ok());
    return jwt.ok() ? *jwt : "";
  }
  // POST /par for client_ with private_key_jwt; `params` are the authorization parameters.
  testing::HttpReply Push(const http::FormParams& params, const std::string& jti,
                          const std::map<std::string, std::string>& headers = {}) {
    http::FormParams body = params;
    body.Add("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    body.Add("client_assertion", Assertion(client_id_, jti));
    return testing::Post(port(), "/par", "application/x-www-form-urlencoded", Encode(body),
                         headers);
  }
  // A DPoP proof (RFC 9449 §4.2) by `key` for POST `htu`.
  std::string DpopProof(const crypto::Key& key, const std::string& jti,
                        const std::string& htu = std::string(kIssuer) + "/par") {
    json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", *key.ToJwk(false)}};
    json claims = {{"jti", jti}, {"htm", "POST"}, {"htu", htu}, {"iat", clock_.NowSeconds()}};
    auto jws = crypto::SignJws(header, claims.dump(), key);
    EXPECT_TRUE(jws.ok());
    return jws.ok() ? *jws : "";
  }
  // The parameters a pushed request_uri stands for (taking it).
  http::FormParams Pushed(const testing::HttpReply& reply) {
    EXPECT_EQ(reply.status, 201) << reply.body;
    if (reply.status != 201) return {};
    auto taken = endpoint_->pushed_requests().Take(
        json::parse(reply.body).at("request_uri").get<std::string>(), client_id_);
    EXPECT_TRUE(taken.ok()) << taken.status().ToString();
    return taken.ok() ? *taken : http::FormParams{};
  }
  std::string AuthorizeWithUri(const std::string& request_uri, const std::string& client_id) {
    return "/authorize?client_id=" + http::PercentEncode(client_id) +
           "&request_uri=" + http::PercentEncode(request_uri);
  }

  std::unique_ptr<http::Server> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, RoutesTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

TEST_P(RoutesTest, GetAuthorizeContinues) {
  auto reply = testing::Get(port(), "/authorize?" + Encode(GoodParams()));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.body.find("approve " + client_id_ + " st-1"), std::string::npos);
}

TEST_P(RoutesTest, PostAuthorizeContinues) {
  auto reply = testing::Post(port(), "/authorize", "application/x-www-form-urlencoded",
                             Encode(GoodParams()));
  EXPECT_EQ(reply.status, 200) << reply.body;
  // An error after a POST is a 303 (RFC 9110 §15.4.4).
  http::FormParams p = GoodParams();
  p.Add("max_age", "-5");
  reply = testing::Post(port(), "/authorize", "application/x-www-form-urlencoded", Encode(p));
  EXPECT_EQ(reply.status, 303);
  EXPECT_NE(reply.headers["location"].find("error=invalid_request"), std::string::npos);
}

TEST_P(RoutesTest, ErrorsAfterTheRedirectUriAreRedirected) {
  http::FormParams p;
  for (const auto& [n, v] : Entries(GoodParams())) {
    if (n != "code_challenge_method") p.Add(n, v);
  }
  auto reply = testing::Get(port(), "/authorize?" + Encode(p));
  EXPECT_EQ(reply.status, 302);
  EXPECT_EQ(reply.headers["location"],
            std::string(kRedirect) +
                "?error=invalid_request&error_description=code_challenge_method%20must%20be%20"
                "S256&state=st-1&iss=https%3A%2F%2Fid.example");
}

TEST_P(RoutesTest, FormPostErrorIsAPageWithAForm) {
  http::FormParams p = GoodParams();
  p.Add("response_mode", "form_post");
  p.Add("prompt", "none");
  auto reply = testing::Get(port(), "/authorize?" + Encode(p));
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("name=\"error\" value=\"login_required\""), std::string::npos);
  EXPECT_NE(reply.body.find("action=\"https://rp.example/cb\""), std::string::npos);
  EXPECT_NE(reply.headers["content-security-policy"].find("https://rp.example/cb"),
            std::string::npos);
  auto script = testing::Get(port(), std::string(kFormPostScriptPath));
  EXPECT_EQ(script.status, 200);
  EXPECT_NE(script.body.find("submit()"), std::string::npos);
}

TEST_P(RoutesTest, ErrorsBeforeTheRedirectUriAreAPage) {
  http::FormParams p;
  for (const auto& [n, v] : Entries(GoodParams())) {
    p.Add(n, n == "redirect_uri" ? "https://evil.example/cb" : v);
  }
  auto reply = testing::Get(port(), "/authorize?" + Encode(p));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.headers.count("location"), 0u);
  EXPECT_NE(reply.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(reply.headers["content-security-policy"].find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(reply.body.find("evil.example"), std::string::npos);
  // A malformed query: a page too.
  reply = testing::Get(port(), "/authorize?client_id=%zz");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.headers.count("location"), 0u);
}

TEST_P(RoutesTest, ParHappyPathAndSingleUse) {
  auto pushed = Push(GoodParams(), "a1");
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  json body = json::parse(pushed.body);
  std::string uri = body.at("request_uri").get<std::string>();
  EXPECT_TRUE(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
  EXPECT_EQ(body.at("expires_in"), 60);

  auto reply = testing::Get(port(), AuthorizeWithUri(uri, client_id_));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.body.find("approve " + client_id_ + " st-1"), std::string::npos);
  // RFC 9126 §2.2: one-time use.
  reply = testing::Get(port(), AuthorizeWithUri(uri, client_id_));
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("invalid_request_uri"), std::string::npos);
}

TEST_P(RoutesTest, ParExpires) {
  auto pushed = Push(GoodParams(), "a2");
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  std::string uri = json::parse(pushed.body).at("request_uri").get<std::string>();
  auto second = Push(GoodParams(), "a2b");
  ASSERT_EQ(second.status, 201) << second.body;
  std::string second_uri = json::parse(second.body).at("request_uri").get<std::string>();
  clock_.AdvanceSeconds(61);
  auto reply = testing::Get(port(), AuthorizeWithUri(uri, client_id_));
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("invalid_request_uri"), std::string::npos);
  // Purging forgets expired requests.
  ASSERT_TRUE(endpoint_->pushed_requests().PurgeExpired().ok());
  auto rows = db_->Exec("SELECT COUNT(*) FROM oidc_pushed_requests");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0].Int(0), 0);
  reply = testing::Get(port(), AuthorizeWithUri(second_uri, client_id_));
  EXPECT_EQ(reply.status, 400);
}

TEST_P(RoutesTest, ParRequestUriIsBoundToItsClient) {
  auto pushed = Push(GoodParams(), "a3");
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  std::string uri = json::parse(pushed.body).at("request_uri").get<std::string>();
  std::string other = AddClient(WebClient());
  auto reply = testing::Get(port(), AuthorizeWithUri(uri, other));
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("invalid_request_uri"), std::string::npos);
  // Not consumed by the wrong client.
  reply = testing::Get(port(), AuthorizeWithUri(uri, client_id_));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

TEST_P(RoutesTest, ParWithSecretAndWithRequestObject) {
  std::string secret;
  json m = WebClient();
  m.erase("jwks");
  m["token_endpoint_auth_method"] = "client_secret_post";
  std::string secret_client = AddClient(m, &secret);
  ASSERT_FALSE(secret.empty());
  http::FormParams p;
  for (const auto& [n, v] : Entries(GoodParams())) p.Add(n, n == "client_id" ? secret_client : v);
  p.Add("client_secret", secret);
  auto pushed = testing::Post(port(), "/par", "application/x-www-form-urlencoded", Encode(p));
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  std::string uri = json::parse(pushed.body).at("request_uri").get<std::string>();
  // The secret is not kept with the pushed parameters.
  auto taken = endpoint_->pushed_requests().Take(uri, secret_client);
  ASSERT_TRUE(taken.ok());
  EXPECT_FALSE(taken->Has("client_secret"));

  http::FormParams with_object;
  with_object.Add("request", Sign(RequestObjectClaims("par-ro"), key_));
  pushed = Push(with_object, "a4");
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  uri = json::parse(pushed.body).at("request_uri").get<std::string>();
  auto reply = testing::Get(port(), AuthorizeWithUri(uri, client_id_));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.body.find("ro-state"), std::string::npos);
}

TEST_P(RoutesTest, ParRejections) {
  // No client authentication.
  auto reply =
      testing::Post(port(), "/par", "application/x-www-form-urlencoded", Encode(GoodParams()));
  EXPECT_EQ(reply.status, 401) << reply.body;
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_client");
  // A replayed assertion.
  ASSERT_EQ(Push(GoodParams(), "same").status, 201);
  EXPECT_EQ(Push(GoodParams(), "same").status, 401);
  // request_uri in a pushed request (RFC 9126 §2.1).
  http::FormParams p = GoodParams();
  p.Add("request_uri", "urn:x");
  reply = Push(p, "b1");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_request");
  // Validation errors are JSON, never redirects (RFC 9126 §2.3).
  http::FormParams no_pkce;
  for (const auto& [n, v] : Entries(GoodParams())) {
    if (n != "code_challenge") no_pkce.Add(n, v);
  }
  reply = Push(no_pkce, "b2");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.headers.count("location"), 0u);
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_request");
  http::FormParams bad_redirect;
  for (const auto& [n, v] : Entries(GoodParams())) {
    bad_redirect.Add(n, n == "redirect_uri" ? "https://evil.example/cb" : v);
  }
  reply = Push(bad_redirect, "b3");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_request");
}

TEST_P(RoutesTest, ParRequiredByTheClient) {
  json m = WebClient();
  m["require_pushed_authorization_requests"] = true;
  std::string par_client = AddClient(m);
  http::FormParams p;
  for (const auto& [n, v] : Entries(GoodParams())) p.Add(n, n == "client_id" ? par_client : v);
  auto reply = testing::Get(port(), "/authorize?" + Encode(p));
  EXPECT_EQ(reply.status, 302);
  EXPECT_NE(reply.headers["location"].find("error=invalid_request"), std::string::npos);

  http::FormParams body = p;
  body.Add("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  body.Add("client_assertion", Assertion(par_client, "c1"));
  auto pushed = testing::Post(port(), "/par", "application/x-www-form-urlencoded", Encode(body));
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  reply = testing::Get(
      port(),
      AuthorizeWithUri(json::parse(pushed.body).at("request_uri").get<std::string>(), par_client));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

// RFC 9449 §10.1: a DPoP proof at PAR binds the code to its key, as dpop_jkt would.
TEST_P(RoutesTest, ParWithDpopProofBindsTheCodeToItsKey) {
  auto dpop_key = testenv::MakeClientKey(crypto::KeyType::kEcP256, "dpop-1");
  const std::string jkt = dpop_key.key->Rfc7638Thumbprint();
  // The proof alone: its key's thumbprint is kept as dpop_jkt and validated at /authorize.
  http::FormParams kept =
      Pushed(Push(GoodParams(), "d1", {{"DPoP", DpopProof(*dpop_key.key, "p1")}}));
  EXPECT_EQ(kept.Get("dpop_jkt"), jkt);
  auto pushed = Push(GoodParams(), "d1b", {{"DPoP", DpopProof(*dpop_key.key, "p1b")}});
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  auto validated = endpoint_->Authorize(testenv::Query(
      "client_id=" + client_id_ + "&request_uri=" +
      http::PercentEncode(json::parse(pushed.body).at("request_uri").get<std::string>())));
  ASSERT_TRUE(std::holds_alternative<ValidatedAuthorizationRequest>(validated));
  EXPECT_EQ(std::get<ValidatedAuthorizationRequest>(validated).dpop_jkt, jkt);

  // Both, naming the same key: accepted.
  http::FormParams same = GoodParams();
  same.Add("dpop_jkt", jkt);
  EXPECT_EQ(Pushed(Push(same, "d2", {{"DPoP", DpopProof(*dpop_key.key, "p2")}})).Get("dpop_jkt"),
            jkt);
  // dpop_jkt alone (RFC 9449 §10): kept as sent.
  EXPECT_EQ(Pushed(Push(same, "d3")).Get("dpop_jkt"), jkt);
  // Inside a pushed request object, with a proof: the proof's key is added.
  http::FormParams with_object;
  with_object.Add("request", Sign(RequestObjectClaims("par-dpop-ro"), key_));
  EXPECT_EQ(
      Pushed(Push(with_object, "d4", {{"DPoP", DpopProof(*dpop_key.key, "p4")}})).Get("dpop_jkt"),
      jkt);
}

TEST_P(RoutesTest, ParDpopRejections) {
  auto dpop_key = testenv::MakeClientKey(crypto::KeyType::kEcP256, "dpop-1");
  auto other_key = testenv::MakeClientKey(crypto::KeyType::kEcP256, "dpop-2");
  // RFC 9449 §10.1: dpop_jkt and the proof's key disagree.
  http::FormParams other = GoodParams();
  other.Add("dpop_jkt", other_key.key->Rfc7638Thumbprint());
  auto reply = Push(other, "e1", {{"DPoP", DpopProof(*dpop_key.key, "q1")}});
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_request");
  // RFC 9449 §10.1 / §4.3: the proof is checked: for another URL, replayed, malformed.
  reply = Push(GoodParams(), "e2",
               {{"DPoP", DpopProof(*dpop_key.key, "q2", std::string(kIssuer) + "/token")}});
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_dpop_proof");
  const std::string proof = DpopProof(*dpop_key.key, "q3");
  ASSERT_EQ(Push(GoodParams(), "e3", {{"DPoP", proof}}).status, 201);
  reply = Push(GoodParams(), "e4", {{"DPoP", proof}});
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_dpop_proof");
  reply = Push(GoodParams(), "e5", {{"DPoP", "not.a.proof"}});
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_dpop_proof");
  // A malformed dpop_jkt is refused as JSON (RFC 9126 §2.3).
  http::FormParams malformed = GoodParams();
  malformed.Add("dpop_jkt", "short");
  reply = Push(malformed, "e6");
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(json::parse(reply.body).at("error"), "invalid_request");
}

}  // namespace
}  // namespace idscheme::oidc
