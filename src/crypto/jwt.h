// JWT (RFC 7519) on top of JWS and JWE: signing claims sets, and verifying them with every claim
// check the protocols need (signature, algorithm allow-list, typ, iss, aud, exp/nbf/iat with
// leeway, maximum age, required claims). Nested JWTs (RFC 7519 §5.2 / §11.2: signed, then
// encrypted with cty "JWT") carry encrypted request objects and ID tokens.
//
// Failures: InvalidArgument for malformed tokens and claims that do not match (iss, aud, typ,
// missing claims), FailedPrecondition for time (expired, not yet valid, too old),
// Unauthenticated for signatures or encryption that do not check, NotFound when the resolver
// has no key.
//
// Thread-safety: stateless functions; the resolver must be safe to call from the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/jwe.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "crypto/key.h"

namespace idscheme::crypto {

// Finds the key for a token: `kid` from its header ("" when absent) and the header's algorithm
// (already checked against the allow-list).
using JwtKeyResolver = std::function<Result<KeyPtr>(std::string_view kid, SigAlg alg)>;
// For a JWE: the keys that may decrypt it, tried in order until one does (without a kid,
// several of a rotation may fit; RFC 7516 §4.1.6 makes kid optional). Non-empty, or an error.
using JweKeyResolver = std::function<Result<std::vector<KeyPtr>>(std::string_view kid,
                                                                 KeyMgmtAlg alg, ContentEnc enc)>;

// Resolvers over a JWK Set (copied; the keys are shared).
JwtKeyResolver VerifyKeysFrom(JwkSet set);
JweKeyResolver DecryptKeysFrom(JwkSet set);
// A resolver that always answers `key` (when it suits the algorithm).
JwtKeyResolver FixedVerifyKey(KeyPtr key);

struct JwtVerifyOptions {
  std::vector<SigAlg> allowed_algs;  // required: nothing verifies against an empty list
  const Clock* clock = nullptr;      // required
  int64_t leeway_seconds = 60;       // tolerated clock skew for exp, nbf and iat
  std::string issuer;                // non-empty: "iss" must equal it
  std::string audience;              // non-empty: "aud" must be or contain it
  std::string expected_typ;          // non-empty: header "typ" must match (RFC 8725 §3.11)
  std::vector<std::string> required_claims;
  std::optional<int64_t> max_age_seconds;  // "iat" required and no older than this
  bool require_exp = true;
  size_t max_size = kDefaultMaxJwsSize;
};

// Signs `claims` (a JSON object) with header {"alg", "kid" when given, "typ" when given}.
Result<std::string> SignJwt(const nlohmann::json& claims, const Key& key, SigAlg alg,
                            std::string_view kid = {}, std::string_view typ = "JWT");

// The verified claims set.
Result<nlohmann::json> VerifyJwt(std::string_view token, const JwtKeyResolver& resolver,
                                 const JwtVerifyOptions& options);

// RFC 7519 §2 NumericDate `name` of `claims`: a JSON number of seconds; a fraction is allowed
// and dropped. Empty when absent; InvalidArgument when not a number or beyond int64.
Result<std::optional<int64_t>> NumericDate(const nlohmann::json& claims, const char* name);

// The claim checks alone, for a claims set whose signature was checked elsewhere.
Status CheckJwtClaims(const nlohmann::json& claims, const JwtVerifyOptions& options);

// True when two media types are the same under RFC 7515 §4.1.9/§4.1.10 (case-insensitive,
// "application/" implied when there is no '/').
bool SameMediaType(std::string_view a, std::string_view b);

// Nested JWT: encrypts an already signed JWT with cty "JWT" (RFC 7519 §5.2).
Result<std::string> EncryptJwt(std::string_view signed_jwt, const Key& recipient, KeyMgmtAlg alg,
                               ContentEnc enc, Random& random, std::string_view kid = {});

// Decrypts (with the first of the keys `decryption_keys` names that opens it), requires cty
// "JWT", then verifies the inner JWS as VerifyJwt does (expected_typ applies to the inner
// header).
Result<nlohmann::json> DecryptAndVerifyJwt(std::string_view token,
                                           const JweKeyResolver& decryption_keys,
                                           const JweAlgorithms& allowed_encryption,
                                           const JwtKeyResolver& verification_keys,
                                           const JwtVerifyOptions& options);

}  // namespace idscheme::crypto
