// Fuzz target: JWK, JWK Set and PEM parsing. Nothing may crash, and every key that parses must
// survive export and re-import unchanged (same RFC 7638 thumbprint, same private-ness).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/jwk.h"
#include "crypto/key.h"

namespace {

using idscheme::crypto::Key;

void CheckRoundTrip(const Key& key) {
  auto jwk = key.ToJwk(true);
  if (!jwk.ok()) std::abort();
  auto again = Key::FromJwk(*jwk);
  if (!again.ok() || (*again)->IsPrivate() != key.IsPrivate() ||
      (*again)->Rfc7638Thumbprint() != key.Rfc7638Thumbprint()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::crypto;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto key = Key::FromJwkText(text); key.ok()) CheckRoundTrip(**key);
  JwkSetOptions options;
  options.allow_private = true;
  if (auto set = JwkSet::Parse(text, options); set.ok()) {
    for (const auto& key : set->keys()) CheckRoundTrip(*key);
    if (!set->ToPublicJson().ok()) std::abort();
  }
  if (auto set = JwkSet::Parse(text); set.ok()) {
    for (const auto& key : set->keys()) {
      if (key->IsPrivate()) std::abort();  // a public set never yields private keys
    }
  }
  if (text.find("-----BEGIN") != std::string_view::npos) {
    if (auto key = Key::FromPem(text); key.ok()) CheckRoundTrip(**key);
  }
  return 0;
}
