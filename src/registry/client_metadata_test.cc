#include "registry/client_metadata.h"

#include <gtest/gtest.h>

#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::TestJwks;
using testing::WebClientMetadata;

// The error of validating `metadata`, or "" when it is accepted.
std::string ErrorOf(const json& metadata) {
  auto m = ValidateClientMetadata(metadata);
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(m.status().oauth_error().empty());  // mapped to invalid_request
  return m.status().message();
}

json With(json base, const std::string& key, json value) {
  base[key] = std::move(value);
  return base;
}

json Without(json base, const std::string& key) {
  base.erase(key);
  return base;
}

TEST(ClientMetadataTest, DefaultsForAWebClient) {
  auto m = ValidateClientMetadata(WebClientMetadata());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->grant_types, std::vector<std::string>{"authorization_code"});
  EXPECT_EQ(m->response_types, std::vector<std::string>{"code"});
  EXPECT_EQ(m->token_endpoint_auth_method, "private_key_jwt");
  EXPECT_EQ(m->id_token_signed_response_alg, "ES256");
  EXPECT_EQ(m->subject_type, "pairwise");
  EXPECT_EQ(m->scope, "openid");
  EXPECT_FALSE(m->UsesSecret());
  EXPECT_FALSE(m->require_pushed_authorization_requests);
  EXPECT_EQ(SectorIdentifier(*m), "rp.example");
}

TEST(ClientMetadataTest, EverythingRegistrableRoundTrips) {
  json full = {
      {"redirect_uris", {"https://rp.example/cb", "https://rp.example/cb2?x=1"}},
      {"post_logout_redirect_uris", {"https://rp.example/bye", "http://127.0.0.1:8080/bye?x=1"}},
      {"grant_types", {"authorization_code", "refresh_token", "urn:openid:params:grant-type:ciba"}},
      {"response_types", {"code"}},
      {"token_endpoint_auth_method", "private_key_jwt"},
      {"token_endpoint_auth_signing_alg", "PS256"},
      {"jwks_uri", "https://rp.example/jwks"},
      {"id_token_signed_response_alg", "RS256"},
      {"id_token_encrypted_response_alg", "RSA-OAEP-256"},
      {"id_token_encrypted_response_enc", "A256GCM"},
      {"userinfo_signed_response_alg", "EdDSA"},
      {"userinfo_encrypted_response_alg", "ECDH-ES"},
      {"request_object_signing_alg", "ES256"},
      {"subject_type", "pairwise"},
      {"sector_identifier_uri", "https://sector.example/uris.json"},
      {"default_acr_values", {"advanced", "basic"}},
      {"require_pushed_authorization_requests", true},
      {"dpop_bound_access_tokens", true},
      {"backchannel_token_delivery_mode", "ping"},
      {"backchannel_client_notification_endpoint", "https://rp.example/ciba"},
      {"client_name", "Acme \u00e9l\u00e9gant"},
      {"scope", "openid profile email offline_access"},
  };
  auto m = ValidateClientMetadata(full);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->userinfo_encrypted_response_enc, "A128CBC-HS256");  // OIDC Registration §2
  EXPECT_EQ(SectorIdentifier(*m), "sector.example");
  json out = m->ToJson();
  full["userinfo_encrypted_response_enc"] = "A128CBC-HS256";
  EXPECT_EQ(out, full);
  auto again = ValidateClientMetadata(out);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), out);
  EXPECT_EQ(ClientMetadataFromStored(out).ToJson(), out);
}

TEST(ClientMetadataTest, PostLogoutRedirectUrisMatchExactly) {
  auto m = ValidateClientMetadata(
      With(WebClientMetadata(), "post_logout_redirect_uris",
           {"https://rp.example/bye?from=idscheme", "http://localhost:9000/bye"}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(IsRegisteredPostLogoutRedirectUri(*m, "https://rp.example/bye?from=idscheme"));
  EXPECT_TRUE(IsRegisteredPostLogoutRedirectUri(*m, "http://localhost:9000/bye"));
  for (const char* other : {"https://rp.example/bye", "https://rp.example/bye?from=idscheme&x=1",
                            "https://RP.example/bye?from=idscheme", "http://localhost:9001/bye",
                            "https://rp.example/cb", ""}) {
    EXPECT_FALSE(IsRegisteredPostLogoutRedirectUri(*m, other)) << other;
  }
  // Not registered: none matches, and the stored form leaves the member out.
  auto plain = ValidateClientMetadata(WebClientMetadata());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(IsRegisteredPostLogoutRedirectUri(*plain, "https://rp.example/cb"));
  EXPECT_FALSE(plain->ToJson().contains("post_logout_redirect_uris"));
  EXPECT_EQ(ClientMetadataFromStored(m->ToJson()).post_logout_redirect_uris,
            m->post_logout_redirect_uris);
}

TEST(ClientMetadataTest, OurAlgorithmNamesAreOnesTheCryptoLayerKnows) {
  for (auto alg : {"ES256", "PS256", "RS256", "EdDSA"})
    EXPECT_TRUE(crypto::ParseSigAlg(alg).has_value()) << alg;
  for (auto alg : {"RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW",
                   "ECDH-ES+A256KW"})
    EXPECT_TRUE(crypto::ParseKeyMgmtAlg(alg).has_value()) << alg;
  for (auto enc :
       {"A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"})
    EXPECT_TRUE(crypto::ParseContentEnc(enc).has_value()) << enc;
}

struct Rejection {
  const char* name;
  json metadata;
  const char* error_prefix;  // the message starts with it: the field, then what
};

class ClientMetadataRejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(ClientMetadataRejectionTest, NamesTheField) {
  std::string error = ErrorOf(GetParam().metadata);
  EXPECT_EQ(error.rfind(GetParam().error_prefix, 0), 0u)
      << "got \"" << error << "\", want a message starting with \"" << GetParam().error_prefix
      << "\"";
}

const json kWeb = WebClientMetadata();
const json kCc = {{"grant_types", {"client_credentials"}}, {"jwks", TestJwks()}};

json Redirect(const std::string& uri) { return With(kWeb, "redirect_uris", json::array({uri})); }
json PostLogout(const std::string& uri) {
  return With(kWeb, "post_logout_redirect_uris", json::array({uri}));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ClientMetadataRejectionTest,
    ::testing::Values(
        Rejection{"NotAnObject", json::array(), "client metadata: must be a JSON object"},
        Rejection{"UnknownField", With(kWeb, "logo_uri", "https://x"), "logo_uri: unknown field"},
        Rejection{"ServerField", With(kWeb, "client_id", "c_1"), "client_id: is set by the server"},
        Rejection{"SecretGiven", With(kWeb, "client_secret", "s"), "client_secret: is set by the"},
        // redirect_uris: OIDC Registration §2, RFC 6749 §3.1.2, RFC 8252 §7.3.
        Rejection{"RedirectMissing", Without(kWeb, "redirect_uris"),
                  "redirect_uris: required for the authorization_code grant"},
        Rejection{"RedirectEmpty", With(kWeb, "redirect_uris", json::array()),
                  "redirect_uris: required for the authorization_code grant"},
        Rejection{"RedirectNotArray", With(kWeb, "redirect_uris", "https://rp.example/cb"),
                  "redirect_uris: must be an array of strings"},
        Rejection{"RedirectNotString", With(kWeb, "redirect_uris", json::array({1})),
                  "redirect_uris[0]: must be a string"},
        Rejection{"RedirectDuplicate",
                  With(kWeb, "redirect_uris", {"https://rp.example/a", "https://rp.example/a"}),
                  "redirect_uris[1]: duplicate value"},
        Rejection{"RedirectHttp", Redirect("http://rp.example/cb"),
                  "redirect_uris[0]: must use https"},
        Rejection{"RedirectHttpLoopbackLookalike", Redirect("http://localhost.evil.example/cb"),
                  "redirect_uris[0]: must use https"},
        Rejection{"RedirectHttp127Lookalike", Redirect("http://127.0.0.1.evil.example/cb"),
                  "redirect_uris[0]: must use https"},
        Rejection{"RedirectCustomScheme", Redirect("com.example.app:/cb"),
                  "redirect_uris[0]: must be an absolute https URI"},
        Rejection{"RedirectOtherScheme", Redirect("javascript://x/%0aalert(1)"),
                  "redirect_uris[0]: must use https"},
        Rejection{"RedirectUpperScheme", Redirect("HTTPS://rp.example/cb"),
                  "redirect_uris[0]: must use https"},
        Rejection{"RedirectRelative", Redirect("/cb"), "redirect_uris[0]: must be an absolute"},
        Rejection{"RedirectFragment", Redirect("https://rp.example/cb#x"),
                  "redirect_uris[0]: must not contain a fragment"},
        Rejection{"RedirectEmptyFragment", Redirect("https://rp.example/cb#"),
                  "redirect_uris[0]: must not contain a fragment"},
        Rejection{"RedirectWildcardHost", Redirect("https://*.rp.example/cb"),
                  "redirect_uris[0]: must not contain a wildcard"},
        Rejection{"RedirectWildcardPath", Redirect("https://rp.example/*"),
                  "redirect_uris[0]: must not contain a wildcard"},
        Rejection{"RedirectUserinfo", Redirect("https://rp.example@evil.example/cb"),
                  "redirect_uris[0]: must not contain user information"},
        Rejection{"RedirectNoHost", Redirect("https:///cb"), "redirect_uris[0]: has no host"},
        Rejection{"RedirectUpperHost", Redirect("https://RP.example/cb"),
                  "redirect_uris[0]: host must be written in lower case"},
        Rejection{"RedirectSpace", Redirect("https://rp.example/c b"),
                  "redirect_uris[0]: contains a character not allowed"},
        Rejection{"RedirectBackslash", Redirect("https://rp.example\\@evil.example/"),
                  "redirect_uris[0]: contains a character not allowed"},
        Rejection{"RedirectBadPercent", Redirect("https://rp.example/%zz"),
                  "redirect_uris[0]: contains a malformed percent-encoding"},
        Rejection{"RedirectPercentHost", Redirect("https://rp%2eexample/cb"),
                  "redirect_uris[0]: malformed host"},
        Rejection{"RedirectDotSegment", Redirect("https://rp.example/a/../cb"),
                  "redirect_uris[0]: must not contain dot segments"},
        Rejection{"RedirectEncodedDotSegment", Redirect("https://rp.example/a/%2E%2e/cb"),
                  "redirect_uris[0]: must not contain dot segments"},
        Rejection{"RedirectBadPort", Redirect("https://rp.example:99999/cb"),
                  "redirect_uris[0]: malformed port"},
        Rejection{"RedirectEmptyPort", Redirect("https://rp.example:/cb"),
                  "redirect_uris[0]: empty port"},
        Rejection{"RedirectBadIpv6", Redirect("http://[::1/cb"),
                  "redirect_uris[0]: malformed IPv6 host"},
        Rejection{"RedirectNonAscii", Redirect("https://rp.example/caf\u00e9"),
                  "redirect_uris[0]: contains a character not allowed"},
        Rejection{"RedirectTooLong", Redirect("https://rp.example/" + std::string(2000, 'a')),
                  "redirect_uris[0]: longer than 2000"},
        Rejection{"RedirectWithoutCodeGrant", With(kCc, "redirect_uris", {"https://rp.example/cb"}),
                  "redirect_uris: only for the authorization_code grant"},
        // post_logout_redirect_uris: OIDC RP-Initiated Logout §3.1, the redirect URI rules.
        Rejection{"PostLogoutNotArray", With(kWeb, "post_logout_redirect_uris", "https://x/"),
                  "post_logout_redirect_uris: must be an array of strings"},
        Rejection{"PostLogoutNotString", With(kWeb, "post_logout_redirect_uris", {1}),
                  "post_logout_redirect_uris[0]: must be a string"},
        Rejection{"PostLogoutDuplicate",
                  With(kWeb, "post_logout_redirect_uris",
                       {"https://rp.example/a", "https://rp.example/a"}),
                  "post_logout_redirect_uris[1]: duplicate value"},
        Rejection{"PostLogoutHttp", PostLogout("http://rp.example/bye"),
                  "post_logout_redirect_uris[0]: must use https"},
        Rejection{"PostLogoutRelative", PostLogout("/bye"),
                  "post_logout_redirect_uris[0]: must be an absolute"},
        Rejection{"PostLogoutFragment", PostLogout("https://rp.example/bye#x"),
                  "post_logout_redirect_uris[0]: must not contain a fragment"},
        Rejection{"PostLogoutWildcard", PostLogout("https://*.rp.example/bye"),
                  "post_logout_redirect_uris[0]: must not contain a wildcard"},
        Rejection{"PostLogoutUserInfo", PostLogout("https://rp.example@evil.example/bye"),
                  "post_logout_redirect_uris[0]: must not contain user information"},
        Rejection{"PostLogoutJavascript", PostLogout("javascript:alert(1)"),
                  "post_logout_redirect_uris[0]: must"},
        Rejection{"PostLogoutTooMany",
                  With(kWeb, "post_logout_redirect_uris",
                       [] {
                         json a = json::array();
                         for (int i = 0; i < 51; ++i)
                           a.push_back("https://rp.example/bye" + std::to_string(i));
                         return a;
                       }()),
                  "post_logout_redirect_uris: more than 50"},
        Rejection{"PostLogoutWithoutCodeGrant",
                  With(kCc, "post_logout_redirect_uris", {"https://rp.example/bye"}),
                  "post_logout_redirect_uris: only for the authorization_code grant"},
        // grant_types / response_types: RFC 7591 §2.1.
        Rejection{"UnknownGrant", With(kWeb, "grant_types", {"password"}),
                  "grant_types[0]: unsupported grant type"},
        Rejection{"ImplicitGrant", With(kWeb, "grant_types", {"implicit"}),
                  "grant_types[0]: unsupported grant type"},
        Rejection{"EmptyGrants", With(kWeb, "grant_types", json::array()),
                  "grant_types: must not be empty"},
        Rejection{"RefreshAlone",
                  With(Without(kWeb, "redirect_uris"), "grant_types", {"refresh_token"}),
                  "grant_types: refresh_token needs authorization_code"},
        Rejection{"TokenResponseType", With(kWeb, "response_types", {"code", "id_token"}),
                  "response_types[1]: only \"code\""},
        Rejection{"CodeWithoutGrant", With(kCc, "response_types", {"code"}),
                  "response_types: \"code\" and the authorization_code grant go together"},
        Rejection{"GrantWithoutCode", With(kWeb, "response_types", json::array()),
                  "response_types: \"code\" and the authorization_code grant go together"},
        // Client authentication and keys: RFC 7591 §2.
        Rejection{"AuthNone", With(kWeb, "token_endpoint_auth_method", "none"),
                  "token_endpoint_auth_method: public clients are not allowed"},
        Rejection{"AuthSecretJwt", With(kWeb, "token_endpoint_auth_method", "client_secret_jwt"),
                  "token_endpoint_auth_method: must be private_key_jwt, client_secret_basic"},
        Rejection{"AuthNotString", With(kWeb, "token_endpoint_auth_method", 1),
                  "token_endpoint_auth_method: must be a string"},
        Rejection{"AuthAlgNone", With(kWeb, "token_endpoint_auth_signing_alg", "none"),
                  "token_endpoint_auth_signing_alg: \"none\" is not allowed"},
        Rejection{"AuthAlgHmac", With(kWeb, "token_endpoint_auth_signing_alg", "HS256"),
                  "token_endpoint_auth_signing_alg: must be one of"},
        Rejection{"AuthAlgWithSecret",
                  With(With(kWeb, "token_endpoint_auth_method", "client_secret_basic"),
                       "token_endpoint_auth_signing_alg", "ES256"),
                  "token_endpoint_auth_signing_alg: only with private_key_jwt"},
        Rejection{"NoKeysForJwt", Without(kWeb, "jwks"), "jwks: private_key_jwt needs"},
        Rejection{"JwksAndUri", With(kWeb, "jwks_uri", "https://rp.example/jwks"),
                  "jwks: give jwks or jwks_uri, not both"},
        Rejection{"JwksNotObject", With(kWeb, "jwks", "x"), "jwks: must be a JWK Set"},
        Rejection{"JwksNoKeys", With(kWeb, "jwks", json{{"keys", json::array()}}),
                  "jwks: holds no key"},
        Rejection{"JwksMissingKeys", With(kWeb, "jwks", json::object()), "jwks: JWK Set"},
        Rejection{"JwksPrivateKey",
                  With(kWeb, "jwks",
                       json{{"keys",
                             {{{"kty", "EC"},
                               {"crv", "P-256"},
                               {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                               {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                               {"d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}}}}}),
                  "jwks: JWK Set: key 0: JWK: private member \"d\""},
        Rejection{"JwksSymmetric",
                  With(kWeb, "jwks", json{{"keys", {{{"kty", "oct"}, {"k", "AAAA"}}}}}),
                  "jwks: JWK Set: key 0: JWK: private member \"k\""},
        Rejection{"JwksUriHttp", With(Without(kWeb, "jwks"), "jwks_uri", "http://localhost/jwks"),
                  "jwks_uri: must use https"},
        Rejection{"JwksUriEmpty", With(Without(kWeb, "jwks"), "jwks_uri", ""),
                  "jwks_uri: must not be empty"},
        // Algorithms: OIDC Registration §2.
        Rejection{"IdTokenAlgNone", With(kWeb, "id_token_signed_response_alg", "none"),
                  "id_token_signed_response_alg: \"none\" is not allowed"},
        Rejection{"IdTokenAlgHmac", With(kWeb, "id_token_signed_response_alg", "HS256"),
                  "id_token_signed_response_alg: must be one of ES256, PS256, RS256, EdDSA"},
        Rejection{"UserinfoAlg", With(kWeb, "userinfo_signed_response_alg", "ES512"),
                  "userinfo_signed_response_alg: must be one of"},
        Rejection{"RequestObjectNone", With(kWeb, "request_object_signing_alg", "none"),
                  "request_object_signing_alg: \"none\" is not allowed"},
        Rejection{"EncWithoutAlg", With(kWeb, "id_token_encrypted_response_enc", "A128GCM"),
                  "id_token_encrypted_response_enc: needs id_token_encrypted_response_alg"},
        Rejection{"EncAlgRsa15", With(kWeb, "id_token_encrypted_response_alg", "RSA1_5"),
                  "id_token_encrypted_response_alg: RSA1_5 is not allowed"},
        Rejection{"EncAlgDir", With(kWeb, "userinfo_encrypted_response_alg", "dir"),
                  "userinfo_encrypted_response_alg: must be one of"},
        // Known to JOSE but not produced by the OpenID Provider: refused at registration.
        Rejection{"EncAlgNotProduced", With(kWeb, "id_token_encrypted_response_alg", "RSA-OAEP"),
                  "id_token_encrypted_response_alg: must be one of"},
        Rejection{"EncEncNotProduced",
                  With(With(kWeb, "id_token_encrypted_response_alg", "ECDH-ES+A256KW"),
                       "id_token_encrypted_response_enc", "A192GCM"),
                  "id_token_encrypted_response_enc: must be one of"},
        Rejection{"EncBadEnc",
                  With(With(kWeb, "userinfo_encrypted_response_alg", "ECDH-ES"),
                       "userinfo_encrypted_response_enc", "A128CTR"),
                  "userinfo_encrypted_response_enc: must be one of"},
        // OIDC Registration §2: keys given by value must hold one to encrypt to.
        Rejection{"EncWithoutAKeyToEncryptTo",
                  With(kWeb, "id_token_encrypted_response_alg", "RSA-OAEP-256"),
                  "id_token_encrypted_response_alg: jwks holds no key to encrypt to with "
                  "RSA-OAEP-256 and A128CBC-HS256"},
        Rejection{
            "EncWithoutKeys",
            With(With(Without(kWeb, "jwks"), "token_endpoint_auth_method", "client_secret_basic"),
                 "id_token_encrypted_response_alg", "RSA-OAEP-256"),
            "id_token_encrypted_response_alg: needs the client's public keys"},
        Rejection{
            "RequestObjectWithoutKeys",
            With(With(Without(kWeb, "jwks"), "token_endpoint_auth_method", "client_secret_post"),
                 "request_object_signing_alg", "PS256"),
            "request_object_signing_alg: needs the client's public keys"},
        // CIBA Core §4.
        Rejection{"CibaWithoutMode",
                  With(kCc, "grant_types", {"urn:openid:params:grant-type:ciba"}),
                  "backchannel_token_delivery_mode: required for the CIBA grant"},
        Rejection{"CibaBadMode",
                  With(With(kCc, "grant_types", {"urn:openid:params:grant-type:ciba"}),
                       "backchannel_token_delivery_mode", "pull"),
                  "backchannel_token_delivery_mode: must be poll, ping or push"},
        Rejection{"CibaPingWithoutEndpoint",
                  With(With(kCc, "grant_types", {"urn:openid:params:grant-type:ciba"}),
                       "backchannel_token_delivery_mode", "ping"),
                  "backchannel_client_notification_endpoint: required for ping and push"},
        Rejection{"CibaPushHttpEndpoint",
                  With(With(With(kCc, "grant_types", {"urn:openid:params:grant-type:ciba"}),
                            "backchannel_token_delivery_mode", "push"),
                       "backchannel_client_notification_endpoint", "http://localhost/n"),
                  "backchannel_client_notification_endpoint: must use https"},
        Rejection{"CibaPollWithEndpoint",
                  With(With(With(kCc, "grant_types", {"urn:openid:params:grant-type:ciba"}),
                            "backchannel_token_delivery_mode", "poll"),
                       "backchannel_client_notification_endpoint", "https://rp.example/n"),
                  "backchannel_client_notification_endpoint: not used with poll"},
        Rejection{"ModeWithoutCiba", With(kWeb, "backchannel_token_delivery_mode", "poll"),
                  "backchannel_token_delivery_mode: only for the CIBA grant"},
        Rejection{"CibaPairwiseNoSector",
                  With(With(With(Without(kCc, "jwks"), "grant_types",
                                 {"urn:openid:params:grant-type:ciba"}),
                            "backchannel_token_delivery_mode", "poll"),
                       "token_endpoint_auth_method", "client_secret_basic"),
                  "jwks_uri: a pairwise CIBA client needs a jwks_uri or a "
                  "backchannel_client_notification_endpoint"},
        // OIDC Registration §5: a sector document would have nothing of this client's to list.
        Rejection{"CibaPairwiseSectorVouchingForNothing",
                  With(With(With(With(Without(kCc, "jwks"), "grant_types",
                                      {"urn:openid:params:grant-type:ciba"}),
                                 "backchannel_token_delivery_mode", "poll"),
                            "token_endpoint_auth_method", "client_secret_basic"),
                       "sector_identifier_uri", "https://rp.example/sector.json"),
                  "sector_identifier_uri: the client registers no redirect_uris, jwks_uri or "
                  "backchannel_client_notification_endpoint"},
        // Subjects: OIDC Core §8.1, OIDC Registration §2.
        Rejection{"SubjectType", With(kWeb, "subject_type", "random"),
                  "subject_type: must be pairwise or public"},
        Rejection{"PairwiseSeveralHosts",
                  With(kWeb, "redirect_uris", {"https://a.example/cb", "https://b.example/cb"}),
                  "sector_identifier_uri: required for pairwise subjects when redirect_uris"},
        Rejection{"SectorHttp", With(kWeb, "sector_identifier_uri", "http://localhost/s.json"),
                  "sector_identifier_uri: must use https"},
        Rejection{"SectorWithPublic",
                  With(With(kWeb, "subject_type", "public"), "sector_identifier_uri",
                       "https://s.example/s.json"),
                  "sector_identifier_uri: only for subject_type pairwise"},
        // What it may ask for.
        Rejection{"AcrUnknown", With(kWeb, "default_acr_values", {"loa3"}),
                  "default_acr_values[0]: unknown assurance level"},
        Rejection{"ScopeUnknown", With(kWeb, "scope", "openid admin"),
                  "scope: unknown scope value 'admin'"},
        Rejection{"ScopeDoubleSpace", With(kWeb, "scope", "openid  email"),
                  "scope: values are separated by single spaces"},
        Rejection{"ScopeQuote", With(kWeb, "scope", "openid \"email\""),
                  "scope: contains a character RFC 6749"},
        Rejection{"ScopeDuplicate", With(kWeb, "scope", "openid email openid"),
                  "scope: duplicate value 'openid'"},
        Rejection{"ScopeWithoutOpenid", With(kWeb, "scope", "email"), "scope: must include openid"},
        Rejection{"OpenidWithoutUsers", With(kCc, "scope", "openid"),
                  "scope: openid needs the authorization_code or the CIBA grant"},
        Rejection{"OfflineWithoutRefresh", With(kWeb, "scope", "openid offline_access"),
                  "scope: offline_access needs the refresh_token grant"},
        Rejection{"ScopeEmpty", With(kWeb, "scope", ""), "scope: must not be empty"},
        Rejection{"ParNotBool", With(kWeb, "require_pushed_authorization_requests", "true"),
                  "require_pushed_authorization_requests: must be true or false"},
        Rejection{"DpopNotBool", With(kWeb, "dpop_bound_access_tokens", 1),
                  "dpop_bound_access_tokens: must be true or false"},
        Rejection{"NameControl", With(kWeb, "client_name", "Acme\nBank"),
                  "client_name: must not contain control characters (U+000A)"},
        Rejection{"NameRightToLeftOverride", With(kWeb, "client_name", "Bank\u202eknaB"),
                  "client_name: must not contain invisible or direction-changing characters "
                  "(U+202E)"},
        Rejection{"NameZeroWidth", With(kWeb, "client_name", "Shop\u200b"),
                  "client_name: must not contain invisible or direction-changing characters "
                  "(U+200B)"},
        Rejection{"NameNoBreakSpaceAtAnEnd", With(kWeb, "client_name", "\u00a0Shop"),
                  "client_name: must not start or end with a space (U+00A0)"},
        Rejection{"NameEmpty", With(kWeb, "client_name", ""), "client_name: must not be empty"},
        Rejection{"NameTooLong", With(kWeb, "client_name", std::string(201, 'a')),
                  "client_name: longer than 200 bytes"}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return std::string(info.param.name); });

TEST(ClientMetadataTest, LoopbackRedirectsMayUseHttp) {
  // RFC 8252 §7.3 (loopback IP literals) and §8.3 (localhost).
  for (auto uri : {"http://127.0.0.1:8080/cb", "http://[::1]:8080/cb", "http://localhost/cb",
                   "https://localhost:8443/cb"}) {
    EXPECT_TRUE(ValidateRedirectUri(uri).ok()) << uri;
  }
  for (auto uri : {"http://127.0.0.2/cb", "http://[::2]/cb", "http://0.0.0.0/cb"}) {
    EXPECT_FALSE(ValidateRedirectUri(uri).ok()) << uri;
  }
}

TEST(ClientMetadataTest, RedirectUrisMatchExactly) {
  auto m = ValidateClientMetadata(
      With(With(kWeb, "redirect_uris", {"https://rp.example/cb", "http://127.0.0.1:8080/cb"}),
           "subject_type", "public"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(IsRegisteredRedirectUri(*m, "https://rp.example/cb"));
  EXPECT_TRUE(IsRegisteredRedirectUri(*m, "http://127.0.0.1:8080/cb"));
  for (auto uri : {"https://rp.example/cb/", "https://rp.example/CB", "https://rp.example/cb?x",
                   "https://rp.example:443/cb", "http://127.0.0.1:8081/cb2", "https://rp.example",
                   "https://rp.example/cb#"})
    EXPECT_FALSE(IsRegisteredRedirectUri(*m, uri)) << uri;
}

// RFC 8252 §7.3: a loopback IP redirect URI takes any port; nothing else about it changes, and
// "localhost" (§8.3) keeps its registered port.
TEST(ClientMetadataTest, LoopbackIpRedirectUrisTakeAnyPort) {
  for (auto [registered, requested] : std::vector<std::pair<const char*, const char*>>{
           {"http://127.0.0.1/cb", "http://127.0.0.1:53124/cb"},
           {"http://127.0.0.1:8080/cb", "http://127.0.0.1:8081/cb"},
           {"http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"},
           {"http://[::1]:1/cb?x=1", "http://[::1]:65535/cb?x=1"},
           {"http://127.0.0.1", "http://127.0.0.1:9"}})
    EXPECT_TRUE(RedirectUriMatches(registered, requested)) << registered << " " << requested;
  for (auto [registered, requested] : std::vector<std::pair<const char*, const char*>>{
           {"http://127.0.0.1/cb", "http://127.0.0.1:53124/cb2"},
           {"http://127.0.0.1/cb", "http://127.0.0.1:/cb"},
           {"http://127.0.0.1/cb", "http://127.0.0.1:1234567/cb"},
           {"http://127.0.0.1/cb", "http://127.0.0.1.evil.example:80/cb"},
           {"http://127.0.0.1/cb", "http://127.0.0.1:80@evil.example/cb"},
           {"http://127.0.0.1/cb", "https://127.0.0.1:443/cb"},
           {"http://127.0.0.1/cb", "http://[::1]:80/cb"},
           {"http://localhost/cb", "http://localhost:8080/cb"},
           {"https://rp.example/cb", "https://rp.example:8443/cb"}})
    EXPECT_FALSE(RedirectUriMatches(registered, requested)) << registered << " " << requested;
}

TEST(ClientMetadataTest, SectorIdentifiers) {
  // OIDC Core §8.1: one host, with several paths, needs no sector_identifier_uri.
  auto m = ValidateClientMetadata(
      With(kWeb, "redirect_uris", {"https://app.rp.example/a", "https://app.rp.example:8443/b"}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(SectorIdentifier(*m), "app.rp.example");
  // Public subjects and clients without users have none.
  m = ValidateClientMetadata(With(kWeb, "subject_type", "public"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(SectorIdentifier(*m), "");
  m = ValidateClientMetadata(kCc);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(SectorIdentifier(*m), "");
  EXPECT_EQ(m->response_types, std::vector<std::string>{});
  EXPECT_EQ(m->scope, "");
  // CIBA Core §4: a CIBA client without redirect URIs is known by its jwks_uri host.
  m = ValidateClientMetadata({{"grant_types", {"urn:openid:params:grant-type:ciba"}},
                              {"backchannel_token_delivery_mode", "poll"},
                              {"jwks_uri", "https://keys.rp.example/jwks"}});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(SectorIdentifier(*m), "keys.rp.example");
}

TEST(ClientMetadataTest, ClientsWithoutRedirectUrisRoundTrip) {
  // Found by fuzz_client_metadata: ToJson writes "redirect_uris": [] for them.
  for (const json& j : {kCc, json{{"grant_types", {"urn:openid:params:grant-type:ciba"}},
                                  {"backchannel_token_delivery_mode", "poll"},
                                  {"jwks_uri", "https://rp.example/jwks"}}}) {
    auto m = ValidateClientMetadata(j);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    auto again = ValidateClientMetadata(m->ToJson());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->ToJson(), m->ToJson());
  }
}

TEST(ClientMetadataTest, SecretMethodsNeedNoKeys) {
  auto m = ValidateClientMetadata(
      With(Without(kWeb, "jwks"), "token_endpoint_auth_method", "client_secret_basic"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->UsesSecret());
  EXPECT_FALSE(m->jwks.has_value());
}

}  // namespace
}  // namespace idscheme::registry
