// Fuzz target: the `claims` request parameter parser (OIDC Core §5.5, claims_request.h). What
// parses names only catalogue claims, and every failure is invalid_request.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oidc/claims_request.h"
#include "registry/claims.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = oidc::ParseClaimsRequest(text);
  if (!parsed.ok()) {
    if (parsed.status().oauth_error() != "invalid_request") std::abort();
    return 0;
  }
  for (const auto& name : parsed->PersonClaimNames()) {
    if (!registry::IsKnownClaim(name)) std::abort();
  }
  for (const auto& c : parsed->userinfo) {
    if (c.value && !c.values.empty()) std::abort();
  }
  return 0;
}
