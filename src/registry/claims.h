// The claim catalogue: every claim the scheme can release to a service provider, in one place,
// so that agreements (what a member may receive), client registration (scope) and the OpenID
// Provider (what a request asks for) all check against the same list.
//
// Three families: the standard claims of OIDC Core §5.1, the claims of OpenID Connect for
// Identity Assurance 1.0 §4 (OIDC4IDA), and the scheme's own, namespaced under
// "urn:idscheme:claims:". Scope values map to claims as OIDC Core §5.4 says.
//
// Thread-safety: constant data and pure functions.
#pragma once

#include <span>
#include <string_view>

namespace idscheme::registry {

enum class ClaimFamily { kOidcStandard, kIdentityAssurance, kScheme };

struct ClaimInfo {
  std::string_view name;
  ClaimFamily family;
  std::string_view description;
};

// Every known claim, standard ones first.
std::span<const ClaimInfo> ClaimCatalogue();

// The catalogue entry for `name`, or nullptr when the scheme does not know it.
const ClaimInfo* FindClaim(std::string_view name);
inline bool IsKnownClaim(std::string_view name) { return FindClaim(name) != nullptr; }

// "sub" goes with every login (OIDC Core §2: the ID Token always carries it); agreements need not
// list it and the policy never refuses it.
inline constexpr std::string_view kSubjectClaim = "sub";

// The scope values a client may register and ask for: openid, profile, email, address, phone
// (OIDC Core §5.4) and offline_access (OIDC Core §11).
bool IsKnownScope(std::string_view scope);
// The claims a scope value asks for (OIDC Core §5.4); empty for openid, offline_access and
// unknown values.
std::span<const std::string_view> ScopeClaims(std::string_view scope);

}  // namespace idscheme::registry
