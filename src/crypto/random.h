// The production source of randomness: OpenSSL's CSPRNG behind idscheme::Random.
//
// Thread-safety: OpenSslRandom is stateless and safe from any thread; SystemRandom() returns one
// shared instance.
#pragma once

#include <span>

#include "common/random.h"

namespace idscheme::crypto {

class OpenSslRandom final : public Random {
 public:
  // RAND_bytes. A CSPRNG that cannot produce bytes leaves nothing safe to do: the process aborts.
  void Fill(std::span<uint8_t> out) override;
};

Random& SystemRandom();

}  // namespace idscheme::crypto
