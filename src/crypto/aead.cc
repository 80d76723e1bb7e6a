#include "crypto/aead.h"

#include "crypto/internal/cipher.h"

namespace idscheme::crypto {

Result<std::vector<uint8_t>> Aes256GcmSeal(std::span<const uint8_t> key,
                                           std::span<const uint8_t> plaintext,
                                           std::span<const uint8_t> aad, Random& random) {
  if (key.size() != kAeadKeySize) return Status::InvalidArgument("AEAD: key must be 32 bytes");
  std::vector<uint8_t> nonce(kAeadNonceSize);
  random.Fill(nonce);
  std::vector<uint8_t> tag;
  IDS_ASSIGN_OR_RETURN(std::vector<uint8_t> ct,
                       internal::AesGcmEncrypt(key, nonce, aad, plaintext, &tag));
  std::vector<uint8_t> out;
  out.reserve(nonce.size() + ct.size() + tag.size());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), ct.begin(), ct.end());
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

Result<std::vector<uint8_t>> Aes256GcmOpen(std::span<const uint8_t> key,
                                           std::span<const uint8_t> sealed,
                                           std::span<const uint8_t> aad) {
  if (key.size() != kAeadKeySize) return Status::InvalidArgument("AEAD: key must be 32 bytes");
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) {
    return Status::InvalidArgument("AEAD: sealed data too short");
  }
  auto nonce = sealed.first(kAeadNonceSize);
  auto tag = sealed.last(kAeadTagSize);
  auto ct = sealed.subspan(kAeadNonceSize, sealed.size() - kAeadNonceSize - kAeadTagSize);
  return internal::AesGcmDecrypt(key, nonce, aad, ct, tag);
}

}  // namespace idscheme::crypto
