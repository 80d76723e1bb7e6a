// A login held against the member's agreement as it stands now.
//
// The person approved a login, and the data it shares, under the agreement of that moment; the
// operator may narrow the agreement afterwards. So every later release of the login's data (the
// code exchange, each refresh, each userinfo call) asks the policy again (registry/policy.h):
//   - the client, its member and reseller still active, the scope still registered, and the
//     service (identification when the person approved data, else login) still in the
//     agreement; a denial ends the login with `error` (invalid_grant at the token endpoint, RFC
//     6749 §5.2; invalid_token at userinfo, RFC 6750 §3.1) and the policy's reason, and is
//     audited as every policy denial is;
//   - approved claims the agreement no longer lists are dropped, whatever its claims_outside
//     says: the person approved more than is then released, never less.
// The assurance level is not checked again: the grant keeps the level reached, not the level
// asked for, which is what an agreement's levels are about.
//
// Thread-safety: as registry::Policy (safe from any thread).
#pragma once

#include <string_view>

#include "common/status.h"
#include "oidc/authorization_codes.h"
#include "registry/policy.h"

namespace idscheme::oidc {

// Narrows grant.approved_claims to the current agreement, or answers why the login no longer
// stands (`error`, with `code`). A store failure answers temporarily_unavailable.
Status ApplyCurrentAgreement(registry::Policy& policy, ApprovedAuthorization& grant,
                             std::string_view error, Status::Code code);

}  // namespace idscheme::oidc
