#include "common/random.h"

#include <vector>

#include "common/base64url.h"

namespace idscheme {

std::string Random::Token(size_t n) {
  std::vector<uint8_t> buf(n);
  Fill(buf);
  return Base64UrlEncode(buf);
}

uint64_t Random::Uniform(uint64_t bound) {
  if (bound <= 1) return 0;
  // Rejection sampling: drop draws from the incomplete top range so every value is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  for (;;) {
    uint64_t x = 0;
    Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&x), sizeof x));
    if (x < limit) return x % bound;
  }
}

void SeededRandom::Fill(std::span<uint8_t> out) {
  for (auto& b : out) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    b = static_cast<uint8_t>(state_ >> 24);
  }
}

}  // namespace idscheme
