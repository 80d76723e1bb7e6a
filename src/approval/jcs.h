// RFC 8785 JSON Canonicalization Scheme (JCS): one byte-exact text per JSON value, so that a
// signature over "what was shown" does not depend on how a JSON library orders or spells it.
//
// What this implements (RFC 8785 §3.2):
//  - no whitespace; literals null/true/false as is;
//  - strings with the minimal escaping of §3.2.2.2 (\" \\ \b \f \n \r \t, other controls as
//    \u00xx in lower case), every other character as its UTF-8 bytes;
//  - numbers as IEEE-754 doubles, written as ECMAScript's Number.prototype.toString does
//    (§3.2.2.3); NaN and infinities are errors;
//  - object members sorted by the UTF-16 code units of their names (§3.2.3), arrays in order.
// Stricter than the RFC where I-JSON (RFC 7493) is: invalid UTF-8 (including encoded surrogates)
// is an error, and so is an integer whose double ECMAScript would write with other digits (2^53 + 1
// would be silently rounded; 100000000000000000 is kept, as the canonical text of 1e17 must read
// back). Binary values are not JSON and are errors.
//
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::approval {

// Deepest nesting Canonicalize() accepts (values parsed by crypto::ParseJsonStrict are shallower).
inline constexpr int kMaxJcsDepth = 64;

// The canonical UTF-8 text of `value`.
Result<std::string> Canonicalize(const nlohmann::json& value);

// Parses `text` strictly (crypto/json.h: no duplicate names, valid UTF-8) and canonicalises it.
Result<std::string> CanonicalizeText(std::string_view text);

// One number as ECMAScript writes it (RFC 8785 §3.2.2.3); an error for NaN and infinities.
// -0 is written "0".
Result<std::string> SerializeNumber(double value);

}  // namespace idscheme::approval
