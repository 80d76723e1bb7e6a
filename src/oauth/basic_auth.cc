#include "oauth/basic_auth.h"

#include "common/base64url.h"
#include "http/form.h"
#include "http/request.h"

namespace idscheme::oauth {
namespace {

Status Invalid(std::string message) {
  return Status::OAuth("invalid_client", std::move(message), Status::Code::kUnauthenticated);
}

// RFC 7235 §2.1 token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsToken68(std::string_view s) {
  size_t i = 0;
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  while (i < s.size() && (alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_' || s[i] == '~' ||
                          s[i] == '+' || s[i] == '/'))
    ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '=') ++i;
  return i == s.size();
}

}  // namespace

bool IsBasicScheme(std::string_view authorization) {
  if (authorization.size() < 5) return false;
  if (!http::EqualsIgnoreCase(authorization.substr(0, 5), "basic")) return false;
  return authorization.size() == 5 || authorization[5] == ' ';
}

Result<BasicCredentials> ParseBasicAuthorization(std::string_view authorization) {
  if (!IsBasicScheme(authorization)) return Invalid("Authorization is not Basic");
  if (authorization.size() > kMaxBasicAuthorizationSize)
    return Invalid("Basic credentials too long");
  std::string_view rest = authorization.substr(5);
  // RFC 7235 §2.1: credentials = auth-scheme [ 1*SP token68 ]
  size_t spaces = 0;
  while (spaces < rest.size() && rest[spaces] == ' ') ++spaces;
  if (spaces == 0) return Invalid("Basic credentials missing");
  rest.remove_prefix(spaces);
  if (!IsToken68(rest)) return Invalid("Basic credentials are not a token68");
  auto decoded = Base64Decode(rest);
  if (!decoded.ok()) return Invalid("Basic credentials are not valid base64");
  std::string_view text(reinterpret_cast<const char*>(decoded->data()), decoded->size());
  // RFC 7617 §2: user-id and password are split at the first colon (the user-id has none).
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Invalid("Basic credentials have no ':'");
  // RFC 6749 §2.3.1: both halves are form-urlencoded.
  auto id = http::PercentDecode(text.substr(0, colon), /*plus_is_space=*/true);
  if (!id.ok()) return Invalid("Basic client_id is not form-urlencoded");
  auto secret = http::PercentDecode(text.substr(colon + 1), /*plus_is_space=*/true);
  if (!secret.ok()) return Invalid("Basic client secret is not form-urlencoded");
  if (id->empty()) return Invalid("Basic client_id is empty");
  return BasicCredentials{std::move(id).value(), std::move(secret).value()};
}

std::string EncodeBasicAuthorization(std::string_view client_id, std::string_view client_secret) {
  // Form encoding: PercentEncode leaves only unreserved characters, which is a valid
  // application/x-www-form-urlencoded serialisation.
  std::string plain = http::PercentEncode(client_id) + ":" + http::PercentEncode(client_secret);
  return "Basic " + Base64Encode(std::span<const uint8_t>(
                        reinterpret_cast<const uint8_t*>(plain.data()), plain.size()));
}

}  // namespace idscheme::oauth
