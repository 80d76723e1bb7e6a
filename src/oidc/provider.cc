#include "oidc/provider.h"

#include <sstream>

#include "oidc/subject.h"

namespace idscheme::oidc {

// What POST /introspect and /revoke reach (oauth/refresh_tokens_seam.h): the refresh tokens, and
// the person a token was issued for, whose revoked identity ends every token issued for them.
class Provider::PersonTokens final : public oauth::RefreshTokensSeam {
 public:
  PersonTokens(RefreshTokens& refresh, TokenGrants& grants, identity::Identities& identities)
      : refresh_(refresh), grants_(grants), identities_(identities) {}

  Result<std::optional<oauth::RefreshTokenFacts>> Find(std::string_view token) override {
    IDS_ASSIGN_OR_RETURN(std::optional<oauth::RefreshTokenFacts> facts, refresh_.Find(token));
    if (!facts || facts->person_id.empty()) return facts;
    IDS_ASSIGN_OR_RETURN(bool active, Active(facts->person_id));
    if (!active) return std::optional<oauth::RefreshTokenFacts>();
    return facts;
  }
  Result<oauth::RefreshRevocation> Revoke(std::string_view client_id,
                                          std::string_view token) override {
    return refresh_.Revoke(client_id, token);
  }
  Result<bool> PersonActive(std::string_view access_token_jti) override {
    auto found = grants_.Find(access_token_jti);
    if (!found.ok()) {
      if (found.status().code() == Status::Code::kNotFound) return true;  // not a person's
      return found.status();
    }
    return Active(found->grant.identity_id);
  }

 private:
  Result<bool> Active(const std::string& identity_id) {
    auto person = identities_.Get(identity::Actor::Operator(), identity_id);
    if (!person.ok()) {
      if (person.status().code() == Status::Code::kNotFound) return false;
      return person.status();
    }
    return person->status == identity::IdentityStatus::kActive;
  }

  RefreshTokens& refresh_;
  TokenGrants& grants_;
  identity::Identities& identities_;
};

Provider::Provider(ProviderDeps deps, ProviderConfig config)
    : deps_(deps), config_(std::move(config)) {}

Result<std::unique_ptr<Provider>> Provider::Create(ProviderDeps deps, ProviderConfig config) {
  if (config.subject_secret.size() < kMinSubjectSecretBytes)
    return Status::InvalidArgument("oidc: the pairwise subject secret needs 32 bytes or more");
  if (config.codes.lifetime_seconds < 1 || config.codes.lifetime_seconds > 600)
    return Status::InvalidArgument("oidc: authorization code lifetime must be 1..600 s");
  if (config.id_token_ttl_seconds < 1)
    return Status::InvalidArgument("oidc: ID token lifetime must be positive");
  if (config.refresh_tokens.lifetime_seconds < 1)
    return Status::InvalidArgument("oidc: refresh token lifetime must be positive");
  config.discovery.issuer = deps.oauth.issuer();
  config.discovery.end_session_path = std::string(kLogoutPath);  // RP-Initiated Logout §2.1
  if (config.dpop) {
    std::istringstream algs(deps.oauth.dpop().AlgsValue());
    config.discovery.dpop_signing_algs.clear();
    for (std::string alg; algs >> alg;) config.discovery.dpop_signing_algs.push_back(alg);
  }
  std::unique_ptr<Provider> p(new Provider(deps, std::move(config)));
  p->codes_ =
      std::make_unique<AuthorizationCodes>(deps.db, deps.clock, deps.random, p->config_.codes);
  p->refresh_tokens_ =
      std::make_unique<RefreshTokens>(deps.db, deps.clock, deps.random, p->config_.refresh_tokens);
  p->token_grants_ = std::make_unique<TokenGrants>(deps.db, deps.clock);
  const JwtResponseSigner signer{deps.keys, deps.oauth.client_keys(), deps.random};
  p->id_tokens_ = std::make_unique<IdTokenIssuer>(
      signer, deps.clock, IdTokenOptions{deps.oauth.issuer(), p->config_.id_token_ttl_seconds});
  UserinfoOptions userinfo;
  userinfo.issuer = deps.oauth.issuer();
  userinfo.release = p->config_.release;
  if (p->config_.dpop) userinfo.dpop_algs = deps.oauth.dpop().AlgsValue();
  p->userinfo_ = std::make_unique<UserinfoEndpoint>(
      UserinfoDeps{deps.oauth.bearer(), *p->token_grants_, deps.clients, deps.identities, signer,
                   deps.clock, deps.policy},
      std::move(userinfo));
  p->logout_ = std::make_unique<LogoutEndpoint>(
      LogoutDeps{deps.keys, deps.clients, deps.db, deps.clock},
      LogoutOptions{deps.oauth.issuer(), p->config_.subject_secret, p->config_.logged_out_page,
                    p->config_.error_page});
  // RFC 7662 §2, RFC 7009 §2: the server that issues refresh tokens introspects and revokes
  // them.
  p->person_tokens_ =
      std::make_unique<PersonTokens>(*p->refresh_tokens_, *p->token_grants_, deps.identities);
  deps.oauth.SetRefreshTokens(p->person_tokens_.get());
  return p;
}

Provider::~Provider() {
  if (deps_.oauth.refresh_tokens() == person_tokens_.get()) deps_.oauth.SetRefreshTokens(nullptr);
}

PersonTokenDeps Provider::GrantDeps() {
  return PersonTokenDeps{*codes_,          *refresh_tokens_,
                         *token_grants_,   deps_.clients,
                         deps_.identities, deps_.oauth.access_tokens(),
                         *id_tokens_,      deps_.db,
                         deps_.clock,      config_.subject_secret,
                         config_.release,  deps_.policy};
}

void Provider::AddGrants(oauth::TokenEndpoint& token_endpoint) {
  token_endpoint.AddGrant(std::make_unique<AuthorizationCodeGrant>(GrantDeps()));
  token_endpoint.AddGrant(std::make_unique<RefreshTokenGrant>(GrantDeps()));
}

std::unique_ptr<DiscoveryEndpoint> Provider::MakeDiscovery(
    const oauth::TokenEndpoint& token_endpoint) const {
  DiscoveryOptions options = config_.discovery;
  options.grant_types = token_endpoint.GrantTypes();
  return std::make_unique<DiscoveryEndpoint>(options);
}

Result<std::string> Provider::SubjectOf(std::string_view client_id, std::string_view identity_id) {
  IDS_ASSIGN_OR_RETURN(registry::ClientAuthRecord client, deps_.clients.FindClient(client_id));
  return SubjectFor(client, identity_id, config_.subject_secret);
}

Status Provider::PurgeExpired() {
  IDS_RETURN_IF_ERROR(codes_->PurgeExpired().status());
  IDS_RETURN_IF_ERROR(refresh_tokens_->PurgeExpired().status());
  return token_grants_->PurgeExpired().status();
}

void AddProviderRoutes(http::Router& router, Provider& provider,
                       const oauth::TokenEndpoint& token_endpoint) {
  const UserinfoEndpoint* userinfo = &provider.userinfo();
  // OIDC Core §5.3.1: GET and POST.
  router.Add("GET", kUserinfoPath, "userinfo",
             http::Handler([userinfo](http::Request& r) { return userinfo->Handle(r); }));
  router.Add("POST", kUserinfoPath, "userinfo",
             http::Handler([userinfo](http::Request& r) { return userinfo->Handle(r); }));
  AddLogoutRoutes(router, provider.logout());
  std::shared_ptr<const DiscoveryEndpoint> discovery = provider.MakeDiscovery(token_endpoint);
  router.Add("GET", kDiscoveryPath, "discovery",
             http::Handler([discovery](http::Request& r) { return discovery->Handle(r); }));
}

}  // namespace idscheme::oidc
