// The sector identifier document (OIDC Registration §5): what a client's sector_identifier_uri
// serves, and the check that it vouches for the client.
//
// The host of sector_identifier_uri is the sector pairwise subjects are computed for (OIDC Core
// §8.1). A client that could name any host as its sector would receive the same `sub` values
// as that host's own clients and could link people across services. So the registry fetches the
// document at registration and at every update (Clients::SetSectorFetcher) and accepts the
// client only when the document, a JSON array of URI strings served by the sector's host, lists
// every URI the client registered:
//  - its redirect_uris, each exactly as registered (string comparison, Registration §5);
//  - for a client without redirect_uris (CIBA), its jwks_uri and its
//    backchannel_client_notification_endpoint, whichever it has (CIBA Core §4 knows such a
//    client by these hosts).
// A client with none of them is refused: the document would vouch for nothing.
//
// The document is parsed strictly: one JSON array, no byte-order mark, no trailing bytes, each
// element a non-empty string (a URI listed twice is harmless: Registration §5 asks only that
// the array contain each one), at most kMaxSectorDocumentBytes. Every error is an
// invalid_request on sector_identifier_uri that names the document and says what to fix.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "registry/client_metadata.h"

namespace idscheme::registry {

// The largest document accepted (about a thousand URIs).
inline constexpr size_t kMaxSectorDocumentBytes = 64 * 1024;

// The URIs a sector document lists, in order. InvalidArgument (the reason, without a field
// name) for anything but a JSON array of non-empty strings within the size limit.
Result<std::vector<std::string>> ParseSectorDocument(std::string_view body);

// The URIs the document at metadata.sector_identifier_uri must list for this client, each with
// the field it was registered in ("redirect_uris[1]", "jwks_uri", ...). An error on
// sector_identifier_uri when there is none: such a client cannot use a sector_identifier_uri.
struct SectorUri {
  std::string field;
  std::string uri;
};
Result<std::vector<SectorUri>> UrisSectorDocumentMustList(const ClientMetadata& metadata);

// Whether `body`, fetched from metadata.sector_identifier_uri, vouches for the client: it parses
// (ParseSectorDocument) and lists every URI of UrisSectorDocumentMustList. Errors are
// FieldError("sector_identifier_uri", ...) naming the document and the first URI it misses.
Status CheckSectorDocument(const ClientMetadata& metadata, std::string_view body);

}  // namespace idscheme::registry
