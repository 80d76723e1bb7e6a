// Request objects (JAR, RFC 9101): authorization request parameters sent as a JWT signed by the
// client, optionally encrypted to the scheme's encryption key (a nested JWT, RFC 7519 §5.2).
//
// Verify() checks, in order:
//   - a JWS, or a JWE (RSA-OAEP-256, ECDH-ES, ECDH-ES+A128KW/A192KW/A256KW) to one of the
//     scheme's published encryption keys wrapping a JWS (RFC 9101 §4, §6.1);
//   - the signature: alg is the client's registered request_object_signing_alg, or one of
//     ES256, PS256, EdDSA when it registered none; never none, never HMAC (RFC 9101 §6.2,
//     RFC 8725 §3.1); the key from the client's jwks / jwks_uri (oauth/jwks_cache.h);
//   - iss is the client_id and aud the issuer (RFC 9101 §4, §6.2); exp required and at most
//     max_lifetime away; nbf, when present, no older than max_lifetime (FAPI 2.0 §5.3.2.1);
//     exp, nbf, iat within the clock leeway; a client_id claim, when present, the client's
//     (RFC 9101 §5); jti required and accepted once (store/once.h, kind kRequestObjectJtiKind),
//     so a replayed object fails on every node;
//   - no `request` or `request_uri` inside (RFC 9101 §4).
// It returns the authorization parameters inside (strings as they are, integers such as max_age
// in decimal, `claims` as JSON text: OIDC Core §6.1); the JWT's own claims (iss, aud, exp, nbf,
// iat, jti, sub) are not parameters. Per RFC 9101 §6.3 the caller uses only these.
// Failures are invalid_request_object; Unavailable when the store or the client's jwks_uri
// cannot be reached.
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "http/form.h"
#include "keys/key_manager.h"
#include "oauth/jwks_cache.h"
#include "oidc/authorization_clients.h"
#include "store/database.h"

namespace idscheme::oidc {

inline constexpr std::string_view kRequestObjectJtiKind = "request_object_jti";
// Largest request object accepted (a compact JWS or JWE).
inline constexpr size_t kMaxRequestObjectBytes = 64 * 1024;

struct RequestObjectOptions {
  std::string issuer;  // the expected aud
  int64_t max_lifetime_seconds = 3600;
  int64_t leeway_seconds = 30;
};

class RequestObjectVerifier {
 public:
  RequestObjectVerifier(oauth::JwksCache& client_keys, const keys::KeyManager& scheme_keys,
                        store::Database& db, const Clock& clock, RequestObjectOptions options);

  Result<http::FormParams> Verify(std::string_view request_object,
                                  const AuthorizationClient& client);

 private:
  oauth::JwksCache& client_keys_;
  const keys::KeyManager& scheme_keys_;
  store::Database& db_;
  const Clock& clock_;
  RequestObjectOptions options_;
};

}  // namespace idscheme::oidc
