#include "crypto/jwk.h"

#include "crypto/internal/key_internal.h"
#include "crypto/json.h"

namespace idscheme::crypto {

using json = nlohmann::json;

Result<JwkSet> JwkSet::Parse(std::string_view text, const JwkSetOptions& options) {
  if (text.size() > options.max_size) return Status::InvalidArgument("JWK Set: too large");
  IDS_ASSIGN_OR_RETURN(json set, ParseJsonObjectStrict(text));
  return FromJson(set, options);
}

Result<JwkSet> JwkSet::FromJson(const json& set, const JwkSetOptions& options) {
  if (!set.is_object()) return Status::InvalidArgument("JWK Set: not a JSON object");
  auto keys = set.find("keys");
  // RFC 7517 §5.1: "keys" is required and is an array of JWKs.
  if (keys == set.end()) return Status::InvalidArgument("JWK Set: \"keys\" missing");
  if (!keys->is_array()) return Status::InvalidArgument("JWK Set: \"keys\" is not an array");
  if (keys->size() > options.max_keys) {
    return Status::InvalidArgument("JWK Set: more than " + std::to_string(options.max_keys) +
                                   " keys");
  }
  JwkSet out;
  size_t index = 0;
  for (const auto& member : *keys) {
    bool unsupported = false;
    auto key = internal::ParseJwk(member, !options.allow_private, &unsupported);
    if (!key.ok()) {
      // RFC 7517 §5: ignore keys whose kty (or curve, or size) is not understood.
      if (unsupported) {
        ++out.skipped_;
        ++index;
        continue;
      }
      return key.status().WithContext("JWK Set: key " + std::to_string(index));
    }
    out.keys_.push_back(std::move(key).value());
    ++index;
  }
  return out;
}

Result<json> JwkSet::ToPublicJson() const {
  json keys = json::array();
  for (const auto& key : keys_) {
    if (key->IsSymmetric()) continue;
    IDS_ASSIGN_OR_RETURN(json jwk, key->ToJwk(false));
    keys.push_back(std::move(jwk));
  }
  return json{{"keys", std::move(keys)}};
}

KeyPtr JwkSet::FindByKid(std::string_view kid) const {
  for (const auto& key : keys_) {
    if (key->kid() == kid) return key;
  }
  return nullptr;
}

std::vector<KeyPtr> JwkSet::FindByAlgUse(std::string_view alg, std::string_view use) const {
  std::vector<KeyPtr> out;
  for (const auto& key : keys_) {
    const KeyMetadata& m = key->metadata();
    if (!alg.empty() && !m.alg.empty() && m.alg != alg) continue;
    if (!use.empty() && !m.use.empty() && m.use != use) continue;
    out.push_back(key);
  }
  return out;
}

template <typename Fits>
Result<KeyPtr> JwkSet::FindUnique(std::string_view kid, Fits fits, std::string_view what) const {
  KeyPtr found;
  for (const auto& key : keys_) {
    if (!kid.empty() && key->kid() != kid) continue;
    if (!fits(*key)) continue;
    if (found) {
      return Status::InvalidArgument(std::string("JWK Set: several keys fit ") + std::string(what) +
                                     (kid.empty() ? "; a kid is required" : " under one kid"));
    }
    found = key;
  }
  if (!found) {
    return Status::NotFound(std::string("JWK Set: no key ") +
                            (kid.empty() ? std::string() : "with this kid ") + "fits " +
                            std::string(what));
  }
  return found;
}

Result<KeyPtr> JwkSet::FindForVerify(std::string_view kid, SigAlg alg) const {
  return FindUnique(
      kid, [&](const Key& k) { return CheckKeyForSigAlg(k, alg, false).ok(); }, SigAlgName(alg));
}

Result<KeyPtr> JwkSet::FindForDecrypt(std::string_view kid, KeyMgmtAlg alg, ContentEnc enc) const {
  return FindUnique(
      kid, [&](const Key& k) { return CheckKeyForJwe(k, alg, enc, true).ok(); },
      KeyMgmtAlgName(alg));
}

Result<KeyPtr> JwkSet::FindForEncrypt(KeyMgmtAlg alg, ContentEnc enc) const {
  const auto candidates = FindByAlgUse(KeyMgmtAlgName(alg), "enc");
  for (bool marked : {true, false}) {
    for (const auto& key : candidates) {
      if ((key->metadata().use == "enc") != marked) continue;
      if (CheckKeyForJwe(*key, alg, enc, /*decrypting=*/false).ok()) return key;
    }
  }
  return Status::NotFound("no key to encrypt to with " + std::string(KeyMgmtAlgName(alg)) +
                          " and " + std::string(ContentEncName(enc)));
}

}  // namespace idscheme::crypto
