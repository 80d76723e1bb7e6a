#include "crypto/jwt.h"

#include <algorithm>
#include <cmath>

#include "crypto/json.h"

namespace idscheme::crypto {

using json = nlohmann::json;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status CheckStringClaim(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it != claims.end() && !it->is_string()) {
    return Status::InvalidArgument(std::string("JWT: \"") + name + "\" is not a string");
  }
  return Status::Ok();
}

// Saturating addition, so hostile exp/iat values near INT64_MAX cannot wrap around.
int64_t Add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

Result<json> VerifyParsed(const ParsedJws& jws, const JwtKeyResolver& resolver,
                          const JwtVerifyOptions& options) {
  if (std::find(options.allowed_algs.begin(), options.allowed_algs.end(), jws.alg) ==
      options.allowed_algs.end()) {
    return Status::InvalidArgument("JWT: alg " + std::string(SigAlgName(jws.alg)) +
                                   " is not allowed here");
  }
  if (!options.expected_typ.empty() && !SameMediaType(jws.typ, options.expected_typ)) {
    return Status::InvalidArgument("JWT: header typ is not \"" + options.expected_typ + "\"");
  }
  if (!resolver) return Status::Internal("JWT: no key resolver");
  IDS_ASSIGN_OR_RETURN(KeyPtr key, resolver(jws.kid, jws.alg));
  if (!key) return Status::NotFound("JWT: no key for this token");
  IDS_RETURN_IF_ERROR(VerifyJws(jws, *key, options.allowed_algs));
  // RFC 7519 §7.2 step 10: the payload is the claims set, a JSON object.
  auto claims = ParseJsonObjectStrict(jws.payload);
  if (!claims.ok()) return claims.status().WithContext("JWT claims");
  IDS_RETURN_IF_ERROR(CheckJwtClaims(*claims, options));
  return std::move(claims).value();
}

}  // namespace

Result<std::optional<int64_t>> NumericDate(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<int64_t>();
  // (is_number_integer is true for unsigned numbers too: those beyond int64 first.)
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Status::InvalidArgument(std::string("JWT: \"") + name + "\" out of range");
    }
    return std::optional<int64_t>(static_cast<int64_t>(it->get<uint64_t>()));
  }
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_float()) {
    double v = it->get<double>();
    if (!std::isfinite(v) || v > 9.2e18 || v < -9.2e18) {
      return Status::InvalidArgument(std::string("JWT: \"") + name + "\" out of range");
    }
    return std::optional<int64_t>(static_cast<int64_t>(std::floor(v)));
  }
  return Status::InvalidArgument(std::string("JWT: \"") + name +
                                 "\" is not a NumericDate (RFC 7519 §2)");
}

bool SameMediaType(std::string_view a, std::string_view b) {
  auto normal = [](std::string_view s) {
    std::string l = Lower(s);
    if (l.find('/') == std::string::npos) l = "application/" + l;
    return l;
  };
  return !a.empty() && !b.empty() && normal(a) == normal(b);
}

JwtKeyResolver VerifyKeysFrom(JwkSet set) {
  return [set = std::move(set)](std::string_view kid, SigAlg alg) {
    return set.FindForVerify(kid, alg);
  };
}

JweKeyResolver DecryptKeysFrom(JwkSet set) {
  return [set = std::move(set)](std::string_view kid, KeyMgmtAlg alg,
                                ContentEnc enc) -> Result<std::vector<KeyPtr>> {
    IDS_ASSIGN_OR_RETURN(KeyPtr key, set.FindForDecrypt(kid, alg, enc));
    return std::vector<KeyPtr>{std::move(key)};
  };
}

JwtKeyResolver FixedVerifyKey(KeyPtr key) {
  return [key = std::move(key)](std::string_view, SigAlg alg) -> Result<KeyPtr> {
    IDS_RETURN_IF_ERROR(CheckKeyForSigAlg(*key, alg, false));
    return key;
  };
}

Result<std::string> SignJwt(const json& claims, const Key& key, SigAlg alg, std::string_view kid,
                            std::string_view typ) {
  if (!claims.is_object()) return Status::InvalidArgument("JWT: claims must be a JSON object");
  json header = {{"alg", std::string(SigAlgName(alg))}};
  if (!kid.empty()) header["kid"] = std::string(kid);
  if (!typ.empty()) header["typ"] = std::string(typ);
  IDS_ASSIGN_OR_RETURN(std::string payload, DumpJson(claims));
  return SignJws(header, payload, key);
}

Status CheckJwtClaims(const json& claims, const JwtVerifyOptions& options) {
  if (!claims.is_object()) return Status::InvalidArgument("JWT: claims are not a JSON object");
  if (options.clock == nullptr) return Status::Internal("JWT: no clock");
  for (const char* name : {"iss", "sub", "jti"})
    IDS_RETURN_IF_ERROR(CheckStringClaim(claims, name));
  IDS_ASSIGN_OR_RETURN(auto exp, NumericDate(claims, "exp"));
  IDS_ASSIGN_OR_RETURN(auto nbf, NumericDate(claims, "nbf"));
  IDS_ASSIGN_OR_RETURN(auto iat, NumericDate(claims, "iat"));
  const int64_t now = options.clock->NowSeconds();
  const int64_t leeway = std::max<int64_t>(0, options.leeway_seconds);

  if (!exp && options.require_exp) return Status::InvalidArgument("JWT: \"exp\" missing");
  // RFC 7519 §4.1.4: the current time must be before exp (plus the allowed skew).
  if (exp && now >= Add(*exp, leeway)) return Status::FailedPrecondition("JWT: expired");
  // RFC 7519 §4.1.5: the current time must be at or after nbf (minus the allowed skew).
  if (nbf && Add(now, leeway) < *nbf) return Status::FailedPrecondition("JWT: not yet valid");
  if (iat && *iat > Add(now, leeway)) {
    return Status::FailedPrecondition("JWT: \"iat\" is in the future");
  }
  if (options.max_age_seconds) {
    if (!iat) return Status::InvalidArgument("JWT: \"iat\" missing");
    if (Add(*iat, Add(*options.max_age_seconds, leeway)) < now) {
      return Status::FailedPrecondition("JWT: issued too long ago");
    }
  }

  // RFC 7519 §4.1.1: iss is compared as a case-sensitive string.
  if (!options.issuer.empty()) {
    auto it = claims.find("iss");
    if (it == claims.end() || it->get_ref<const std::string&>() != options.issuer) {
      return Status::InvalidArgument("JWT: \"iss\" is not the expected issuer");
    }
  }

  // RFC 7519 §4.1.3: aud is a string or an array of strings.
  auto aud = claims.find("aud");
  if (aud != claims.end()) {
    bool ok = aud->is_string();
    if (aud->is_array()) {
      ok = !aud->empty() &&
           std::all_of(aud->begin(), aud->end(), [](const json& v) { return v.is_string(); });
    }
    if (!ok) return Status::InvalidArgument("JWT: \"aud\" is not a string or array of strings");
  }
  if (!options.audience.empty()) {
    bool found = false;
    if (aud != claims.end()) {
      if (aud->is_string()) {
        found = aud->get_ref<const std::string&>() == options.audience;
      } else {
        for (const auto& v : *aud)
          found = found || v.get_ref<const std::string&>() == options.audience;
      }
    }
    if (!found) return Status::InvalidArgument("JWT: \"aud\" does not name this audience");
  }

  for (const auto& name : options.required_claims) {
    if (!claims.contains(name)) {
      return Status::InvalidArgument("JWT: required claim \"" + name + "\" missing");
    }
  }
  return Status::Ok();
}

Result<json> VerifyJwt(std::string_view token, const JwtKeyResolver& resolver,
                       const JwtVerifyOptions& options) {
  IDS_ASSIGN_OR_RETURN(ParsedJws jws, ParseJws(token, options.max_size));
  return VerifyParsed(jws, resolver, options);
}

Result<std::string> EncryptJwt(std::string_view signed_jwt, const Key& recipient, KeyMgmtAlg alg,
                               ContentEnc enc, Random& random, std::string_view kid) {
  json header = {{"alg", std::string(KeyMgmtAlgName(alg))},
                 {"enc", std::string(ContentEncName(enc))},
                 {"cty", "JWT"}};  // RFC 7519 §5.2: required for nested JWTs
  if (!kid.empty()) header["kid"] = std::string(kid);
  return EncryptJwe(header, signed_jwt, recipient, random);
}

Result<json> DecryptAndVerifyJwt(std::string_view token, const JweKeyResolver& decryption_keys,
                                 const JweAlgorithms& allowed_encryption,
                                 const JwtKeyResolver& verification_keys,
                                 const JwtVerifyOptions& options) {
  IDS_ASSIGN_OR_RETURN(ParsedJwe jwe, ParseJwe(token, options.max_size * 2));
  // RFC 7519 §5.2: a nested JWT says so with cty "JWT".
  if (!SameMediaType(jwe.cty, "JWT")) {
    return Status::InvalidArgument("JWT: encrypted token without cty \"JWT\"");
  }
  if (!decryption_keys) return Status::Internal("JWT: no decryption key resolver");
  IDS_ASSIGN_OR_RETURN(std::vector<KeyPtr> keys, decryption_keys(jwe.kid, jwe.alg, jwe.enc));
  Result<std::string> inner = Status::NotFound("JWT: no decryption key for this token");
  for (const KeyPtr& key : keys) {
    if (!key) continue;
    // The authentication tag tells the right key: a wrong one fails as any tampering does.
    inner = DecryptJwe(jwe, *key, allowed_encryption);
    if (inner.ok()) break;
  }
  IDS_RETURN_IF_ERROR(inner.status());
  IDS_ASSIGN_OR_RETURN(ParsedJws jws, ParseJws(*inner, options.max_size));
  return VerifyParsed(jws, verification_keys, options);
}

}  // namespace idscheme::crypto
