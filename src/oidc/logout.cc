#include "oidc/logout.h"

#include <algorithm>
#include <array>
#include <set>

#include "audit/audit_log.h"
#include "common/log.h"
#include "crypto/json.h"
#include "crypto/jws.h"
#include "crypto/jwt.h"
#include "oauth/revocation.h"
#include "oidc/authorization_codes.h"
#include "oidc/authorization_request.h"
#include "oidc/authorization_response.h"
#include "oidc/id_token.h"
#include "oidc/refresh_tokens.h"
#include "oidc/subject.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

Status Refuse(std::string error, std::string description) {
  return Status::OAuth(std::move(error), std::move(description));
}

Status BadHint(std::string_view why) {
  return Status::InvalidArgument("id_token_hint: " + std::string(why));
}

struct Context {
  const http::FormParams& params;
  const LogoutDeps& deps;
  const LogoutOptions& options;
  LogoutRequest& out;
  std::optional<std::string> hint_audience;  // the verified hint's aud
};

using Rule = Status (*)(Context&);

Status SingleUseParams(Context& c) {
  // RFC 6749 §3.1, which the OpenID specifications follow: no parameter twice.
  Status s = c.params.CheckNoDuplicates();
  if (!s.ok()) return Refuse("invalid_request", s.message());
  return Status::Ok();
}

Status IdTokenHint(Context& c) {
  auto hint = c.params.Get("id_token_hint");
  if (!hint) return Status::Ok();
  // RP-Initiated Logout §2: the OP MUST validate that it was the issuer of the ID Token.
  auto claims = VerifyIdTokenHint(*hint, c.deps.keys, c.options.issuer);
  if (!claims.ok()) return Refuse("invalid_request", claims.status().message());
  c.hint_audience = (*claims)["aud"].get<std::string>();
  c.out.subject = (*claims)["sub"].get<std::string>();
  return Status::Ok();
}

Status ClientId(Context& c) {
  auto id = c.params.Get("client_id");
  // RP-Initiated Logout §2: with both, the client_id is the one the ID token was issued to.
  if (id && c.hint_audience && *id != *c.hint_audience)
    return Refuse("invalid_request", "client_id is not the audience of id_token_hint");
  std::optional<std::string> client_id =
      id ? std::optional<std::string>(std::string(*id)) : c.hint_audience;
  if (!client_id) return Status::Ok();
  auto client = c.deps.clients.FindClient(*client_id);
  if (!client.ok()) {
    if (client.status().code() == Status::Code::kNotFound)
      return Refuse("invalid_client", "unknown client");
    return client.status();
  }
  // A suspended or deleted client sends nobody anywhere (its tokens are refused already).
  if (!client->Usable()) return Refuse("unauthorized_client", "client is not active");
  c.out.client_id = std::move(client_id);
  c.out.client = std::move(client).value();
  return Status::Ok();
}

Status PostLogoutRedirectUri(Context& c) {
  auto uri = c.params.Get("post_logout_redirect_uri");
  if (!uri) return Status::Ok();
  // RP-Initiated Logout §3: no redirection without knowing the client (hint or client_id).
  if (!c.out.client_id)
    return Refuse("invalid_request", "post_logout_redirect_uri needs id_token_hint or client_id");
  // RP-Initiated Logout §3, §3.1: exactly one of the client's post_logout_redirect_uris.
  if (!registry::IsRegisteredPostLogoutRedirectUri(c.out.client->metadata, *uri))
    return Refuse("invalid_request", "post_logout_redirect_uri is not registered for this client");
  c.out.post_logout_redirect_uri = std::string(*uri);
  return Status::Ok();
}

Status State(Context& c) {
  auto state = c.params.Get("state");
  if (!state) return Status::Ok();
  if (state->size() > kMaxStateLength) return Refuse("invalid_request", "state is too long");
  c.out.state = std::string(*state);
  return Status::Ok();
}

Status UiLocales(Context& c) {
  auto locales = c.params.Get("ui_locales");
  if (!locales) return Status::Ok();
  c.out.ui_locales = ParseUiLocales(*locales);
  return Status::Ok();
}

Status LogoutHint(Context& c) {
  auto hint = c.params.Get("logout_hint");
  // RP-Initiated Logout §2: its meaning is the OP's; with no session to choose, it is unused.
  if (hint && hint->size() > kMaxLogoutHintLength)
    return Refuse("invalid_request", "logout_hint is too long");
  return Status::Ok();
}

struct NamedRule {
  std::string_view name;
  Rule rule;
};

// The order in which the rules run (see the header).
constexpr std::array<NamedRule, 7> kRules = {{
    {"single_use_params", SingleUseParams},
    {"id_token_hint", IdTokenHint},
    {"client_id", ClientId},
    {"post_logout_redirect_uri", PostLogoutRedirectUri},
    {"state", State},
    {"ui_locales", UiLocales},
    {"logout_hint", LogoutHint},
}};

// `uri` with state added to its query (a registered query is kept).
std::string WithState(const std::string& uri, const std::optional<std::string>& state) {
  if (!state) return uri;
  return uri + (uri.find('?') == std::string::npos ? '?' : '&') +
         "state=" + http::PercentEncode(*state);
}

// The refresh tokens of `client` stored before they carried their sub (migration 702): their sub
// is computed from the grant and recorded, so the index finds them from now on.
Status RecordMissingSubjects(store::Transaction& tx, const registry::ClientAuthRecord& client,
                             std::span<const uint8_t> subject_secret, int64_t now) {
  IDS_ASSIGN_OR_RETURN(auto rows, tx.Exec("SELECT token_hash, grant_json FROM oidc_refresh_tokens"
                                          " WHERE client_id = ? AND subject IS NULL AND"
                                          " revoked_at IS NULL AND expires_at > ?",
                                          {store::Text(client.client_id), store::Int(now)}));
  for (const auto& row : rows.rows) {
    auto grant_json = json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
    if (grant_json.is_discarded()) return Status::Internal("stored refresh token unreadable");
    IDS_ASSIGN_OR_RETURN(ApprovedAuthorization grant, ApprovedAuthorizationFromJson(grant_json));
    IDS_ASSIGN_OR_RETURN(std::string sub, SubjectFor(client, grant.identity_id, subject_secret));
    IDS_RETURN_IF_ERROR(tx.Exec("UPDATE oidc_refresh_tokens SET subject = ? WHERE token_hash = ?",
                                {store::Text(sub), store::Text(row.Text(0))})
                            .status());
  }
  return Status::Ok();
}

// The access-token records of `sub` stored before they carried their client (migration 702):
// those of `client` (the client is in their grant) get it now, so that the next query finds them.
// They live as long as an access token, so this matters only just after an upgrade.
Status RecordMissingClients(store::Transaction& tx, const registry::ClientAuthRecord& client,
                            const std::string& sub, int64_t now) {
  IDS_ASSIGN_OR_RETURN(auto rows, tx.Exec("SELECT jti, grant_json FROM oidc_token_grants"
                                          " WHERE client_id IS NULL AND subject = ? AND"
                                          " expires_at > ?",
                                          {store::Text(sub), store::Int(now)}));
  for (const auto& row : rows.rows) {
    auto grant_json = json::parse(row.Text(1), nullptr, /*allow_exceptions=*/false);
    if (grant_json.is_discarded()) return Status::Internal("stored token grant unreadable");
    IDS_ASSIGN_OR_RETURN(ApprovedAuthorization grant, ApprovedAuthorizationFromJson(grant_json));
    if (grant.client_id != client.client_id) continue;  // another client of the same sector
    IDS_RETURN_IF_ERROR(tx.Exec("UPDATE oidc_token_grants SET client_id = ? WHERE jti = ?",
                                {store::Text(client.client_id), store::Text(row.Text(0))})
                            .status());
  }
  return Status::Ok();
}

}  // namespace

http::Response DefaultLoggedOutPage(const LoggedOutPage&) {
  return http::Response::Html(
      200,
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Logged out</title>"
      "</head><body><h1>Logged out</h1><p id=\"message\">You are logged out. idscheme keeps no "
      "login session, so there is nothing more to do here: you can close this window.</p>"
      "</body></html>\n");
}

Result<json> VerifyIdTokenHint(std::string_view token, const keys::KeyManager& keys,
                               std::string_view issuer) {
  if (token.size() > kMaxIdTokenHintLength) return BadHint("too large");
  const auto dots = std::count(token.begin(), token.end(), '.');
  // RP-Initiated Logout §2: the RP sends the signed ID token inside an encrypted one.
  if (dots == 4) return BadHint("encrypted; send the signed ID token it contains");
  auto jws = crypto::ParseJws(token, kMaxIdTokenHintLength);
  if (!jws.ok()) return BadHint("not a signed JWT");
  const auto algs = SupportedResponseSigningAlgs();
  if (std::find(algs.begin(), algs.end(), jws->alg) == algs.end())
    return BadHint("algorithm not used for ID tokens");
  // id_token.h: ID tokens are typed JWT (access tokens at+jwt are not ID tokens).
  if (!crypto::SameMediaType(jws->typ, "JWT")) return BadHint("not an ID token");
  if (jws->kid.empty()) return BadHint("no kid");
  // Any published key: a hint signed before a rotation still verifies while its key is listed.
  crypto::KeyPtr key = keys.FindByKid(jws->kid);
  if (!key) return BadHint("signed by an unknown key");
  if (!crypto::VerifyJws(*jws, *key, algs).ok()) return BadHint("bad signature");
  auto claims = crypto::ParseJsonObjectStrict(jws->payload);
  if (!claims.ok()) return BadHint("malformed claims");
  const json& c = *claims;
  auto string_claim = [&c](const char* name) {
    auto it = c.find(name);
    return it != c.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
  };
  // OIDC Core §2: iss is this issuer; aud the client (a single string in ours).
  if (!string_claim("iss") || c.at("iss").get<std::string>() != issuer)
    return BadHint("issued by another issuer");
  if (!string_claim("aud")) return BadHint("aud must name one client");
  if (!string_claim("sub")) return BadHint("no sub");
  // Every ID token of this scheme has auth_time (id_token.h); signed userinfo responses do not.
  if (!c.contains("auth_time") || !c.at("auth_time").is_number_integer())
    return BadHint("not an ID token");
  // RP-Initiated Logout §2: exp is not checked: the hint may have expired long ago.
  return claims;
}

Result<EndedLogins> EndClientLogins(store::Database& db, const registry::ClientAuthRecord& client,
                                    std::string_view subject,
                                    std::span<const uint8_t> subject_secret, const Clock& clock) {
  EndedLogins ended;
  const std::string sub(subject);
  Status s = store::InTransaction(db, [&](store::Transaction& tx) -> Status {
    ended = EndedLogins{};
    const int64_t now = clock.NowSeconds();
    IDS_RETURN_IF_ERROR(RecordMissingSubjects(tx, client, subject_secret, now));
    IDS_RETURN_IF_ERROR(RecordMissingClients(tx, client, sub, now));
    std::set<std::string> actions;  // the approvals behind what is ended
    const auto note_action = [&actions](const std::string& grant_json) {
      auto grant = json::parse(grant_json, nullptr, /*allow_exceptions=*/false);
      if (grant.is_object() && grant.contains("action_id") && grant["action_id"].is_string())
        actions.insert(grant["action_id"].get<std::string>());
    };
    // Every live access token first (so each is counted once), then the refresh token families
    // (which take the access tokens recorded for them too, RFC 7009 §2.1).
    IDS_ASSIGN_OR_RETURN(
        auto tokens, tx.Exec("SELECT jti, expires_at, grant_json FROM oidc_token_grants WHERE"
                             " client_id = ? AND subject = ? AND expires_at > ?",
                             {store::Text(client.client_id), store::Text(sub), store::Int(now)}));
    for (const auto& row : tokens.rows) {
      IDS_ASSIGN_OR_RETURN(bool revoked, oauth::IsAccessTokenRevoked(tx, row.Text(0)));
      if (revoked) continue;  // at /revoke, or by an earlier logout
      IDS_RETURN_IF_ERROR(
          oauth::RevokeAccessToken(tx, row.Text(0), client.client_id, row.Int(1), now));
      ++ended.access_tokens;
      note_action(row.Text(2));
    }
    IDS_ASSIGN_OR_RETURN(
        auto families, tx.Exec("SELECT family, grant_json FROM oidc_refresh_tokens WHERE"
                               " client_id = ? AND subject = ? AND revoked_at IS NULL AND"
                               " expires_at > ?",
                               {store::Text(client.client_id), store::Text(sub), store::Int(now)}));
    std::set<std::string> seen;
    for (const auto& row : families.rows) {
      if (!seen.insert(row.Text(0)).second) continue;
      IDS_RETURN_IF_ERROR(RevokeFamily(tx, row.Text(0), client.client_id, now));
      ++ended.refresh_families;
      note_action(row.Text(1));
    }
    if (ended.refresh_families == 0 && ended.access_tokens == 0) return Status::Ok();
    ended.action_ids.assign(actions.begin(), actions.end());  // sorted
    return audit::Append(tx,
                         {"client:" + client.client_id,
                          "oidc.logout",
                          client.client_id,
                          {{"refresh_families", ended.refresh_families},
                           {"access_tokens", ended.access_tokens},
                           {"action_ids", ended.action_ids}}},
                         clock.NowMillis())
        .status();
  });
  if (!s.ok()) return s;
  return ended;
}

LogoutEndpoint::LogoutEndpoint(LogoutDeps deps, LogoutOptions options)
    : deps_(deps), options_(std::move(options)) {
  if (!options_.logged_out_page) options_.logged_out_page = DefaultLoggedOutPage;
}

LogoutOutcome LogoutEndpoint::Validate(const http::FormParams& params) const {
  LogoutRequest out;
  Context c{params, deps_, options_, out, std::nullopt};
  for (const auto& r : kRules) {
    Status s = r.rule(c);
    if (s.ok()) continue;
    if (s.code() == Status::Code::kUnavailable)
      return LogoutError{"temporarily_unavailable", s.message(), std::string(r.name)};
    // The rules refuse with OAuth errors; anything else is the store failing.
    std::string error = s.oauth_error().empty() ? "server_error" : s.oauth_error();
    return LogoutError{std::move(error), s.message(), std::string(r.name)};
  }
  return out;
}

http::Response LogoutEndpoint::Handle(const http::Request& request) const {
  // RP-Initiated Logout §2: GET with a query, or POST with a form body.
  auto params = request.method() == "POST" ? request.FormBody() : request.QueryParams();
  auto error_page = [&](std::string_view error, std::string_view description, int status = 400) {
    return RenderErrorPage(
        options_.error_page,
        ErrorPageViewOf(request, params.ok() ? &*params : nullptr, error, description, status));
  };
  if (!params.ok()) return error_page("invalid_request", params.status().message());
  LogoutOutcome outcome = Validate(*params);
  if (const auto* e = std::get_if<LogoutError>(&outcome)) {
    // RP-Initiated Logout §4: nothing that failed validation is used: no redirect.
    if (e->error == "temporarily_unavailable")
      return error_page(e->error, "the service is temporarily unavailable", 503);
    if (e->error == "server_error") {
      log::Write(log::Level::kError, "logout failed",
                 {{"rule", e->rule}, {"error", e->description}});
      return error_page(e->error, "the logout could not be completed", 500);
    }
    log::Info("logout refused", {{"rule", e->rule}, {"error", e->error}});
    return error_page(e->error, e->description);
  }
  const auto& logout = std::get<LogoutRequest>(outcome);
  if (logout.subject) {
    // The hint named the client (its aud), so the client rule found it.
    Result<EndedLogins> ended = EndClientLogins(deps_.db, *logout.client, *logout.subject,
                                                options_.subject_secret, deps_.clock);
    if (!ended.ok()) {
      log::Write(log::Level::kError, "logout not completed",
                 {{"client_id", *logout.client_id}, {"error", ended.status().ToString()}});
      return error_page("temporarily_unavailable", "the logout could not be completed", 503);
    }
    log::Info("logout", {{"client_id", *logout.client_id},
                         {"refresh_families", ended->refresh_families},
                         {"access_tokens", ended->access_tokens}});
  }
  if (logout.post_logout_redirect_uri)
    return http::Response::Redirect(303, WithState(*logout.post_logout_redirect_uri, logout.state));
  LoggedOutPage page;
  page.ui_locales = logout.ui_locales;
  page.accept_language = std::string(request.GetHeader("Accept-Language").value_or(""));
  return options_.logged_out_page(page);
}

void AddLogoutRoutes(http::Router& router, const LogoutEndpoint& endpoint) {
  const LogoutEndpoint* e = &endpoint;
  auto handle = [e](http::Request& request) { return e->Handle(request); };
  // RP-Initiated Logout §2: the OP supports GET and POST. A logout revokes the client's tokens
  // for the person: no HEAD (RFC 9110 §9.2.1).
  http::RouteOptions effects;
  effects.get_has_effects = true;
  router.Add("GET", kLogoutPath, "logout", handle, effects);
  router.Add("POST", kLogoutPath, "logout", handle);
}

}  // namespace idscheme::oidc
