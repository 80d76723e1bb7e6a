#include "registry/client_metadata.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "crypto/jwk.h"
#include "registry/agreement.h"
#include "registry/claims.h"
#include "registry/internal/fields.h"
#include "registry/sector_document.h"

namespace idscheme::registry {

using internal::FieldError;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxUriLength = 2000;
constexpr size_t kMaxRedirectUris = 50;

constexpr std::array<std::string_view, 4> kSigningAlgs = {"ES256", "PS256", "RS256", "EdDSA"};
// What the OpenID Provider encrypts ID tokens and userinfo with (oidc/id_token.h,
// SupportedResponseEncryptionAlgs/Encs): a client may register only these, so a registration
// never promises a response the server cannot produce. Asymmetric key management only: the
// client has no shared secret to wrap keys with.
constexpr std::array<std::string_view, 3> kKeyMgmtAlgs = {"RSA-OAEP-256", "ECDH-ES",
                                                          "ECDH-ES+A256KW"};
constexpr std::array<std::string_view, 2> kContentEncs = {"A128CBC-HS256", "A256GCM"};
constexpr std::array<std::string_view, 4> kGrants = {kGrantAuthorizationCode, kGrantRefreshToken,
                                                     kGrantClientCredentials, kGrantCiba};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

template <size_t N>
std::string List(const std::array<std::string_view, N>& set) {
  std::string out;
  for (auto v : set) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// RFC 3986 §2: unreserved, reserved, and '%' (checked separately).
bool IsUriChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(c) != std::string_view::npos;
}

struct Url {
  std::string scheme;
  std::string host;  // lower case; "[...]" for an IPv6 literal
  std::string port;  // digits or empty
  std::string path_and_query;
};

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

// A strict absolute http(s) URL. `allow_loopback_http`: http is allowed for loopback hosts.
Result<Url> ParseUrl(std::string_view uri, std::string_view field, bool allow_loopback_http) {
  if (uri.empty()) return FieldError(field, "must not be empty");
  if (uri.size() > kMaxUriLength)
    return FieldError(field, "longer than " + std::to_string(kMaxUriLength) + " characters");
  for (size_t i = 0; i < uri.size(); ++i) {
    char c = uri[i];
    if (!IsUriChar(c)) return FieldError(field, "contains a character not allowed in a URI");
    if (c == '%' && (i + 2 >= uri.size() || !IsHex(uri[i + 1]) || !IsHex(uri[i + 2])))
      return FieldError(field, "contains a malformed percent-encoding");
  }
  // RFC 6749 §3.1.2: the redirection endpoint URI MUST NOT include a fragment component.
  if (uri.find('#') != std::string_view::npos)
    return FieldError(field, "must not contain a fragment ('#')");
  if (uri.find('*') != std::string_view::npos)
    return FieldError(field, "must not contain a wildcard ('*'): URIs match exactly");
  auto sep = uri.find("://");
  if (sep == std::string_view::npos) return FieldError(field, "must be an absolute https URI");
  Url u;
  u.scheme = std::string(uri.substr(0, sep));
  if (u.scheme != "https" && u.scheme != "http") {
    return FieldError(field, allow_loopback_http
                                 ? "must use https (http only for localhost, 127.0.0.1 or [::1])"
                                 : "must use https");
  }
  std::string_view rest = uri.substr(sep + 3);
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  u.path_and_query = end == std::string_view::npos ? "" : std::string(rest.substr(end));
  if (authority.empty()) return FieldError(field, "has no host");
  if (authority.find('@') != std::string_view::npos)
    return FieldError(field, "must not contain user information ('@')");
  std::string_view host, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return FieldError(field, "malformed IPv6 host");
    host = authority.substr(0, close + 1);
    for (char c : host.substr(1, host.size() - 2)) {
      if (!IsHex(c) && c != ':' && c != '.') return FieldError(field, "malformed IPv6 host");
      if (std::isupper(static_cast<unsigned char>(c)))
        return FieldError(field, "host must be written in lower case");
    }
    if (host.size() < 4) return FieldError(field, "malformed IPv6 host");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return FieldError(field, "malformed host");
      port = after.substr(1);
      if (port.empty()) return FieldError(field, "empty port");
    }
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return FieldError(field, "empty port");
    }
    if (host.empty()) return FieldError(field, "has no host");
    for (char c : host) {
      if (std::isupper(static_cast<unsigned char>(c)))
        return FieldError(field, "host must be written in lower case");
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
        return FieldError(field, "malformed host");
    }
    if (host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos)
      return FieldError(field, "malformed host");
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.front() == '0' ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) > 65535)
      return FieldError(field, "malformed port");
  }
  u.host = std::string(host);
  u.port = std::string(port);
  // Dot segments resolve differently from one parser to the next: not in an exact-match URI.
  std::string_view path =
      std::string_view(u.path_and_query)
          .substr(0, std::min(u.path_and_query.find('?'), u.path_and_query.size()));
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start + 1);
    std::string seg(
        path.substr(start + 1, slash == std::string_view::npos ? path.npos : slash - start - 1));
    std::transform(seg.begin(), seg.end(), seg.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (seg == "." || seg == ".." || seg == "%2e" || seg == "%2e%2e" || seg == ".%2e" ||
        seg == "%2e.")
      return FieldError(field, "must not contain dot segments ('.' or '..')");
    if (slash == std::string_view::npos) break;
    start = slash;
  }
  if (u.scheme == "http") {
    // RFC 8252 §7.3 (loopback IP) and §8.3 (localhost): plain http only on the loopback
    // interface, which never leaves the device.
    if (!allow_loopback_http || !IsLoopbackHost(u.host)) {
      return FieldError(field, allow_loopback_http
                                   ? "must use https (http only for localhost, 127.0.0.1 or [::1])"
                                   : "must use https");
    }
  }
  return u;
}

Status CheckAlg(std::string_view field, const std::string& value,
                const std::array<std::string_view, 4>& allowed) {
  if (value == "none") return FieldError(field, "\"none\" is not allowed");
  if (!OneOf(allowed, value)) return FieldError(field, "must be one of " + List(allowed));
  return Status::Ok();
}

// OIDC Registration §2: *_encrypted_response_enc needs *_encrypted_response_alg, and defaults
// to A128CBC-HS256 when only the alg is given.
Status CheckEncryption(std::string_view prefix, std::string& alg, std::string& enc) {
  std::string alg_field = std::string(prefix) + "_encrypted_response_alg";
  std::string enc_field = std::string(prefix) + "_encrypted_response_enc";
  if (!enc.empty() && alg.empty()) return FieldError(enc_field, "needs " + alg_field);
  if (alg.empty()) return Status::Ok();
  if (alg == "RSA1_5") return FieldError(alg_field, "RSA1_5 is not allowed");
  if (!OneOf(kKeyMgmtAlgs, alg))
    return FieldError(alg_field, "must be one of " + List(kKeyMgmtAlgs));
  if (enc.empty()) enc = "A128CBC-HS256";
  if (!OneOf(kContentEncs, enc))
    return FieldError(enc_field, "must be one of " + List(kContentEncs));
  return Status::Ok();
}

// RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*NQCHAR.
Result<std::vector<std::string>> SplitScope(std::string_view scope) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t sp = scope.find(' ', start);
    std::string_view token =
        scope.substr(start, sp == std::string_view::npos ? scope.npos : sp - start);
    if (token.empty()) return FieldError("scope", "values are separated by single spaces");
    for (char c : token) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u == 0x22 || u == 0x5C || u > 0x7E)
        return FieldError("scope", "contains a character RFC 6749 §3.3 does not allow");
    }
    if (std::find(out.begin(), out.end(), token) != out.end())
      return FieldError("scope", "duplicate value '" + std::string(token) + "'");
    out.emplace_back(token);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

// Reads an optional string member into `out`; present strings must not be empty.
Status ReadString(const json& j, std::string_view field, std::string* out) {
  IDS_ASSIGN_OR_RETURN(auto v, internal::OptString(j, field));
  if (!v) return Status::Ok();
  if (v->empty()) return FieldError(field, "must not be empty (leave it out instead)");
  *out = std::move(*v);
  return Status::Ok();
}

std::string HostOf(std::string_view uri) {
  auto u = ParseUrl(uri, "uri", true);
  return u.ok() ? u->host : std::string();
}

bool SeesUsers(const ClientMetadata& m) {
  return m.HasGrant(kGrantAuthorizationCode) || m.HasGrant(kGrantCiba);
}

}  // namespace

bool ClientMetadata::UsesSecret() const {
  return token_endpoint_auth_method == kAuthClientSecretBasic ||
         token_endpoint_auth_method == kAuthClientSecretPost;
}

bool ClientMetadata::HasGrant(std::string_view grant) const {
  return std::find(grant_types.begin(), grant_types.end(), grant) != grant_types.end();
}

std::vector<std::string> ClientMetadata::Scopes() const {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < scope.size()) {
    size_t sp = scope.find(' ', start);
    if (sp == std::string::npos) sp = scope.size();
    if (sp > start) out.push_back(scope.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

json ClientMetadata::ToJson() const {
  json j = {{"redirect_uris", redirect_uris},
            {"grant_types", grant_types},
            {"response_types", response_types},
            {"token_endpoint_auth_method", token_endpoint_auth_method},
            {"id_token_signed_response_alg", id_token_signed_response_alg},
            {"subject_type", subject_type},
            {"default_acr_values", default_acr_values},
            {"require_pushed_authorization_requests", require_pushed_authorization_requests},
            {"dpop_bound_access_tokens", dpop_bound_access_tokens}};
  if (!post_logout_redirect_uris.empty())
    j["post_logout_redirect_uris"] = post_logout_redirect_uris;
  if (jwks) j["jwks"] = *jwks;
  auto put = [&j](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put("token_endpoint_auth_signing_alg", token_endpoint_auth_signing_alg);
  put("jwks_uri", jwks_uri);
  put("id_token_encrypted_response_alg", id_token_encrypted_response_alg);
  put("id_token_encrypted_response_enc", id_token_encrypted_response_enc);
  put("userinfo_signed_response_alg", userinfo_signed_response_alg);
  put("userinfo_encrypted_response_alg", userinfo_encrypted_response_alg);
  put("userinfo_encrypted_response_enc", userinfo_encrypted_response_enc);
  put("request_object_signing_alg", request_object_signing_alg);
  put("sector_identifier_uri", sector_identifier_uri);
  put("backchannel_token_delivery_mode", backchannel_token_delivery_mode);
  put("backchannel_client_notification_endpoint", backchannel_client_notification_endpoint);
  put("client_name", client_name);
  put("scope", scope);
  return j;
}

Result<ClientMetadata> ValidateClientMetadata(const json& request) {
  IDS_RETURN_IF_ERROR(internal::CheckFields(
      request, "client metadata",
      {"redirect_uris",
       "post_logout_redirect_uris",
       "grant_types",
       "response_types",
       "token_endpoint_auth_method",
       "jwks",
       "token_endpoint_auth_signing_alg",
       "jwks_uri",
       "id_token_signed_response_alg",
       "id_token_encrypted_response_alg",
       "id_token_encrypted_response_enc",
       "userinfo_signed_response_alg",
       "userinfo_encrypted_response_alg",
       "userinfo_encrypted_response_enc",
       "request_object_signing_alg",
       "subject_type",
       "sector_identifier_uri",
       "default_acr_values",
       "require_pushed_authorization_requests",
       "dpop_bound_access_tokens",
       "backchannel_token_delivery_mode",
       "backchannel_client_notification_endpoint",
       "client_name",
       "scope"},
      // RFC 7591 §3.2.1: these are the server's answer, never part of a request.
      {"client_id", "client_secret", "client_id_issued_at", "client_secret_expires_at",
       "registration_access_token", "registration_client_uri", "sector_identifier"}));
  ClientMetadata m;

  // grant_types and response_types (RFC 7591 §2, §2.1).
  IDS_ASSIGN_OR_RETURN(auto grants, internal::OptStringArray(request, "grant_types", false));
  if (grants) m.grant_types = std::move(*grants);
  for (size_t i = 0; i < m.grant_types.size(); ++i) {
    if (!OneOf(kGrants, m.grant_types[i]))
      return FieldError("grant_types[" + std::to_string(i) + "]",
                        "unsupported grant type (" + List(kGrants) + ")");
  }
  const bool code_flow = m.HasGrant(kGrantAuthorizationCode);
  if (m.HasGrant(kGrantRefreshToken) && !code_flow && !m.HasGrant(kGrantCiba))
    return FieldError("grant_types", "refresh_token needs authorization_code or the CIBA grant");
  IDS_ASSIGN_OR_RETURN(auto responses, internal::OptStringArray(request, "response_types", true));
  m.response_types =
      responses ? std::move(*responses)
                : (code_flow ? std::vector<std::string>{"code"} : std::vector<std::string>{});
  for (size_t i = 0; i < m.response_types.size(); ++i) {
    if (m.response_types[i] != "code")
      return FieldError("response_types[" + std::to_string(i) + "]",
                        "only \"code\" is supported (authorization code flow)");
  }
  // RFC 7591 §2.1: response type "code" goes with grant type "authorization_code".
  if (code_flow != !m.response_types.empty())
    return FieldError("response_types",
                      "\"code\" and the authorization_code grant go together (RFC 7591 §2.1)");

  // redirect_uris: OIDC Registration §2 (required for the code flow), RFC 6749 §3.1.2.
  IDS_ASSIGN_OR_RETURN(auto redirects, internal::OptStringArray(request, "redirect_uris", true));
  if (redirects) m.redirect_uris = std::move(*redirects);
  if (code_flow && m.redirect_uris.empty())
    return FieldError("redirect_uris", "required for the authorization_code grant");
  if (!code_flow && !m.redirect_uris.empty())
    return FieldError("redirect_uris", "only for the authorization_code grant");
  if (m.redirect_uris.size() > kMaxRedirectUris)
    return FieldError("redirect_uris", "more than " + std::to_string(kMaxRedirectUris));
  for (size_t i = 0; i < m.redirect_uris.size(); ++i) {
    IDS_RETURN_IF_ERROR(
        ValidateRedirectUri(m.redirect_uris[i], "redirect_uris[" + std::to_string(i) + "]"));
  }

  // post_logout_redirect_uris: OIDC RP-Initiated Logout §3.1, held to the redirect URI rules.
  IDS_ASSIGN_OR_RETURN(auto post_logout,
                       internal::OptStringArray(request, "post_logout_redirect_uris", true));
  if (post_logout) m.post_logout_redirect_uris = std::move(*post_logout);
  if (!code_flow && !m.post_logout_redirect_uris.empty())
    return FieldError("post_logout_redirect_uris", "only for the authorization_code grant");
  if (m.post_logout_redirect_uris.size() > kMaxRedirectUris)
    return FieldError("post_logout_redirect_uris", "more than " + std::to_string(kMaxRedirectUris));
  for (size_t i = 0; i < m.post_logout_redirect_uris.size(); ++i) {
    IDS_RETURN_IF_ERROR(ValidateRedirectUri(
        m.post_logout_redirect_uris[i], "post_logout_redirect_uris[" + std::to_string(i) + "]"));
  }

  // Client authentication and keys (RFC 7591 §2).
  IDS_RETURN_IF_ERROR(
      ReadString(request, "token_endpoint_auth_method", &m.token_endpoint_auth_method));
  if (m.token_endpoint_auth_method == "none")
    return FieldError("token_endpoint_auth_method", "public clients are not allowed");
  if (m.token_endpoint_auth_method != kAuthPrivateKeyJwt && !m.UsesSecret())
    return FieldError("token_endpoint_auth_method",
                      "must be private_key_jwt, client_secret_basic or client_secret_post");
  IDS_RETURN_IF_ERROR(
      ReadString(request, "token_endpoint_auth_signing_alg", &m.token_endpoint_auth_signing_alg));
  if (!m.token_endpoint_auth_signing_alg.empty()) {
    IDS_RETURN_IF_ERROR(CheckAlg("token_endpoint_auth_signing_alg",
                                 m.token_endpoint_auth_signing_alg, kSigningAlgs));
    if (m.token_endpoint_auth_method != kAuthPrivateKeyJwt)
      return FieldError("token_endpoint_auth_signing_alg", "only with private_key_jwt");
  }
  if (request.contains("jwks") && request.contains("jwks_uri"))
    return FieldError("jwks", "give jwks or jwks_uri, not both (RFC 7591 §2)");
  std::optional<crypto::JwkSet> keys_by_value;  // jwks, parsed
  if (auto it = request.find("jwks"); it != request.end()) {
    if (!it->is_object()) return FieldError("jwks", "must be a JWK Set (a JSON object)");
    auto set = crypto::JwkSet::FromJson(*it, {.allow_private = false});
    if (!set.ok()) return FieldError("jwks", set.status().message());
    if (set->empty()) return FieldError("jwks", "holds no key this server supports");
    m.jwks = *it;
    keys_by_value = std::move(set).value();
  }
  IDS_RETURN_IF_ERROR(ReadString(request, "jwks_uri", &m.jwks_uri));
  if (!m.jwks_uri.empty()) IDS_RETURN_IF_ERROR(ParseUrl(m.jwks_uri, "jwks_uri", false).status());
  const bool has_keys = m.jwks || !m.jwks_uri.empty();
  if (m.token_endpoint_auth_method == kAuthPrivateKeyJwt && !has_keys)
    return FieldError("jwks",
                      "private_key_jwt needs the client's public keys: give jwks or "
                      "jwks_uri");

  // Algorithms (OIDC Registration §2).
  IDS_RETURN_IF_ERROR(
      ReadString(request, "id_token_signed_response_alg", &m.id_token_signed_response_alg));
  IDS_RETURN_IF_ERROR(
      CheckAlg("id_token_signed_response_alg", m.id_token_signed_response_alg, kSigningAlgs));
  IDS_RETURN_IF_ERROR(
      ReadString(request, "userinfo_signed_response_alg", &m.userinfo_signed_response_alg));
  if (!m.userinfo_signed_response_alg.empty())
    IDS_RETURN_IF_ERROR(
        CheckAlg("userinfo_signed_response_alg", m.userinfo_signed_response_alg, kSigningAlgs));
  IDS_RETURN_IF_ERROR(
      ReadString(request, "request_object_signing_alg", &m.request_object_signing_alg));
  if (!m.request_object_signing_alg.empty()) {
    IDS_RETURN_IF_ERROR(
        CheckAlg("request_object_signing_alg", m.request_object_signing_alg, kSigningAlgs));
    if (!has_keys)
      return FieldError("request_object_signing_alg",
                        "needs the client's public keys: give jwks or jwks_uri");
  }
  for (const char* prefix : {"id_token", "userinfo"}) {
    std::string& alg =
        prefix[0] == 'i' ? m.id_token_encrypted_response_alg : m.userinfo_encrypted_response_alg;
    std::string& enc =
        prefix[0] == 'i' ? m.id_token_encrypted_response_enc : m.userinfo_encrypted_response_enc;
    IDS_RETURN_IF_ERROR(ReadString(request, std::string(prefix) + "_encrypted_response_alg", &alg));
    IDS_RETURN_IF_ERROR(ReadString(request, std::string(prefix) + "_encrypted_response_enc", &enc));
    IDS_RETURN_IF_ERROR(CheckEncryption(prefix, alg, enc));
    if (!alg.empty() && !has_keys)
      return FieldError(std::string(prefix) + "_encrypted_response_alg",
                        "needs the client's public keys: give jwks or jwks_uri");
    // OIDC Registration §2: the client's keys must hold one to encrypt to. Checked here for
    // keys given by value; a jwks_uri's are fetched when a token is encrypted.
    if (!alg.empty() && keys_by_value) {
      auto key_alg = crypto::ParseKeyMgmtAlg(alg);
      auto key_enc = crypto::ParseContentEnc(enc);
      if (!key_alg || !key_enc || !keys_by_value->FindForEncrypt(*key_alg, *key_enc).ok())
        return FieldError(std::string(prefix) + "_encrypted_response_alg",
                          "jwks holds no key to encrypt to with " + alg + " and " + enc);
    }
  }

  // CIBA Core §4: the delivery mode, and the notification endpoint for ping and push.
  IDS_RETURN_IF_ERROR(
      ReadString(request, "backchannel_token_delivery_mode", &m.backchannel_token_delivery_mode));
  IDS_RETURN_IF_ERROR(ReadString(request, "backchannel_client_notification_endpoint",
                                 &m.backchannel_client_notification_endpoint));
  if (m.HasGrant(kGrantCiba)) {
    const auto& mode = m.backchannel_token_delivery_mode;
    if (mode.empty())
      return FieldError("backchannel_token_delivery_mode", "required for the CIBA grant");
    if (mode != "poll" && mode != "ping" && mode != "push")
      return FieldError("backchannel_token_delivery_mode", "must be poll, ping or push");
    if (mode != "poll" && m.backchannel_client_notification_endpoint.empty())
      return FieldError("backchannel_client_notification_endpoint",
                        "required for ping and push delivery");
    if (mode == "poll" && !m.backchannel_client_notification_endpoint.empty())
      return FieldError("backchannel_client_notification_endpoint", "not used with poll delivery");
    if (!m.backchannel_client_notification_endpoint.empty())
      IDS_RETURN_IF_ERROR(ParseUrl(m.backchannel_client_notification_endpoint,
                                   "backchannel_client_notification_endpoint", false)
                              .status());
  } else if (!m.backchannel_token_delivery_mode.empty() ||
             !m.backchannel_client_notification_endpoint.empty()) {
    return FieldError(m.backchannel_token_delivery_mode.empty()
                          ? "backchannel_client_notification_endpoint"
                          : "backchannel_token_delivery_mode",
                      "only for the CIBA grant (urn:openid:params:grant-type:ciba)");
  }

  // Subjects (OIDC Core §8, OIDC Registration §2 and §5).
  IDS_RETURN_IF_ERROR(ReadString(request, "subject_type", &m.subject_type));
  if (m.subject_type != "pairwise" && m.subject_type != "public")
    return FieldError("subject_type", "must be pairwise or public");
  IDS_RETURN_IF_ERROR(ReadString(request, "sector_identifier_uri", &m.sector_identifier_uri));
  if (!m.sector_identifier_uri.empty()) {
    if (m.subject_type != "pairwise")
      return FieldError("sector_identifier_uri", "only for subject_type pairwise");
    IDS_RETURN_IF_ERROR(ParseUrl(m.sector_identifier_uri, "sector_identifier_uri", false).status());
    // OIDC Registration §5: the document vouches for URIs the client registers; it needs one.
    IDS_RETURN_IF_ERROR(UrisSectorDocumentMustList(m).status());
  }
  if (m.subject_type == "pairwise" && SeesUsers(m) && m.sector_identifier_uri.empty()) {
    if (code_flow) {
      std::set<std::string> hosts;
      for (const auto& uri : m.redirect_uris) hosts.insert(HostOf(uri));
      // OIDC Core §8.1: several hosts in redirect_uris need a sector_identifier_uri.
      if (hosts.size() > 1)
        return FieldError("sector_identifier_uri",
                          "required for pairwise subjects when redirect_uris name several hosts "
                          "(OIDC Core §8.1)");
    } else if (m.jwks_uri.empty() && m.backchannel_client_notification_endpoint.empty()) {
      // CIBA Core §4: without redirect URIs, the sector is the host of one of these (a
      // sector_identifier_uri document would have nothing to list).
      return FieldError("jwks_uri",
                        "a pairwise CIBA client needs a jwks_uri or a "
                        "backchannel_client_notification_endpoint, whose host is its sector; "
                        "or register subject_type public");
    }
  }

  // What the client may ask for, within its member's agreement (enforced by the policy).
  IDS_ASSIGN_OR_RETURN(auto acrs, internal::OptStringArray(request, "default_acr_values", true));
  if (acrs) m.default_acr_values = std::move(*acrs);
  for (size_t i = 0; i < m.default_acr_values.size(); ++i) {
    if (!ParseAssuranceLevel(m.default_acr_values[i]))
      return FieldError("default_acr_values[" + std::to_string(i) + "]",
                        "unknown assurance level (basic, advanced)");
  }
  IDS_RETURN_IF_ERROR(ReadString(request, "scope", &m.scope));
  if (m.scope.empty() && SeesUsers(m)) m.scope = "openid";
  if (!m.scope.empty()) {
    IDS_ASSIGN_OR_RETURN(auto scopes, SplitScope(m.scope));
    for (const auto& s : scopes) {
      if (!IsKnownScope(s))
        return FieldError("scope", "unknown scope value '" + s +
                                       "' (openid, profile, email, address, phone, "
                                       "offline_access)");
    }
    const bool has_openid = std::find(scopes.begin(), scopes.end(), "openid") != scopes.end();
    if (SeesUsers(m) && !has_openid)
      return FieldError("scope", "must include openid for a client that logs users in");
    if (!SeesUsers(m) && has_openid)
      return FieldError("scope", "openid needs the authorization_code or the CIBA grant");
    // OIDC Core §11: offline_access asks for a refresh token.
    if (std::find(scopes.begin(), scopes.end(), "offline_access") != scopes.end() &&
        !m.HasGrant(kGrantRefreshToken))
      return FieldError("scope", "offline_access needs the refresh_token grant");
  }

  IDS_ASSIGN_OR_RETURN(auto par,
                       internal::OptBool(request, "require_pushed_authorization_requests"));
  m.require_pushed_authorization_requests = par.value_or(false);
  IDS_ASSIGN_OR_RETURN(auto dpop, internal::OptBool(request, "dpop_bound_access_tokens"));
  m.dpop_bound_access_tokens = dpop.value_or(false);
  IDS_RETURN_IF_ERROR(ReadString(request, "client_name", &m.client_name));
  if (!m.client_name.empty())
    IDS_RETURN_IF_ERROR(internal::CheckText("client_name", m.client_name, 200));
  return m;
}

ClientMetadata ClientMetadataFromStored(const json& stored) {
  ClientMetadata m;
  if (!stored.is_object()) return m;
  auto strings = [&stored](const char* name, std::vector<std::string>* out) {
    auto it = stored.find(name);
    if (it == stored.end() || !it->is_array()) return;
    out->clear();
    for (const auto& v : *it) {
      if (v.is_string()) out->push_back(v.get<std::string>());
    }
  };
  auto string = [&stored](const char* name, std::string* out) {
    auto it = stored.find(name);
    if (it != stored.end() && it->is_string()) *out = it->get<std::string>();
  };
  auto boolean = [&stored](const char* name, bool* out) {
    auto it = stored.find(name);
    if (it != stored.end() && it->is_boolean()) *out = it->get<bool>();
  };
  strings("redirect_uris", &m.redirect_uris);
  strings("post_logout_redirect_uris", &m.post_logout_redirect_uris);
  strings("grant_types", &m.grant_types);
  strings("response_types", &m.response_types);
  strings("default_acr_values", &m.default_acr_values);
  string("token_endpoint_auth_method", &m.token_endpoint_auth_method);
  string("token_endpoint_auth_signing_alg", &m.token_endpoint_auth_signing_alg);
  if (auto it = stored.find("jwks"); it != stored.end() && it->is_object()) m.jwks = *it;
  string("jwks_uri", &m.jwks_uri);
  string("id_token_signed_response_alg", &m.id_token_signed_response_alg);
  string("id_token_encrypted_response_alg", &m.id_token_encrypted_response_alg);
  string("id_token_encrypted_response_enc", &m.id_token_encrypted_response_enc);
  string("userinfo_signed_response_alg", &m.userinfo_signed_response_alg);
  string("userinfo_encrypted_response_alg", &m.userinfo_encrypted_response_alg);
  string("userinfo_encrypted_response_enc", &m.userinfo_encrypted_response_enc);
  string("request_object_signing_alg", &m.request_object_signing_alg);
  string("subject_type", &m.subject_type);
  string("sector_identifier_uri", &m.sector_identifier_uri);
  boolean("require_pushed_authorization_requests", &m.require_pushed_authorization_requests);
  boolean("dpop_bound_access_tokens", &m.dpop_bound_access_tokens);
  string("backchannel_token_delivery_mode", &m.backchannel_token_delivery_mode);
  string("backchannel_client_notification_endpoint", &m.backchannel_client_notification_endpoint);
  string("client_name", &m.client_name);
  string("scope", &m.scope);
  return m;
}

std::string SectorIdentifier(const ClientMetadata& m) {
  if (m.subject_type != "pairwise" || !SeesUsers(m)) return "";
  // OIDC Core §8.1: the host of sector_identifier_uri, else of the redirect URIs.
  if (!m.sector_identifier_uri.empty()) return HostOf(m.sector_identifier_uri);
  if (!m.redirect_uris.empty()) return HostOf(m.redirect_uris.front());
  // CIBA Core §4: a client without redirect URIs is known by its jwks_uri or notification host.
  if (!m.jwks_uri.empty()) return HostOf(m.jwks_uri);
  return HostOf(m.backchannel_client_notification_endpoint);
}

Status ValidateRedirectUri(std::string_view uri, std::string_view field) {
  return ParseUrl(uri, field, /*allow_loopback_http=*/true).status();
}

namespace {

// A loopback IP URI without its port ("http://127.0.0.1/cb" for "http://127.0.0.1:53124/cb");
// empty when `uri` is not one.
std::string WithoutLoopbackPort(std::string_view uri) {
  for (std::string_view origin : {"http://127.0.0.1", "http://[::1]"}) {
    if (uri.substr(0, origin.size()) != origin) continue;
    std::string_view rest = uri.substr(origin.size());
    if (!rest.empty() && rest.front() == ':') {
      size_t end = 1;
      while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
      if (end == 1 || end > 6) return "";
      rest.remove_prefix(end);
    }
    // The host ends here: "http://127.0.0.1.example/" is another host.
    if (!rest.empty() && rest.front() != '/' && rest.front() != '?') return "";
    return std::string(origin) + std::string(rest);
  }
  return "";
}

}  // namespace

bool RedirectUriMatches(std::string_view registered, std::string_view requested) {
  if (registered == requested) return true;
  const std::string r = WithoutLoopbackPort(registered);
  return !r.empty() && r == WithoutLoopbackPort(requested);
}

bool IsRegisteredRedirectUri(const ClientMetadata& metadata, std::string_view uri) {
  return std::any_of(metadata.redirect_uris.begin(), metadata.redirect_uris.end(),
                     [&](const std::string& r) { return RedirectUriMatches(r, uri); });
}

bool IsRegisteredPostLogoutRedirectUri(const ClientMetadata& metadata, std::string_view uri) {
  return std::find(metadata.post_logout_redirect_uris.begin(),
                   metadata.post_logout_redirect_uris.end(),
                   uri) != metadata.post_logout_redirect_uris.end();
}

}  // namespace idscheme::registry
