// Strict readers for the JSON that the admin API and the CLI hand to the registry: every error is
// an invalid_request naming the field ("redirect_uris[1]: must use https"), so whoever sent it
// knows what to fix.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/form.h"

namespace idscheme::registry::internal {

// Status::InvalidArgument("<field>: <what>").
Status FieldError(std::string_view field, std::string_view what);

// Refuses members of `object` not in `known`; those in `server_set` are named as set by the
// server. `object` must be a JSON object (checked: `what` names it in the error). `prefix` goes
// before field names in errors ("contacts.").
Status CheckFields(const nlohmann::json& object, std::string_view what,
                   std::initializer_list<std::string_view> known,
                   std::initializer_list<std::string_view> server_set = {},
                   std::string_view prefix = {});

// Absent -> nullopt; present with another type -> error naming the field.
Result<std::optional<std::string>> OptString(const nlohmann::json& object, std::string_view field);
Result<std::optional<bool>> OptBool(const nlohmann::json& object, std::string_view field);
// An array of strings without duplicates; `allow_empty` says whether [] is acceptable.
Result<std::optional<std::vector<std::string>>> OptStringArray(const nlohmann::json& object,
                                                               std::string_view field,
                                                               bool allow_empty);

// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF): the form parser's.
using http::IsValidUtf8;

// Human-readable text, such as the names people see: 1..max_bytes bytes of UTF-8 without
// control characters (C0, C1), line or paragraph separators, or characters that are invisible or
// change the direction of the text (bidi controls, zero-width and other default-ignorable
// characters); not only spaces, and no space (U+0020 or another Unicode space, e.g. U+00A0) at
// either end. The error names the field, what is wrong and the code point, e.g.
// "display_name: must not contain invisible or direction-changing characters (U+202E)".
Status CheckText(std::string_view field, std::string_view value, size_t max_bytes);

// Whether `id` could be one of the registry's identifiers ("m_...", "c_...": 1..64 of
// [A-Za-z0-9_-]). Lookups answer NotFound for anything else without asking the store, so a
// stranger's bytes (invalid UTF-8, NUL) never reach it.
bool IsWellFormedId(std::string_view id);

// "a, b, c" for error messages.
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace idscheme::registry::internal
