#include "oidc/current_agreement.h"

#include <algorithm>

#include "registry/claims.h"

namespace idscheme::oidc {

Status ApplyCurrentAgreement(registry::Policy& policy, ApprovedAuthorization& grant,
                             std::string_view error, Status::Code code) {
  registry::PolicyRequest p;
  p.client_id = grant.client_id;
  p.member_id = grant.member_id;
  p.role = registry::Role::kServiceProvider;
  p.service = grant.approved_claims.empty() ? registry::Service::kLogin
                                            : registry::Service::kIdentification;
  p.scopes = grant.scopes;
  // The claims are not asked here: a claim the agreement dropped is left out below, never a
  // reason to refuse (which claims_outside=refuse would make it).
  registry::Decision d = policy.Check(p);
  if (!d.allowed()) {
    if (d.status.code() == Status::Code::kUnavailable) return d.status;
    return Status::OAuth(std::string(error), d.status.message() + ": this login no longer stands",
                         code);
  }
  std::erase_if(grant.approved_claims, [&](const std::string& claim) {
    return !registry::IsKnownClaim(claim) || !d.terms.AllowsClaim(claim);
  });
  return Status::Ok();
}

}  // namespace idscheme::oidc
