#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <cstdio>
#include <cstdlib>

#include "crypto/internal/ossl.h"

namespace idscheme::crypto {
namespace {

using internal::AsBytes;

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure or a broken provider: a bug, not an input error.
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    std::fprintf(stderr, "idscheme: OpenSSL digest failed\n");
    std::abort();
  }
  return out;
}

template <size_t N>
std::array<uint8_t, N> Hmac(const EVP_MD* md, std::span<const uint8_t> key,
                            std::span<const uint8_t> data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  static const uint8_t kEmpty = 0;
  const uint8_t* k = key.empty() ? &kEmpty : key.data();
  if (HMAC(md, k, static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) ==
          nullptr ||
      len != N) {
    std::fprintf(stderr, "idscheme: OpenSSL HMAC failed\n");
    std::abort();
  }
  return out;
}

}  // namespace

Sha256Digest Sha256(std::span<const uint8_t> data) { return Digest<32>(EVP_sha256(), data); }
Sha256Digest Sha256(std::string_view data) { return Sha256(AsBytes(data)); }
Sha384Digest Sha384(std::span<const uint8_t> data) { return Digest<48>(EVP_sha384(), data); }
Sha384Digest Sha384(std::string_view data) { return Sha384(AsBytes(data)); }
Sha512Digest Sha512(std::span<const uint8_t> data) { return Digest<64>(EVP_sha512(), data); }
Sha512Digest Sha512(std::string_view data) { return Sha512(AsBytes(data)); }

Sha256Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return Hmac<32>(EVP_sha256(), key, data);
}
Sha256Digest HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  return HmacSha256(key, AsBytes(data));
}
Sha384Digest HmacSha384(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return Hmac<48>(EVP_sha384(), key, data);
}
Sha512Digest HmacSha512(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return Hmac<64>(EVP_sha512(), key, data);
}

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  // Lengths are public (they follow from the algorithm); only the contents need hiding.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return ConstantTimeEquals(AsBytes(a), AsBytes(b));
}

Result<std::vector<uint8_t>> HkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                                        std::span<const uint8_t> info, size_t length) {
  if (length == 0 || length > 255 * 32) return Status::InvalidArgument("HKDF: bad output length");
  internal::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  std::vector<uint8_t> out(length);
  size_t out_len = length;
  static const uint8_t kEmpty = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt.empty() ? &kEmpty : salt.data(),
                                  static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.empty() ? &kEmpty : ikm.data(),
                                 static_cast<int>(ikm.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info.empty() ? &kEmpty : info.data(),
                                  static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &out_len) != 1 || out_len != length) {
    return internal::OpenSslError("HKDF-SHA256");
  }
  return out;
}

}  // namespace idscheme::crypto
