// Fuzz target: a DPoP proof (RFC 9449 §4) through the same parse and binding checks the token
// endpoint and the bearer check run (the store's replay check aside), and the htu normaliser.
// Whatever passes must carry a public key with its thumbprint, a jti, and an iat inside the
// window; every refusal must be invalid_dpop_proof. NormalizeHtu must be idempotent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oauth/dpop.h"

namespace {

using namespace idscheme;

constexpr int64_t kNow = 1'800'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const oauth::DpopOptions options;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto htu = oauth::NormalizeHtu(text); htu.ok()) {
    auto again = oauth::NormalizeHtu(*htu);
    if (!again.ok() || *again != *htu) std::abort();
  }

  auto parsed = oauth::ParseDpopProof(text, options);
  if (!parsed.ok()) {
    if (parsed.status().oauth_error() != "invalid_dpop_proof") std::abort();
    return 0;
  }
  if (!parsed->key || parsed->key->IsPrivate() || parsed->key->IsSymmetric() ||
      parsed->jkt != parsed->key->Rfc7638Thumbprint() || parsed->jti.empty() ||
      parsed->htm.empty() || parsed->htu.empty())
    std::abort();
  for (std::optional<std::string_view> token :
       {std::optional<std::string_view>(), std::optional<std::string_view>("an-access-token")}) {
    oauth::DpopBinding binding{"POST", "https://id.example/token", token};
    Status s = oauth::CheckDpopBinding(*parsed, binding, kNow, options);
    if (s.ok()) {
      if (parsed->iat < kNow - options.iat_window_seconds ||
          parsed->iat > kNow + options.iat_window_seconds || parsed->htm != "POST" ||
          (token && parsed->ath != oauth::DpopAccessTokenHash(*token)))
        std::abort();
    } else if (s.oauth_error() != "invalid_dpop_proof") {
      std::abort();
    }
  }
  return 0;
}
