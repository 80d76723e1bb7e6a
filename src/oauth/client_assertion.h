// Client assertions: the JWT a client signs to authenticate with private_key_jwt
// (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OIDC Core §9).
//
// Split in two so each step does its work once: ParseClientAssertion decodes the JWS and its
// claims (no key yet; tells which client claims to speak), VerifyClientAssertion checks the
// signature with the client's key and every claim rule:
//   - alg: asymmetric only; the client's registered token_endpoint_auth_signing_alg when set,
//     else ES256, PS256 or EdDSA (FAPI 2.0 Security Profile §5.4); never `none` or HS*
//   - iss and sub both equal the client_id (RFC 7523 §3 items 1-2, OIDC Core §9)
//   - aud names this authorisation server: its issuer identifier or the token endpoint URL
//     (RFC 7523 §3 item 3 accepts either; FAPI 2.0 §5.3.2.1 asks servers to accept the issuer),
//     as a string or inside an array
//   - exp present (RFC 7523 §3 item 4) and not further ahead than max_lifetime_seconds
//   - nbf and iat, when present, not in the future beyond leeway
//   - jti present and a non-empty string (RFC 7523 §3 item 7; single use is enforced by the
//     caller in the store, ClientAuthenticator)
// Every failure is invalid_client (RFC 6749 §5.2), 401.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/jws.h"
#include "crypto/key.h"

namespace idscheme::oauth {

// RFC 7523 §2.2: the client_assertion_type of a JWT client assertion.
inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

inline constexpr size_t kMaxClientAssertionSize = 16 * 1024;

struct ParsedClientAssertion {
  crypto::ParsedJws jws;
  nlohmann::json claims;  // decoded, not yet verified
  std::string issuer;     // the claimed client_id ("iss"), not yet verified
};

struct ClientAssertionPolicy {
  std::vector<std::string> audiences;  // any one of them in "aud" is enough
  int64_t max_lifetime_seconds = 300;  // exp - now, at most
  int64_t leeway_seconds = 30;         // clock skew for exp, nbf, iat
};

struct VerifiedClientAssertion {
  std::string client_id;
  std::string jti;
  int64_t expires_at = 0;
};

// Finds the verification key for the client (kid "" when the header has none).
using AssertionKeyResolver =
    std::function<Result<crypto::KeyPtr>(std::string_view kid, crypto::SigAlg alg)>;

// The algorithms accepted for a client: its registered one (asymmetric only), else the
// FAPI 2.0 set. An HMAC or unknown registered alg gives an empty list (nothing verifies).
std::vector<crypto::SigAlg> AllowedAssertionAlgs(std::string_view registered_alg);

Result<ParsedClientAssertion> ParseClientAssertion(std::string_view assertion);

Result<VerifiedClientAssertion> VerifyClientAssertion(const ParsedClientAssertion& assertion,
                                                      std::string_view client_id,
                                                      const std::vector<crypto::SigAlg>& allowed,
                                                      const AssertionKeyResolver& keys,
                                                      const ClientAssertionPolicy& policy,
                                                      const Clock& clock);

}  // namespace idscheme::oauth
