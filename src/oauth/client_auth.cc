#include "oauth/client_auth.h"

#include "common/hex.h"
#include "crypto/hash.h"
#include "oauth/basic_auth.h"
#include "store/once.h"

namespace idscheme::oauth {
namespace {

Status InvalidClient(std::string message) {
  return Status::OAuth("invalid_client", std::move(message), Status::Code::kUnauthenticated);
}
Status InvalidRequest(std::string message) {
  return Status::OAuth("invalid_request", std::move(message));
}
// The same answer for an unknown client, an inactive client and an inactive member.
Status Refused() { return InvalidClient("client authentication failed"); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string_view ClientAuthMethodName(ClientAuthMethod method) {
  switch (method) {
    case ClientAuthMethod::kPrivateKeyJwt:
      return kAuthPrivateKeyJwt;
    case ClientAuthMethod::kClientSecretBasic:
      return kAuthClientSecretBasic;
    case ClientAuthMethod::kClientSecretPost:
      return kAuthClientSecretPost;
    case ClientAuthMethod::kNone:
      return kAuthNone;
  }
  return kAuthNone;
}

std::string HashClientSecret(std::string_view secret) {
  auto digest = crypto::Sha256(secret);
  return HexEncode(digest);
}

std::string AssertionJtiKey(std::string_view client_id, std::string_view jti) {
  std::string key = std::to_string(client_id.size());
  key += ':';
  key += client_id;
  key += jti;
  return key;
}

// RFC 7523 §3 item 7, SCHEME.md: a jti is accepted once, decided by the store so the rule holds
// across nodes.
Status PendingJti::AcceptIn(store::Executor& tx) const {
  IDS_ASSIGN_OR_RETURN(bool first, once_.AcceptIn(tx));
  if (!first) return InvalidClient("client assertion was already used (jti)");
  return Status::Ok();
}

Status PendingJti::Settle() {
  IDS_ASSIGN_OR_RETURN(bool first, once_.Settle());
  if (!first) return InvalidClient("client assertion was already used (jti)");
  return Status::Ok();
}

ClientAuthenticator::ClientAuthenticator(ClientDirectory& clients, JwksCache& keys,
                                         store::Database& db, const Clock& clock,
                                         ClientAuthOptions options)
    : clients_(clients), keys_(keys), db_(db), clock_(clock), options_(std::move(options)) {}

Result<ClientAuthRecord> ClientAuthenticator::Lookup(std::string_view client_id,
                                                     std::string_view method) {
  if (client_id.size() > 256) return Refused();
  auto record = clients_.FindClient(client_id);
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kNotFound) return Refused();
    return record.status();  // the store is down: 503, not the client's fault
  }
  // The member agreement's status takes effect at once (SCHEME.md): never reveal which.
  if (!record->client_active || !record->member_active) return Refused();
  // The method used must be the one the client registered (OIDC Registration §2).
  if (record->token_endpoint_auth_method != method)
    return InvalidClient("client authentication method not registered for this client");
  return record;
}

Result<AuthenticatedClient> ClientAuthenticator::WithSecret(std::string_view client_id,
                                                            std::string_view secret,
                                                            ClientAuthMethod method) {
  IDS_ASSIGN_OR_RETURN(auto record, Lookup(client_id, ClientAuthMethodName(method)));
  // Compared as digests, in constant time: neither the secret nor its prefix leaks by timing.
  const std::string presented = HashClientSecret(secret);
  const std::string expected = Lower(record.secret_hash);
  if (record.secret_hash.empty() || secret.empty() ||
      !crypto::ConstantTimeEquals(presented, expected)) {
    return InvalidClient("client secret does not match");
  }
  return AuthenticatedClient{std::move(record), method};
}

Result<AuthenticatedClient> ClientAuthenticator::WithAssertion(
    std::string_view assertion_type, std::string_view assertion,
    std::optional<std::string_view> client_id, JtiAcceptance jti) {
  // RFC 7523 §2.2: the assertion type of a JWT client assertion.
  if (assertion_type != kJwtBearerAssertionType)
    return InvalidClient("unsupported client_assertion_type");
  IDS_ASSIGN_OR_RETURN(auto parsed, ParseClientAssertion(assertion));
  // RFC 7521 §4.2: a client_id sent alongside must name the same client.
  if (client_id && *client_id != parsed.issuer)
    return InvalidClient("client_id does not match the client assertion");
  IDS_ASSIGN_OR_RETURN(auto record, Lookup(parsed.issuer, kAuthPrivateKeyJwt));
  ClientAssertionPolicy policy;
  policy.audiences = options_.audiences;
  policy.max_lifetime_seconds = options_.max_assertion_lifetime_seconds;
  policy.leeway_seconds = options_.leeway_seconds;
  auto resolver = [&](std::string_view kid, crypto::SigAlg alg) {
    return keys_.FindVerifyKey(record, kid, alg);
  };
  IDS_ASSIGN_OR_RETURN(
      auto verified,
      VerifyClientAssertion(parsed, record.client_id,
                            AllowedAssertionAlgs(record.token_endpoint_auth_signing_alg), resolver,
                            policy, clock_));
  // The jti is remembered until the assertion can no longer pass the exp check.
  PendingJti pending(store::DeferredOnce(db_, std::string(kAssertionJtiKind),
                                         AssertionJtiKey(record.client_id, verified.jti),
                                         verified.expires_at + options_.leeway_seconds + 1));
  if (jti == JtiAcceptance::kNow) IDS_RETURN_IF_ERROR(pending.Settle());
  return AuthenticatedClient{std::move(record), ClientAuthMethod::kPrivateKeyJwt,
                             std::move(pending)};
}

Result<AuthenticatedClient> ClientAuthenticator::Authenticate(const http::Request& request,
                                                              const http::FormParams& params,
                                                              JtiAcceptance jti) {
  const int64_t started_at = clock_.NowSeconds();
  IDS_ASSIGN_OR_RETURN(AuthenticatedClient client, AuthenticateUnstamped(request, params, jti));
  client.checked_at = started_at;
  return client;
}

Result<AuthenticatedClient> ClientAuthenticator::AuthenticateUnstamped(
    const http::Request& request, const http::FormParams& params, JtiAcceptance jti) {
  const size_t auth_headers = request.HeaderCount("Authorization");
  if (auth_headers > 1) return InvalidRequest("more than one Authorization header");
  std::optional<std::string_view> authorization;
  if (auth_headers == 1) authorization = request.GetHeader("Authorization");
  if (authorization && !IsBasicScheme(*authorization))
    return InvalidClient("unsupported Authorization scheme for client authentication");

  for (std::string_view name :
       {"client_id", "client_secret", "client_assertion", "client_assertion_type"}) {
    if (params.Count(name) > 1) return InvalidRequest(std::string(name) + " sent more than once");
  }
  const auto client_id = params.Get("client_id");
  const auto secret = params.Get("client_secret");
  const auto assertion = params.Get("client_assertion");
  const auto assertion_type = params.Get("client_assertion_type");

  // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
  // request."
  const int methods =
      (authorization ? 1 : 0) + (secret ? 1 : 0) + ((assertion || assertion_type) ? 1 : 0);
  if (methods > 1) return InvalidRequest("more than one client authentication method used");

  if (authorization) {
    IDS_ASSIGN_OR_RETURN(auto credentials, ParseBasicAuthorization(*authorization));
    if (client_id && *client_id != credentials.client_id)
      return InvalidClient("client_id does not match the Basic credentials");
    return WithSecret(credentials.client_id, credentials.client_secret,
                      ClientAuthMethod::kClientSecretBasic);
  }
  if (secret) {
    if (!client_id) return InvalidRequest("client_secret without client_id");
    return WithSecret(*client_id, *secret, ClientAuthMethod::kClientSecretPost);
  }
  if (assertion || assertion_type) {
    // RFC 7521 §4.2: both parameters are required.
    if (!assertion || !assertion_type)
      return InvalidRequest("client_assertion and client_assertion_type go together");
    return WithAssertion(*assertion_type, *assertion, client_id, jti);
  }
  if (client_id) {
    IDS_ASSIGN_OR_RETURN(auto record, Lookup(*client_id, kAuthNone));
    return AuthenticatedClient{std::move(record), ClientAuthMethod::kNone};
  }
  return InvalidClient("no client authentication");
}

}  // namespace idscheme::oauth
