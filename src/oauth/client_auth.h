// Client authentication: the one place where an endpoint that authenticates OAuth clients
// (token, PAR, introspection, revocation, CIBA) learns which client is calling.
//
// Methods (RFC 6749 §2.3, RFC 7523, OIDC Core §9):
//   private_key_jwt      client_assertion_type + client_assertion in the body (client_assertion.h),
//                        the key from the client's jwks / jwks_uri (jwks_cache.h), the assertion's
//                        jti accepted once in the store (store/once.h), so a replay fails on
//                        every node
//   client_secret_basic  Authorization: Basic (basic_auth.h)
//   client_secret_post   client_id + client_secret in the body
//   none                 client_id alone, only for a client registered with "none"
// A request must use exactly one method (RFC 6749 §2.3: more than one is invalid_request), and
// it must be the client's registered one. Secrets are compared as SHA-256 digests in constant
// time. Every authentication failure is invalid_client (401, RFC 6749 §5.2); an unknown client,
// an inactive client and a suspended or terminated member all get the same answer.
//
// Cost of a private_key_jwt authentication: one client lookup, one signature check against a
// cached parsed key, one store write for the jti. An endpoint with a write transaction of its
// own may defer that write into it (JtiAcceptance::kDeferred, PendingJti below): one commit
// fewer per request.
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "http/form.h"
#include "http/request.h"
#include "oauth/client_assertion.h"
#include "oauth/client_directory.h"
#include "oauth/jwks_cache.h"
#include "store/database.h"
#include "store/once.h"

namespace idscheme::oauth {

enum class ClientAuthMethod { kPrivateKeyJwt, kClientSecretBasic, kClientSecretPost, kNone };
std::string_view ClientAuthMethodName(ClientAuthMethod method);

// The "kind" under which assertion jtis are accepted once (store/once.h).
inline constexpr std::string_view kAssertionJtiKind = "client_assertion_jti";

struct ClientAuthOptions {
  // What a client assertion's "aud" may name: the issuer and the token endpoint URL (and later
  // the other endpoints' URLs).
  std::vector<std::string> audiences;
  int64_t max_assertion_lifetime_seconds = 300;
  int64_t leeway_seconds = 30;
};

// The jti of a private_key_jwt client assertion that was verified but not yet accepted in the
// store (JtiAcceptance::kDeferred). Until it is accepted the client is NOT authenticated: the
// caller accepts it before the request has any effect, either inside its own write transaction
// (AcceptIn, then Committed once that transaction committed) or on its own (Settle). RFC 7523
// §3 item 7: either way it is accepted once, decided by the store.
// Not thread-safe: one per request.
class PendingJti {
 public:
  PendingJti() = default;  // nothing pending: another method, or accepted already
  explicit PendingJti(store::DeferredOnce once) : once_(std::move(once)) {}

  // True while the jti still has to be accepted.
  bool pending() const { return once_.pending(); }
  // Accepts it as part of the caller's transaction `tx`; invalid_client when it was used before
  // (then roll `tx` back). Counts only once `tx` committed: call Committed() then.
  Status AcceptIn(store::Executor& tx) const;
  void Committed() { once_.Committed(); }
  // Accepts it on its own, unless it was already: Ok, or invalid_client when it was used
  // before, or the store's error.
  Status Settle();

 private:
  store::DeferredOnce once_;
};

struct AuthenticatedClient {
  ClientAuthRecord record;
  ClientAuthMethod method = ClientAuthMethod::kNone;
  PendingJti jti;  // pending only after Authenticate(..., JtiAcceptance::kDeferred)
  // A clock reading (seconds) taken before the record was read. A token issued on the strength
  // of this check carries it as its iat: a switch-off that commits after the read is then always
  // later than the token, so the token stays dead after a reinstatement (bearer.h).
  int64_t checked_at = 0;
};

// Whether Authenticate accepts a client assertion's jti itself (the default) or leaves it to the
// caller as AuthenticatedClient::jti.
enum class JtiAcceptance { kNow, kDeferred };

class ClientAuthenticator {
 public:
  ClientAuthenticator(ClientDirectory& clients, JwksCache& keys, store::Database& db,
                      const Clock& clock, ClientAuthOptions options);

  // `params`: the request's form body, already parsed (the caller checks duplicates as its
  // endpoint requires; the client authentication parameters are checked here too).
  Result<AuthenticatedClient> Authenticate(const http::Request& request,
                                           const http::FormParams& params,
                                           JtiAcceptance jti = JtiAcceptance::kNow);

  const ClientAuthOptions& options() const { return options_; }

 private:
  Result<AuthenticatedClient> AuthenticateUnstamped(const http::Request& request,
                                                    const http::FormParams& params,
                                                    JtiAcceptance jti);
  Result<ClientAuthRecord> Lookup(std::string_view client_id, std::string_view method);
  Result<AuthenticatedClient> WithSecret(std::string_view client_id, std::string_view secret,
                                         ClientAuthMethod method);
  Result<AuthenticatedClient> WithAssertion(std::string_view assertion_type,
                                            std::string_view assertion,
                                            std::optional<std::string_view> client_id,
                                            JtiAcceptance jti);

  ClientDirectory& clients_;
  JwksCache& keys_;
  store::Database& db_;
  const Clock& clock_;
  ClientAuthOptions options_;
};

// Lower-case hex SHA-256 of a client secret, as ClientAuthRecord::secret_hash keeps it.
std::string HashClientSecret(std::string_view secret);

// The value under which an assertion's jti is accepted once: unambiguous for any client_id.
std::string AssertionJtiKey(std::string_view client_id, std::string_view jti);

}  // namespace idscheme::oauth
