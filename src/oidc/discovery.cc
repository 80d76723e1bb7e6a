#include "oidc/discovery.h"

#include <chrono>
#include <stdexcept>

#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "oidc/acr.h"
#include "oidc/claims_release.h"
#include "oidc/id_token.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

json SigAlgNames(std::span<const crypto::SigAlg> algs) {
  json out = json::array();
  for (auto a : algs) out.push_back(crypto::SigAlgName(a));
  return out;
}

}  // namespace

json DiscoveryDocument(const DiscoveryOptions& o) {
  if (o.issuer.empty()) throw std::invalid_argument("discovery: issuer is required");
  const auto url = [&](const std::string& path) { return o.issuer + path; };
  json d = json::object();
  d["issuer"] = o.issuer;  // OIDC Discovery §3: identical to the iss of ID tokens
  const std::pair<const char*, const std::string*> endpoints[] = {
      {"authorization_endpoint", &o.authorization_path},
      {"pushed_authorization_request_endpoint", &o.par_path},  // RFC 9126 §5
      {"token_endpoint", &o.token_path},
      {"userinfo_endpoint", &o.userinfo_path},
      {"jwks_uri", &o.jwks_path},
      {"introspection_endpoint", &o.introspection_path},  // RFC 8414 §2
      {"revocation_endpoint", &o.revocation_path},
      {"end_session_endpoint", &o.end_session_path},  // OIDC RP-Initiated Logout §2.1
  };
  for (const auto& [name, path] : endpoints) {
    if (!path->empty()) d[name] = url(*path);
  }
  d["response_types_supported"] = {"code"};
  d["response_modes_supported"] = {"query", "form_post"};
  d["grant_types_supported"] = o.grant_types;
  d["subject_types_supported"] = {"pairwise", "public"};
  const json response_signing = SigAlgNames(SupportedResponseSigningAlgs());
  json enc_algs = json::array();
  for (auto a : SupportedResponseEncryptionAlgs()) enc_algs.push_back(crypto::KeyMgmtAlgName(a));
  json enc_encs = json::array();
  for (auto e : SupportedResponseEncryptionEncs()) enc_encs.push_back(crypto::ContentEncName(e));
  d["id_token_signing_alg_values_supported"] = response_signing;
  d["id_token_encryption_alg_values_supported"] = enc_algs;
  d["id_token_encryption_enc_values_supported"] = enc_encs;
  d["userinfo_signing_alg_values_supported"] = response_signing;
  d["userinfo_encryption_alg_values_supported"] = enc_algs;
  d["userinfo_encryption_enc_values_supported"] = enc_encs;
  // Request objects (request_object.h): ES256, PS256, EdDSA, and RS256 when registered; nested
  // JWTs to the scheme's encryption keys.
  d["request_object_signing_alg_values_supported"] = {"ES256", "PS256", "EdDSA", "RS256"};
  d["request_object_encryption_alg_values_supported"] = {
      "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"};
  d["request_object_encryption_enc_values_supported"] = {
      "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"};
  // oauth/client_auth.h; assertions per oauth/client_assertion.h (RS256 only when registered).
  d["token_endpoint_auth_methods_supported"] = {"private_key_jwt", "client_secret_basic",
                                                "client_secret_post"};
  d["token_endpoint_auth_signing_alg_values_supported"] = {"ES256", "PS256", "EdDSA", "RS256"};
  for (const char* name : {"introspection_endpoint", "revocation_endpoint"}) {
    if (!d.contains(name)) continue;
    const std::string prefix = std::string(name).substr(0, std::string(name).find('_'));
    d[prefix + "_endpoint_auth_methods_supported"] = d["token_endpoint_auth_methods_supported"];
    d[prefix + "_endpoint_auth_signing_alg_values_supported"] =
        d["token_endpoint_auth_signing_alg_values_supported"];
  }
  d["code_challenge_methods_supported"] = {"S256"};  // RFC 7636; plain refused
  // Scopes of OIDC Core §5.4 (registry/claims.h).
  d["scopes_supported"] = {"openid", "profile", "email", "address", "phone", "offline_access"};
  json claims = json::array({"sub"});
  for (auto c : ReleasableClaims()) claims.push_back(c);
  for (const char* c : {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr"})
    claims.push_back(c);
  d["claims_supported"] = claims;
  d["claim_types_supported"] = {"normal"};
  d["acr_values_supported"] = {kAcrBasic, kAcrAdvanced};
  d["claims_parameter_supported"] = true;
  d["request_parameter_supported"] = true;
  d["request_uri_parameter_supported"] = false;  // only PAR's request_uri
  d["require_request_uri_registration"] = false;
  d["require_pushed_authorization_requests"] = o.require_pushed_authorization_requests;
  d["authorization_response_iss_parameter_supported"] = true;  // RFC 9207 §3
  d["ui_locales_supported"] = {"en", "nl", "fr", "de"};
  d["claims_locales_supported"] = json::array();
  d["prompt_values_supported"] = {"none", "login", "consent", "select_account"};
  if (!o.dpop_signing_algs.empty()) d["dpop_signing_alg_values_supported"] = o.dpop_signing_algs;
  // OIDC4IDA §7.
  d["verified_claims_supported"] = true;
  d["trust_frameworks_supported"] = o.trust_frameworks;
  d["evidence_supported"] = {"document"};
  d["documents_supported"] = {"idcard", "passport", "driving_permit", "residence_permit"};
  d["documents_methods_supported"] = {"pipp", "sripp", "eid", "uripp"};
  json verified = json::array();
  for (auto c : ReleasableClaims()) verified.push_back(c);
  d["claims_in_verified_claims_supported"] = verified;
  return d;
}

DiscoveryEndpoint::DiscoveryEndpoint(const DiscoveryOptions& options)
    : text_(std::make_shared<const std::string>(DiscoveryDocument(options).dump())) {}

http::Response DiscoveryEndpoint::Handle(const http::Request&) const {
  http::Response r = http::Response::JsonText(200, *text_);
  r.CacheFor(std::chrono::seconds(3600));
  r.SetHeader("Access-Control-Allow-Origin", "*");  // browser-based clients read it too
  return r;
}

}  // namespace idscheme::oidc
