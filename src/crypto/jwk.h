// JWK Set (RFC 7517 §5): a client's or the scheme's published keys, and key lookup for
// verification and decryption.
//
// Parsing is strict about structure (a JSON object with a "keys" array of objects, no duplicate
// members) and about every key it keeps; keys of a kind this code does not support (unknown
// "kty" or "crv", RSA under 2048 bits) are skipped and counted, as RFC 7517 §5 asks, never an
// error. A malformed key of a supported kind is an error: a set is taken whole or not at all.
//
// Thread-safety: a JwkSet is a value; concurrent reads are safe, writes (Add) need exclusion.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "crypto/key.h"

namespace idscheme::crypto {

struct JwkSetOptions {
  bool allow_private = false;  // a set fetched from a client must be public
  size_t max_keys = 64;
  size_t max_size = 512 * 1024;  // bytes of JSON text
};

class JwkSet {
 public:
  JwkSet() = default;
  explicit JwkSet(std::vector<KeyPtr> keys) : keys_(std::move(keys)) {}

  static Result<JwkSet> Parse(std::string_view text, const JwkSetOptions& options = {});
  static Result<JwkSet> FromJson(const nlohmann::json& set, const JwkSetOptions& options = {});

  void Add(KeyPtr key) { keys_.push_back(std::move(key)); }
  const std::vector<KeyPtr>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }
  size_t skipped() const { return skipped_; }  // members ignored as unsupported

  // {"keys":[...]} with public members only; oct keys, which have no public form, are left out.
  Result<nlohmann::json> ToPublicJson() const;

  // First key whose kid is `kid`, or null.
  KeyPtr FindByKid(std::string_view kid) const;
  // Keys whose JWK "alg" and "use" match (an empty argument matches anything; a key without the
  // member matches too).
  std::vector<KeyPtr> FindByAlgUse(std::string_view alg, std::string_view use) const;
  // The key to verify `alg` with. With a kid: the key of that kid that suits alg. Without: the
  // single key that suits alg; several is an error (OIDC Core §10.1: kid is then required).
  Result<KeyPtr> FindForVerify(std::string_view kid, SigAlg alg) const;
  // The same for decrypting a JWE.
  Result<KeyPtr> FindForDecrypt(std::string_view kid, KeyMgmtAlg alg, ContentEnc enc) const;
  // The key to encrypt a JWE to with `alg` + `enc`: among the keys whose JWK "alg" allows it, one
  // marked use "enc" first, then one without a use. NotFound when none fits.
  Result<KeyPtr> FindForEncrypt(KeyMgmtAlg alg, ContentEnc enc) const;

 private:
  template <typename Fits>
  Result<KeyPtr> FindUnique(std::string_view kid, Fits fits, std::string_view what) const;

  std::vector<KeyPtr> keys_;
  size_t skipped_ = 0;
};

}  // namespace idscheme::crypto
