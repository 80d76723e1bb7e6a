// The token side of the OpenID Provider, assembled for a node: authorization codes (for the
// login pages), the authorization_code and refresh_token grants (for the token endpoint),
// userinfo, RP-initiated logout and discovery (routes).
//
// What the node does, once, at start-up (after oauth::OAuthContext::Create):
//   ProviderConfig config;
//   config.subject_secret = <32+ bytes derived from the key-encryption key, e.g.
//                            crypto::HkdfSha256(kek, {}, "idscheme pairwise sub", 32)>;
//   config.discovery.require_pushed_authorization_requests = <oidc.require_par>;
//   config.dpop = true;   // when the token endpoint verifies DPoP (EnableDpop)
//   auto provider = Provider::Create({db, clock, random, keys, oauth, registry, identities},
//                                    config);
//   provider->AddGrants(oauth.token_endpoint());     // authorization_code, refresh_token
//   ... add any other grants (CIBA) ...
//   AddProviderRoutes(router, *provider, oauth.token_endpoint());   // renders discovery now
//   (config.logged_out_page: the page /logout shows when it does not redirect, e.g. the login
//   part's in four languages; English when unset)
//   login pages: provider->codes().Issue(approved) after the approval.
// The issuer is the OAuth context's (server.issuer); DiscoveryOptions.issuer is set from it.
// Create also registers the refresh tokens as the context's RefreshTokensSeam, so POST /introspect
// and POST /revoke answer for them (RFC 7662, RFC 7009 §2), and introspection finds a revoked
// person's tokens inactive; the destructor unregisters them. The context must outlive the
// provider.
//
// Thread-safety: after construction, every member and route is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "http/router.h"
#include "identity/identities.h"
#include "keys/key_manager.h"
#include "oauth/oauth_context.h"
#include "oauth/token_endpoint.h"
#include "oidc/authorization_codes.h"
#include "oidc/claims_release.h"
#include "oidc/discovery.h"
#include "oidc/grants/authorization_code.h"
#include "oidc/id_token.h"
#include "oidc/logout.h"
#include "oidc/refresh_tokens.h"
#include "oidc/token_grants.h"
#include "oidc/userinfo.h"
#include "registry/client_directory.h"

namespace idscheme::oidc {

inline constexpr std::string_view kUserinfoPath = "/userinfo";

struct ProviderDeps {
  store::Database& db;
  const Clock& clock;
  Random& random;
  keys::KeyManager& keys;
  oauth::OAuthContext& oauth;
  registry::ClientDirectory& clients;
  identity::Identities& identities;
  // The member's agreement, asked again when a login's data is released (current_agreement.h);
  // none in tests that have no registry.
  registry::Policy* policy = nullptr;
};

struct ProviderConfig {
  std::vector<uint8_t> subject_secret;  // required, >= 32 bytes (subject.h)
  AuthorizationCodeOptions codes;
  RefreshTokenOptions refresh_tokens;
  int64_t id_token_ttl_seconds = 300;
  ClaimsReleaseOptions release;
  DiscoveryOptions discovery;             // issuer, grant_types and dpop algs are filled in
  bool dpop = false;                      // the token endpoint and bearer check verify DPoP proofs
  LoggedOutPageRenderer logged_out_page;  // /logout's page (logout.h); empty: plain English
  ErrorPageRenderer error_page;           // a refused /logout's page; empty: plain English
};

class Provider {
 public:
  // InvalidArgument naming the problem (a short subject secret, a bad ttl).
  static Result<std::unique_ptr<Provider>> Create(ProviderDeps deps, ProviderConfig config);
  ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  AuthorizationCodes& codes() { return *codes_; }
  RefreshTokens& refresh_tokens() { return *refresh_tokens_; }
  TokenGrants& token_grants() { return *token_grants_; }
  const IdTokenIssuer& id_tokens() const { return *id_tokens_; }
  const UserinfoEndpoint& userinfo() const { return *userinfo_; }
  const LogoutEndpoint& logout() const { return *logout_; }
  const ProviderConfig& config() const { return config_; }

  // Adds the authorization_code and refresh_token grants.
  void AddGrants(oauth::TokenEndpoint& token_endpoint);
  // The discovery document with the grant types `token_endpoint` serves now.
  std::unique_ptr<DiscoveryEndpoint> MakeDiscovery(
      const oauth::TokenEndpoint& token_endpoint) const;

  // Purges expired codes, refresh tokens and token grants (for the node's housekeeping timer).
  Status PurgeExpired();

  // The sub `client_id` sees for `identity_id` (subject.h), as its ID tokens will carry it.
  Result<std::string> SubjectOf(std::string_view client_id, std::string_view identity_id);

 private:
  Provider(ProviderDeps deps, ProviderConfig config);
  PersonTokenDeps GrantDeps();

  ProviderDeps deps_;
  ProviderConfig config_;
  std::unique_ptr<AuthorizationCodes> codes_;
  std::unique_ptr<RefreshTokens> refresh_tokens_;
  class PersonTokens;
  std::unique_ptr<PersonTokens> person_tokens_;  // registered on the OAuth context
  std::unique_ptr<TokenGrants> token_grants_;
  std::unique_ptr<IdTokenIssuer> id_tokens_;
  std::unique_ptr<UserinfoEndpoint> userinfo_;
  std::unique_ptr<LogoutEndpoint> logout_;
};

// GET and POST /userinfo ("userinfo"), GET and POST /logout ("logout"),
// GET /.well-known/openid-configuration ("discovery").
// Call after every grant was added to `token_endpoint` (discovery lists them). `provider` must
// outlive the router.
void AddProviderRoutes(http::Router& router, Provider& provider,
                       const oauth::TokenEndpoint& token_endpoint);

}  // namespace idscheme::oidc
