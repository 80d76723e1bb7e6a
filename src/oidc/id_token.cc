#include "oidc/id_token.h"

#include <array>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/jwt.h"
#include "registry/oauth_client_directory.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

constexpr std::array kSigningAlgs = {crypto::SigAlg::kES256, crypto::SigAlg::kPS256,
                                     crypto::SigAlg::kRS256, crypto::SigAlg::kEdDSA};
constexpr std::array kEncryptionAlgs = {crypto::KeyMgmtAlg::kRsaOaep256,
                                        crypto::KeyMgmtAlg::kEcdhEs,
                                        crypto::KeyMgmtAlg::kEcdhEsA256Kw};
constexpr std::array kEncryptionEncs = {crypto::ContentEnc::kA128CbcHs256,
                                        crypto::ContentEnc::kA256Gcm};

template <typename T, size_t N>
bool In(const std::array<T, N>& list, T value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::span<const crypto::SigAlg> SupportedResponseSigningAlgs() { return kSigningAlgs; }
std::span<const crypto::KeyMgmtAlg> SupportedResponseEncryptionAlgs() { return kEncryptionAlgs; }
std::span<const crypto::ContentEnc> SupportedResponseEncryptionEncs() { return kEncryptionEncs; }

Result<std::string> JwtResponseSigner::SignAndEncrypt(
    const json& claims, const registry::ClientAuthRecord& client, std::string_view signing_alg,
    std::string_view encryption_alg, std::string_view encryption_enc, std::string_view typ) const {
  // OIDC Registration §2: id_token_signed_response_alg defaults to RS256 in the spec; this
  // scheme registers ES256 by default (registry), so an empty value only reaches here by a bug.
  auto alg = crypto::ParseSigAlg(signing_alg.empty() ? "ES256" : signing_alg);
  if (!alg || !In(kSigningAlgs, *alg))
    return Status::Internal("unsupported response signing alg " + std::string(signing_alg));
  IDS_ASSIGN_OR_RETURN(crypto::KeyPtr key, keys.SigningKey(*alg));
  IDS_ASSIGN_OR_RETURN(std::string signed_jwt,
                       crypto::SignJwt(claims, *key, *alg, key->kid(), typ));
  if (encryption_alg.empty()) return signed_jwt;
  return EncryptTo(signed_jwt, /*nested=*/true, client, encryption_alg, encryption_enc);
}

Result<std::string> JwtResponseSigner::Encrypt(const json& claims,
                                               const registry::ClientAuthRecord& client,
                                               std::string_view encryption_alg,
                                               std::string_view encryption_enc) const {
  return EncryptTo(claims.dump(), /*nested=*/false, client, encryption_alg, encryption_enc);
}

Result<std::string> JwtResponseSigner::EncryptTo(std::string_view plaintext, bool nested,
                                                 const registry::ClientAuthRecord& client,
                                                 std::string_view encryption_alg,
                                                 std::string_view encryption_enc) const {
  auto kma = crypto::ParseKeyMgmtAlg(encryption_alg);
  if (!kma || !In(kEncryptionAlgs, *kma))
    return Status::Internal("unsupported response encryption alg " + std::string(encryption_alg));
  // OIDC Registration §2: *_encrypted_response_enc defaults to A128CBC-HS256.
  auto enc = crypto::ParseContentEnc(encryption_enc.empty() ? "A128CBC-HS256" : encryption_enc);
  if (!enc || !In(kEncryptionEncs, *enc))
    return Status::Internal("unsupported response encryption enc " + std::string(encryption_enc));
  auto recipient = client_keys.FindEncryptionKey(registry::ToOAuthRecord(client), *kma, *enc);
  if (!recipient.ok()) {
    // The client's own keys lack one (its jwks_uri changed since registration): its to fix.
    if (recipient.status().code() == Status::Code::kNotFound)
      return Status::OAuth("invalid_request", "the client's keys hold none to encrypt to with " +
                                                  std::string(encryption_alg));
    return recipient.status();
  }
  if (nested) {
    // RFC 7519 §5.2 / OIDC Core §16.14: a nested JWT, signed then encrypted, cty "JWT".
    return crypto::EncryptJwt(plaintext, **recipient, *kma, *enc, random, (*recipient)->kid());
  }
  json header = {{"alg", std::string(crypto::KeyMgmtAlgName(*kma))},
                 {"enc", std::string(crypto::ContentEncName(*enc))}};
  if (!(*recipient)->kid().empty()) header["kid"] = (*recipient)->kid();
  return crypto::EncryptJwe(header, plaintext, **recipient, random);
}

Result<std::string> AccessTokenHash(std::string_view access_token, crypto::SigAlg alg) {
  switch (alg) {
    case crypto::SigAlg::kES256:
    case crypto::SigAlg::kPS256:
    case crypto::SigAlg::kRS256: {
      const auto digest = crypto::Sha256(access_token);
      return Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size() / 2));
    }
    case crypto::SigAlg::kEdDSA: {
      const auto digest = crypto::Sha512(access_token);
      return Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size() / 2));
    }
    default:
      return Status::Internal("at_hash: unsupported alg");
  }
}

IdTokenIssuer::IdTokenIssuer(JwtResponseSigner signer, const Clock& clock, IdTokenOptions options)
    : signer_(signer), clock_(clock), options_(std::move(options)) {}

Result<json> IdTokenIssuer::Claims(const registry::ClientAuthRecord& client,
                                   const IdTokenContent& content) const {
  if (content.subject.empty()) return Status::Internal("id_token: empty sub");
  const int64_t now = clock_.NowSeconds();
  // Person claims first, so the protocol claims below always win.
  json claims = content.person_claims.is_object() ? content.person_claims : json::object();
  claims["iss"] = options_.issuer;   // OIDC Core §2
  claims["sub"] = content.subject;   // OIDC Core §2, §8
  claims["aud"] = client.client_id;  // OIDC Core §2: the client_id
  claims["exp"] = now + options_.ttl_seconds;
  claims["iat"] = now;
  claims["auth_time"] = content.auth_time;  // OIDC Core §2 (always: every login is fresh)
  if (content.nonce) claims["nonce"] = *content.nonce;  // OIDC Core §3.1.3.6: unmodified
  if (!content.acr.empty()) claims["acr"] = content.acr;
  if (!content.amr.empty()) claims["amr"] = content.amr;  // RFC 8176
  if (!content.access_token.empty()) {
    auto alg = crypto::ParseSigAlg(client.metadata.id_token_signed_response_alg.empty()
                                       ? "ES256"
                                       : client.metadata.id_token_signed_response_alg);
    if (!alg) return Status::Internal("id_token: unsupported alg");
    IDS_ASSIGN_OR_RETURN(std::string at_hash, AccessTokenHash(content.access_token, *alg));
    claims["at_hash"] = at_hash;  // OIDC Core §3.1.3.6 (optional in the code flow)
  }
  return claims;
}

Result<std::string> IdTokenIssuer::Issue(const registry::ClientAuthRecord& client,
                                         const IdTokenContent& content) const {
  IDS_ASSIGN_OR_RETURN(json claims, Claims(client, content));
  const auto& m = client.metadata;
  return signer_.SignAndEncrypt(claims, client, m.id_token_signed_response_alg,
                                m.id_token_encrypted_response_alg,
                                m.id_token_encrypted_response_enc);
}

}  // namespace idscheme::oidc
