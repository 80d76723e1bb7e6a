// Strict JSON for JOSE: the parser every JOSE header, JWT claims set and JWK goes through.
//
// Stricter than nlohmann::json::parse: duplicate member names are an error at every level
// (RFC 7515 §5.2 and RFC 7519 §4 allow rejecting them; ambiguity is how parsers get confused),
// a byte-order mark is an error, nesting is bounded, and invalid UTF-8 is an error. Serialising
// never throws: output that cannot be produced (invalid UTF-8 in a caller's string) is a Status.
//
// Thread-safety: stateless functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::crypto {

inline constexpr int kMaxJsonDepth = 32;

// Any JSON value, strictly.
Result<nlohmann::json> ParseJsonStrict(std::string_view text, int max_depth = kMaxJsonDepth);
// Same, and the top level must be an object (what every JOSE header and claims set is).
Result<nlohmann::json> ParseJsonObjectStrict(std::string_view text, int max_depth = kMaxJsonDepth);
// Compact serialisation (no whitespace); an error instead of an exception on invalid UTF-8.
Result<std::string> DumpJson(const nlohmann::json& value);

}  // namespace idscheme::crypto
