#include "crypto/internal/ossl.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

namespace idscheme::crypto::internal {

Status OpenSslError(std::string_view what, Status::Code code) {
  std::string message(what);
  // The earliest queued error is the root cause; later ones are context added on the way out.
  unsigned long first = ERR_get_error();
  if (first != 0) {
    char buf[256];
    ERR_error_string_n(first, buf, sizeof buf);
    message += ": ";
    message += buf;
  }
  ERR_clear_error();
  return Status(code, std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

std::vector<uint8_t> BnToBytes(const BIGNUM* bn, size_t len) {
  size_t n = static_cast<size_t>(BN_num_bytes(bn));
  if (len == 0) len = n == 0 ? 1 : n;
  std::vector<uint8_t> out(len);
  if (n > len || BN_bn2binpad(bn, out.data(), static_cast<int>(len)) < 0) return {};
  return out;
}

BignumPtr BytesToBn(std::span<const uint8_t> bytes) {
  return BignumPtr(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
}

void Cleanse(std::vector<uint8_t>& v) {
  if (!v.empty()) OPENSSL_cleanse(v.data(), v.size());
}
void Cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace idscheme::crypto::internal
