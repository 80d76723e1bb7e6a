// OpenID Provider metadata, GET /.well-known/openid-configuration (OIDC Discovery §3, §4; RFC
// 8414 §2; RFC 9126 §5; RFC 9207 §3; RFC 9449 §5.1; OIDC4IDA §7).
//
// Truthful by construction: the lists come from the code that does the work (response signing
// and encryption algorithms from id_token.h, acr values from acr.h, claims from the registry's
// catalogue, grant types from the token endpoint), and optional endpoints are listed only when
// the node serves them (an empty path leaves the member out).
// The document is rendered once when the endpoint is built: it changes only with configuration
// and the code, never per request.
//
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace idscheme::oidc {

inline constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";

struct DiscoveryOptions {
  std::string issuer;  // required, https (the node's issuer)
  // Endpoint paths, appended to the issuer; empty: not served, left out.
  std::string authorization_path = "/authorize";
  std::string par_path = "/par";
  std::string token_path = "/token";
  std::string userinfo_path = "/userinfo";
  std::string jwks_path = "/jwks";
  std::string introspection_path = "/introspect";
  std::string revocation_path = "/revoke";
  std::string end_session_path;  // RP-initiated logout, when built
  // oauth::TokenEndpoint::GrantTypes().
  std::vector<std::string> grant_types;
  // RFC 9126 §5: PAR required for every client (configuration).
  bool require_pushed_authorization_requests = false;
  // DpopVerifier's algorithms when the token endpoint verifies DPoP proofs; empty: left out.
  std::vector<std::string> dpop_signing_algs;
  // OIDC4IDA §7 trust_frameworks_supported (claims release's trust_framework).
  std::vector<std::string> trust_frameworks = {"eidas"};
};

// The metadata document. Throws std::invalid_argument for an empty issuer (a start-up bug).
nlohmann::json DiscoveryDocument(const DiscoveryOptions& options);

class DiscoveryEndpoint {
 public:
  explicit DiscoveryEndpoint(const DiscoveryOptions& options);
  // 200 application/json, cacheable for a while (clients poll it).
  http::Response Handle(const http::Request& request) const;
  const std::string& text() const { return *text_; }

 private:
  std::shared_ptr<const std::string> text_;
};

}  // namespace idscheme::oidc
