// The `claims` request parameter (OIDC Core §5.5): which claims a client asks for, in the ID
// token and at userinfo, each with `essential` and an expected `value` / `values`.
//
// Parsed strictly: the text is JSON (strict: no duplicate members, bounded depth); the top
// level is an object whose only members are `id_token` and `userinfo`, each an object; every
// claim name is in the scheme's catalogue (registry/claims.h) or, in `id_token`, one of the
// claims about the authentication itself (acr, auth_time, amr); each claim's request is null
// or an object with only `essential` (boolean), `value`, `values` (a non-empty array; not
// together with `value`) and `purpose` (a string, OIDC for Identity Assurance §8). The
// `verified_claims` member (OpenID Connect for Identity Assurance 1.0 §5) is kept as JSON for
// the identification step, checked only for being an object or an array of objects.
// Every failure is invalid_request naming the member.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::oidc {

struct RequestedClaim {
  std::string name;
  bool essential = false;
  std::optional<nlohmann::json> value;  // OIDC Core §5.5.1 "value"
  std::vector<nlohmann::json> values;   // OIDC Core §5.5.1 "values"
  std::string purpose;                  // OIDC4IDA §8, empty when absent
};

struct ClaimsRequest {
  std::vector<RequestedClaim> id_token;  // by claim name
  std::vector<RequestedClaim> userinfo;
  std::optional<nlohmann::json> id_token_verified_claims;  // OIDC4IDA §5, unchecked inside
  std::optional<nlohmann::json> userinfo_verified_claims;

  bool empty() const {
    return id_token.empty() && userinfo.empty() && !id_token_verified_claims &&
           !userinfo_verified_claims;
  }
  // The catalogue claims asked for in either member, without duplicates, in first-seen order
  // (acr, auth_time and amr excluded: they describe the login, not the person).
  std::vector<std::string> PersonClaimNames() const;
  // The `sub` values the client named (`value` or `values` of `sub` in either member), without
  // duplicates; empty when it named none. OIDC Core §3.1.2.2: only the person with one of them
  // may get a positive answer.
  std::vector<std::string> RequestedSubjects() const;
};

// Longest `claims` value accepted.
inline constexpr size_t kMaxClaimsParameterBytes = 16 * 1024;

Result<ClaimsRequest> ParseClaimsRequest(std::string_view text);
// Same, from JSON already parsed (a request object carries `claims` as an object, OIDC Core
// §6.1).
Result<ClaimsRequest> ParseClaimsRequestJson(const nlohmann::json& value);

}  // namespace idscheme::oidc
