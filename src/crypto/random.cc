#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace idscheme::crypto {

void OpenSslRandom::Fill(std::span<uint8_t> out) {
  while (!out.empty()) {
    size_t n = out.size() > INT_MAX ? INT_MAX : out.size();
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      std::fprintf(stderr, "idscheme: RAND_bytes failed; refusing to continue without entropy\n");
      std::abort();
    }
    out = out.subspan(n);
  }
}

Random& SystemRandom() {
  static OpenSslRandom random;
  return random;
}

}  // namespace idscheme::crypto
