// The negative cases the OpenID Foundation's conformance suite tries against an OP, each over
// real HTTP against a real node (server/node.h on port 0, shared by every case on a backend),
// on SQLite and PostgreSQL: the authorization endpoint, request objects (RFC 9101), pushed
// requests (RFC 9126), client assertions (RFC 7523), the token endpoint, revocation (RFC 7009)
// and the bearer challenge of the member APIs. Each case asserts the error the spec names and
// where it goes (a page, a redirect, a JSON body, a challenge), and most pair it with the good
// request beside it, so that no case passes because everything fails.
//
// Codes are issued with the provider's AuthorizationCodes, as the login pages do after the
// person's approval in the app (the approval itself is tested in src/approval and e2e/).
// Time is the node's FakeClock: nothing sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "crypto/jwt.h"
#include "crypto/key.h"
#include "http/form.h"
#include "identity/identity_test_util.h"
#include "oauth/client_assertion.h"
#include "oidc/acr.h"
#include "oidc/authorization_response.h"
#include "registry/client_metadata.h"
#include "server/node.h"
#include "testing/http_client.h"
#include "testing/test_db.h"
#include "testing/test_node.h"

namespace idscheme::oidc {
namespace {

using idscheme::testing::Backend;
using idscheme::testing::HttpReply;
using json = nlohmann::json;

constexpr int64_t kStart = 1'800'000'000;
constexpr char kIssuer[] = "https://id.example";
constexpr char kRedirect[] = "https://rp.example/cb";
// A verifier and its S256 challenge, BASE64URL(SHA256(kVerifier)) (RFC 7636 §4.2).
constexpr char kVerifier[] = "dBjftJeZ4CVP-mJ0kzyzFfVXiM9H5pctYPHNVHAk5N0";
constexpr char kChallenge[] = "7X0Pee6cAbJpapaWgtdSwcdxQ1fD5pchD-vbEID86V4";
constexpr char kFormType[] = "application/x-www-form-urlencoded";

// One node per backend for the whole run (starting one generates its keys: seconds), with the
// members every case uses: a service provider with an agreement, a registrar and one person.
struct SharedNode {
  FakeClock clock{kStart};  // declared first: outlives the instance
  std::unique_ptr<server::Instance> instance;
  std::string provider_member;
  std::string registrar_member;
  std::string person_id;
};

std::map<Backend, std::unique_ptr<SharedNode>>& Nodes() {
  static auto* nodes = new std::map<Backend, std::unique_ptr<SharedNode>>();
  return *nodes;
}

class StopNodes : public ::testing::Environment {
 public:
  void TearDown() override { Nodes().clear(); }
};
::testing::Environment* const kStopNodes = ::testing::AddGlobalTestEnvironment(new StopNodes);

std::string Unique(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + std::to_string(++counter);
}

std::string Encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += http::PercentEncode(name) + "=" + http::PercentEncode(value);
  }
  return out;
}

// A compact JWS assembled by hand: for the algorithms crypto/ refuses to produce (none, HMAC
// with a public key as the secret).
std::string HandMadeJws(const json& header, const json& claims, const std::string& hmac_secret) {
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  if (hmac_secret.empty()) return input + ".";
  auto mac = crypto::HmacSha256(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(hmac_secret.data()),
                               hmac_secret.size()),
      input);
  return input + "." + Base64UrlEncode(std::span<const uint8_t>(mac.data(), mac.size()));
}

struct ClientKey {
  crypto::KeyPtr key;
  std::string kid;
  json public_jwk;
};

ClientKey MakeKey(const std::string& kid) {
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  ClientKey out{(*key)->WithKid(kid), kid, {}};
  out.public_jwk = *out.key->ToJwk(/*include_private=*/false);
  return out;
}

// The query of a Location header, parsed; fails the test when it does not go to `redirect_uri`.
// The parameters of a redirect to `redirect_uri`, from its query (separator '?') or its
// fragment ('#').
std::map<std::string, std::string> RedirectQuery(const HttpReply& reply,
                                                 const std::string& redirect_uri = kRedirect,
                                                 char separator = '?') {
  std::map<std::string, std::string> out;
  auto it = reply.headers.find("location");
  EXPECT_NE(it, reply.headers.end()) << "no redirect: " << reply.status << " " << reply.body;
  if (it == reply.headers.end()) return out;
  const std::string& location = it->second;
  EXPECT_EQ(location.rfind(redirect_uri + separator, 0), 0u) << location;
  auto query = http::ParseForm(location.substr(location.find(separator) + 1));
  EXPECT_TRUE(query.ok()) << location;
  if (!query.ok()) return out;
  for (const auto& [name, value] : query->entries()) out[name] = value;
  return out;
}

class ConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    auto& slot = Nodes()[GetParam()];
    if (!slot) {
      auto shared = std::make_unique<SharedNode>();
      server::NodeOptions options;
      options.clock = &shared->clock;
      auto instance = idscheme::testing::StartTestNode(
          GetParam(), {{"server.issuer", kIssuer}, {"server.behind_tls_proxy", "true"}}, options);
      ASSERT_TRUE(instance.ok()) << instance.status().ToString();
      shared->instance = std::move(instance).value();
      auto& registry = shared->instance->node().registry();
      auto provider = registry.members().Create({registry::Role::kServiceProvider,
                                                 "Acme Shop",
                                                 "BE0123456789",
                                                 {"ops@acme.example", ""},
                                                 ""},
                                                "operator");
      ASSERT_TRUE(provider.ok()) << provider.status().ToString();
      shared->provider_member = provider->id;
      auto terms = registry::ParseAgreementTerms(
          {{"services", {"login", "identification"}},
           {"claims", {"name", "given_name", "family_name", "email", "email_verified"}},
           {"assurance_levels", {"basic", "advanced"}},
           {"claims_outside", "refuse"}});
      ASSERT_TRUE(terms.ok()) << terms.status().ToString();
      ASSERT_TRUE(registry.agreements().Set(provider->id, *terms, "operator").ok());
      auto registrar = registry.members().Create({registry::Role::kIdentityRegistrar,
                                                  "Registrar",
                                                  "BE0999999999",
                                                  {"ops@registrar.example", ""},
                                                  ""},
                                                 "operator");
      ASSERT_TRUE(registrar.ok()) << registrar.status().ToString();
      shared->registrar_member = registrar->id;
      auto body = identity::ParseNewIdentity(identity::testing::SampleIdentity());
      ASSERT_TRUE(body.ok()) << body.status().ToString();
      auto person = shared->instance->node().identities().Create(identity::Actor::Operator(),
                                                                 registrar->id, *body);
      ASSERT_TRUE(person.ok()) << person.status().ToString();
      shared->person_id = person->id;
      slot = std::move(shared);
    }
    shared_ = slot.get();
    port_ = shared_->instance->port();
    key_ = MakeKey("rp-1");
    client_id_ = AddClient(WebClient(key_));
    ASSERT_FALSE(client_id_.empty());
  }

  server::Node& node() { return shared_->instance->node(); }
  FakeClock& clock() { return shared_->clock; }
  int64_t Now() { return clock().NowSeconds(); }

  // A private_key_jwt web client for the code flow with refresh tokens.
  json WebClient(const ClientKey& key) const {
    return {{"redirect_uris", {kRedirect}},
            {"jwks", {{"keys", {key.public_jwk}}}},
            {"grant_types", {"authorization_code", "refresh_token"}},
            {"scope", "openid profile email"},
            {"client_name", "Acme web"}};
  }

  std::string AddClient(const json& metadata, const std::string& member = {}) {
    auto valid = registry::ValidateClientMetadata(metadata);
    EXPECT_TRUE(valid.ok()) << valid.status().ToString();
    if (!valid.ok()) return {};
    auto client = node().registry().clients().Create(
        member.empty() ? shared_->provider_member : member, *valid, "operator", "operator");
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? client->client.client_id : std::string();
  }

  // --- The authorization endpoint. ---

  std::map<std::string, std::string> GoodAuthorization() const {
    return {{"response_type", "code"},
            {"client_id", client_id_},
            {"redirect_uri", kRedirect},
            {"scope", "openid email"},
            {"state", "st-1"},
            {"nonce", "n-1"},
            {"code_challenge", kChallenge},
            {"code_challenge_method", "S256"}};
  }

  HttpReply Authorize(const std::map<std::string, std::string>& params) {
    std::vector<std::pair<std::string, std::string>> list(params.begin(), params.end());
    return idscheme::testing::Get(port_, "/authorize?" + Encode(list));
  }

  static std::string Header(const HttpReply& reply, const std::string& name) {
    auto it = reply.headers.find(name);
    return it == reply.headers.end() ? std::string() : it->second;
  }

  // The request went on to the login pages: what a valid request does.
  void ExpectAccepted(const HttpReply& reply) {
    EXPECT_EQ(reply.status, 303) << reply.body;
    EXPECT_EQ(Header(reply, "location").rfind("/login/", 0), 0u) << Header(reply, "location");
  }

  // The scheme's error page (OIDC Core §3.1.2.6 / RFC 6749 §4.1.2.1: never redirected).
  void ExpectErrorPage(const HttpReply& reply, const std::string& error) {
    EXPECT_EQ(reply.status, 400) << reply.body;
    EXPECT_EQ(Header(reply, "location"), "");
    EXPECT_NE(Header(reply, "content-type").find("text/html"), std::string::npos);
    EXPECT_NE(reply.body.find("<code>" + error + "</code>"), std::string::npos) << reply.body;
  }

  // The error sent back to the client (RFC 6749 §4.1.2.1) with state and iss (RFC 9207 §2).
  void ExpectRedirectedError(const HttpReply& reply, const std::string& error,
                             const std::string& state = "st-1", char separator = '?') {
    EXPECT_EQ(reply.status, 302) << reply.body;
    auto query = RedirectQuery(reply, kRedirect, separator);
    EXPECT_EQ(query["error"], error) << query["error_description"];
    EXPECT_EQ(query["state"], state);
    EXPECT_EQ(query["iss"], kIssuer);
    EXPECT_EQ(query.count("code"), 0u);
  }

  // --- Signed things. ---

  json RequestObjectClaims(const std::string& client_id) {
    const int64_t now = Now();
    return {{"iss", client_id},
            {"aud", kIssuer},
            {"iat", now},
            {"nbf", now},
            {"exp", now + 300},
            {"jti", Unique("ro-")},
            {"response_type", "code"},
            {"client_id", client_id},
            {"redirect_uri", kRedirect},
            {"scope", "openid email"},
            {"state", "ro-state"},
            {"nonce", "ro-nonce"},
            {"code_challenge", kChallenge},
            {"code_challenge_method", "S256"}};
  }

  std::string SignRequestObject(const json& claims, const ClientKey& key) {
    auto jwt =
        crypto::SignJwt(claims, *key.key, crypto::SigAlg::kES256, key.kid, "oauth-authz-req+jwt");
    EXPECT_TRUE(jwt.ok()) << jwt.status().ToString();
    return jwt.ok() ? *jwt : std::string();
  }

  json AssertionClaims(const std::string& client_id, const std::string& path) {
    const int64_t now = Now();
    return {{"iss", client_id}, {"sub", client_id}, {"aud", kIssuer + path},
            {"iat", now},       {"exp", now + 60},  {"jti", Unique("jti-")}};
  }

  std::string SignAssertion(const json& claims, const ClientKey& key) {
    auto jws = crypto::SignJws({{"alg", "ES256"}, {"kid", key.kid}}, claims.dump(), *key.key);
    EXPECT_TRUE(jws.ok()) << jws.status().ToString();
    return jws.ok() ? *jws : std::string();
  }

  // A form body authenticated with `assertion` (RFC 7523 §2.2).
  std::vector<std::pair<std::string, std::string>> WithAssertion(
      std::vector<std::pair<std::string, std::string>> params, const std::string& assertion) {
    params.emplace_back("client_assertion_type", std::string(oauth::kJwtBearerAssertionType));
    params.emplace_back("client_assertion", assertion);
    return params;
  }

  // POST `path` as client_id_ with a fresh good assertion for that endpoint.
  HttpReply PostAsClient(const std::string& path,
                         std::vector<std::pair<std::string, std::string>> params,
                         const std::map<std::string, std::string>& headers = {},
                         const std::string& client_id = {}, const ClientKey* key = nullptr) {
    const std::string id = client_id.empty() ? client_id_ : client_id;
    std::string assertion = SignAssertion(AssertionClaims(id, path), key ? *key : key_);
    return idscheme::testing::Post(port_, path, kFormType,
                                   Encode(WithAssertion(std::move(params), assertion)), headers);
  }

  // A DPoP proof (RFC 9449 §4.2) for `method` `path` by `key`; `token` adds ath.
  std::string DpopProof(const ClientKey& key, const std::string& method, const std::string& path,
                        const std::string& token = {}) {
    json claims = {
        {"jti", Unique("dpop-")}, {"htm", method}, {"htu", kIssuer + path}, {"iat", Now()}};
    if (!token.empty()) {
      auto digest = crypto::Sha256(token);
      claims["ath"] = Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size()));
    }
    json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", key.public_jwk}};
    auto jws = crypto::SignJws(header, claims.dump(), *key.key);
    EXPECT_TRUE(jws.ok()) << jws.status().ToString();
    return jws.ok() ? *jws : std::string();
  }

  // --- Codes and tokens. ---

  // What the login pages issue once the person approved (login/login_flow.cc IssueCode).
  std::string IssueCode(const std::string& client_id) {
    ApprovedAuthorization a;
    a.client_id = client_id;
    a.member_id = shared_->provider_member;
    a.identity_id = shared_->person_id;
    a.redirect_uri = kRedirect;
    a.scopes = {"openid", "email"};
    a.nonce = "n-1";
    a.code_challenge = kChallenge;
    a.code_challenge_method = "S256";
    a.approved_claims = {"email", "email_verified"};
    a.acr = std::string(kAcrBasic);
    a.amr = {"hwk", "pin", "mfa"};
    a.auth_time = Now();
    a.action_id = Unique("act_");
    auto code = node().provider().codes().Issue(a);
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? *code : std::string();
  }

  HttpReply Redeem(const std::string& code, const std::string& verifier = kVerifier,
                   const std::string& redirect_uri = kRedirect,
                   const std::map<std::string, std::string>& headers = {},
                   const std::string& client_id = {}, const ClientKey* key = nullptr) {
    std::vector<std::pair<std::string, std::string>> params = {
        {"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri}};
    if (!verifier.empty()) params.emplace_back("code_verifier", verifier);
    return PostAsClient("/token", params, headers, client_id, key);
  }

  json Tokens(const std::string& code) {
    HttpReply r = Redeem(code);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  HttpReply Userinfo(const std::string& authorization,
                     const std::map<std::string, std::string>& more = {}) {
    std::map<std::string, std::string> headers = more;
    headers["Authorization"] = authorization;
    return idscheme::testing::Get(port_, "/userinfo", headers);
  }

  bool Active(const std::string& token) {
    HttpReply r = PostAsClient("/introspect", {{"token", token}});
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false).value("active", false);
  }

  static std::string ErrorOf(const HttpReply& r) {
    return json::parse(r.body, nullptr, false).value("error", "");
  }

  // RFC 6749 §5.2: invalid_client is 401 with a challenge.
  static void ExpectInvalidClient(const HttpReply& r) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(ErrorOf(r), "invalid_client") << r.body;
    EXPECT_FALSE(r.headers.count("www-authenticate") == 0 ||
                 r.headers.at("www-authenticate").empty());
  }

  SharedNode* shared_ = nullptr;
  uint16_t port_ = 0;
  ClientKey key_;
  std::string client_id_;
};

// ------------------------------------------------------------------------------------------
// The authorization endpoint (OIDC Core §3.1.2, RFC 6749 §4.1).

using AuthorizeTest = ConformanceTest;

TEST_P(AuthorizeTest, AGoodRequestGoesOnToTheLoginPages) {
  ExpectAccepted(Authorize(GoodAuthorization()));
}

TEST_P(AuthorizeTest, AMissingRedirectUriIsAPageNeverARedirect) {
  auto p = GoodAuthorization();
  p.erase("redirect_uri");
  ExpectErrorPage(Authorize(p), "invalid_request");
  // The node's page: the login pages' style, in the language asked for (ui_locales first).
  p["ui_locales"] = "fr";
  std::vector<std::pair<std::string, std::string>> list(p.begin(), p.end());
  HttpReply fr =
      idscheme::testing::Get(port_, "/authorize?" + Encode(list), {{"Accept-Language", "de"}});
  ExpectErrorPage(fr, "invalid_request");
  EXPECT_NE(fr.body.find("lang=\"fr\""), std::string::npos) << fr.body;
  EXPECT_NE(fr.body.find("Cette demande ne peut pas aboutir"), std::string::npos) << fr.body;
  EXPECT_NE(fr.body.find("/login/assets/login.css"), std::string::npos) << fr.body;
}

TEST_P(AuthorizeTest, AnUnregisteredOrAlteredRedirectUriIsAPageNeverARedirect) {
  // OIDC Core §3.1.2.1: exact string comparison; RFC 6749 §4.1.2.1: MUST NOT redirect.
  for (const std::string uri :
       {"https://attacker.example/cb", "https://rp.example/cb/", "https://rp.example/cb?x=1",
        "https://rp.example/cb#f", "HTTPS://rp.example/cb", "https://rp.example:443/cb",
        "http://rp.example/cb", "https://rp.example/CB",
        "https://rp.example.attacker.example/cb"}) {
    SCOPED_TRACE(uri);
    auto p = GoodAuthorization();
    p["redirect_uri"] = uri;
    ExpectErrorPage(Authorize(p), "invalid_request");
  }
}

TEST_P(AuthorizeTest, AnUnknownOrMissingClientIsAPage) {
  auto p = GoodAuthorization();
  p["client_id"] = "cl_unknown";
  ExpectErrorPage(Authorize(p), "invalid_client");
  p.erase("client_id");
  ExpectErrorPage(Authorize(p), "invalid_request");
}

TEST_P(AuthorizeTest, ResponseTypesOtherThanCodeAreRedirectedAsUnsupported) {
  // RFC 6749 §4.1.2.1, after the client and redirect_uri are verified.
  for (const std::string type : {"token", "id_token", "code id_token", "id_token token",
                                 "code token", "code id_token token", "none"}) {
    SCOPED_TRACE(type);
    auto p = GoodAuthorization();
    p["response_type"] = type;
    // Multiple Response Types §2.1, §5: types with token or id_token answer in the fragment.
    const bool fragment = type.find("token") != std::string::npos;
    ExpectRedirectedError(Authorize(p), "unsupported_response_type", "st-1", fragment ? '#' : '?');
    if (fragment) {
      // Never in the query, even when asked for.
      p["response_mode"] = "query";
      ExpectRedirectedError(Authorize(p), "unsupported_response_type", "st-1", '#');
    }
  }
  // With an unverified redirect_uri the page wins.
  auto p = GoodAuthorization();
  p["response_type"] = "token";
  p["redirect_uri"] = "https://attacker.example/cb";
  ExpectErrorPage(Authorize(p), "invalid_request");
}

TEST_P(AuthorizeTest, WithoutOpenidTheScopeIsInvalid) {
  // OIDC Core §3.1.2.1: scope MUST contain openid.
  auto p = GoodAuthorization();
  p["scope"] = "email profile";
  ExpectRedirectedError(Authorize(p), "invalid_scope");
  p.erase("scope");
  ExpectRedirectedError(Authorize(p), "invalid_scope");
}

TEST_P(AuthorizeTest, PkceIsRequiredAndPlainIsRefused) {
  auto p = GoodAuthorization();
  p.erase("code_challenge");
  p.erase("code_challenge_method");
  ExpectRedirectedError(Authorize(p), "invalid_request");  // RFC 7636 §4.4.1
  p = GoodAuthorization();
  p["code_challenge_method"] = "plain";
  ExpectRedirectedError(Authorize(p), "invalid_request");
  p["code_challenge"] = kVerifier;  // what plain would send
  ExpectRedirectedError(Authorize(p), "invalid_request");
  p = GoodAuthorization();
  p.erase("code_challenge_method");  // RFC 7636 §4.3: defaults to plain
  ExpectRedirectedError(Authorize(p), "invalid_request");
}

TEST_P(AuthorizeTest, AMalformedClaimsParameterIsInvalidRequest) {
  // OIDC Core §5.5.
  for (const std::string claims :
       {"not json", "[]", "\"id_token\"", R"({"id_token":[]})", R"({"id_token":{"email":1}})",
        R"({"userinfo":{"email":{"essential":"yes"}}})", R"({"userinfo":[]})",
        R"({"userinfo":{"email":{"values":[]}}})", R"({"id_token":{"email":null})"}) {
    SCOPED_TRACE(claims);
    auto p = GoodAuthorization();
    p["claims"] = claims;
    ExpectRedirectedError(Authorize(p), "invalid_request");
  }
  auto p = GoodAuthorization();
  p["claims"] = R"({"userinfo":{"email":{"essential":true}},"id_token":{"acr":null}})";
  ExpectAccepted(Authorize(p));
  // §5.5, §5.5.1: members and claims that are not understood are ignored.
  p["claims"] = R"({"access_token":{},"userinfo":{"email":{"essential":true,"x":1},"x_y":null}})";
  ExpectAccepted(Authorize(p));
}

TEST_P(AuthorizeTest, AcrValuesAreAPreferenceSoUnknownOnesAreIgnored) {
  // OIDC Core §3.1.2.1: acr_values asks for acr as a voluntary claim.
  auto p = GoodAuthorization();
  p["acr_values"] = "urn:example:unknown-loa";
  ExpectAccepted(Authorize(p));
  p["acr_values"] = "1 2";  // what the OpenID conformance suite sends
  ExpectAccepted(Authorize(p));
  p["acr_values"] = std::string("urn:example:unknown-loa ") + std::string(kAcrAdvanced);
  ExpectAccepted(Authorize(p));

  // The known ones decide the level; the unknown ones do not lower or raise it.
  http::FormParams params;
  for (const auto& [name, value] : p) params.Add(name, value);
  auto outcome = node().authorization().Authorize(params);
  auto* validated = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(validated, nullptr);
  EXPECT_EQ(validated->MinimumLevel(), registry::AssuranceLevel::kAdvanced);
  EXPECT_EQ(validated->acr_values, std::vector<std::string>{std::string(kAcrAdvanced)});
}

TEST_P(AuthorizeTest, AnEssentialAcrTheSchemeCannotMeetIsRefused) {
  // OIDC Core §5.5.1.1: an essential acr with values the OP cannot satisfy is a failed
  // authentication, answered to the client.
  auto p = GoodAuthorization();
  p["claims"] = R"({"id_token":{"acr":{"essential":true,"values":["urn:example:unknown-loa"]}}})";
  ExpectRedirectedError(Authorize(p), "access_denied");
  p["claims"] = R"({"id_token":{"acr":{"essential":true,"value":"urn:example:unknown-loa"}}})";
  ExpectRedirectedError(Authorize(p), "access_denied");

  // Voluntary (not essential): a preference, like acr_values.
  p["claims"] = R"({"id_token":{"acr":{"values":["urn:example:unknown-loa"]}}})";
  ExpectAccepted(Authorize(p));
  // Essential and known: the login runs at that level, whatever acr_values says.
  p["claims"] = std::string(R"({"id_token":{"acr":{"essential":true,"values":[")") +
                std::string(kAcrAdvanced) + R"("]}}})";
  p["acr_values"] = std::string(kAcrBasic);
  ExpectAccepted(Authorize(p));
  http::FormParams params;
  for (const auto& [name, value] : p) params.Add(name, value);
  auto outcome = node().authorization().Authorize(params);
  auto* validated = std::get_if<ValidatedAuthorizationRequest>(&outcome);
  ASSERT_NE(validated, nullptr);
  EXPECT_EQ(validated->MinimumLevel(), registry::AssuranceLevel::kAdvanced);
}

TEST_P(AuthorizeTest, PromptNoneIsLoginRequiredAndNoneWithOthersInvalid) {
  auto p = GoodAuthorization();
  p["prompt"] = "none";
  ExpectRedirectedError(Authorize(p), "login_required");  // OIDC Core §3.1.2.6
  p["prompt"] = "none login";
  ExpectRedirectedError(Authorize(p), "invalid_request");  // OIDC Core §3.1.2.1
  p["prompt"] = "login consent";
  ExpectAccepted(Authorize(p));
}

TEST_P(AuthorizeTest, AnErrorWithoutStateHasNoStateAndStillNamesTheIssuer) {
  auto p = GoodAuthorization();
  p.erase("state");
  p["prompt"] = "none";
  HttpReply r = Authorize(p);
  ASSERT_EQ(r.status, 302);
  auto query = RedirectQuery(r);
  EXPECT_EQ(query["error"], "login_required");
  EXPECT_EQ(query.count("state"), 0u);
  EXPECT_EQ(query["iss"], kIssuer);  // RFC 9207 §2
}

TEST_P(AuthorizeTest, AFormPostErrorIsAFormThatSubmitsItself) {
  // OAuth 2.0 Form Post Response Mode §2: an HTML form posting to redirect_uri, submitted by
  // script (here a same-origin script, so the page's CSP needs no inline script).
  auto p = GoodAuthorization();
  p["response_mode"] = "form_post";
  p["prompt"] = "none";
  HttpReply r = Authorize(p);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.count("location"), 0u);
  EXPECT_NE(r.headers["content-type"].find("text/html"), std::string::npos);
  const std::string& html = r.body;
  EXPECT_NE(html.find(R"(<form id="response" method="post" action="https://rp.example/cb">)"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find(R"(<input type="hidden" name="error" value="login_required">)"),
            std::string::npos);
  EXPECT_NE(html.find(R"(<input type="hidden" name="state" value="st-1">)"), std::string::npos);
  EXPECT_NE(html.find(R"(<input type="hidden" name="iss" value="https://id.example">)"),
            std::string::npos);
  EXPECT_NE(html.find("<script src=\"" + std::string(kFormPostScriptPath) + "\""),
            std::string::npos);
  // The page may post to the client and nowhere else (CSP form-action).
  EXPECT_NE(r.headers["content-security-policy"].find("form-action 'self' https://rp.example"),
            std::string::npos)
      << r.headers["content-security-policy"];
  HttpReply script = idscheme::testing::Get(port_, std::string(kFormPostScriptPath));
  EXPECT_EQ(script.status, 200);
  EXPECT_NE(script.body.find("submit()"), std::string::npos);
}

TEST_P(AuthorizeTest, ASuspendedMemberOrClientIsDeniedOnAPage) {
  // RFC 6749 §4.1.2.1: access_denied, "the authorization server denied the request" (not
  // unauthorized_client, which is about the client's registered flow); not redirected to a
  // service the scheme has suspended.
  ASSERT_TRUE(node().registry().clients().Suspend(client_id_, "operator").ok());
  ExpectErrorPage(Authorize(GoodAuthorization()), "access_denied");
  ASSERT_TRUE(node().registry().clients().Reinstate(client_id_, "operator").ok());
  ExpectAccepted(Authorize(GoodAuthorization()));

  auto member = node().registry().members().Create({registry::Role::kServiceProvider,
                                                    "Other Shop",
                                                    "BE0123456780",
                                                    {"ops@other.example", ""},
                                                    ""},
                                                   "operator");
  ASSERT_TRUE(member.ok());
  ClientKey key = MakeKey("other-1");
  std::string other = AddClient(WebClient(key), member->id);
  ASSERT_TRUE(node().registry().members().Suspend(member->id, "operator").ok());
  auto p = GoodAuthorization();
  p["client_id"] = other;
  ExpectErrorPage(Authorize(p), "access_denied");

  // A client not registered for the code flow is unauthorized_client (RFC 6749 §4.1.2.1).
  std::string m2m =
      AddClient({{"grant_types", {"client_credentials"}}, {"jwks", {{"keys", {key_.public_jwk}}}}});
  p["client_id"] = m2m;
  ExpectErrorPage(Authorize(p), "unauthorized_client");
}

// ------------------------------------------------------------------------------------------
// Request objects (RFC 9101) and pushed requests (RFC 9126).

using RequestObjectTest = ConformanceTest;

TEST_P(RequestObjectTest, AGoodObjectIsAccepted) {
  ExpectAccepted(
      Authorize({{"client_id", client_id_},
                 {"request", SignRequestObject(RequestObjectClaims(client_id_), key_)}}));
}

TEST_P(RequestObjectTest, AlgNoneIsRefused) {
  std::string none = HandMadeJws({{"alg", "none"}}, RequestObjectClaims(client_id_), "");
  ExpectErrorPage(Authorize({{"client_id", client_id_}, {"request", none}}),
                  "invalid_request_object");
}

TEST_P(RequestObjectTest, HmacWithThePublicKeyAsTheSecretIsRefused) {
  // RFC 8725 §2.1: algorithm confusion.
  for (const std::string& secret :
       {key_.public_jwk.dump(), key_.public_jwk["x"].get<std::string>()}) {
    std::string forged =
        HandMadeJws({{"alg", "HS256"}, {"kid", key_.kid}}, RequestObjectClaims(client_id_), secret);
    ExpectErrorPage(Authorize({{"client_id", client_id_}, {"request", forged}}),
                    "invalid_request_object");
  }
}

TEST_P(RequestObjectTest, ExpiredNotYetValidOrForAnotherAudienceIsRefused) {
  // Beyond the 30 s leeway either way.
  json expired = RequestObjectClaims(client_id_);
  expired["iat"] = Now() - 600;
  expired["nbf"] = Now() - 600;
  expired["exp"] = Now() - 60;
  json early = RequestObjectClaims(client_id_);
  early["nbf"] = Now() + 120;
  json no_exp = RequestObjectClaims(client_id_);
  no_exp.erase("exp");
  json too_long = RequestObjectClaims(client_id_);
  too_long["exp"] = Now() + 2 * 3600;  // FAPI 2.0 §5.3.2.1: at most 60 minutes
  json other_aud = RequestObjectClaims(client_id_);
  other_aud["aud"] = "https://other-op.example";
  json token_aud = RequestObjectClaims(client_id_);
  token_aud["aud"] = std::string(kIssuer) + "/token";
  for (const json& claims : {expired, early, no_exp, too_long, other_aud, token_aud}) {
    SCOPED_TRACE(claims.dump());
    ExpectErrorPage(
        Authorize({{"client_id", client_id_}, {"request", SignRequestObject(claims, key_)}}),
        "invalid_request_object");
  }
}

TEST_P(RequestObjectTest, AnObjectOfAnotherClientIsRefused) {
  ClientKey other_key = MakeKey("rp-2");
  std::string other = AddClient(WebClient(other_key));
  // iss another client's, signed with its key, sent under our client_id.
  ExpectErrorPage(
      Authorize({{"client_id", client_id_},
                 {"request", SignRequestObject(RequestObjectClaims(other), other_key)}}),
      "invalid_request_object");
  // Ours, but naming the other client inside (RFC 9101 §5).
  json claims = RequestObjectClaims(client_id_);
  claims["client_id"] = other;
  ExpectErrorPage(
      Authorize({{"client_id", client_id_}, {"request", SignRequestObject(claims, key_)}}),
      "invalid_request_object");
  // Our claims signed by the other client's key.
  ExpectErrorPage(
      Authorize({{"client_id", client_id_},
                 {"request", SignRequestObject(RequestObjectClaims(client_id_), other_key)}}),
      "invalid_request_object");
}

TEST_P(RequestObjectTest, AReplayedObjectIsRefused) {
  std::string object = SignRequestObject(RequestObjectClaims(client_id_), key_);
  ExpectAccepted(Authorize({{"client_id", client_id_}, {"request", object}}));
  ExpectErrorPage(Authorize({{"client_id", client_id_}, {"request", object}}),
                  "invalid_request_object");
}

using PushedRequestTest = ConformanceTest;

TEST_P(PushedRequestTest, ARequestUriIsSingleUse) {
  auto p = GoodAuthorization();
  HttpReply pushed = PostAsClient("/par", {p.begin(), p.end()});
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  const std::string uri = json::parse(pushed.body)["request_uri"];
  // RFC 9110 §9.2.1: a HEAD (a link checker, a prefetch) is safe: it does not use it up.
  HttpReply head = idscheme::testing::SendRaw(
      port_, "HEAD /authorize?" + Encode({{"client_id", client_id_}, {"request_uri", uri}}) +
                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 405) << head.raw;
  ExpectAccepted(Authorize({{"client_id", client_id_}, {"request_uri", uri}}));
  // RFC 9126 §4 (and §7.3: one-time use).
  ExpectErrorPage(Authorize({{"client_id", client_id_}, {"request_uri", uri}}),
                  "invalid_request_uri");
}

TEST_P(PushedRequestTest, AnExpiredOrAnotherClientsRequestUriIsRefused) {
  auto p = GoodAuthorization();
  HttpReply pushed = PostAsClient("/par", {p.begin(), p.end()});
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  json body = json::parse(pushed.body);
  const std::string uri = body["request_uri"];
  EXPECT_EQ(body["expires_in"], 60);
  ClientKey other_key = MakeKey("rp-2");
  std::string other = AddClient(WebClient(other_key));
  ExpectErrorPage(Authorize({{"client_id", other}, {"request_uri", uri}}), "invalid_request_uri");

  HttpReply again = PostAsClient("/par", {p.begin(), p.end()});
  ASSERT_EQ(again.status, 201) << again.body;
  clock().AdvanceSeconds(61);  // RFC 9126 §2.2 expires_in
  ExpectErrorPage(Authorize({{"client_id", client_id_},
                             {"request_uri", json::parse(again.body)["request_uri"]}}),
                  "invalid_request_uri");
  // A request_uri the PAR endpoint never issued.
  ExpectErrorPage(
      Authorize({{"client_id", client_id_}, {"request_uri", "https://rp.example/request.jwt"}}),
      "request_uri_not_supported");
}

TEST_P(PushedRequestTest, ParErrorsAreJsonAnswersNeverRedirects) {
  // RFC 9126 §2.3.
  auto p = GoodAuthorization();
  p["prompt"] = "none";
  HttpReply r = PostAsClient("/par", {p.begin(), p.end()});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "login_required");
  EXPECT_EQ(r.headers.count("location"), 0u);
  p = GoodAuthorization();
  p["request_uri"] = "urn:ietf:params:oauth:request_uri:abc";  // RFC 9126 §2.1
  r = PostAsClient("/par", {p.begin(), p.end()});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_request");
  p = GoodAuthorization();
  p["redirect_uri"] = "https://attacker.example/cb";
  r = PostAsClient("/par", {p.begin(), p.end()});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_request");
  // A pushed request object is verified as at /authorize.
  std::string none = HandMadeJws({{"alg", "none"}}, RequestObjectClaims(client_id_), "");
  r = PostAsClient("/par", {{"request", none}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_request_object");
}

// ------------------------------------------------------------------------------------------
// Client assertions (RFC 7523 §3, OIDC Core §9) at /token and /par.

using ClientAssertionTest = ConformanceTest;

TEST_P(ClientAssertionTest, BadAssertionsAreInvalidClientWithAChallenge) {
  for (const std::string path : {"/token", "/par"}) {
    SCOPED_TRACE(path);
    std::vector<std::pair<std::string, std::string>> params;
    if (path == "/token") {
      params = {{"grant_type", "authorization_code"},
                {"code", IssueCode(client_id_)},
                {"redirect_uri", kRedirect},
                {"code_verifier", kVerifier}};
    } else {
      auto p = GoodAuthorization();
      params.assign(p.begin(), p.end());
    }
    auto post = [&](const std::string& assertion) {
      return idscheme::testing::Post(port_, path, kFormType,
                                     Encode(WithAssertion(params, assertion)));
    };
    json good = AssertionClaims(client_id_, path);
    ExpectInvalidClient(post(HandMadeJws({{"alg", "none"}}, good, "")));
    ExpectInvalidClient(
        post(HandMadeJws({{"alg", "HS256"}, {"kid", key_.kid}}, good, key_.public_jwk.dump())));
    json wrong_aud = AssertionClaims(client_id_, path);
    wrong_aud["aud"] = "https://other-op.example/token";
    ExpectInvalidClient(post(SignAssertion(wrong_aud, key_)));
    json expired = AssertionClaims(client_id_, path);
    expired["iat"] = Now() - 300;
    expired["exp"] = Now() - 60;
    ExpectInvalidClient(post(SignAssertion(expired, key_)));
    json other_sub = AssertionClaims(client_id_, path);
    other_sub["sub"] = "cl_someone_else";
    ExpectInvalidClient(post(SignAssertion(other_sub, key_)));
    ExpectInvalidClient(post(SignAssertion(AssertionClaims(client_id_, path), MakeKey(key_.kid))));
    // RFC 7523 §3 item 7: a jti is accepted once; the replay fails on every node.
    std::string once = SignAssertion(AssertionClaims(client_id_, path), key_);
    HttpReply first = post(once);
    EXPECT_EQ(first.status, path == "/token" ? 200 : 201) << first.body;
    ExpectInvalidClient(post(once));
  }
}

TEST_P(ClientAssertionTest, ASecretSentAsBasicGetsABasicChallenge) {
  // RFC 6749 §5.2: a client that used the Authorization header gets that scheme's challenge.
  const std::string credentials = client_id_ + ":wrong-secret";
  HttpReply r = idscheme::testing::Post(
      port_, "/token", kFormType, "grant_type=client_credentials",
      {{"Authorization", "Basic " + Base64Encode(std::span<const uint8_t>(
                                        reinterpret_cast<const uint8_t*>(credentials.data()),
                                        credentials.size()))}});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_client");
  EXPECT_EQ(r.headers["www-authenticate"].rfind("Basic ", 0), 0u) << r.headers["www-authenticate"];
}

// The code grant accepts the assertion's jti in the transaction that takes the code; whatever
// the grant answers, the jti counts exactly as if it had been accepted first.
TEST_P(ClientAssertionTest, AtTheTokenEndpointAJtiIsSpentByEveryAnswer) {
  auto post_code = [&](const std::string& assertion, const std::string& code,
                       const std::string& grant_type = "authorization_code") {
    return idscheme::testing::Post(port_, "/token", kFormType,
                                   Encode(WithAssertion({{"grant_type", grant_type},
                                                         {"code", code},
                                                         {"redirect_uri", kRedirect},
                                                         {"code_verifier", kVerifier}},
                                                        assertion)));
  };
  auto fresh = [&] { return SignAssertion(AssertionClaims(client_id_, "/token"), key_); };

  // A replay with a good code: invalid_client, and the code is left untouched.
  const std::string once = fresh();
  ASSERT_EQ(post_code(once, IssueCode(client_id_)).status, 200);
  const std::string untouched = IssueCode(client_id_);
  ExpectInvalidClient(post_code(once, untouched));
  EXPECT_EQ(post_code(fresh(), untouched).status, 200);

  // A grant that fails still spends its assertion: an unknown code, then a wrong verifier.
  for (const std::string& code : {std::string("no-such-code"), IssueCode(client_id_)}) {
    const std::string spent = fresh();
    auto body = WithAssertion({{"grant_type", "authorization_code"},
                               {"code", code},
                               {"redirect_uri", kRedirect},
                               {"code_verifier", std::string(43, 'x')}},
                              spent);
    HttpReply refused = idscheme::testing::Post(port_, "/token", kFormType, Encode(body));
    EXPECT_EQ(ErrorOf(refused), "invalid_grant") << refused.body;
    ExpectInvalidClient(post_code(spent, IssueCode(client_id_)));
  }
  // So does a grant type this server does not serve.
  const std::string spent = fresh();
  EXPECT_EQ(ErrorOf(post_code(spent, "", "password")), "unsupported_grant_type");
  ExpectInvalidClient(post_code(spent, IssueCode(client_id_)));

  // A replay with a DPoP proof is refused before the proof is spent: the proof still works.
  const ClientKey dpop_key = MakeKey("dpop-1");
  const std::string dpop_code = IssueCode(client_id_);
  const std::string proof = DpopProof(dpop_key, "POST", "/token");
  auto with_proof = [&](const std::string& assertion) {
    return idscheme::testing::Post(port_, "/token", kFormType,
                                   Encode(WithAssertion({{"grant_type", "authorization_code"},
                                                         {"code", dpop_code},
                                                         {"redirect_uri", kRedirect},
                                                         {"code_verifier", kVerifier}},
                                                        assertion)),
                                   {{"DPoP", proof}});
  };
  ExpectInvalidClient(with_proof(once));
  HttpReply bound = with_proof(fresh());
  EXPECT_EQ(bound.status, 200) << bound.body;
  EXPECT_EQ(json::parse(bound.body, nullptr, false).value("token_type", ""), "DPoP");

  // A replay with a code already redeemed is refused as a replay: it revokes nothing, while the
  // same code with a fresh assertion is a reuse that revokes what the code gave.
  const std::string code = IssueCode(client_id_);
  const std::string first = fresh();
  HttpReply issued = post_code(first, code);
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string access = json::parse(issued.body, nullptr, false).value("access_token", "");
  ExpectInvalidClient(post_code(first, code));
  EXPECT_TRUE(Active(access));
  EXPECT_EQ(ErrorOf(post_code(fresh(), code)), "invalid_grant");
  EXPECT_FALSE(Active(access));
}

// PAR accepts the assertion's jti in the write that stores the pushed request; every answer
// still spends it, and a replay is invalid_client whatever else is wrong.
TEST_P(ClientAssertionTest, AtParAJtiIsSpentByEveryAnswer) {
  auto push = [&](const std::string& assertion, std::map<std::string, std::string> params) {
    std::vector<std::pair<std::string, std::string>> list(params.begin(), params.end());
    return idscheme::testing::Post(port_, "/par", kFormType,
                                   Encode(WithAssertion(std::move(list), assertion)));
  };
  auto fresh = [&] { return SignAssertion(AssertionClaims(client_id_, "/par"), key_); };
  auto without_pkce = GoodAuthorization();
  without_pkce.erase("code_challenge");
  auto with_request_uri = GoodAuthorization();
  with_request_uri["request_uri"] = "urn:ietf:params:oauth:request_uri:x";
  for (const auto& refused : {without_pkce, with_request_uri}) {
    const std::string spent = fresh();
    HttpReply first = push(spent, refused);
    EXPECT_EQ(first.status, 400) << first.body;
    EXPECT_EQ(ErrorOf(first), "invalid_request") << first.body;
    ExpectInvalidClient(push(spent, GoodAuthorization()));
  }
  const std::string once = fresh();
  EXPECT_EQ(push(once, GoodAuthorization()).status, 201);
  ExpectInvalidClient(push(once, with_request_uri));
  ExpectInvalidClient(push(once, GoodAuthorization()));
}

// The same assertion with two good codes at once: one answer has tokens, the other is
// invalid_client, and the code of the refused request can still be redeemed.
TEST_P(ClientAssertionTest, OneAssertionRacingWithTwoCodesGetsOneAnswer) {
  const std::string assertion = SignAssertion(AssertionClaims(client_id_, "/token"), key_);
  const std::string codes[2] = {IssueCode(client_id_), IssueCode(client_id_)};
  HttpReply replies[2];
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        replies[i] =
            idscheme::testing::Post(port_, "/token", kFormType,
                                    Encode(WithAssertion({{"grant_type", "authorization_code"},
                                                          {"code", codes[i]},
                                                          {"redirect_uri", kRedirect},
                                                          {"code_verifier", kVerifier}},
                                                         assertion)));
      });
    }
    for (auto& t : threads) t.join();
  }
  const int winner = replies[0].status == 200 ? 0 : 1;
  EXPECT_EQ(replies[winner].status, 200) << replies[winner].body;
  ExpectInvalidClient(replies[1 - winner]);
  EXPECT_EQ(Redeem(codes[1 - winner]).status, 200);
}

// ------------------------------------------------------------------------------------------
// The token endpoint (RFC 6749 §4.1.3, §5.2; RFC 7636 §4.6).

using TokenTest = ConformanceTest;

TEST_P(TokenTest, AGoodCodeGivesTokens) {
  json tokens = Tokens(IssueCode(client_id_));
  EXPECT_EQ(tokens.value("token_type", ""), "Bearer");
  EXPECT_TRUE(tokens.contains("id_token"));
  EXPECT_TRUE(tokens.contains("refresh_token"));
  EXPECT_EQ(Userinfo("Bearer " + tokens.value("access_token", "")).status, 200);
}

TEST_P(TokenTest, AnotherRedirectUriIsInvalidGrant) {
  HttpReply r = Redeem(IssueCode(client_id_), kVerifier, "https://rp.example/other");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_grant");
}

TEST_P(TokenTest, AMissingOrWrongVerifierIsInvalidGrant) {
  // RFC 7636 §4.6.
  for (const std::string& verifier :
       {std::string(), std::string(43, 'a'), std::string(kChallenge), std::string(kVerifier) + "x",
        std::string("dBjftJeZ4CVP-mJ0kzyzFfVXiM9H5pctYPHNVHAk5N1")}) {
    SCOPED_TRACE(verifier);
    HttpReply r = Redeem(IssueCode(client_id_), verifier);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorOf(r), "invalid_grant") << r.body;
  }
}

TEST_P(TokenTest, AReusedCodeIsRefusedAndRevokesWhatItGave) {
  // RFC 6749 §4.1.2: the second use fails and the tokens of the first SHOULD be revoked.
  const std::string code = IssueCode(client_id_);
  json tokens = Tokens(code);
  const std::string access = tokens.value("access_token", "");
  ASSERT_EQ(Userinfo("Bearer " + access).status, 200);
  ASSERT_TRUE(Active(access));

  HttpReply again = Redeem(code);
  EXPECT_EQ(again.status, 400) << again.body;
  EXPECT_EQ(ErrorOf(again), "invalid_grant");

  HttpReply info = Userinfo("Bearer " + access);
  EXPECT_EQ(info.status, 401) << info.body;
  EXPECT_EQ(info.headers["www-authenticate"].rfind(R"(Bearer error="invalid_token")", 0), 0u)
      << info.headers["www-authenticate"];
  EXPECT_FALSE(Active(access));  // RFC 7662 §2.2
  HttpReply refresh = PostAsClient(
      "/token",
      {{"grant_type", "refresh_token"}, {"refresh_token", tokens.value("refresh_token", "")}});
  EXPECT_EQ(refresh.status, 400) << refresh.body;
  EXPECT_EQ(ErrorOf(refresh), "invalid_grant");
}

TEST_P(TokenTest, AnExpiredCodeIsInvalidGrant) {
  const std::string code = IssueCode(client_id_);
  clock().AdvanceSeconds(61);  // oidc.code_lifetime_seconds = 60
  HttpReply r = Redeem(code);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_grant");
}

TEST_P(TokenTest, AnUnsupportedGrantTypeIsSaidSo) {
  for (const std::string grant : {"password", "urn:ietf:params:oauth:grant-type:device_code",
                                  "implicit", "Authorization_code"}) {
    SCOPED_TRACE(grant);
    HttpReply r = PostAsClient("/token", {{"grant_type", grant}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(ErrorOf(r), "unsupported_grant_type");
  }
  HttpReply r = PostAsClient("/token", {});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_request");  // grant_type missing
}

TEST_P(TokenTest, AnotherClientsCodeIsInvalidGrant) {
  // RFC 6749 §4.1.3: the code was issued to the authenticated client.
  ClientKey other_key = MakeKey("rp-2");
  std::string other = AddClient(WebClient(other_key));
  HttpReply r = Redeem(IssueCode(client_id_), kVerifier, kRedirect, {}, other, &other_key);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_grant");
}

// ------------------------------------------------------------------------------------------
// Revocation (RFC 7009) and what the resource then answers (RFC 6750 §3, RFC 9449 §7.1).

using RevocationTest = ConformanceTest;

TEST_P(RevocationTest, ARevokedAccessTokenIsInvalidTokenAtUserinfo) {
  json tokens = Tokens(IssueCode(client_id_));
  const std::string access = tokens.value("access_token", "");
  ASSERT_EQ(Userinfo("Bearer " + access).status, 200);
  HttpReply revoked = PostAsClient("/revoke", {{"token", access}});
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  HttpReply info = Userinfo("Bearer " + access);
  EXPECT_EQ(info.status, 401) << info.body;
  EXPECT_EQ(info.headers["www-authenticate"].rfind(R"(Bearer error="invalid_token")", 0), 0u)
      << info.headers["www-authenticate"];
  EXPECT_FALSE(Active(access));
}

TEST_P(RevocationTest, ARevokedRefreshTokenIsInvalidGrantAndTakesItsAccessTokens) {
  json tokens = Tokens(IssueCode(client_id_));
  const std::string refresh = tokens.value("refresh_token", "");
  const std::string access = tokens.value("access_token", "");
  HttpReply revoked =
      PostAsClient("/revoke", {{"token", refresh}, {"token_type_hint", "refresh_token"}});
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  HttpReply r =
      PostAsClient("/token", {{"grant_type", "refresh_token"}, {"refresh_token", refresh}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorOf(r), "invalid_grant");
  EXPECT_EQ(Userinfo("Bearer " + access).status, 401);  // RFC 7009 §2.1
}

TEST_P(RevocationTest, ARevokedDpopTokenGetsADpopChallenge) {
  ClientKey dpop_key = MakeKey("dpop-1");
  json metadata = WebClient(key_);
  metadata["dpop_bound_access_tokens"] = true;
  client_id_ = AddClient(metadata);
  HttpReply issued = Redeem(IssueCode(client_id_), kVerifier, kRedirect,
                            {{"DPoP", DpopProof(dpop_key, "POST", "/token")}});
  ASSERT_EQ(issued.status, 200) << issued.body;
  json tokens = json::parse(issued.body);
  EXPECT_EQ(tokens["token_type"], "DPoP");
  const std::string access = tokens["access_token"];
  HttpReply ok =
      Userinfo("DPoP " + access, {{"DPoP", DpopProof(dpop_key, "GET", "/userinfo", access)}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  // RFC 9449 §7.2: a bound token sent as Bearer is refused.
  EXPECT_EQ(Userinfo("Bearer " + access).status, 401);

  ASSERT_EQ(PostAsClient("/revoke", {{"token", access}}).status, 200);
  HttpReply info =
      Userinfo("DPoP " + access, {{"DPoP", DpopProof(dpop_key, "GET", "/userinfo", access)}});
  EXPECT_EQ(info.status, 401) << info.body;
  const std::string& challenge = info.headers["www-authenticate"];
  EXPECT_EQ(challenge.rfind(R"(DPoP error="invalid_token")", 0), 0u) << challenge;
  EXPECT_NE(challenge.find("algs=\""), std::string::npos) << challenge;
}

// ------------------------------------------------------------------------------------------
// The member APIs answer a failed bearer check in the scheme the caller used (RFC 6750 §3,
// RFC 9449 §7.1).

using MemberApiChallengeTest = ConformanceTest;

TEST_P(MemberApiChallengeTest, ARevokedTokenIsAnsweredInTheCallersScheme) {
  ClientKey key = MakeKey("reg-1");
  ClientKey dpop_key = MakeKey("dpop-1");
  std::string registrar_client = AddClient({{"grant_types", {"client_credentials"}},
                                            {"jwks", {{"keys", {key.public_jwk}}}},
                                            {"dpop_bound_access_tokens", true}},
                                           shared_->registrar_member);
  HttpReply issued =
      PostAsClient("/token", {{"grant_type", "client_credentials"}},
                   {{"DPoP", DpopProof(dpop_key, "POST", "/token")}}, registrar_client, &key);
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string access = json::parse(issued.body)["access_token"];
  const std::string identities = "/registrar/v1/identities/idn_unknown";
  auto call = [&](const std::string& path, const std::string& scheme) {
    std::map<std::string, std::string> headers = {{"Authorization", scheme + " " + access}};
    if (scheme == "DPoP") headers["DPoP"] = DpopProof(dpop_key, "GET", path, access);
    return idscheme::testing::Get(port_, path, headers);
  };
  HttpReply before = call(identities, "DPoP");
  EXPECT_EQ(before.status, 404) << before.body;  // authenticated: the identity is unknown

  ASSERT_EQ(PostAsClient("/revoke", {{"token", access}}, {}, registrar_client, &key).status, 200);
  for (const std::string& path :
       {identities, std::string("/simcontroller/v1/bindings"), std::string("/admin/v1/members")}) {
    SCOPED_TRACE(path);
    HttpReply dpop = call(path, "DPoP");
    EXPECT_EQ(dpop.status, 401) << dpop.body;
    EXPECT_EQ(dpop.headers["www-authenticate"].rfind(R"(DPoP error="invalid_token")", 0), 0u)
        << dpop.headers["www-authenticate"];
    HttpReply bearer = call(path, "Bearer");
    EXPECT_EQ(bearer.status, 401) << bearer.body;
    EXPECT_EQ(bearer.headers["www-authenticate"].rfind("Bearer error=", 0), 0u)
        << bearer.headers["www-authenticate"];
  }
  // No credentials at all: a bare Bearer challenge (RFC 6750 §3.1).
  HttpReply none = idscheme::testing::Get(port_, identities);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer");
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthorizeTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, RequestObjectTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, PushedRequestTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, ClientAssertionTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, TokenTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, RevocationTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, MemberApiChallengeTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oidc
