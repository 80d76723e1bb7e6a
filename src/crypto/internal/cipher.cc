#include "crypto/internal/cipher.h"

#include <openssl/evp.h>

#include <climits>

#include "crypto/internal/ossl.h"

namespace idscheme::crypto::internal {
namespace {

const EVP_CIPHER* Gcm(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}
const EVP_CIPHER* Cbc(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_cbc();
    case 24:
      return EVP_aes_192_cbc();
    case 32:
      return EVP_aes_256_cbc();
    default:
      return nullptr;
  }
}
const EVP_CIPHER* Wrap(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_wrap();
    case 24:
      return EVP_aes_192_wrap();
    case 32:
      return EVP_aes_256_wrap();
    default:
      return nullptr;
  }
}

constexpr size_t kGcmTagSize = 16;
constexpr size_t kMaxInput = INT_MAX / 2;

// EVP_*Update wants an int length and a non-null pointer even for empty input.
const uint8_t* Ptr(std::span<const uint8_t> s) {
  static const uint8_t kEmpty = 0;
  return s.empty() ? &kEmpty : s.data();
}

}  // namespace

Result<Bytes> AesGcmEncrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> aad, std::span<const uint8_t> plaintext,
                            Bytes* tag) {
  const EVP_CIPHER* cipher = Gcm(key.size());
  if (cipher == nullptr) return Status::InvalidArgument("AES-GCM: bad key size");
  if (iv.size() != 12) return Status::InvalidArgument("AES-GCM: IV must be 96 bits");
  if (plaintext.size() > kMaxInput || aad.size() > kMaxInput) {
    return Status::ResourceExhausted("AES-GCM: input too large");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + 16);
  int len = 0, fin = 0;
  tag->assign(kGcmTagSize, 0);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, Ptr(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, tag->data()) != 1) {
    return OpenSslError("AES-GCM encrypt");
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

Result<Bytes> AesGcmDecrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> aad, std::span<const uint8_t> ciphertext,
                            std::span<const uint8_t> tag) {
  const EVP_CIPHER* cipher = Gcm(key.size());
  if (cipher == nullptr) return Status::InvalidArgument("AES-GCM: bad key size");
  if (iv.size() != 12) return Status::InvalidArgument("AES-GCM: IV must be 96 bits");
  if (tag.size() != kGcmTagSize) return Status::InvalidArgument("AES-GCM: tag must be 128 bits");
  if (ciphertext.size() > kMaxInput || aad.size() > kMaxInput) {
    return Status::ResourceExhausted("AES-GCM: input too large");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(ciphertext.size() + 16);
  int len = 0, fin = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, Ptr(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize,
                          const_cast<uint8_t*>(tag.data())) != 1) {
    Cleanse(out);
    return OpenSslError("AES-GCM decrypt");
  }
  // The tag is compared (in constant time, by OpenSSL) in Final; on mismatch nothing is released.
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    Cleanse(out);
    ClearOpenSslErrors();
    return Status::Unauthenticated("AES-GCM: authentication tag mismatch");
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

Result<Bytes> AesCbcEncrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> plaintext) {
  const EVP_CIPHER* cipher = Cbc(key.size());
  if (cipher == nullptr) return Status::InvalidArgument("AES-CBC: bad key size");
  if (iv.size() != 16) return Status::InvalidArgument("AES-CBC: IV must be 128 bits");
  if (plaintext.size() > kMaxInput) return Status::ResourceExhausted("AES-CBC: input too large");
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + 16);
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, Ptr(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    return OpenSslError("AES-CBC encrypt");
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

Result<Bytes> AesCbcDecrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                            std::span<const uint8_t> ciphertext) {
  const EVP_CIPHER* cipher = Cbc(key.size());
  if (cipher == nullptr) return Status::InvalidArgument("AES-CBC: bad key size");
  if (iv.size() != 16) return Status::InvalidArgument("AES-CBC: IV must be 128 bits");
  if (ciphertext.empty() || ciphertext.size() % 16 != 0 || ciphertext.size() > kMaxInput) {
    return Status::InvalidArgument("AES-CBC: ciphertext length not a positive multiple of 16");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(ciphertext.size() + 16);
  int len = 0, fin = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    Cleanse(out);
    return OpenSslError("AES-CBC decrypt", Status::Code::kUnauthenticated);
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

Result<Bytes> AesKeyWrap(std::span<const uint8_t> kek, std::span<const uint8_t> key) {
  const EVP_CIPHER* cipher = Wrap(kek.size());
  if (cipher == nullptr) return Status::InvalidArgument("AES-KW: bad key-encryption key size");
  // RFC 3394 §2: at least two 64-bit blocks.
  if (key.size() < 16 || key.size() % 8 != 0 || key.size() > 4096) {
    return Status::InvalidArgument("AES-KW: key to wrap must be 16+ bytes, a multiple of 8");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(key.size() + 8 + 16);
  int len = 0, fin = 0;
  if (!ctx) return OpenSslError("AES-KW wrap");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, key.data(), static_cast<int>(key.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    return OpenSslError("AES-KW wrap");
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

Result<Bytes> AesKeyUnwrap(std::span<const uint8_t> kek, std::span<const uint8_t> wrapped) {
  const EVP_CIPHER* cipher = Wrap(kek.size());
  if (cipher == nullptr) return Status::InvalidArgument("AES-KW: bad key-encryption key size");
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0 || wrapped.size() > 4096 + 8) {
    return Status::InvalidArgument("AES-KW: wrapped key must be 24+ bytes, a multiple of 8");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(wrapped.size() + 16);
  int len = 0, fin = 0;
  if (!ctx) return OpenSslError("AES-KW unwrap");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  // RFC 3394 §2.2.3: the unwrapped initial value must be A6A6A6A6A6A6A6A6, checked by OpenSSL.
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, wrapped.data(),
                        static_cast<int>(wrapped.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    Cleanse(out);
    return OpenSslError("AES-KW unwrap", Status::Code::kUnauthenticated);
  }
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

}  // namespace idscheme::crypto::internal
