// Fuzz target: compact JWE parsing and decryption (every supported algorithm allowed) with fixed
// keys for RSA-OAEP, ECDH-ES (P-256, P-384, X25519), AES key wrap and dir. Nothing may crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "crypto/jwe.h"
#include "crypto/key.h"
#include "crypto/testdata/rfc_vectors.h"

namespace {

using idscheme::crypto::Key;
using idscheme::crypto::KeyPtr;

KeyPtr Must(idscheme::Result<KeyPtr> key) {
  if (!key.ok()) std::abort();
  return *key;
}

const std::vector<KeyPtr>& Keys() {
  namespace td = idscheme::crypto::testdata;
  static const std::vector<KeyPtr> keys = {
      Must(Key::FromJwkText(td::kRfc7516A1Key)),  // RSA-OAEP
      Must(Key::FromJwkText(td::kRfc7516A3Key)),  // A128KW, dir with A128GCM
      Must(Key::FromJwkText(td::kRfc7515A3Key)),  // ECDH-ES on P-256
      Must(Key::FromJwkText(
          R"({"kty":"EC","crv":"P-384","x":"YU4rRUzdmVqmRtWOs2OpDE_T5fsNIodcG8G5FWPrTPMyxpzsSOGaQLpe2FpxBmu2","y":"A8-yxCHxkfBz3hKZfI1jUYMjUhsEveZ9THuwFjH2sCNdtksRJU7D5-SkgaFL1ETP","d":"iTx2pk7wW-GqJkHcEkFQb2EFyYcO7RugmaW3mRrQVAOUiPommT0IdnYK2xDlZh-j"})")),
      Must(Key::FromJwkText(
          R"({"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo","d":"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo"})")),
      Must(Key::FromJwkText(R"({"kty":"oct","k":"XctOhJAkA-pD9Lh7ZgW_2A"})")),
      Must(Key::FromJwkText(R"({"kty":"oct","k":"AAPapAv4LbFbiVawEjagUBluYqN5rhna-8nuldDvOx8"})")),
  };
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::crypto;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto jwe = ParseJwe(text);
  if (!jwe.ok()) return 0;
  static const JweAlgorithms kAll = {{AllKeyMgmtAlgs().begin(), AllKeyMgmtAlgs().end()},
                                     {AllContentEncs().begin(), AllContentEncs().end()}};
  for (const KeyPtr& key : Keys()) {
    if (!CheckKeyForJwe(*key, jwe->alg, jwe->enc, true).ok()) continue;
    (void)DecryptJwe(*jwe, *key, kAll);
  }
  return 0;
}
