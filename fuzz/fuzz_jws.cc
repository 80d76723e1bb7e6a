// Fuzz target: compact JWS parsing and verification (with every algorithm allowed) against fixed
// keys of each family. Nothing may crash; a JWS that parses must re-serialise to its input.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "crypto/jws.h"
#include "crypto/key.h"
#include "crypto/testdata/rfc_vectors.h"

namespace {

using idscheme::crypto::Key;
using idscheme::crypto::KeyPtr;

const std::vector<KeyPtr>& Keys() {
  static const std::vector<KeyPtr> keys = [] {
    std::vector<KeyPtr> out;
    namespace td = idscheme::crypto::testdata;
    for (std::string_view jwk : {td::kRfc7515A1Key, td::kRfc7515A2Key, td::kRfc7515A3Key,
                                 td::kRfc7515A4Key, td::kRfc8037PublicKey}) {
      auto key = Key::FromJwkText(jwk);
      if (!key.ok()) std::abort();
      out.push_back(*key);
    }
    return out;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto jws = idscheme::crypto::ParseJws(text);
  if (!jws.ok()) return 0;
  // Strict base64url means one encoding per value: the parts must give back the input.
  if (jws->signing_input.size() >= text.size() ||
      text.substr(0, jws->signing_input.size()) != jws->signing_input) {
    std::abort();
  }
  for (const KeyPtr& key : Keys()) {
    (void)idscheme::crypto::VerifyJws(*jws, *key, idscheme::crypto::AllSigAlgs());
  }
  return 0;
}
