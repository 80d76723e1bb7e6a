// Hashes, HMACs, HKDF and constant-time comparison, over OpenSSL.
//
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::crypto {

using Sha256Digest = std::array<uint8_t, 32>;
using Sha384Digest = std::array<uint8_t, 48>;
using Sha512Digest = std::array<uint8_t, 64>;

Sha256Digest Sha256(std::span<const uint8_t> data);
Sha256Digest Sha256(std::string_view data);
Sha384Digest Sha384(std::span<const uint8_t> data);
Sha384Digest Sha384(std::string_view data);
Sha512Digest Sha512(std::span<const uint8_t> data);
Sha512Digest Sha512(std::string_view data);

Sha256Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
Sha256Digest HmacSha256(std::span<const uint8_t> key, std::string_view data);
Sha384Digest HmacSha384(std::span<const uint8_t> key, std::span<const uint8_t> data);
Sha512Digest HmacSha512(std::span<const uint8_t> key, std::span<const uint8_t> data);

// True when a and b have the same length and the same bytes. The time taken depends on the
// lengths only, never on where the bytes differ (CRYPTO_memcmp).
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// HKDF-SHA256 (RFC 5869), extract then expand to `length` bytes (at most 255 * 32).
Result<std::vector<uint8_t>> HkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                                        std::span<const uint8_t> info, size_t length);

}  // namespace idscheme::crypto
