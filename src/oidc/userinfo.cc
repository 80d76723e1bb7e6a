#include "oidc/userinfo.h"

#include "oauth/dpop.h"
#include "oidc/current_agreement.h"

namespace idscheme::oidc {
namespace {

Status InvalidToken(std::string description) {
  return Status::OAuth("invalid_token", std::move(description), Status::Code::kUnauthenticated);
}

}  // namespace

Result<nlohmann::json> UserinfoEndpoint::Claims(const http::Request& request,
                                                registry::ClientAuthRecord* client_out) const {
  // Step 1.
  IDS_ASSIGN_OR_RETURN(oauth::AccessContext context, deps_.bearer.Authenticate(request));
  // Step 2: OIDC Core §5.3.
  IDS_RETURN_IF_ERROR(oauth::RequireScope(context, "openid"));
  // Step 3.
  auto found = deps_.grants.Find(context.jti);
  if (!found.ok()) {
    if (found.status().code() == Status::Code::kNotFound)
      return InvalidToken("the access token was not issued for a person");
    return found.status();
  }
  if (found->grant.client_id != context.client_id || found->subject != context.subject)
    return InvalidToken("the access token does not match its login");
  // Step 4.
  auto person = deps_.identities.Get(identity::Actor::Operator(), found->grant.identity_id);
  if (!person.ok()) {
    if (person.status().code() == Status::Code::kNotFound) return InvalidToken("unknown person");
    return person.status();
  }
  if (person->status != identity::IdentityStatus::kActive)
    return InvalidToken("the person's identity was revoked");
  if (deps_.policy) {
    IDS_RETURN_IF_ERROR(ApplyCurrentAgreement(*deps_.policy, found->grant, "invalid_token",
                                              Status::Code::kUnauthenticated));
  }
  if (client_out) {
    IDS_ASSIGN_OR_RETURN(*client_out, deps_.clients.FindClient(context.client_id));
  }
  // Step 5: OIDC Core §5.3.2: sub always; OIDC Core §5.4/§5.5 placement by claims release.
  ClaimsReleaseOptions release = options_.release;
  release.now_seconds = deps_.clock.NowSeconds();
  ReleasedClaims released = ReleaseClaims(*person, found->grant, release);
  nlohmann::json claims = std::move(released.userinfo);
  claims["sub"] = found->subject;
  return claims;
}

http::Response UserinfoEndpoint::Error(const http::Request& request, const Status& status) const {
  http::Response r = options_.dpop_algs.empty()
                         ? http::Response::Error(status, "Bearer")
                         : oauth::ResourceErrorResponse(request, status, options_.dpop_algs);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response UserinfoEndpoint::Handle(const http::Request& request) const {
  registry::ClientAuthRecord client;
  auto claims = Claims(request, &client);
  if (!claims.ok()) return Error(request, claims.status());
  const auto& m = client.metadata;
  http::Response response;
  if (m.userinfo_signed_response_alg.empty() && m.userinfo_encrypted_response_alg.empty()) {
    response = http::Response::Json(200, *claims);
  } else {
    // OIDC Core §5.3.2: a signed response SHOULD contain iss and aud.
    (*claims)["iss"] = options_.issuer;
    (*claims)["aud"] = client.client_id;
    // OIDC Registration §2: signed when a signing alg is registered, then encrypted when an
    // encryption alg is; encryption alone encrypts the claims set itself (OIDC Core §5.3.2).
    auto jwt = m.userinfo_signed_response_alg.empty()
                   ? deps_.signer.Encrypt(*claims, client, m.userinfo_encrypted_response_alg,
                                          m.userinfo_encrypted_response_enc)
                   : deps_.signer.SignAndEncrypt(*claims, client, m.userinfo_signed_response_alg,
                                                 m.userinfo_encrypted_response_alg,
                                                 m.userinfo_encrypted_response_enc);
    if (!jwt.ok()) return Error(request, jwt.status());
    response.set_status(200);
    response.set_body(std::move(jwt).value());
    response.SetHeader("Content-Type", "application/jwt");
  }
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

}  // namespace idscheme::oidc
