// ID tokens (OIDC Core §2, §3.1.3.6) and the signed / encrypted JWT responses a client registers
// for (OIDC Registration §2: id_token_* and userinfo_* algorithms).
//
// An ID token carries iss, sub, aud (the client_id), exp, iat, auth_time, nonce (when the
// request had one), acr, amr, at_hash (when issued with an access token) and the person claims
// that claims release placed in it. It is signed by the scheme's active key for the client's
// id_token_signed_response_alg (ES256 by default; PS256, RS256, EdDSA), with that key's kid, and,
// when the client registered id_token_encrypted_response_alg, encrypted to the client's public
// key as a nested JWT (cty "JWT"; RSA-OAEP-256, ECDH-ES, ECDH-ES+A256KW with A128CBC-HS256 or
// A256GCM; enc defaults to A128CBC-HS256, OIDC Registration §2).
//
// Thread-safety: safe from any thread (KeyManager and JwksCache are).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "keys/key_manager.h"
#include "oauth/jwks_cache.h"
#include "registry/client_directory.h"

namespace idscheme::oidc {

// What the scheme signs with and encrypts to, as discovery lists them (all of them work).
std::span<const crypto::SigAlg> SupportedResponseSigningAlgs();         // ES256 PS256 RS256 EdDSA
std::span<const crypto::KeyMgmtAlg> SupportedResponseEncryptionAlgs();  // RSA-OAEP-256 ECDH-ES ...
std::span<const crypto::ContentEnc> SupportedResponseEncryptionEncs();  // A128CBC-HS256 A256GCM

// Signs `claims` with the scheme's key for `signing_alg` (a name from the list above), then,
// when `encryption_alg` is not empty, encrypts it to the client's key (enc `encryption_enc`,
// A128CBC-HS256 when empty). `typ` is the JWS typ header ("JWT"). Internal errors for names
// outside the lists (the registry validated them), invalid_request when the client's keys hold
// none to encrypt to (a jwks_uri's; keys given by value are checked at registration),
// Unavailable when its jwks_uri cannot be fetched.
struct JwtResponseSigner {
  keys::KeyManager& keys;
  oauth::JwksCache& client_keys;
  Random& random;

  Result<std::string> SignAndEncrypt(const nlohmann::json& claims,
                                     const registry::ClientAuthRecord& client,
                                     std::string_view signing_alg, std::string_view encryption_alg,
                                     std::string_view encryption_enc,
                                     std::string_view typ = "JWT") const;
  // `claims` encrypted, not signed (OIDC Core §5.3.2: userinfo "MAY be encrypted without also
  // being signed"): a JWE whose plaintext is the JSON claims set. Errors as above.
  Result<std::string> Encrypt(const nlohmann::json& claims,
                              const registry::ClientAuthRecord& client,
                              std::string_view encryption_alg,
                              std::string_view encryption_enc) const;

 private:
  // The JWE of `plaintext` to the client's key; cty "JWT" when `nested` (RFC 7519 §5.2).
  Result<std::string> EncryptTo(std::string_view plaintext, bool nested,
                                const registry::ClientAuthRecord& client,
                                std::string_view encryption_alg,
                                std::string_view encryption_enc) const;
};

struct IdTokenOptions {
  std::string issuer;         // required
  int64_t ttl_seconds = 300;  // exp - iat
};

struct IdTokenContent {
  std::string subject;  // the client's sub for the person (subject.h)
  std::optional<std::string> nonce;
  std::string acr;
  std::vector<std::string> amr;
  int64_t auth_time = 0;
  std::string access_token;                                 // non-empty: at_hash is added
  nlohmann::json person_claims = nlohmann::json::object();  // from claims release
};

// OIDC Core §3.1.3.6 at_hash: base64url of the left half of the access token's hash under the
// ID token's algorithm's hash: SHA-256 for ES256, PS256, RS256; SHA-512 for EdDSA (Ed25519's).
Result<std::string> AccessTokenHash(std::string_view access_token, crypto::SigAlg alg);

class IdTokenIssuer {
 public:
  IdTokenIssuer(JwtResponseSigner signer, const Clock& clock, IdTokenOptions options);

  // The ID token for `client`, signed (and encrypted) as it registered.
  Result<std::string> Issue(const registry::ClientAuthRecord& client,
                            const IdTokenContent& content) const;

  // The claims set alone (tests, and what Issue signs).
  Result<nlohmann::json> Claims(const registry::ClientAuthRecord& client,
                                const IdTokenContent& content) const;

  const IdTokenOptions& options() const { return options_; }

 private:
  JwtResponseSigner signer_;
  const Clock& clock_;
  IdTokenOptions options_;
};

}  // namespace idscheme::oidc
