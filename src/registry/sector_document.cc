#include "registry/sector_document.h"

#include <algorithm>

#include "crypto/json.h"
#include "registry/internal/fields.h"

namespace idscheme::registry {

using internal::FieldError;

namespace {

constexpr std::string_view kField = "sector_identifier_uri";

std::string Element(size_t i) { return "element [" + std::to_string(i) + "]"; }

}  // namespace

Result<std::vector<std::string>> ParseSectorDocument(std::string_view body) {
  if (body.size() > kMaxSectorDocumentBytes)
    return Status::InvalidArgument("it is larger than " + std::to_string(kMaxSectorDocumentBytes) +
                                   " bytes");
  // The array and one level in it (named below as "not a string"); deeper nesting is refused
  // while parsing.
  auto parsed = crypto::ParseJsonStrict(body, /*max_depth=*/2);
  if (!parsed.ok()) return parsed.status();
  // OIDC Registration §5: a JSON array of redirect_uri values.
  if (!parsed->is_array())
    return Status::InvalidArgument(std::string("it is a JSON ") + parsed->type_name());
  if (parsed->empty()) return Status::InvalidArgument("it is empty");
  std::vector<std::string> uris;
  uris.reserve(parsed->size());
  for (size_t i = 0; i < parsed->size(); ++i) {
    const auto& v = (*parsed)[i];
    if (!v.is_string()) return Status::InvalidArgument(Element(i) + " is not a string");
    const auto& uri = v.get_ref<const std::string&>();
    if (uri.empty()) return Status::InvalidArgument(Element(i) + " is empty");
    uris.push_back(uri);
  }
  return uris;
}

Result<std::vector<SectorUri>> UrisSectorDocumentMustList(const ClientMetadata& m) {
  std::vector<SectorUri> out;
  // OIDC Registration §5: every registered redirect_uri.
  for (size_t i = 0; i < m.redirect_uris.size(); ++i)
    out.push_back({"redirect_uris[" + std::to_string(i) + "]", m.redirect_uris[i]});
  if (out.empty()) {
    // CIBA Core §4: without redirect URIs, the client is known by these hosts.
    if (!m.jwks_uri.empty()) out.push_back({"jwks_uri", m.jwks_uri});
    if (!m.backchannel_client_notification_endpoint.empty())
      out.push_back(
          {"backchannel_client_notification_endpoint", m.backchannel_client_notification_endpoint});
  }
  if (out.empty())
    return FieldError(kField,
                      "the client registers no redirect_uris, jwks_uri or "
                      "backchannel_client_notification_endpoint, so a sector document would "
                      "vouch for nothing: register the jwks_uri or notification endpoint it "
                      "should list, or leave sector_identifier_uri out");
  return out;
}

Status CheckSectorDocument(const ClientMetadata& m, std::string_view body) {
  IDS_ASSIGN_OR_RETURN(std::vector<SectorUri> must_list, UrisSectorDocumentMustList(m));
  auto listed = ParseSectorDocument(body);
  if (!listed.ok())
    return FieldError(kField,
                      "the document at " + m.sector_identifier_uri +
                          " must be a JSON array of URI strings: " + listed.status().message());
  for (const auto& want : must_list) {
    // OIDC Registration §5: compared as strings, exactly as registered.
    if (std::find(listed->begin(), listed->end(), want.uri) == listed->end())
      return FieldError(kField, "the document at " + m.sector_identifier_uri + " does not list " +
                                    want.field + " '" + want.uri +
                                    "' (it must list every URI the client registers, exactly "
                                    "as registered); add it to the document");
  }
  return Status::Ok();
}

}  // namespace idscheme::registry
