#include "crypto/internal/jose_common.h"

#include "common/base64url.h"
#include "crypto/json.h"

namespace idscheme::crypto::internal {

using json = nlohmann::json;

Result<std::vector<std::string_view>> SplitCompact(std::string_view compact, size_t count,
                                                   std::string_view what) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = compact.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(compact.substr(start));
      break;
    }
    parts.push_back(compact.substr(start, dot - start));
    start = dot + 1;
    if (parts.size() > count) break;
  }
  if (parts.size() != count) {
    return Status::InvalidArgument(std::string(what) + ": compact serialisation must have " +
                                   std::to_string(count) + " segments");
  }
  return parts;
}

Status CheckHeaderMembers(const json& header, std::string_view what) {
  const std::string w(what);
  if (!header.is_object()) return Status::InvalidArgument(w + ": header is not a JSON object");
  auto alg = header.find("alg");
  // RFC 7515 §4.1.1 / RFC 7516 §4.1.1: alg is required.
  if (alg == header.end()) return Status::InvalidArgument(w + ": header has no \"alg\"");
  if (!alg->is_string()) return Status::InvalidArgument(w + ": \"alg\" is not a string");
  for (const char* name : {"kid", "typ", "cty", "enc", "zip", "jku", "x5u", "x5t", "x5t#S256"}) {
    auto it = header.find(name);
    if (it != header.end() && !it->is_string()) {
      return Status::InvalidArgument(w + ": \"" + name + "\" is not a string");
    }
  }
  // RFC 7515 §4.1.11: an extension listed in crit that is not understood makes the JWS/JWE
  // invalid; this code understands none, and an empty or malformed crit is invalid anyway.
  if (header.contains("crit")) {
    return Status::InvalidArgument(w +
                                   ": \"crit\" lists extensions this server does not "
                                   "understand (RFC 7515 §4.1.11)");
  }
  // RFC 7797: unencoded payloads need crit; refuse b64 outright rather than guess.
  if (header.contains("b64")) {
    return Status::InvalidArgument(w + ": \"b64\" (RFC 7797) not supported");
  }
  return Status::Ok();
}

Result<json> ParseProtectedHeader(std::string_view b64, std::string_view what) {
  auto text = Base64UrlDecodeToString(b64);
  if (!text.ok()) {
    return Status::InvalidArgument(std::string(what) + ": header is not strict base64url");
  }
  auto header = ParseJsonObjectStrict(*text);
  if (!header.ok()) return header.status().WithContext(std::string(what) + " header");
  IDS_RETURN_IF_ERROR(CheckHeaderMembers(*header, what));
  return std::move(header).value();
}

std::string StringMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace idscheme::crypto::internal
