// Fuzz target: the SQL scanner that renumbers `?` placeholders for PostgreSQL and rewrites type
// words in migrations. It must never read out of bounds, and must only ever touch `?`s and
// whole words.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/internal/sql_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::store::internal;
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  int count = -1;
  std::string numbered = NumberPlaceholders(sql, &count);
  const auto marks = [](std::string_view s) { return std::count(s.begin(), s.end(), '?'); };
  if (count < 0 || marks(numbered) != marks(sql) - count) std::abort();
  if (count == 0 && numbered != sql) std::abort();
  if (ReplaceWord(sql, "BLOB", "blob").size() != sql.size()) std::abort();
  ReplaceWord(sql, "BLOB", "BYTEA");
  return 0;
}
