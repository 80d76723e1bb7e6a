// Fuzz target: client metadata validation (registry/client_metadata.h). Input is JSON text, as
// the admin API and the CLI receive it. Whatever validates must keep the validator's promises:
// its output validates again to the same thing, reads back from storage unchanged, every
// redirect URI is https (or loopback http) without fragment or wildcard, a pairwise client that
// logs users in has a sector identifier, and a sector_identifier_uri has URIs to vouch for. The
// raw text is also tried as one redirect URI.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/json.h"
#include "registry/client_metadata.h"
#include "registry/sector_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::registry;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (ValidateRedirectUri(text).ok()) {
    if (text.find('#') != std::string_view::npos || text.find('*') != std::string_view::npos)
      std::abort();
    if (text.rfind("https://", 0) != 0 && text.rfind("http://localhost", 0) != 0 &&
        text.rfind("http://127.0.0.1", 0) != 0 && text.rfind("http://[::1]", 0) != 0)
      std::abort();
  }

  auto json = idscheme::crypto::ParseJsonStrict(text);
  if (!json.ok()) return 0;
  auto metadata = ValidateClientMetadata(*json);
  if (!metadata.ok()) {
    if (metadata.status().message().find(": ") == std::string::npos) std::abort();  // no field
    return 0;
  }
  const nlohmann::json out = metadata->ToJson();
  auto again = ValidateClientMetadata(out);
  if (!again.ok() || again->ToJson() != out) std::abort();
  if (ClientMetadataFromStored(out).ToJson() != out) std::abort();
  for (const auto& uri : metadata->redirect_uris) {
    if (!ValidateRedirectUri(uri).ok() || !IsRegisteredRedirectUri(*metadata, uri)) std::abort();
  }
  const bool sees_users =
      metadata->HasGrant(kGrantAuthorizationCode) || metadata->HasGrant(kGrantCiba);
  if (metadata->subject_type == "pairwise" && sees_users && SectorIdentifier(*metadata).empty())
    std::abort();
  // OIDC Registration §5: a registered sector_identifier_uri has something to vouch for.
  if (!metadata->sector_identifier_uri.empty() && !UrisSectorDocumentMustList(*metadata).ok())
    std::abort();
  if (metadata->token_endpoint_auth_method == kAuthPrivateKeyJwt && !metadata->jwks &&
      metadata->jwks_uri.empty())
    std::abort();
  return 0;
}
