// OAuthContext: the OAuth part of a node, built once at start-up from the node's parts and the
// configuration, and the routes it serves.
//
// It owns the long-lived pieces (the client key cache and its HTTPS fetcher, client
// authentication, the access token service, the bearer check, the token endpoint and its grant
// handlers) and borrows the rest from the node, which must outlive it.
//
// Thread-safety: after Create, every accessor and every route is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "http/router.h"
#include "keys/key_manager.h"
#include "oauth/access_token.h"
#include "oauth/bearer.h"
#include "oauth/client_auth.h"
#include "oauth/client_directory.h"
#include "oauth/dpop.h"
#include "oauth/https_fetch.h"
#include "oauth/jwks_cache.h"
#include "oauth/refresh_tokens_seam.h"
#include "oauth/token_endpoint.h"
#include "store/database.h"

namespace idscheme::oauth {

inline constexpr std::string_view kTokenPath = "/token";

// The configuration keys (section [oauth]) are named after these members.
struct OAuthConfig {
  std::string issuer;                              // server.issuer: required, no trailing '/'
  std::string access_token_format = "jwt";         // oauth.access_token_format: jwt | opaque
  int64_t access_token_ttl_seconds = 600;          // oauth.access_token_ttl_seconds
  std::string access_token_signing_alg = "ES256";  // oauth.access_token_signing_alg
  std::string access_token_audience;               // oauth.access_token_audience ("" = issuer)
  int64_t client_assertion_max_lifetime_seconds =
      300;                                     // oauth.client_assertion_max_lifetime_seconds
  int64_t clock_leeway_seconds = 30;           // oauth.clock_leeway_seconds
  int64_t jwks_fetch_timeout_ms = 5000;        // oauth.jwks_fetch_timeout_ms
  int64_t jwks_max_bytes = 64 * 1024;          // oauth.jwks_max_bytes
  int64_t jwks_cache_min_seconds = 60;         // oauth.jwks_cache_min_seconds
  int64_t jwks_cache_max_seconds = 24 * 3600;  // oauth.jwks_cache_max_seconds
  int64_t jwks_cache_default_seconds = 300;    // oauth.jwks_cache_default_seconds
  int64_t jwks_refetch_interval_seconds = 10;  // oauth.jwks_refetch_interval_seconds
  bool jwks_allow_loopback_http = false;       // oauth.jwks_allow_loopback_http
  std::string jwks_ca_file;                    // oauth.jwks_ca_file
};

// What the node lends.
struct OAuthDeps {
  store::Database& db;
  keys::KeyManager& keys;
  const Clock& clock;
  Random& random;
  ClientDirectory& clients;
};

class OAuthContext {
 public:
  // InvalidArgument naming the configuration key when a value is out of range.
  static Result<std::unique_ptr<OAuthContext>> Create(OAuthDeps deps, OAuthConfig config);

  const OAuthConfig& config() const { return config_; }
  const std::string& issuer() const { return config_.issuer; }
  std::string TokenEndpointUrl() const { return config_.issuer + std::string(kTokenPath); }

  ClientDirectory& clients() { return deps_.clients; }
  store::Database& db() { return deps_.db; }
  const Clock& clock() const { return deps_.clock; }
  JwksCache& client_keys() { return *jwks_cache_; }
  // The HTTPS client for documents clients register by URL (jwks_uri, sector_identifier_uri),
  // with the oauth.jwks_* fetch settings.
  const HttpsFetcher& fetcher() const { return *fetcher_; }
  ClientAuthenticator& client_auth() { return *client_auth_; }
  AccessTokenService& access_tokens() { return *access_tokens_; }
  const BearerAuthenticator& bearer() const { return *bearer_; }
  TokenEndpoint& token_endpoint() { return *token_endpoint_; }
  // RFC 9449 proofs, for the token endpoint, the bearer check and other endpoints (/userinfo).
  const DpopVerifier& dpop() const { return *dpop_; }

  // Who answers for refresh tokens at /introspect and /revoke (RFC 7662, RFC 7009); none until
  // the OpenID Provider sets itself (oidc::Provider::Create). Set before serving, not while
  // requests run; `seam` must outlive the routes, or be unset (nullptr) first.
  void SetRefreshTokens(RefreshTokensSeam* seam) { refresh_tokens_ = seam; }
  RefreshTokensSeam* refresh_tokens() const { return refresh_tokens_; }

 private:
  OAuthContext(OAuthDeps deps, OAuthConfig config) : deps_(deps), config_(std::move(config)) {}

  OAuthDeps deps_;
  OAuthConfig config_;
  std::unique_ptr<HttpsFetcher> fetcher_;
  std::unique_ptr<JwksCache> jwks_cache_;
  std::unique_ptr<ClientAuthenticator> client_auth_;
  std::unique_ptr<AccessTokenService> access_tokens_;
  std::unique_ptr<DpopVerifier> dpop_;
  std::unique_ptr<BearerAuthenticator> bearer_;
  std::unique_ptr<TokenEndpoint> token_endpoint_;
  RefreshTokensSeam* refresh_tokens_ = nullptr;
};

// Registers POST /token, /introspect and /revoke (route names "token", "introspect", "revoke").
void AddTokenRoutes(http::Router& router, OAuthContext& oauth);

// The bearer check of bearer.h with the node's parts: for the member and admin API handlers.
Result<AccessContext> AuthenticateBearer(const http::Request& request, const OAuthContext& oauth);
// The HTTP answer to a failed AuthenticateBearer: a DPoP challenge with algs for DPoP callers
// (RFC 9449 §7.1), the Bearer one (RFC 6750 §3) otherwise.
http::Response BearerErrorResponse(const http::Request& request, const Status& status,
                                   const OAuthContext& oauth);

}  // namespace idscheme::oauth
