// JWS compact serialisation (RFC 7515) with the algorithms of RFC 7518 §3 and RFC 8037.
//
// Algorithms: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 (signatures in the raw
// R||S form of RFC 7518 §3.4) and EdDSA (Ed25519). `none` is never produced nor accepted.
//
// Parsing is strict: exactly three segments, strict base64url, a protected header that is a JSON
// object without duplicate members, `alg` a supported algorithm, no `crit` (this code
// understands no extension, so RFC 7515 §4.1.11 requires rejecting any). Keys named inside the
// header (`jwk`, `jku`, `x5c`, `x5u`) are never used: the caller supplies the key.
//
// Verification checks, in order: the algorithm is one the caller allows, the key is of the
// algorithm's family and size (RFC 8725 §3.1: no HMAC keyed with a public key, RSA >= 2048
// bits, the EC curve of the algorithm) and the key's own `alg`/`use`/`key_ops` permit it, then
// the signature. Failures: InvalidArgument for malformed input or a refused algorithm/key,
// Unauthenticated for a signature that does not verify.
//
// Thread-safety: stateless functions; keys may be shared between threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/key.h"

namespace idscheme::crypto {

enum class SigAlg {
  kHS256,
  kHS384,
  kHS512,
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
};

std::string_view SigAlgName(SigAlg alg);
// The algorithm named `name`; nullopt for "none" and anything unknown.
std::optional<SigAlg> ParseSigAlg(std::string_view name);
// Every algorithm, for tests and for discovery metadata.
std::span<const SigAlg> AllSigAlgs();

// Whether `key` may sign (signing=true, needs private material) or verify with `alg`.
Status CheckKeyForSigAlg(const Key& key, SigAlg alg, bool signing);

inline constexpr size_t kDefaultMaxJwsSize = 256 * 1024;

struct ParsedJws {
  nlohmann::json header;  // the decoded protected header (an object)
  SigAlg alg = SigAlg::kHS256;
  std::string kid;  // header members, empty when absent
  std::string typ;
  std::string cty;
  std::string signing_input;  // BASE64URL(header) '.' BASE64URL(payload), as received
  std::string payload;        // decoded payload bytes
  std::vector<uint8_t> signature;

  std::string_view header_b64() const;
  std::string_view payload_b64() const;
};

Result<ParsedJws> ParseJws(std::string_view compact, size_t max_size = kDefaultMaxJwsSize);

// OK only when `alg` is in `allowed`, `key` suits it and the signature verifies.
Status VerifyJws(const ParsedJws& jws, const Key& key, std::span<const SigAlg> allowed);
Status VerifyJws(const ParsedJws& jws, const Key& key, std::initializer_list<SigAlg> allowed);

// Signs `payload` under `header`, which must hold "alg" (and may hold kid, typ, cty...). The
// header is serialised compactly in nlohmann's member order (sorted).
Result<std::string> SignJws(const nlohmann::json& header, std::string_view payload, const Key& key);
// Same with the header's exact JSON text (for known-answer tests and byte-exact protocols).
Result<std::string> SignJwsWithHeaderText(std::string_view header_json, std::string_view payload,
                                          const Key& key);

// The primitives underneath, over arbitrary bytes, with JOSE's signature formats.
Result<std::vector<uint8_t>> SignBytes(SigAlg alg, const Key& key, std::span<const uint8_t> data);
Status VerifyBytes(SigAlg alg, const Key& key, std::span<const uint8_t> data,
                   std::span<const uint8_t> signature);

}  // namespace idscheme::crypto
