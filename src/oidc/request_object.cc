#include "oidc/request_object.h"

#include <algorithm>
#include <vector>

#include "crypto/jwt.h"
#include "store/once.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

Status Invalid(std::string message) {
  return Status::OAuth("invalid_request_object", "request object: " + std::move(message));
}

// Maps a crypto / cache failure: the store or a jwks_uri being down is not the client's fault.
Status FromVerifyError(const Status& s) {
  if (s.code() == Status::Code::kUnavailable)
    return Status::OAuth("temporarily_unavailable", "request object: " + s.message(),
                         Status::Code::kUnavailable);
  return Invalid(s.message());
}

std::vector<crypto::SigAlg> AllowedAlgs(const AuthorizationClient& client) {
  if (!client.request_object_signing_alg.empty()) {
    // Registration validated it (never none); ParseSigAlg refuses none anyway.
    if (auto alg = crypto::ParseSigAlg(client.request_object_signing_alg)) {
      if (*alg != crypto::SigAlg::kHS256 && *alg != crypto::SigAlg::kHS384 &&
          *alg != crypto::SigAlg::kHS512)
        return {*alg};
    }
    return {};
  }
  return {crypto::SigAlg::kES256, crypto::SigAlg::kPS256, crypto::SigAlg::kEdDSA};
}

// RFC 9101 §6.1: the scheme's encryption algorithms (asymmetric only).
crypto::JweAlgorithms EncryptionAlgs() {
  return {{crypto::KeyMgmtAlg::kRsaOaep256, crypto::KeyMgmtAlg::kEcdhEs,
           crypto::KeyMgmtAlg::kEcdhEsA128Kw, crypto::KeyMgmtAlg::kEcdhEsA192Kw,
           crypto::KeyMgmtAlg::kEcdhEsA256Kw},
          {crypto::ContentEnc::kA128CbcHs256, crypto::ContentEnc::kA192CbcHs384,
           crypto::ContentEnc::kA256CbcHs512, crypto::ContentEnc::kA128Gcm,
           crypto::ContentEnc::kA192Gcm, crypto::ContentEnc::kA256Gcm}};
}

bool IsJwtClaim(std::string_view name) {
  return name == "iss" || name == "aud" || name == "exp" || name == "nbf" || name == "iat" ||
         name == "jti" || name == "sub";
}

// The parameters the authorization endpoint reads (authorization_request.cc; keep in step).
bool IsAuthorizationParameter(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "acr_values",   "claims",        "client_id",     "code_challenge", "code_challenge_method",
      "dpop_jkt",     "login_hint",    "max_age",       "nonce",          "prompt",
      "redirect_uri", "response_mode", "response_type", "scope",          "state",
      "ui_locales"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

std::string JtiKey(std::string_view client_id, std::string_view jti) {
  // Length-prefixed so that no (client_id, jti) pair can collide with another.
  return std::to_string(client_id.size()) + ":" + std::string(client_id) + ":" + std::string(jti);
}

}  // namespace

RequestObjectVerifier::RequestObjectVerifier(oauth::JwksCache& client_keys,
                                             const keys::KeyManager& scheme_keys,
                                             store::Database& db, const Clock& clock,
                                             RequestObjectOptions options)
    : client_keys_(client_keys),
      scheme_keys_(scheme_keys),
      db_(db),
      clock_(clock),
      options_(std::move(options)) {}

Result<http::FormParams> RequestObjectVerifier::Verify(std::string_view request_object,
                                                       const AuthorizationClient& client) {
  if (request_object.size() > kMaxRequestObjectBytes) return Invalid("too large");
  std::vector<crypto::SigAlg> algs = AllowedAlgs(client);
  if (algs.empty()) return Invalid("no acceptable signing algorithm registered");

  crypto::JwtVerifyOptions verify;
  verify.allowed_algs = algs;
  verify.clock = &clock_;
  verify.leeway_seconds = options_.leeway_seconds;
  verify.issuer = client.client_id;   // RFC 9101 §6.2 / FAPI 2.0: iss is the client_id
  verify.audience = options_.issuer;  // RFC 9101 §6.2: aud is the issuer
  verify.require_exp = true;
  verify.required_claims = {"jti"};
  verify.max_size = kMaxRequestObjectBytes;

  oauth::JwksCache* keys = &client_keys_;
  const oauth::ClientAuthRecord* record = &client.auth;
  crypto::JwtKeyResolver verify_keys = [keys, record](std::string_view kid, crypto::SigAlg alg) {
    return keys->FindVerifyKey(*record, kid, alg);
  };

  Result<json> claims = Status::Internal("unset");
  size_t dots = std::count(request_object.begin(), request_object.end(), '.');
  if (dots == 2) {
    claims = crypto::VerifyJwt(request_object, verify_keys, verify);
  } else if (dots == 4) {
    const keys::KeyManager* scheme = &scheme_keys_;
    crypto::JweKeyResolver decrypt_keys =
        [scheme](std::string_view kid, crypto::KeyMgmtAlg alg,
                 crypto::ContentEnc enc) -> Result<std::vector<crypto::KeyPtr>> {
      auto fits = [&](const crypto::KeyPtr& key) {
        return key && crypto::CheckKeyForJwe(*key, alg, enc, /*decrypting=*/true).ok();
      };
      if (!kid.empty()) {
        crypto::KeyPtr key = scheme->FindByKid(kid);
        if (fits(key)) return std::vector<crypto::KeyPtr>{key};
        return Status::NotFound("no encryption key with this kid");
      }
      // Without a kid, every published key of the algorithm (active, next, retiring): a client
      // that cached the JWK Set before a rotation may have used any of them.
      std::vector<crypto::KeyPtr> candidates;
      for (const auto& key : scheme->DecryptionKeys()) {
        if (fits(key)) candidates.push_back(key);
      }
      if (candidates.empty()) return Status::NotFound("no encryption key for this algorithm");
      return candidates;
    };
    claims = crypto::DecryptAndVerifyJwt(request_object, decrypt_keys, EncryptionAlgs(),
                                         verify_keys, verify);
  } else {
    return Invalid("neither a JWS nor a JWE");
  }
  if (!claims.ok()) return FromVerifyError(claims.status());

  const int64_t now = clock_.NowSeconds();
  const json& c = *claims;
  // RFC 7519 §2: NumericDates may have a fraction (VerifyJwt checked them; seconds are enough).
  auto exp_date = crypto::NumericDate(c, "exp");
  auto nbf_date = crypto::NumericDate(c, "nbf");
  if (!exp_date.ok() || !*exp_date) return Invalid("exp must be a NumericDate");
  if (!nbf_date.ok()) return Invalid("nbf must be a NumericDate");
  const int64_t exp = **exp_date;
  // FAPI 2.0 §5.3.2.1: a request object lives at most 60 minutes. (Compared without
  // subtracting a hostile value: no overflow.)
  if (exp > now + options_.max_lifetime_seconds) return Invalid("exp is too far in the future");
  if (*nbf_date && **nbf_date < now - options_.max_lifetime_seconds)
    return Invalid("nbf is too far in the past");
  if (!c.at("jti").is_string() || c.at("jti").get<std::string>().empty() ||
      c.at("jti").get<std::string>().size() > 256)
    return Invalid("jti must be a string of 1 to 256 characters");

  http::FormParams params;
  for (const auto& [name, value] : c.items()) {
    if (IsJwtClaim(name)) continue;
    // RFC 9101 §4: a request object never carries request or request_uri.
    if (name == "request" || name == "request_uri") return Invalid(name + " inside the object");
    if (value.is_string()) {
      params.Add(name, value.get<std::string>());
    } else if (name == "claims" && value.is_object()) {
      params.Add(name, value.dump());  // OIDC Core §6.1: claims as a JSON object
    } else if (!IsAuthorizationParameter(name) || value.is_null()) {
      // RFC 6749 §3.1: a parameter the server does not know is ignored, whatever its type
      // (authorization_details, resource as an array, an extension's boolean); null is absent.
      continue;
    } else if (value.is_number_integer() && !value.is_number_unsigned()) {
      params.Add(name, std::to_string(value.get<int64_t>()));  // max_age as a number
    } else if (value.is_number_unsigned()) {
      params.Add(name, std::to_string(value.get<uint64_t>()));
    } else {
      return Invalid(name + ": must be a string");
    }
  }
  // RFC 9101 §5: a client_id inside must be the client's.
  if (auto inner = params.Get("client_id"); inner && *inner != client.client_id)
    return Invalid("client_id inside does not match");
  if (!params.Has("client_id")) params.Add("client_id", client.client_id);

  // RFC 9101 §10.8 / SCHEME.md: a request object is accepted once, on every node.
  auto first = store::AcceptOnce(db_, kRequestObjectJtiKind,
                                 JtiKey(client.client_id, c.at("jti").get<std::string>()),
                                 exp + options_.leeway_seconds);
  if (!first.ok()) return FromVerifyError(first.status());
  if (!*first) return Invalid("jti was used before");
  return params;
}

}  // namespace idscheme::oidc
