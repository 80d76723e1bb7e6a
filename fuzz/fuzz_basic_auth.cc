// Fuzz target: the Authorization header parsers of the token endpoint (HTTP Basic with
// form-encoded credentials, RFC 6749 §2.3.1) and of the bearer check (RFC 6750 §2.1). What
// parses must survive a round trip through the encoder unchanged, when the encoding
// is within the header limit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "oauth/basic_auth.h"
#include "oauth/bearer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::oauth;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto basic = ParseBasicAuthorization(text);
  if (basic.ok()) {
    if (basic->client_id.empty() || !IsBasicScheme(text)) std::abort();
    // The limit is on the header as sent, and the encoder may spell the same credentials longer
    // (a '+' becomes "%20"): only an encoding within the limit must read back.
    const std::string encoded = EncodeBasicAuthorization(basic->client_id, basic->client_secret);
    auto again = ParseBasicAuthorization(encoded);
    if (encoded.size() <= kMaxBasicAuthorizationSize &&
        (!again.ok() || again->client_id != basic->client_id ||
         again->client_secret != basic->client_secret))
      std::abort();
  } else if (basic.status().oauth_error() != "invalid_client") {
    std::abort();
  }
  auto bearer = ParseBearerAuthorization(text);
  if (bearer.ok()) {
    if (bearer->empty() || bearer->size() >= text.size() ||
        bearer->find(' ') != std::string_view::npos)
      std::abort();
  }
  return 0;
}
