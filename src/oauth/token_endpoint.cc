#include "oauth/token_endpoint.h"

#include "common/log.h"

namespace idscheme::oauth {
namespace {

bool IsScopeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}

}  // namespace

nlohmann::json TokenResponse::ToJson() const {
  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  j["access_token"] = access_token;
  j["token_type"] = token_type;
  j["expires_in"] = expires_in;
  if (!scope.empty()) j["scope"] = scope;
  return j;
}

Result<std::vector<std::string>> ParseScope(std::string_view scope) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t end = scope.find(' ', pos);
    if (end == std::string_view::npos) end = scope.size();
    std::string_view token = scope.substr(pos, end - pos);
    // RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*NQCHAR
    if (token.empty()) return Status::InvalidArgument("malformed scope");
    for (char c : token)
      if (!IsScopeChar(c)) return Status::InvalidArgument("malformed scope");
    if (std::find(out.begin(), out.end(), token) == out.end()) out.emplace_back(token);
    if (end == scope.size()) break;
    pos = end + 1;
  }
  return out;
}

std::string JoinScope(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

Result<http::FormParams> ReadTokenParams(const http::Request& request) {
  // RFC 6749 §3.2: POST with application/x-www-form-urlencoded (the router allows POST only).
  IDS_ASSIGN_OR_RETURN(http::FormParams params, request.FormBody());
  // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
  IDS_RETURN_IF_ERROR(params.CheckNoDuplicates());
  return params;
}

http::Response RespondWithToken(const TokenResponse& response) {
  // RFC 6749 §5.1: no-store (the server's default for every response) and Pragma: no-cache.
  http::Response r = http::Response::Json(200, response.ToJson());
  r.SetHeader("Pragma", "no-cache");
  return r;
}

TokenEndpoint::TokenEndpoint(ClientAuthenticator& client_auth) : client_auth_(client_auth) {}

void TokenEndpoint::AddGrant(std::unique_ptr<GrantHandler> handler) {
  std::string name(handler->grant_type());
  grants_[name] = std::move(handler);
}

std::vector<std::string> TokenEndpoint::GrantTypes() const {
  std::vector<std::string> out;
  for (const auto& [name, handler] : grants_) out.push_back(name);
  return out;
}

Result<GrantHandler*> TokenEndpoint::SelectGrant(const http::FormParams& params,
                                                 const ClientAuthRecord& client) const {
  auto grant_type = params.Get("grant_type");
  // RFC 6749 §4.4.2 etc.: grant_type is REQUIRED.
  if (!grant_type) return Status::OAuth("invalid_request", "grant_type missing");
  auto it = grants_.find(*grant_type);
  // RFC 6749 §5.2: a grant type this server does not serve.
  if (it == grants_.end())
    return Status::OAuth("unsupported_grant_type", "grant_type not supported");
  // RFC 6749 §5.2: the client is not registered for this grant type.
  if (!client.AllowsGrant(*grant_type))
    return Status::OAuth("unauthorized_client", "grant_type not allowed for this client");
  return it->second.get();
}

void TokenEndpoint::EnableDpop(const DpopVerifier& verifier, std::string url) {
  dpop_ = &verifier;
  dpop_url_ = std::move(url);
}

Result<std::optional<std::string>> TokenEndpoint::CheckDpopProof(
    const http::Request& request, const ClientAuthRecord& client) const {
  if (dpop_ == nullptr) return std::optional<std::string>();
  // RFC 9449 §5: a proof sent to the token endpoint is checked as §4.3 says.
  IDS_ASSIGN_OR_RETURN(std::optional<DpopProof> proof,
                       dpop_->VerifyRequest(request, DpopBinding{request.method(), dpop_url_}));
  if (proof) return std::optional<std::string>(std::move(proof->jkt));
  // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens always sends a proof.
  if (client.dpop_bound_access_tokens)
    return Status::OAuth("invalid_request", "this client must send a DPoP proof");
  return std::optional<std::string>();
}

http::Response TokenEndpoint::Handle(const http::Request& request) {
  auto error = [&](const Status& s, std::string_view client_id = {}) {
    http::Response r = http::Response::Error(s);
    if (r.status() >= 500) {
      log::Warn("token request failed",
                {{"request_id", request.request_id()}, {"error", s.ToString()}});
    } else {
      log::Debug("token request refused", {{"request_id", request.request_id()},
                                           {"client_id", std::string(client_id)},
                                           {"error", s.oauth_error()}});
    }
    return r;
  };

  auto params = ReadTokenParams(request);  // 1
  if (!params.ok()) return error(params.status());
  // A client assertion's jti is accepted later (PendingJti): by the grant, in its own write
  // transaction when it can, else before the grant runs.
  auto client = client_auth_.Authenticate(request, *params, JtiAcceptance::kDeferred);  // 2
  if (!client.ok()) return error(client.status());
  const std::string& client_id = client->record.client_id;
  // Every answer waits for the jti to be accepted: a replayed assertion is invalid_client
  // whatever else the request gets wrong, as if it had been refused at step 2.
  auto refuse = [&](const Status& s) {
    Status jti = client->jti.Settle();
    return error(jti.ok() ? s : jti, client_id);
  };
  auto grant = SelectGrant(*params, client->record);  // 3
  if (!grant.ok()) return refuse(grant.status());
  // A DPoP proof's jti is accepted once too (RFC 9449 §11.1): the assertion's goes first, as
  // before any other effect.
  if (request.HeaderCount("DPoP") > 0) {
    if (Status jti = client->jti.Settle(); !jti.ok()) return error(jti, client_id);
  }
  auto dpop_jkt = CheckDpopProof(request, client->record);  // 4
  if (!dpop_jkt.ok()) return refuse(dpop_jkt.status());
  if (!(*grant)->accepts_jti_in_transaction()) {
    if (Status jti = client->jti.Settle(); !jti.ok()) return error(jti, client_id);
  }
  TokenRequest token_request{request, *params, (*grant)->grant_type(), *client};
  token_request.dpop_jkt = std::move(dpop_jkt).value();
  if (client->jti.pending()) token_request.pending_jti = &client->jti;
  auto response = (*grant)->Handle(token_request);  // 5
  // The jti is accepted by now unless the grant failed before its transaction committed.
  if (!response.ok()) return refuse(response.status());
  if (Status jti = client->jti.Settle(); !jti.ok()) return error(jti, client_id);
  return RespondWithToken(*response);  // 6
}

}  // namespace idscheme::oauth
