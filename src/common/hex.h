// Lower-case hexadecimal encoding (digests in logs, the audit chain).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace idscheme {

inline std::string HexEncode(std::span<const uint8_t> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace idscheme
