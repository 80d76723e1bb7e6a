// Subject identifiers (OIDC Core §8): what `sub` a client sees for a person.
//
//   pairwise (the default)  sub = BASE64URL(HMAC-SHA256(secret, sector || 0x00 || identity_id)),
//                           the sector being the registry's sector_identifier for the client (the
//                           host of its sector_identifier_uri, else of its redirect URI: OIDC
//                           Core §8.1). Clients of one sector see the same sub; other sectors
//                           cannot link it. The 0x00 keeps sector and id apart.
//   public                  the identity id itself.
// The secret is the node's pairwise-subject secret (the node derives it from the scheme's
// key-encryption key, so every node and every restart gives the same sub); at least 32 bytes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "registry/client_directory.h"

namespace idscheme::oidc {

inline constexpr size_t kMinSubjectSecretBytes = 32;

// The pairwise sub of `identity_id` in `sector`.
std::string PairwiseSubject(std::span<const uint8_t> secret, std::string_view sector,
                            std::string_view identity_id);

// The sub `client` sees for `identity_id`. Internal error for a pairwise client without a
// sector (the registry always sets one) or a secret shorter than kMinSubjectSecretBytes.
Result<std::string> SubjectFor(const registry::ClientAuthRecord& client,
                               std::string_view identity_id, std::span<const uint8_t> secret);

}  // namespace idscheme::oidc
