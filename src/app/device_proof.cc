#include "app/device_proof.h"

#include <nlohmann/json.hpp>

#include "crypto/json.h"
#include "crypto/jwt.h"

namespace idscheme::app {
namespace {

using json = nlohmann::json;

Status Bad(std::string what) {
  return Status::OAuth("invalid_token", "device proof: " + std::move(what),
                       Status::Code::kUnauthenticated);
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsToken(std::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsUpperAlpha(std::string_view s) {
  if (s.empty() || s.size() > 16) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<DeviceProof> ParseDeviceAuthorization(std::string_view value) {
  // RFC 9110 §11.1: the scheme is case-insensitive; one space, then the token68.
  constexpr size_t kScheme = kDeviceAuthScheme.size();
  if (value.size() <= kScheme + 1 || value[kScheme] != ' ') return Bad("expected Device <JWT>");
  for (size_t i = 0; i < kScheme; ++i) {
    char a = value[i], b = kDeviceAuthScheme[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return Bad("expected Device <JWT>");
  }
  return ParseDeviceProof(value.substr(kScheme + 1));
}

Result<DeviceProof> ParseDeviceProof(std::string_view jwt) {
  if (jwt.size() > kMaxDeviceProofBytes) return Bad("too large");
  auto jws = crypto::ParseJws(jwt, kMaxDeviceProofBytes);
  if (!jws.ok()) return Bad("malformed JWS");
  // RFC 9449 §4.3 (as for DPoP): explicit typ, an asymmetric algorithm; here exactly ES256.
  if (jws->typ != kDeviceProofTyp) return Bad("typ must be idscheme-device+jwt");
  if (jws->alg != crypto::SigAlg::kES256) return Bad("alg must be ES256");
  for (const auto& item : jws->header.items()) {
    const std::string& name = item.key();
    if (name != "typ" && name != "alg" && name != "kid") return Bad("unexpected header " + name);
  }
  if (!IsToken(jws->kid, 1, 64)) return Bad("kid must be the device id");
  DeviceProof proof;
  proof.device_id = jws->kid;
  proof.jws = std::move(jws).value();
  return proof;
}

Result<DeviceProofClaims> ParseDeviceProofClaims(std::string_view payload) {
  auto claims = crypto::ParseJsonObjectStrict(payload, 2);
  if (!claims.ok()) return Bad("claims are not a JSON object");
  for (const auto& item : claims->items()) {
    const std::string& name = item.key();
    if (name != "htm" && name != "htu" && name != "iat" && name != "jti")
      return Bad("unexpected claim " + name);
  }
  DeviceProofClaims out;
  const json& c = *claims;
  if (!c.contains("htm") || !c["htm"].is_string() || !IsUpperAlpha(c["htm"].get<std::string>()))
    return Bad("htm must be the request method");
  out.htm = c["htm"].get<std::string>();
  if (!c.contains("htu") || !c["htu"].is_string()) return Bad("htu must be the request URL");
  out.htu = c["htu"].get<std::string>();
  if (out.htu.empty() || out.htu.size() > 2048 || !IsPrintableAscii(out.htu) ||
      out.htu.find_first_of("?#") != std::string::npos)
    return Bad("htu must be the request URL without query or fragment");
  if (!c.contains("iat") || !c["iat"].is_number_integer()) return Bad("iat must be an integer");
  out.iat = c["iat"].get<int64_t>();
  if (!c.contains("jti") || !c["jti"].is_string() || !IsToken(c["jti"].get<std::string>(), 16, 64))
    return Bad("jti must be 16..64 characters of [A-Za-z0-9_-]");
  out.jti = c["jti"].get<std::string>();
  return out;
}

Result<DeviceProofClaims> VerifyDeviceProof(const DeviceProof& proof, const crypto::Key& device_key,
                                            std::string_view method, std::string_view url,
                                            int64_t now, int64_t leeway_seconds) {
  if (!crypto::VerifyJws(proof.jws, device_key, {crypto::SigAlg::kES256}).ok())
    return Bad("signature does not verify");
  IDS_ASSIGN_OR_RETURN(DeviceProofClaims claims, ParseDeviceProofClaims(proof.jws.payload));
  if (claims.htm != method) return Bad("htm does not match the request");  // RFC 9449 §4.3 (8)
  if (claims.htu != url) return Bad("htu does not match the request");     // RFC 9449 §4.3 (9)
  // RFC 9449 §4.3 (11): iat within an acceptable window.
  if (claims.iat > now + leeway_seconds || claims.iat < now - leeway_seconds)
    return Bad("iat is outside the accepted window");
  return claims;
}

Result<std::string> MakeDeviceProof(const crypto::Key& device_key, std::string_view device_id,
                                    std::string_view method, std::string_view url, int64_t now,
                                    Random& random) {
  json header = {{"typ", kDeviceProofTyp}, {"alg", "ES256"}, {"kid", device_id}};
  json claims = {{"htm", method}, {"htu", url}, {"iat", now}, {"jti", random.Token(24)}};
  IDS_ASSIGN_OR_RETURN(std::string payload, crypto::DumpJson(claims));
  return crypto::SignJws(header, payload, device_key);
}

}  // namespace idscheme::app
