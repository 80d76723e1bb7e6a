// Internal to src/crypto: the AES modes JWE and the at-rest AEAD are built from.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace idscheme::crypto::internal {

using Bytes = std::vector<uint8_t>;

// AES-GCM with a 128-bit tag; the key size (16/24/32) picks AES-128/192/256.
Result<Bytes> AesGcmEncrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> aad, std::span<const uint8_t> plaintext,
                            Bytes* tag);
// Fails with Unauthenticated when the tag does not match; nothing is returned then.
Result<Bytes> AesGcmDecrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> aad, std::span<const uint8_t> ciphertext,
                            std::span<const uint8_t> tag);

// AES-CBC with PKCS#7 padding.
Result<Bytes> AesCbcEncrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> plaintext);
Result<Bytes> AesCbcDecrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> ciphertext);

// AES Key Wrap (RFC 3394) with the default initial value.
Result<Bytes> AesKeyWrap(std::span<const uint8_t> kek, std::span<const uint8_t> key);
Result<Bytes> AesKeyUnwrap(std::span<const uint8_t> kek, std::span<const uint8_t> wrapped);

}  // namespace idscheme::crypto::internal
