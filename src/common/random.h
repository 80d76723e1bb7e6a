// Random: the only source of randomness in idscheme, injected so tests can make it predictable.
// The production implementation (crypto/random.h) draws from OpenSSL's CSPRNG.
//
// Thread-safety: implementations must be safe to call from several threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace idscheme {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;

  // `n` random bytes, base64url-encoded without padding (an unguessable identifier).
  std::string Token(size_t n = 32);
  // A uniformly drawn integer in [0, bound).
  uint64_t Uniform(uint64_t bound);
};

// A deterministic generator for tests (xorshift; never for secrets).
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed ? seed : 0x9e3779b97f4a7c15ULL) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace idscheme
