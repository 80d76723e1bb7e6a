// Internal to src/crypto: what a Key holds, for the JWS/JWE code that uses it.
#pragma once

#include <array>
#include <mutex>
#include <span>

#include "crypto/internal/ossl.h"
#include "crypto/key.h"

namespace idscheme::crypto {

struct Key::Material {
  internal::EvpPkeyPtr pkey;    // asymmetric keys
  std::vector<uint8_t> secret;  // oct keys
  ~Material() { internal::Cleanse(secret); }

  // Signature contexts initialised once per (algorithm, sign|verify) and then only copied, so
  // an operation skips OpenSSL's per-init algorithm fetch. Filled lazily; read-only after.
  static constexpr size_t kCtxSlots = 32;
  mutable std::array<std::once_flag, kCtxSlots> ctx_once;
  mutable std::array<internal::EvpMdCtxPtr, kCtxSlots> ctx;
};

namespace internal {

struct KeyAccess {
  static EVP_PKEY* Pkey(const Key& key) { return key.material_->pkey.get(); }
  static std::span<const uint8_t> Secret(const Key& key) { return key.material_->secret; }
  static const Key::Material& Material(const Key& key) { return *key.material_; }
  // Wraps an OpenSSL key that has already been checked.
  static KeyPtr Make(KeyType type, EvpPkeyPtr pkey, bool is_private, KeyMetadata metadata = {});
  static KeyPtr New(KeyType type, std::shared_ptr<const Key::Material> material, bool is_private,
                    int bits, KeyMetadata metadata) {
    return KeyPtr(new Key(type, std::move(material), is_private, bits, std::move(metadata)));
  }
};

// A fresh key pair on the same curve as `peer` (EC or X25519), for ECDH-ES.
Result<KeyPtr> GenerateEphemeralFor(const Key& peer);
// Field size in bytes of an EC curve (32, 48, 66), or 32 for X25519/Ed25519.
size_t CoordinateSize(KeyType type);
bool IsEc(KeyType type);
// Parses a JWK; *unsupported is set when it is well-formed but of a kind or size this code does
// not handle (unknown kty or crv, RSA under 2048 bits), which a JWK Set skips (RFC 7517 §5).
Result<KeyPtr> ParseJwk(const nlohmann::json& jwk, bool require_public, bool* unsupported);

}  // namespace internal
}  // namespace idscheme::crypto
