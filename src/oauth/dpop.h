// DPoP (RFC 9449): proofs of possession of a client's key, and access tokens bound to that key.
//
// A client sends a DPoP proof (a JWT signed with a key whose public half rides in the proof's
// header) in the `DPoP` request header. The token endpoint then binds the tokens it issues to
// that key's RFC 7638 thumbprint (`cnf.jkt`, RFC 9449 §6); a resource accepts such a token only
// with `Authorization: DPoP <token>` and a fresh proof by the same key that also hashes the
// token (`ath`, §4.3 item 12 / §7.1).
//
// DpopVerifier runs the whole RFC 9449 §4.3 checklist on one request, in this order:
//   1. one DPoP header                    (§4.3 item 1)
//   2. a single well-formed JWT           (item 2; strict JWS parsing, crypto/jws.h)
//   3. typ "dpop+jwt"                     (item 4)
//   4. alg asymmetric and allowed         (item 5; ES256, PS256, RS256, EdDSA by default)
//   5. jwk a public key, no private parts (item 7)
//   6. the signature verifies with it     (item 6)
//   7. jti, htm, htu, iat present         (item 3, §4.2)
//   8. htm is the request's method        (item 8)
//   9. htu is the request's URI           (item 9; query and fragment ignored, scheme and host
//                                          case, default port and percent-encoding normalised)
//  10. iat within the window              (item 11, §11.1)
//  11. ath hashes the access token        (item 12; only when one is presented)
//  12. jti not seen before                (§11.1; decided by the store, so across every node)
// Server-provided nonces (§8, §9, item 10) are not implemented: a proof's `nonce` is ignored
// and use_dpop_nonce is never sent. The replay window therefore rests on iat alone.
// Every failure is invalid_dpop_proof (§5, §7.1): InvalidArgument (400, the token endpoint); the
// bearer check turns it into a 401 with a DPoP challenge. A store that is down is Unavailable.
//
// Thread-safety: DpopVerifier is immutable after construction; safe from any number of threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/jws.h"
#include "crypto/key.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/access_token.h"
#include "oauth/grant.h"
#include "store/database.h"

namespace idscheme::oauth {

inline constexpr std::string_view kDpopHeader = "DPoP";      // RFC 9449 §4.1
inline constexpr std::string_view kDpopTyp = "dpop+jwt";     // RFC 9449 §4.2
inline constexpr std::string_view kDpopTokenType = "DPoP";   // RFC 9449 §5 token_type
inline constexpr std::string_view kDpopAuthScheme = "DPoP";  // RFC 9449 §7.1
inline constexpr std::string_view kInvalidDpopProof = "invalid_dpop_proof";

struct DpopOptions {
  // RFC 9449 §4.3 item 5: asymmetric algorithms only (anything else is refused whatever this
  // list says). Discovery's dpop_signing_alg_values_supported.
  std::vector<crypto::SigAlg> allowed_algs = {crypto::SigAlg::kES256, crypto::SigAlg::kPS256,
                                              crypto::SigAlg::kRS256, crypto::SigAlg::kEdDSA};
  // RFC 9449 §11.1: iat may be at most this far in the past or the future.
  int64_t iat_window_seconds = 60;
  size_t max_proof_size = 8 * 1024;
};

// What the proof must be bound to: the request as the client addressed it.
struct DpopBinding {
  std::string_view method;  // htm: the HTTP method ("POST")
  std::string_view url;     // htu: the absolute URL of the endpoint (query, fragment ignored)
  // The access token presented with the request (resource side): the proof's ath must be its
  // hash (§4.3 item 12). Unset at the token endpoint.
  std::optional<std::string_view> access_token;
};

// A verified proof.
struct DpopProof {
  std::string jkt;  // RFC 7638 SHA-256 thumbprint of the proof's key (base64url)
  std::string jti;
  int64_t issued_at = 0;
  crypto::KeyPtr key;  // the public key from the header
};

// Steps 2-6 and 7 (parse, header, signature, required claims) without the request or the store:
// the part a fuzzer can drive. `claims` is the proof's claims set.
struct ParsedDpopProof {
  crypto::KeyPtr key;
  std::string jkt;
  std::string jti;
  std::string htm;
  std::string htu;
  int64_t iat = 0;
  std::optional<std::string> ath;
  nlohmann::json claims;
};
Result<ParsedDpopProof> ParseDpopProof(std::string_view proof, const DpopOptions& options = {});

// Steps 8-11 on a parsed proof.
Status CheckDpopBinding(const ParsedDpopProof& proof, const DpopBinding& binding, int64_t now,
                        const DpopOptions& options = {});

// RFC 9449 §4.2 ath: base64url(SHA-256(ASCII access token)).
std::string DpopAccessTokenHash(std::string_view access_token);

// RFC 9449 §4.3 item 9: the URL reduced for comparison: scheme and host lower-cased (RFC 3986
// §6.2.2.1), the scheme's default port dropped and an empty path made "/" (§6.2.3),
// percent-encodings upper-cased and unreserved characters decoded (§6.2.2.1, §6.2.2.2), query
// and fragment dropped. Only http and https URLs with a host; anything else is an error.
Result<std::string> NormalizeHtu(std::string_view url);

// RFC 9449 §6.1: the confirmation claim {"jkt": jkt} set into a token's claims.
void AddDpopConfirmation(std::string_view jkt, nlohmann::json* claims);
// The cnf.jkt of a token's claims; nullopt when the token is not DPoP-bound.
std::optional<std::string> DpopConfirmation(const nlohmann::json& claims);

// For grant handlers: when the token request carried a verified proof (request.dpop_jkt), the
// access token gets cnf.jkt (RFC 9449 §6.1; stored with an opaque token, so introspection shows
// it, §6.2) and the response token_type "DPoP" (§5). Nothing changes without a proof.
void BindToDpopKey(const TokenRequest& request, AccessTokenRequest* token, TokenResponse* response);

// RFC 9449 §10: an authorization code issued for dpop_jkt (`code_jkt`, when the authorization
// request had one) is redeemed only with a proof by that key. invalid_grant otherwise.
Status CheckDpopJktBinding(const std::optional<std::string>& code_jkt, const TokenRequest& request);

class DpopVerifier {
 public:
  DpopVerifier(store::Database& db, const Clock& clock, DpopOptions options = {});

  // The request's DPoP proof checked against `binding` and recorded as used. nullopt when the
  // request carries no DPoP header (whether one is required is the caller's decision).
  Result<std::optional<DpopProof>> VerifyRequest(const http::Request& request,
                                                 const DpopBinding& binding) const;
  // The same for one header value.
  Result<DpopProof> Verify(std::string_view proof, const DpopBinding& binding) const;

  // "ES256 PS256 RS256 EdDSA": for a challenge's algs parameter (§7.1) and for discovery.
  std::string AlgsValue() const;
  const DpopOptions& options() const { return options_; }

 private:
  store::Database& db_;
  const Clock& clock_;
  DpopOptions options_;
};

// An error of a protected resource as RFC 9449 §7.1 wants it when the request used DPoP (or
// the error is a DPoP one): `WWW-Authenticate: DPoP error="...", algs="..."`. Other errors are
// answered as http::Response::Error does. `algs` is DpopVerifier::AlgsValue().
http::Response ResourceErrorResponse(const http::Request& request, const Status& status,
                                     std::string_view algs);

}  // namespace idscheme::oauth
