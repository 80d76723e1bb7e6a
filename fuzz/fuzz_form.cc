// Fuzz target: strict application/x-www-form-urlencoded parsing. Whatever parses must hold the
// parser's promises (no empty name or value, no NUL, valid UTF-8) and survive a round trip
// through PercentEncode unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/form.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::http;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto form = ParseForm(text);
  if (form.ok()) {
    std::string again;
    for (const auto& [name, value] : form->entries()) {
      if (name.empty() || value.empty()) std::abort();
      if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
        std::abort();
      if (!IsValidUtf8(name) || !IsValidUtf8(value)) std::abort();
      if (!again.empty()) again += '&';
      again += PercentEncode(name) + "=" + PercentEncode(value);
    }
    auto reparsed = ParseForm(again);
    if (!reparsed.ok() || reparsed->entries() != form->entries()) std::abort();
    (void)form->CheckNoDuplicates();
  }
  for (bool plus : {false, true}) {
    auto decoded = PercentDecode(text, plus);
    if (decoded.ok() && (!IsValidUtf8(*decoded) || decoded->size() > text.size())) std::abort();
  }
  return 0;
}
