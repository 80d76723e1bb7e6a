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
// cached parsed key, one store write for the jti.
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

struct AuthenticatedClient {
  ClientAuthRecord record;
  ClientAuthMethod method = ClientAuthMethod::kNone;
};

class ClientAuthenticator {
 public:
  ClientAuthenticator(ClientDirectory& clients, JwksCache& keys, store::Database& db,
                      const Clock& clock, ClientAuthOptions options);

  // `params`: the request's form body, already parsed (the caller checks duplicates as its
  // endpoint requires; the client authentication parameters are checked here too).
  Result<AuthenticatedClient> Authenticate(const http::Request& request,
                                           const http::FormParams& params);

  const ClientAuthOptions& options() const { return options_; }

 private:
  Result<ClientAuthRecord> Lookup(std::string_view client_id, std::string_view method);
  Result<AuthenticatedClient> WithSecret(std::string_view client_id, std::string_view secret,
                                         ClientAuthMethod method);
  Result<AuthenticatedClient> WithAssertion(std::string_view assertion_type,
                                            std::string_view assertion,
                                            std::optional<std::string_view> client_id);

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
