// Lexical helpers over PostgreSQL SQL text: they find the code between string literals ('..',
// E'..'), quoted identifiers, comments (--, nested /* */) and dollar-quoted bodies ($tag$..$tag$),
// so that rewriting touches only the code. Unterminated quotes run to the end of the text (the
// engine then reports the error).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace idscheme::store::internal {

// Rewrites each `?` placeholder in code to $1, $2, ...; sets *count to their number.
std::string NumberPlaceholders(std::string_view sql, int* count);

// Replaces each whole word `from` (ASCII case-insensitive) in code with `to`.
std::string ReplaceWord(std::string_view sql, std::string_view from, std::string_view to);

}  // namespace idscheme::store::internal
