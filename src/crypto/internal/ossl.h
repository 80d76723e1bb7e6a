// Internal to src/crypto: RAII owners for OpenSSL objects and the one way OpenSSL errors become
// a Status. Nothing outside src/crypto may include this header (it pulls in <openssl/...>).
//
// Thread-safety: the helpers are stateless; OpenSslError() reads and clears the calling thread's
// OpenSSL error queue only.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::crypto::internal {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EvpCipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// Drains this thread's OpenSSL error queue into a Status: "<what>: <OpenSSL reason>".
Status OpenSslError(std::string_view what, Status::Code code = Status::Code::kInternal);
// Forgets whatever OpenSSL queued (after a failure that is reported without its reason).
void ClearOpenSslErrors();

// Big-endian unsigned bytes of `bn`, left-padded with zeros to `len` (or minimal when len == 0).
std::vector<uint8_t> BnToBytes(const BIGNUM* bn, size_t len = 0);
BignumPtr BytesToBn(std::span<const uint8_t> bytes);

// Wipes `v` before it is freed; for key material held in std::vector/std::string.
void Cleanse(std::vector<uint8_t>& v);
void Cleanse(std::string& s);

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace idscheme::crypto::internal
