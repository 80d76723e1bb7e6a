// Fuzz target: the sector identifier document (registry/sector_document.h), the body a client's
// sector_identifier_uri serves: bytes from a stranger's web server. Whatever parses must keep the
// parser's promises (a non-empty array of non-empty strings within the size limit that
// reads back the same once written out again), and whatever vouches for a client must list each
// of its redirect URIs, and of a CIBA client's jwks_uri and notification endpoint, exactly.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/json.h"
#include "registry/sector_document.h"

namespace {

using idscheme::registry::ClientMetadata;

ClientMetadata WebClient() {
  ClientMetadata m;
  m.redirect_uris = {"https://a.example/cb", "https://b.example/cb?x=1"};
  m.sector_identifier_uri = "https://example/sector.json";
  return m;
}

ClientMetadata CibaClient() {
  ClientMetadata m;
  m.grant_types = {"urn:openid:params:grant-type:ciba"};
  m.response_types = {};
  m.jwks_uri = "https://a.example/jwks";
  m.backchannel_token_delivery_mode = "ping";
  m.backchannel_client_notification_endpoint = "https://a.example/ciba";
  m.sector_identifier_uri = "https://example/sector.json";
  return m;
}

bool Lists(const std::vector<std::string>& uris, const std::string& uri) {
  return std::find(uris.begin(), uris.end(), uri) != uris.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::registry;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  auto uris = ParseSectorDocument(body);
  static const ClientMetadata web = WebClient();
  static const ClientMetadata ciba = CibaClient();
  const auto web_check = CheckSectorDocument(web, body);
  const auto ciba_check = CheckSectorDocument(ciba, body);
  if (!uris.ok()) {
    if (uris.status().message().empty()) std::abort();
    if (web_check.ok() || ciba_check.ok()) std::abort();
    return 0;
  }
  if (body.size() > kMaxSectorDocumentBytes || uris->empty()) std::abort();
  for (const auto& uri : *uris) {
    if (uri.empty()) std::abort();
  }
  auto text = idscheme::crypto::DumpJson(nlohmann::json(*uris));
  if (!text.ok()) std::abort();  // the strict parser let invalid UTF-8 through
  auto again = ParseSectorDocument(*text);
  if (text->size() <= kMaxSectorDocumentBytes && (!again.ok() || *again != *uris)) std::abort();

  const bool web_listed = Lists(*uris, web.redirect_uris[0]) && Lists(*uris, web.redirect_uris[1]);
  if (web_check.ok() != web_listed) std::abort();
  const bool ciba_listed =
      Lists(*uris, ciba.jwks_uri) && Lists(*uris, ciba.backchannel_client_notification_endpoint);
  if (ciba_check.ok() != ciba_listed) std::abort();
  for (const idscheme::Status* s : {&web_check, &ciba_check}) {
    if (!s->ok() && s->message().rfind("sector_identifier_uri: ", 0) != 0) std::abort();
  }
  return 0;
}
