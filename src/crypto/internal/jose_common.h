// Internal to src/crypto: what JWS and JWE parsing share (segments, protected header rules).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::crypto::internal {

// Splits compact serialisation into exactly `count` segments (RFC 7515 §7.1, RFC 7516 §7.1).
Result<std::vector<std::string_view>> SplitCompact(std::string_view compact, size_t count,
                                                   std::string_view what);

// Decodes and checks a protected header: strict JSON object, "alg" a string, optional string
// members string-typed, no "crit" (RFC 7515 §4.1.11: we understand no extension).
Result<nlohmann::json> ParseProtectedHeader(std::string_view b64, std::string_view what);
// The same rules applied to a header about to be used for output.
Status CheckHeaderMembers(const nlohmann::json& header, std::string_view what);

// A string member, "" when absent (its type was checked by CheckHeaderMembers).
std::string StringMember(const nlohmann::json& obj, const char* name);

}  // namespace idscheme::crypto::internal
