#include "oidc/authorization_endpoint.h"

#include <algorithm>

#include "crypto/hash.h"
#include "http/error_response.h"
#include "oidc/claims_release.h"
#include "registry/claims.h"

namespace idscheme::oidc {
namespace {

using Delivery = AuthorizationError::Delivery;

// The parameters of client authentication, never kept with a pushed request.
bool IsClientAuthParam(std::string_view name) {
  return name == "client_assertion" || name == "client_assertion_type" || name == "client_secret";
}

AuthorizationError PageFrom(const Status& s, std::string_view fallback_error, std::string rule) {
  std::string error = s.oauth_error().empty() ? std::string(fallback_error) : s.oauth_error();
  if (s.code() == Status::Code::kUnavailable) error = "temporarily_unavailable";
  return PageError(std::move(error), s.message(), std::move(rule));
}

http::Response JsonError(std::string_view error, std::string_view description, int status = 400) {
  return http::Response::Json(
      status,
      {{"error", error}, {"error_description", http::SanitizeErrorDescription(description)}});
}

}  // namespace

AuthorizationEndpoint::AuthorizationEndpoint(AuthorizationEndpointDeps deps,
                                             AuthorizationOptions options)
    : deps_(deps),
      options_(std::move(options)),
      request_objects_(
          deps.client_keys, deps.scheme_keys, deps.db, deps.clock,
          RequestObjectOptions{options_.issuer, options_.request_object_max_lifetime_seconds,
                               options_.clock_leeway_seconds}),
      pushed_(deps.db, deps.clock, deps.random) {}

AuthorizationOutcome AuthorizationEndpoint::Authorize(const http::FormParams& params) {
  // 1. RFC 6749 §3.1: no parameter twice; §4.1.1: client_id required.
  if (Status s = params.CheckNoDuplicates(); !s.ok())
    return PageError("invalid_request", s.message(), "single_use_params");
  auto client_id = params.Get("client_id");
  if (!client_id || client_id->empty())
    return PageError("invalid_request", "client_id is required", "client_id");

  // 2. The client.
  auto client = deps_.clients.FindForAuthorization(*client_id);
  if (!client.ok()) {
    if (client.status().code() == Status::Code::kNotFound)
      return PageError("invalid_client", "unknown client", "client_id");
    return PageFrom(client.status(), "temporarily_unavailable", "client_id");
  }

  auto request = params.Get("request");
  auto request_uri = params.Get("request_uri");
  // 3. RFC 9101 §5: one or the other.
  if (request && request_uri)
    return PageError("invalid_request", "request and request_uri together", "request_object");

  http::FormParams effective;
  RequestSource source;
  if (request_uri) {
    // 4. RFC 9126 §4: only request_uris this server issued through PAR.
    if (!request_uri->starts_with(kRequestUriPrefix))
      return PageError("request_uri_not_supported", "only pushed request_uris are accepted",
                       "request_uri");
    auto taken = pushed_.Take(*request_uri, *client_id);
    if (!taken.ok()) {
      if (taken.status().code() == Status::Code::kUnavailable)
        return PageFrom(taken.status(), "temporarily_unavailable", "request_uri");
      return PageError("invalid_request_uri", taken.status().message(), "request_uri");
    }
    effective = std::move(taken).value();
    source.pushed = true;
  } else if (request) {
    // 5. RFC 9101 §6.3: only the parameters inside the request object are used.
    auto inner = request_objects_.Verify(*request, *client);
    if (!inner.ok()) return PageFrom(inner.status(), "invalid_request_object", "request_object");
    effective = std::move(inner).value();
    source.request_object = true;
  } else {
    effective = params;
  }

  // 6. The parameters.
  AuthorizationOutcome outcome = ValidateAuthorizationRequest(effective, *client, options_, source);
  if (auto* validated = std::get_if<ValidatedAuthorizationRequest>(&outcome))
    return CheckPolicy(std::move(*validated));  // 7.
  return outcome;
}

registry::PolicyRequest PolicyRequestFor(const ValidatedAuthorizationRequest& request) {
  registry::PolicyRequest p;
  p.client_id = request.client_id;
  p.role = registry::Role::kServiceProvider;
  p.scopes = request.scopes;
  for (const auto& scope : request.scopes) {
    for (auto claim : registry::ScopeClaims(scope)) {
      if (std::find(p.claims.begin(), p.claims.end(), claim) == p.claims.end())
        p.claims.emplace_back(claim);
    }
  }
  // The claims parameter's, plain and inside verified_claims: the agreement's refuse mode holds
  // for both. The sub is no data about the person: asking for it is a login.
  const std::vector<std::string> plain = request.claims.PersonClaimNames();
  const std::vector<std::string> verified = VerifiedClaimNames(request.claims);
  for (const auto* names : {&plain, &verified}) {
    for (const auto& claim : *names) {
      if (claim == registry::kSubjectClaim) continue;
      if (std::find(p.claims.begin(), p.claims.end(), claim) == p.claims.end())
        p.claims.push_back(claim);
    }
  }
  const bool identification = !p.claims.empty();
  p.service = identification ? registry::Service::kIdentification : registry::Service::kLogin;
  if (!request.acr_levels.empty()) p.assurance_level = request.MinimumLevel();
  return p;
}

AuthorizationOutcome AuthorizationEndpoint::CheckPolicy(ValidatedAuthorizationRequest request) {
  if (deps_.policy == nullptr) return request;
  registry::PolicyRequest p = PolicyRequestFor(request);
  registry::Decision decision = deps_.policy->Check(p);
  if (decision.allowed()) return request;
  AuthorizationError e;
  e.delivery = Delivery::kRedirect;
  e.error = decision.status.oauth_error().empty() ? "access_denied" : decision.status.oauth_error();
  e.description = decision.status.message();
  e.rule = "policy:" + decision.rule;
  e.redirect_uri = request.redirect_uri;
  e.response_mode = request.response_mode;
  e.state = request.state;
  return e;
}

http::Response AuthorizationEndpoint::HandleAuthorize(
    const http::Request& request, const AuthorizationContinuation& continuation) {
  const bool post = request.method() == "POST";
  // OIDC Core §3.1.2.1: GET with a query, or POST with a form body.
  auto params = post ? request.FormBody() : request.QueryParams();
  if (!params.ok()) {
    return RenderErrorPage(error_page_, ErrorPageViewOf(request, nullptr, "invalid_request",
                                                        params.status().message()));
  }
  AuthorizationOutcome outcome = Authorize(*params);
  if (auto* error = std::get_if<AuthorizationError>(&outcome)) {
    if (error->redirected()) return RespondWithError(*error, options_.issuer, post);
    const bool unavailable = error->error == "temporarily_unavailable";
    return RenderErrorPage(
        error_page_,
        ErrorPageViewOf(request, &*params, error->error,
                        unavailable ? "the service is temporarily unavailable" : error->description,
                        unavailable ? 503 : 400));
  }
  return continuation(std::get<ValidatedAuthorizationRequest>(outcome), request);
}

http::Response AuthorizationEndpoint::HandlePar(const http::Request& request) {
  auto params = request.FormBody();
  if (!params.ok()) return http::Response::Error(params.status());
  // RFC 6749 §3.1 (RFC 9126 §2.1 keeps the authorization request's rules).
  if (Status s = params->CheckNoDuplicates(); !s.ok()) return http::Response::Error(s);
  // RFC 9126 §2: the client authenticates as at the token endpoint. A client assertion's jti is
  // accepted with the pushed request, in one write.
  auto authenticated =
      deps_.client_auth.Authenticate(request, *params, oauth::JtiAcceptance::kDeferred);
  if (!authenticated.ok()) return http::Response::Error(authenticated.status());
  oauth::PendingJti& jti = authenticated->jti;
  // Every answer, and anything with an effect of its own (a request object's or a DPoP proof's
  // jti), waits for the assertion's jti: a replayed assertion is invalid_client whatever else
  // is wrong, as if it had been refused above.
  auto answer = [&](http::Response response) {
    if (Status s = jti.Settle(); !s.ok()) return http::Response::Error(s);
    return response;
  };
  const std::string& client_id = authenticated->record.client_id;
  // RFC 9126 §2.1: request_uri is not allowed here.
  if (params->Has("request_uri"))
    return answer(JsonError("invalid_request", "request_uri is not allowed"));
  if (auto id = params->Get("client_id"); id && *id != client_id)
    return answer(
        JsonError("invalid_request", "client_id does not match the authenticated client"));

  auto client = deps_.clients.FindForAuthorization(client_id);
  if (!client.ok()) {
    if (client.status().code() == Status::Code::kNotFound)
      return answer(JsonError("invalid_client", "unknown client", 401));
    return answer(http::Response::Error(client.status()));
  }

  http::FormParams effective;
  RequestSource source;
  source.pushed = true;
  if (auto object = params->Get("request")) {
    if (Status s = jti.Settle(); !s.ok()) return http::Response::Error(s);
    // RFC 9126 §3: a request object may be pushed; only its parameters are used.
    auto inner = request_objects_.Verify(*object, *client);
    if (!inner.ok()) return http::Response::Error(inner.status());
    effective = std::move(inner).value();
    source.request_object = true;
  } else {
    for (const auto& [name, value] : params->entries()) {
      if (!IsClientAuthParam(name)) effective.Add(name, value);
    }
    if (!effective.Has("client_id")) effective.Add("client_id", client_id);
  }
  if (deps_.dpop != nullptr) {
    if (request.HeaderCount("DPoP") > 0) {
      if (Status s = jti.Settle(); !s.ok()) return http::Response::Error(s);
    }
    // RFC 9449 §10.1: a DPoP proof at PAR is checked as §4.3 says, and binds the code as if its
    // key's thumbprint had been sent as dpop_jkt.
    const std::string url = options_.issuer + std::string(kParPath);
    auto proof = deps_.dpop->VerifyRequest(request, oauth::DpopBinding{"POST", url, std::nullopt});
    if (!proof.ok()) return answer(http::Response::Error(proof.status()));
    if (*proof) {
      auto jkt = effective.Get("dpop_jkt");
      // RFC 9449 §10.1: both given, they must name the same key.
      if (jkt && !crypto::ConstantTimeEquals(*jkt, (*proof)->jkt))
        return answer(
            JsonError("invalid_request", "dpop_jkt is not the thumbprint of the DPoP proof's key"));
      if (!jkt) effective.Add("dpop_jkt", (*proof)->jkt);
    }
  }

  AuthorizationOutcome outcome = ValidateAuthorizationRequest(effective, *client, options_, source);
  if (auto* validated = std::get_if<ValidatedAuthorizationRequest>(&outcome))
    outcome = CheckPolicy(std::move(*validated));
  if (auto* error = std::get_if<AuthorizationError>(&outcome)) {
    // RFC 9126 §2.3: errors are answered to the client, never redirected; the store being
    // down (the policy could not be read) is the server's trouble: 503, retry later.
    const bool unavailable = error->error == "temporarily_unavailable";
    return answer(JsonError(error->error,
                            unavailable ? "the service is temporarily unavailable"
                                        : std::string_view(error->description),
                            unavailable ? 503 : 400));
  }

  auto pushed = pushed_.Push(client_id, effective, options_.pushed_request_lifetime_seconds, &jti);
  if (!pushed.ok()) return answer(http::Response::Error(pushed.status()));
  // RFC 9126 §2.2.
  return http::Response::Json(
      201, {{"request_uri", pushed->request_uri}, {"expires_in", pushed->expires_in}});
}

void AddAuthorizationRoutes(http::Router& router, AuthorizationEndpoint& endpoint,
                            AuthorizationContinuation continuation) {
  AuthorizationEndpoint* e = &endpoint;
  auto shared = std::make_shared<AuthorizationContinuation>(std::move(continuation));
  http::RouteOptions options;
  options.body_limit = kMaxRequestObjectBytes + 32 * 1024;  // a request object and some more
  auto authorize = [e, shared](http::Request& request) {
    return e->HandleAuthorize(request, *shared);
  };
  // It takes a pushed request or a request object's jti, and starts a login: no HEAD.
  http::RouteOptions effects;
  effects.get_has_effects = true;
  router.Add("GET", kAuthorizePath, "authorize", authorize, effects);
  router.Add("POST", kAuthorizePath, "authorize", authorize, options);
  router.Add(
      "POST", kParPath, "par", [e](http::Request& request) { return e->HandlePar(request); },
      options);
  router.Add("GET", kFormPostScriptPath, "form_post_js",
             [](http::Request&) { return FormPostScript(); });
}

}  // namespace idscheme::oidc
