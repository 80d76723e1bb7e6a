// Fuzz target: a client assertion (RFC 7523) through the same parse and verify steps the token
// endpoint runs, for one fixed client whose public key is below (the seed corpus was signed
// with its private half, a throwaway key). Whatever verifies must be for that client, with a
// jti and an exp within the policy.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/clock.h"
#include "crypto/jwk.h"
#include "oauth/client_assertion.h"

namespace {

using namespace idscheme;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kClientJwks[] = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"fuzz-key",)"
                               R"("x":"F18XaYZhy_zGxQrUk-hHFcJSq2cq7dD34Ql2PBOZXmE",)"
                               R"("y":"FTFoxPt9q5UXVe2q3oSQttzZ0fsYsnyYwVdATNz62bg"}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const crypto::JwkSet keys = *crypto::JwkSet::Parse(kClientJwks);
  static const FakeClock clock(kNow);
  static const oauth::ClientAssertionPolicy policy = [] {
    oauth::ClientAssertionPolicy p;
    p.audiences = {"https://id.example", "https://id.example/token"};
    return p;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = oauth::ParseClientAssertion(text);
  if (!parsed.ok()) {
    if (parsed.status().oauth_error() != "invalid_client") std::abort();
    return 0;
  }
  auto resolver = [](std::string_view kid, crypto::SigAlg alg) {
    return keys.FindForVerify(kid, alg);
  };
  for (std::string_view registered : {"", "RS256", "HS256"}) {
    auto verified = oauth::VerifyClientAssertion(
        *parsed, "fuzz-client", oauth::AllowedAssertionAlgs(registered), resolver, policy, clock);
    if (verified.ok()) {
      if (verified->client_id != "fuzz-client" || verified->jti.empty() ||
          verified->expires_at > kNow + policy.max_lifetime_seconds + policy.leeway_seconds ||
          !registered.empty())
        std::abort();
    } else if (verified.status().oauth_error() != "invalid_client") {
      std::abort();
    }
  }
  return 0;
}
