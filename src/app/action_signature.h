// What the app signs when the person approves an action (docs/app-api.md, "Approving"): the
// action's `digest_input` with the chosen `verification_code` added, canonicalised with RFC 8785
// (JCS), hashed with SHA-256, and those 32 bytes signed with ES256 (raw R||S, base64url). The
// reference app (`idscheme app`) and the login load generator (bench/load) both use it.
//
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/key.h"

namespace idscheme::app {

// `action` is the action as the device API returns it. Unavailable when it has no digest_input.
Result<std::string> SignActionDigest(const crypto::Key& key, const nlohmann::json& action,
                                     std::string_view verification_code);

}  // namespace idscheme::app
