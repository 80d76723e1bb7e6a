// Key: one asymmetric key pair, public key, or symmetric secret, as JOSE uses them.
//
// Types: EC P-256/P-384/P-521, RSA (2048..8192 bits; 3072 by default), Ed25519, X25519 and
// `oct` secrets. A Key is built once (generated, or parsed from a JWK or PEM with every check the
// RFCs ask for) and then never changes; the parsed OpenSSL key is kept, so signing and
// verifying do not re-parse. Keys are passed around as KeyPtr (shared_ptr<const Key>).
//
// Parsing is strict (RFC 7517, RFC 7518 §6, RFC 8037 §2): required members present and strings,
// coordinates and scalars of exactly the curve's size, RSA integers minimally encoded, EC points
// on the curve, private parts consistent with the public part. Members this code does not use
// (x5c, ...) are ignored as RFC 7517 §4 requires.
//
// Thread-safety: immutable after creation; any number of threads may use one Key at once.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::crypto {

namespace internal {
struct KeyAccess;
}

enum class KeyType { kEcP256, kEcP384, kEcP521, kRsa, kEd25519, kX25519, kOct };

std::string_view KeyTypeName(KeyType type);  // "EC P-256", "RSA", "oct", ...

// The optional JWK members that say how a key may be used (RFC 7517 §4.2-4.5).
struct KeyMetadata {
  std::string kid;
  std::string use;                   // "sig", "enc" or empty
  std::string alg;                   // the one algorithm this key is for, or empty
  std::vector<std::string> key_ops;  // empty when absent
};

class Key;
using KeyPtr = std::shared_ptr<const Key>;

class Key {
 public:
  inline static constexpr int kDefaultRsaBits = 3072;
  inline static constexpr int kMinRsaBits = 2048;
  inline static constexpr int kMaxRsaBits = 8192;

  // A fresh key from OpenSSL's CSPRNG. kOct makes a 256-bit secret.
  static Result<KeyPtr> Generate(KeyType type);
  static Result<KeyPtr> GenerateRsa(int bits);
  static Result<KeyPtr> GenerateOct(size_t bytes);

  // Any JWK, public or private (or oct).
  static Result<KeyPtr> FromJwk(const nlohmann::json& jwk);
  static Result<KeyPtr> FromJwkText(std::string_view text);
  // A JWK that must be public: any private member (d, p, q, dp, dq, qi, oth, k) is an error.
  static Result<KeyPtr> FromPublicJwk(const nlohmann::json& jwk);
  // One PEM block: "PRIVATE KEY" (PKCS#8, unencrypted) or "PUBLIC KEY" (SPKI).
  // kChecked runs OpenSSL's key checks (public key validity, private/public pair match); for
  // RSA they test primality and cost ~100 ms per 3072-bit key. kAuthenticated skips them, for
  // keys that were checked when created and come back under an authenticated encryption (the
  // key store's sealed keys): nobody but the KEK holder can have changed them.
  enum class PemCheck { kChecked, kAuthenticated };
  static Result<KeyPtr> FromPem(std::string_view pem, PemCheck check = PemCheck::kChecked);
  // A symmetric secret (kty "oct").
  static Result<KeyPtr> FromOctets(std::span<const uint8_t> secret);

  KeyType type() const { return type_; }
  std::string_view kty() const;  // "EC", "RSA", "OKP", "oct"
  std::string_view crv() const;  // "P-256", ..., "Ed25519", "X25519"; empty for RSA and oct
  // Modulus size for RSA, field size for EC, 256 for Ed25519/X25519, 8 * length for oct.
  int bits() const { return bits_; }
  bool IsPrivate() const { return is_private_; }  // holds private or secret material
  bool IsSymmetric() const { return type_ == KeyType::kOct; }

  const KeyMetadata& metadata() const { return metadata_; }
  const std::string& kid() const { return metadata_.kid; }
  // The same key material under other metadata (e.g. a kid chosen after generation).
  KeyPtr WithMetadata(KeyMetadata metadata) const;
  KeyPtr WithKid(std::string kid) const;

  // include_private=false gives the public JWK; it is an error for an oct key, which has none.
  Result<nlohmann::json> ToJwk(bool include_private) const;
  // PKCS#8 "PRIVATE KEY" when include_private and the key is private, else SPKI "PUBLIC KEY".
  Result<std::string> ToPem(bool include_private) const;
  // RFC 7638: base64url(SHA-256(canonical JSON of the required public members)).
  std::string Rfc7638Thumbprint() const;
  // The public half (the same object when already public). Error for oct keys.
  Result<KeyPtr> PublicOnly() const;
  // Same key material (public parts; for oct the secret), compared in constant time.
  bool SameKeyAs(const Key& other) const;

  struct Material;  // opaque: the OpenSSL key or the secret bytes

 private:
  friend struct internal::KeyAccess;
  Key(KeyType type, std::shared_ptr<const Material> material, bool is_private, int bits,
      KeyMetadata metadata);

  KeyType type_;
  std::shared_ptr<const Material> material_;
  bool is_private_;
  int bits_;
  KeyMetadata metadata_;
};

}  // namespace idscheme::crypto
