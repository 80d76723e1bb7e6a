#include "oauth/oauth_context.h"

#include "oauth/grants/client_credentials.h"
#include "oauth/introspection.h"

namespace idscheme::oauth {
namespace {

Status Range(std::string_view key, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    return Status::InvalidArgument("oauth." + std::string(key) + ": must be between " +
                                   std::to_string(min) + " and " + std::to_string(max));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<OAuthContext>> OAuthContext::Create(OAuthDeps deps, OAuthConfig config) {
  if (config.issuer.empty() || config.issuer.back() == '/')
    return Status::InvalidArgument("server.issuer: required, without a trailing '/'");
  IDS_ASSIGN_OR_RETURN(AccessTokenFormat format,
                       ParseAccessTokenFormat(config.access_token_format));
  auto alg = crypto::ParseSigAlg(config.access_token_signing_alg);
  if (!alg || (*alg != crypto::SigAlg::kES256 && *alg != crypto::SigAlg::kPS256 &&
               *alg != crypto::SigAlg::kEdDSA && *alg != crypto::SigAlg::kRS256)) {
    return Status::InvalidArgument(
        "oauth.access_token_signing_alg: one of ES256, PS256, EdDSA, RS256");
  }
  IDS_RETURN_IF_ERROR(
      Range("access_token_ttl_seconds", config.access_token_ttl_seconds, 30, 86400));
  IDS_RETURN_IF_ERROR(Range("client_assertion_max_lifetime_seconds",
                            config.client_assertion_max_lifetime_seconds, 10, 3600));
  IDS_RETURN_IF_ERROR(Range("clock_leeway_seconds", config.clock_leeway_seconds, 0, 300));
  IDS_RETURN_IF_ERROR(Range("jwks_fetch_timeout_ms", config.jwks_fetch_timeout_ms, 100, 60000));
  IDS_RETURN_IF_ERROR(Range("jwks_max_bytes", config.jwks_max_bytes, 1024, 1024 * 1024));
  IDS_RETURN_IF_ERROR(Range("jwks_cache_min_seconds", config.jwks_cache_min_seconds, 0, 86400));
  IDS_RETURN_IF_ERROR(Range("jwks_cache_max_seconds", config.jwks_cache_max_seconds,
                            config.jwks_cache_min_seconds, 7 * 86400));
  IDS_RETURN_IF_ERROR(Range("jwks_cache_default_seconds", config.jwks_cache_default_seconds,
                            config.jwks_cache_min_seconds, config.jwks_cache_max_seconds));
  IDS_RETURN_IF_ERROR(
      Range("jwks_refetch_interval_seconds", config.jwks_refetch_interval_seconds, 0, 3600));

  std::unique_ptr<OAuthContext> ctx(new OAuthContext(deps, std::move(config)));
  const OAuthConfig& c = ctx->config_;

  FetchOptions fetch;
  fetch.timeout = std::chrono::milliseconds(c.jwks_fetch_timeout_ms);
  fetch.max_body_bytes = static_cast<size_t>(c.jwks_max_bytes);
  fetch.allow_loopback_http = c.jwks_allow_loopback_http;
  fetch.extra_ca_file = c.jwks_ca_file;
  ctx->fetcher_ = std::make_unique<HttpsFetcher>(fetch);

  JwksCacheOptions cache;
  cache.min_ttl_seconds = c.jwks_cache_min_seconds;
  cache.max_ttl_seconds = c.jwks_cache_max_seconds;
  cache.default_ttl_seconds = c.jwks_cache_default_seconds;
  cache.refetch_interval_seconds = c.jwks_refetch_interval_seconds;
  HttpsFetcher* fetcher = ctx->fetcher_.get();
  ctx->jwks_cache_ = std::make_unique<JwksCache>(
      cache, [fetcher](std::string_view url) { return fetcher->Get(url); }, deps.clock);

  ClientAuthOptions auth;
  // RFC 7523 §3 item 3 and FAPI 2.0 §5.3.2.1: the issuer identifier or the URL of the endpoint
  // the assertion is sent to.
  auth.audiences = {c.issuer, ctx->TokenEndpointUrl(), c.issuer + std::string(kIntrospectionPath),
                    c.issuer + std::string(kRevocationPath), c.issuer + "/par"};
  auth.max_assertion_lifetime_seconds = c.client_assertion_max_lifetime_seconds;
  auth.leeway_seconds = c.clock_leeway_seconds;
  ctx->client_auth_ = std::make_unique<ClientAuthenticator>(deps.clients, *ctx->jwks_cache_,
                                                            deps.db, deps.clock, auth);

  AccessTokenOptions tokens;
  tokens.issuer = c.issuer;
  tokens.audience = c.access_token_audience;
  tokens.ttl_seconds = c.access_token_ttl_seconds;
  tokens.signing_alg = *alg;
  tokens.format = format;
  ctx->access_tokens_ =
      std::make_unique<AccessTokenService>(deps.keys, deps.db, deps.clock, deps.random, tokens);
  ctx->bearer_ = std::make_unique<BearerAuthenticator>(*ctx->access_tokens_, deps.clients, deps.db);
  ctx->dpop_ = std::make_unique<DpopVerifier>(deps.db, deps.clock);
  ctx->bearer_->EnableDpop(*ctx->dpop_, c.issuer);

  ctx->token_endpoint_ = std::make_unique<TokenEndpoint>(*ctx->client_auth_);
  ctx->token_endpoint_->EnableDpop(*ctx->dpop_, ctx->TokenEndpointUrl());
  ctx->token_endpoint_->AddGrant(std::make_unique<ClientCredentialsGrant>(*ctx->access_tokens_));
  return ctx;
}

void AddTokenRoutes(http::Router& router, OAuthContext& oauth) {
  TokenEndpoint* endpoint = &oauth.token_endpoint();
  // A token request is a few parameters and at most one client assertion.
  http::RouteOptions options;
  options.body_limit = 64 * 1024;
  router.Add(
      "POST", kTokenPath, "token",
      [endpoint](http::Request& request) { return endpoint->Handle(request); }, options);
  OAuthContext* ctx = &oauth;
  router.Add(
      "POST", kIntrospectionPath, "introspect",
      [ctx](http::Request& request) { return HandleIntrospection(request, *ctx); }, options);
  router.Add(
      "POST", kRevocationPath, "revoke",
      [ctx](http::Request& request) { return HandleRevocation(request, *ctx); }, options);
}

Result<AccessContext> AuthenticateBearer(const http::Request& request, const OAuthContext& oauth) {
  return oauth.bearer().Authenticate(request);
}

http::Response BearerErrorResponse(const http::Request& request, const Status& status,
                                   const OAuthContext& oauth) {
  return ResourceErrorResponse(request, status, oauth.dpop().AlgsValue());
}

}  // namespace idscheme::oauth
