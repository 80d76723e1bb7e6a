// Strict base64url (RFC 4648 §5) without padding, as JOSE uses it (RFC 7515 §2), and standard
// base64 (RFC 4648 §4) for PEM-free places that need it (HTTP Basic, x5c).
//
// Decoding is strict: any character outside the alphabet, padding where none is allowed, a
// length that cannot occur, or non-zero unused bits in the last character is an error. Tokens
// must have exactly one encoding.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme {

std::string Base64UrlEncode(std::span<const uint8_t> data);
std::string Base64UrlEncode(std::string_view data);
Result<std::vector<uint8_t>> Base64UrlDecode(std::string_view text);
// Same, as a string of bytes.
Result<std::string> Base64UrlDecodeToString(std::string_view text);

// Standard alphabet with '=' padding (required, and only where the length needs it).
std::string Base64Encode(std::span<const uint8_t> data);
Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace idscheme
