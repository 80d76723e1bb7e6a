// Fuzz target: RFC 8785 canonicalisation (approval/jcs.h) of JSON text, as the approval engine
// canonicalises what a service provider asks to show. Whatever canonicalises must keep JCS's
// promises: the output is valid JSON that parses to an equal value (numbers compared as
// doubles), and canonicalising it again gives the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "approval/jcs.h"
#include "crypto/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto canonical = idscheme::approval::CanonicalizeText(text);
  if (!canonical.ok()) return 0;
  auto reparsed = idscheme::crypto::ParseJsonStrict(*canonical);
  if (!reparsed.ok()) std::abort();
  auto again = idscheme::approval::Canonicalize(*reparsed);
  if (!again.ok() || *again != *canonical) std::abort();
  return 0;
}
