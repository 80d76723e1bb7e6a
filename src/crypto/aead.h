// AES-256-GCM authenticated encryption for secrets at rest (private keys under a key-encryption
// key, sealed cookies). The sealed form is nonce (12) || ciphertext || tag (16); the nonce is
// drawn from the given Random for every call, so one key may seal up to 2^32 messages.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/random.h"
#include "common/status.h"

namespace idscheme::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

// `aad` is authenticated but not encrypted: bind the context (e.g. the key id) so a sealed blob
// cannot be moved to another record.
Result<std::vector<uint8_t>> Aes256GcmSeal(std::span<const uint8_t> key,
                                           std::span<const uint8_t> plaintext,
                                           std::span<const uint8_t> aad, Random& random);
// Unauthenticated when the key, the aad or any byte of `sealed` is wrong.
Result<std::vector<uint8_t>> Aes256GcmOpen(std::span<const uint8_t> key,
                                           std::span<const uint8_t> sealed,
                                           std::span<const uint8_t> aad);

}  // namespace idscheme::crypto
