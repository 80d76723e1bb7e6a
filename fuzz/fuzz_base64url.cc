// Fuzz target: strict base64url / base64 decoding. Whatever decodes must re-encode to the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/base64url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto url = idscheme::Base64UrlDecode(text);
  if (url.ok() && idscheme::Base64UrlEncode(*url) != text) std::abort();
  auto std64 = idscheme::Base64Decode(text);
  if (std64.ok() && idscheme::Base64Encode(*std64) != text) std::abort();
  return 0;
}
