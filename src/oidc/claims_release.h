// Claims release: which of a person's verified data goes to a client, and where (OIDC Core §5.4,
// §5.5; OpenID Connect for Identity Assurance 1.0, "OIDC4IDA").
//
// Two moments:
//   - before the person approves, ClaimsToShow() lists the catalogue claims a validated request
//     asks for (through its scope values and its claims parameter, verified_claims included)
//     that the member's agreement allows: the app shows exactly these, by name;
//   - at the token endpoint, ReleaseClaims() turns the identity record and the approved
//     authorization into the person claims of the ID token and of userinfo. Only claims in
//     ApprovedAuthorization::approved_claims are ever released, and only those the record has.
// Placement (OIDC Core §5.4, §5.5): a claim asked for in claims.id_token goes to the ID token; in
// claims.userinfo to userinfo; a claim asked for by scope goes to userinfo when an access token
// is issued (the code flow always issues one), else to the ID token. A claim whose requested
// `value` / `values` (OIDC Core §5.5.1) does not match the record is left out.
// verified_claims (OIDC4IDA §5, §6) is released where it was asked for, with the claims it asks
// for that the record has and the person approved, and the verification: trust_framework always,
// assurance_level, time and evidence (the registrar's evidence) when asked for (all of them when
// the request names none).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "identity/identities.h"
#include "oidc/authorization_codes.h"
#include "oidc/authorization_request.h"
#include "registry/agreement.h"

namespace idscheme::oidc {

// The catalogue claims an identity record can supply (ClaimValue knows them), in catalogue order.
// Discovery's claims_supported lists these (and the protocol claims).
std::span<const std::string_view> ReleasableClaims();

// The catalogue claims the request's verified_claims elements name (OIDC4IDA §5), in order.
std::vector<std::string> VerifiedClaimNames(const ClaimsRequest& claims);

// The catalogue claims to show in the app for `request`, in first-asked order: scope claims
// (OIDC Core §5.4), then the claims parameter's (both members, verified_claims' claims too).
// Only releasable claims the agreement allows; never "sub" (it goes with every login).
std::vector<std::string> ClaimsToShow(const ValidatedAuthorizationRequest& request,
                                      const registry::AgreementTerms& terms);
// The same from the parts (scope values and claims request), for callers without a request.
std::vector<std::string> ClaimsToShow(const std::vector<std::string>& scopes,
                                      const ClaimsRequest& claims,
                                      const registry::AgreementTerms& terms);

struct ClaimsReleaseOptions {
  // OIDC4IDA §5.4.1 trust_framework of the scheme's identity proofing.
  std::string trust_framework = "eidas";
  // OIDC Core §5.4: scope claims go to the ID token only when no access token is issued.
  bool access_token_issued = true;
  // Now (seconds): a verification's max_age is measured to it (OIDC4IDA §6).
  int64_t now_seconds = 0;
};

struct ReleasedClaims {
  nlohmann::json id_token = nlohmann::json::object();  // person claims only (no sub, iss, ...)
  nlohmann::json userinfo = nlohmann::json::object();
};

ReleasedClaims ReleaseClaims(const identity::Identity& identity, const ApprovedAuthorization& grant,
                             const ClaimsReleaseOptions& options = {});

// The value of catalogue claim `name` in the record, or nullopt when the record does not have
// it (or the scheme does not keep it).
std::optional<nlohmann::json> ClaimValue(const identity::Identity& identity, std::string_view name);

// OIDC4IDA assurance_level for the evidence's check method: "high" for an electronic ID check
// (eid), "substantial" for physical and supervised remote checks (pipp, sripp), else "low".
std::string_view AssuranceLevelForEvidence(const identity::Evidence& evidence);

}  // namespace idscheme::oidc
