// JWE compact serialisation (RFC 7516) with the algorithms of RFC 7518 §4-5 and RFC 8037 §3.2.
//
// Key management ("alg"): RSA-OAEP, RSA-OAEP-256, ECDH-ES, ECDH-ES+A128KW/A192KW/A256KW (P-256,
// P-384, P-521 or X25519; Concat KDF with apu/apv), A128KW, A192KW, A256KW, dir.
// Content encryption ("enc"): A128CBC-HS256, A192CBC-HS384, A256CBC-HS512, A128GCM, A192GCM,
// A256GCM.
//
// Refused: RSA1_5 (RSAES-PKCS1-v1_5 invites Bleichenbacher padding oracles; RFC 8725 §3.2 asks
// to avoid it), PBES2 (not needed by the scheme), `zip` (compressed plaintext is a decompression
// bomb and a length side channel, RFC 8725 §3.6), `crit` (no extension is understood), and
// anything the caller's allow-lists do not name.
//
// Decryption is oracle-resistant: a key that does not unwrap (RSA-OAEP, AES-KW), or unwraps to
// the wrong length, is replaced by a random CEK so the failure surfaces only at the tag check
// (RFC 7516 §11.5), and every such failure carries the same message. Tags are compared in
// constant time. An ephemeral key (`epk`) must be a valid point on the recipient's curve
// (invalid-curve attacks).
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

#include "common/random.h"
#include "common/status.h"
#include "crypto/key.h"

namespace idscheme::crypto {

enum class KeyMgmtAlg {
  kRsaOaep,
  kRsaOaep256,
  kEcdhEs,
  kEcdhEsA128Kw,
  kEcdhEsA192Kw,
  kEcdhEsA256Kw,
  kA128Kw,
  kA192Kw,
  kA256Kw,
  kDir,
};

enum class ContentEnc {
  kA128CbcHs256,
  kA192CbcHs384,
  kA256CbcHs512,
  kA128Gcm,
  kA192Gcm,
  kA256Gcm,
};

std::string_view KeyMgmtAlgName(KeyMgmtAlg alg);
std::optional<KeyMgmtAlg> ParseKeyMgmtAlg(std::string_view name);  // nullopt for RSA1_5 too
std::span<const KeyMgmtAlg> AllKeyMgmtAlgs();
std::string_view ContentEncName(ContentEnc enc);
std::optional<ContentEnc> ParseContentEnc(std::string_view name);
std::span<const ContentEnc> AllContentEncs();
// CEK size in bytes for `enc` (32/48/64 for CBC-HS, 16/24/32 for GCM).
size_t ContentKeySize(ContentEnc enc);

// Whether `key` may encrypt to (or, with decrypting=true, decrypt) `alg` + `enc`.
Status CheckKeyForJwe(const Key& key, KeyMgmtAlg alg, ContentEnc enc, bool decrypting);

// What a decrypter accepts. Both lists must name the algorithm for a JWE to be opened.
struct JweAlgorithms {
  std::vector<KeyMgmtAlg> algs;
  std::vector<ContentEnc> encs;
};

// Fixed inputs for known-answer tests; production callers leave them empty so that everything
// comes from `random` (CEK, IV) or OpenSSL (the ephemeral ECDH key).
struct EncryptOptions {
  std::vector<uint8_t> cek;  // not for dir / ECDH-ES, where the CEK is the key or derived
  std::vector<uint8_t> iv;
  KeyPtr ephemeral_key;  // ECDH-ES*: private key on the recipient's curve
  // The protected header's exact JSON text, used instead of serialising `header` (which is then
  // ignored). With ECDH-ES it must already hold the `epk` of `ephemeral_key`.
  std::string header_text;
};

inline constexpr size_t kDefaultMaxJweSize = 256 * 1024;

// `header` must hold "alg" and "enc"; kid, typ, cty, apu, apv... are kept. For ECDH-ES the
// `epk` member is added.
Result<std::string> EncryptJwe(const nlohmann::json& header, std::string_view plaintext,
                               const Key& recipient, Random& random,
                               const EncryptOptions& options = {});

struct ParsedJwe {
  nlohmann::json header;  // the decoded protected header (an object)
  KeyMgmtAlg alg = KeyMgmtAlg::kDir;
  ContentEnc enc = ContentEnc::kA128Gcm;
  std::string kid;  // header members, empty when absent
  std::string typ;
  std::string cty;
  std::string header_b64;  // the Additional Authenticated Data (RFC 7516 §5.1 step 14)
  std::vector<uint8_t> encrypted_key;
  std::vector<uint8_t> iv;
  std::vector<uint8_t> ciphertext;
  std::vector<uint8_t> tag;
};

// Structure and header only (no key needed): use it to pick the key by `kid`.
Result<ParsedJwe> ParseJwe(std::string_view compact, size_t max_size = kDefaultMaxJweSize);

// The plaintext, or InvalidArgument (refused algorithm, unsuitable key, malformed parts) or
// Unauthenticated ("JWE: decryption failed", whatever the cryptographic cause).
Result<std::string> DecryptJwe(const ParsedJwe& jwe, const Key& key, const JweAlgorithms& allowed);

struct DecryptedJwe {
  nlohmann::json header;
  std::string plaintext;
};
Result<DecryptedJwe> DecryptJwe(std::string_view compact, const Key& key,
                                const JweAlgorithms& allowed);

}  // namespace idscheme::crypto
