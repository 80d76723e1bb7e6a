#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "crypto/internal/ossl.h"

namespace idscheme::crypto {
namespace {

using internal::AsBytes;

// OpenSSL 3 resolves the digest behind EVP_sha256() in its provider store on every use, and HMAC()
// fetches the MAC and then the digest by name on every call: a lock and a lookup each time, about
// 3 % of a code exchange's CPU. Each digest is fetched once for the process instead (and kept for
// its lifetime, like the library itself), and HMAC is built on it directly.
const EVP_MD* Fetched(const char* name, const EVP_MD* (*legacy)()) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    internal::ClearOpenSslErrors();
    return legacy();  // still correct, only slower
  }
  return md;
}
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = Fetched("SHA2-256", EVP_sha256);
  return md;
}
const EVP_MD* Sha384Md() {
  static const EVP_MD* const md = Fetched("SHA2-384", EVP_sha384);
  return md;
}
const EVP_MD* Sha512Md() {
  static const EVP_MD* const md = Fetched("SHA2-512", EVP_sha512);
  return md;
}

// A digest only fails on allocation failure or a broken provider: a bug, not an input error.
[[noreturn]] void DigestFailed() {
  std::fprintf(stderr, "idscheme: OpenSSL digest failed\n");
  std::abort();
}

template <size_t N>
std::array<uint8_t, N> Digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    DigestFailed();
  }
  return out;
}

// One hash of `prefix` (a whole block) then `data`, into `out`, on a context reused by the caller.
template <size_t N>
void HashBlockThen(EVP_MD_CTX* ctx, const EVP_MD* md, std::span<const uint8_t> prefix,
                   std::span<const uint8_t> data, std::array<uint8_t, N>& out) {
  unsigned int len = 0;
  if (EVP_DigestInit_ex(ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, prefix.data(), prefix.size()) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != N) {
    DigestFailed();
  }
}

// RFC 2104 §2: H((K ^ opad) || H((K ^ ipad) || text)), K the key zero-padded to the hash's block
// (hashed first when longer than the block). Proven by RFC 4231's vectors (hash_test.cc).
template <size_t N>
std::array<uint8_t, N> Hmac(const EVP_MD* md, std::span<const uint8_t> key,
                            std::span<const uint8_t> data) {
  constexpr size_t kMaxBlock = 128;  // SHA-384 and SHA-512; SHA-256's is 64
  const size_t block = static_cast<size_t>(EVP_MD_get_block_size(md));
  if (block < N || block > kMaxBlock) DigestFailed();
  std::array<uint8_t, kMaxBlock> k{};
  if (key.size() > block) {
    std::array<uint8_t, N> hashed = Digest<N>(md, key);
    std::copy(hashed.begin(), hashed.end(), k.begin());
    OPENSSL_cleanse(hashed.data(), hashed.size());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  std::array<uint8_t, kMaxBlock> pad{};
  internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) DigestFailed();
  std::array<uint8_t, N> inner{};
  for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x36;
  HashBlockThen<N>(ctx.get(), md, {pad.data(), block}, data, inner);
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
  HashBlockThen<N>(ctx.get(), md, {pad.data(), block}, inner, out);
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(inner.data(), inner.size());
  return out;
}

}  // namespace

Sha256Digest Sha256(std::span<const uint8_t> data) { return Digest<32>(Sha256Md(), data); }
Sha256Digest Sha256(std::string_view data) { return Sha256(AsBytes(data)); }
Sha384Digest Sha384(std::span<const uint8_t> data) { return Digest<48>(Sha384Md(), data); }
Sha384Digest Sha384(std::string_view data) { return Sha384(AsBytes(data)); }
Sha512Digest Sha512(std::span<const uint8_t> data) { return Digest<64>(Sha512Md(), data); }
Sha512Digest Sha512(std::string_view data) { return Sha512(AsBytes(data)); }

Sha256Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return Hmac<32>(Sha256Md(), key, data);
}
Sha256Digest HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  return HmacSha256(key, AsBytes(data));
}
Sha384Digest HmacSha384(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return Hmac<48>(Sha384Md(), key, data);
}
Sha512Digest HmacSha512(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return Hmac<64>(Sha512Md(), key, data);
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
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), Sha256Md()) != 1 ||
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
