#include "login/login_sessions.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/json.h"

namespace idscheme::login {
namespace {

std::string SecretHash(std::string_view secret) {
  auto digest = crypto::Sha256(secret);
  return Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size()));
}

std::optional<SessionState> ParseState(std::string_view name) {
  if (name == "phone") return SessionState::kPhone;
  if (name == "waiting") return SessionState::kWaiting;
  if (name == "done") return SessionState::kDone;
  return std::nullopt;
}

template <typename T>
nlohmann::json Optional(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::vector<store::Migration> Migrations() {
  return {
      {800, "login_sessions",
       // One browser's login; request is RequestToJson. browser_hash: SHA-256 of the cookie.
       "CREATE TABLE login_sessions ("
       "  id TEXT PRIMARY KEY,"
       "  browser_hash TEXT NOT NULL,"
       "  client_id TEXT NOT NULL,"
       "  request TEXT NOT NULL,"
       "  locale TEXT NOT NULL,"
       "  state TEXT NOT NULL,"
       "  action_id TEXT,"
       "  qr INTEGER NOT NULL DEFAULT 0,"
       "  decoy_code TEXT,"
       "  decoy_expires_at BIGINT NOT NULL DEFAULT 0,"
       "  created_at BIGINT NOT NULL,"
       "  expires_at BIGINT NOT NULL"
       ");"
       "CREATE INDEX login_sessions_expires ON login_sessions (expires_at);"
       // Fixed-window counters (RateLimiter).
       "CREATE TABLE login_rate ("
       "  key TEXT NOT NULL,"
       "  window_start BIGINT NOT NULL,"
       "  hits INTEGER NOT NULL,"
       "  expires_at BIGINT NOT NULL,"
       "  PRIMARY KEY (key, window_start)"
       ");"
       "CREATE INDEX login_rate_expires ON login_rate (expires_at);"},
  };
}

std::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kPhone:
      return "phone";
    case SessionState::kWaiting:
      return "waiting";
    case SessionState::kDone:
      return "done";
  }
  return "done";
}

nlohmann::json RequestToJson(const oidc::ValidatedAuthorizationRequest& r) {
  nlohmann::json levels = nlohmann::json::array();
  for (auto level : r.acr_levels) levels.push_back(registry::AssuranceLevelName(level));
  return {
      {"client_id", r.client_id},
      {"member_id", r.member_id},
      {"redirect_uri", r.redirect_uri},
      {"response_mode", oidc::ResponseModeName(r.response_mode)},
      {"scopes", r.scopes},
      {"state", Optional(r.state)},
      {"nonce", Optional(r.nonce)},
      {"code_challenge", r.code_challenge},
      {"code_challenge_method", r.code_challenge_method},
      {"dpop_jkt", Optional(r.dpop_jkt)},
      {"claims", r.claims_json},
      {"acr_values", r.acr_values},
      {"acr_levels", levels},
      {"prompt", r.prompt},
      {"max_age", Optional(r.max_age)},
      {"login_hint", Optional(r.login_hint)},
      {"ui_locales", r.ui_locales},
      {"pushed", r.source.pushed},
      {"request_object", r.source.request_object},
  };
}

Result<oidc::ValidatedAuthorizationRequest> RequestFromJson(const nlohmann::json& j) {
  // Written by RequestToJson only; any surprise is a corrupt row, not a user error.
  try {
    oidc::ValidatedAuthorizationRequest r;
    r.client_id = j.at("client_id").get<std::string>();
    r.member_id = j.at("member_id").get<std::string>();
    r.redirect_uri = j.at("redirect_uri").get<std::string>();
    r.response_mode = j.at("response_mode").get<std::string>() == "form_post"
                          ? oidc::ResponseMode::kFormPost
                          : oidc::ResponseMode::kQuery;
    r.scopes = j.at("scopes").get<std::vector<std::string>>();
    if (!j.at("state").is_null()) r.state = j.at("state").get<std::string>();
    if (!j.at("nonce").is_null()) r.nonce = j.at("nonce").get<std::string>();
    r.code_challenge = j.at("code_challenge").get<std::string>();
    r.code_challenge_method = j.at("code_challenge_method").get<std::string>();
    // Sessions stored before dpop_jkt was kept have no member.
    if (j.contains("dpop_jkt") && !j.at("dpop_jkt").is_null())
      r.dpop_jkt = j.at("dpop_jkt").get<std::string>();
    r.claims_json = j.at("claims").get<std::string>();
    if (!r.claims_json.empty()) {
      IDS_ASSIGN_OR_RETURN(r.claims, oidc::ParseClaimsRequest(r.claims_json));
    }
    r.acr_values = j.at("acr_values").get<std::vector<std::string>>();
    for (const auto& name : j.at("acr_levels")) {
      auto level = registry::ParseAssuranceLevel(name.get<std::string>());
      if (!level) return Status::Internal("login session: bad stored level");
      r.acr_levels.push_back(*level);
    }
    r.prompt = j.at("prompt").get<std::vector<std::string>>();
    if (!j.at("max_age").is_null()) r.max_age = j.at("max_age").get<int64_t>();
    if (!j.at("login_hint").is_null()) r.login_hint = j.at("login_hint").get<std::string>();
    r.ui_locales = j.at("ui_locales").get<std::vector<std::string>>();
    r.source.pushed = j.at("pushed").get<bool>();
    r.source.request_object = j.at("request_object").get<bool>();
    return r;
  } catch (const nlohmann::json::exception&) {
    return Status::Internal("login session: bad stored request");
  }
}

Result<NewSession> LoginSessions::Create(const oidc::ValidatedAuthorizationRequest& request,
                                         std::string_view locale, int64_t lifetime_seconds) {
  NewSession out;
  out.session.id = "lgn_" + random_.Token(32);
  out.browser_secret = random_.Token(32);
  out.session.request = request;
  out.session.locale = std::string(locale);
  out.session.created_at = clock_.NowSeconds();
  out.session.expires_at = out.session.created_at + lifetime_seconds;
  IDS_ASSIGN_OR_RETURN(std::string text, crypto::DumpJson(RequestToJson(request)));
  auto r = db_.Exec(
      "INSERT INTO login_sessions (id, browser_hash, client_id, request, locale, state, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'phone', ?, ?)",
      {store::Text(out.session.id), store::Text(SecretHash(out.browser_secret)),
       store::Text(request.client_id), store::Text(std::move(text)),
       store::Text(out.session.locale), store::Int(out.session.created_at),
       store::Int(out.session.expires_at)});
  if (!r.ok()) return r.status();
  return out;
}

Result<LoginSession> LoginSessions::Get(std::string_view id, std::string_view browser_secret) {
  auto r = db_.Exec(
      "SELECT browser_hash, request, locale, state, action_id, qr, decoy_code, "
      "decoy_expires_at, created_at, expires_at FROM login_sessions WHERE id = ?",
      {store::Text(std::string(id))});
  if (!r.ok()) return r.status();
  const Status not_found = Status::NotFound("no such login session");
  if (r->rows.empty()) return not_found;
  const store::Row& row = r->rows[0];
  if (browser_secret.empty() ||
      !crypto::ConstantTimeEquals(row.Text(0), SecretHash(browser_secret)))
    return not_found;
  if (row.Int(9) <= clock_.NowSeconds()) return not_found;
  auto json = crypto::ParseJsonStrict(row.Text(1));
  if (!json.ok()) return Status::Internal("login session: bad stored request");
  LoginSession s;
  s.id = std::string(id);
  IDS_ASSIGN_OR_RETURN(s.request, RequestFromJson(*json));
  s.locale = row.Text(2);
  auto state = ParseState(row.Text(3));
  if (!state) return Status::Internal("login session: bad stored state");
  s.state = *state;
  s.action_id = row.Text(4);
  s.qr = row.Int(5) != 0;
  s.decoy_code = row.Text(6);
  s.decoy_expires_at = row.Int(7);
  s.created_at = row.Int(8);
  s.expires_at = row.Int(9);
  return s;
}

Status LoginSessions::Move(std::string_view sql_set, std::string_view id, SessionState from,
                           std::vector<store::Value> params) {
  std::string sql = "UPDATE login_sessions SET ";
  sql += sql_set;
  sql += " WHERE id = ? AND state = ? AND expires_at > ?";
  params.push_back(store::Text(std::string(id)));
  params.push_back(store::Text(std::string(SessionStateName(from))));
  params.push_back(store::Int(clock_.NowSeconds()));
  auto r = db_.Exec(sql, params);
  if (!r.ok()) return r.status();
  if (r->affected != 1) return Status::FailedPrecondition("the login has moved on");
  return Status::Ok();
}

Status LoginSessions::StartWaiting(std::string_view id, std::string_view action_id, bool qr) {
  return Move("state = 'waiting', action_id = ?, qr = ?", id, SessionState::kPhone,
              {store::Text(std::string(action_id)), store::Int(qr ? 1 : 0)});
}

Status LoginSessions::StartDecoy(std::string_view id, std::string_view code, int64_t expires_at) {
  return Move("state = 'waiting', decoy_code = ?, decoy_expires_at = ?", id, SessionState::kPhone,
              {store::Text(std::string(code)), store::Int(expires_at)});
}

Status LoginSessions::Finish(std::string_view id) {
  // Two nodes (or two tabs) racing to send the code: the conditional update lets one through.
  auto r = db_.Exec(
      "UPDATE login_sessions SET state = 'done' WHERE id = ? AND state <> 'done' AND "
      "expires_at > ?",
      {store::Text(std::string(id)), store::Int(clock_.NowSeconds())});
  if (!r.ok()) return r.status();
  if (r->affected != 1) return Status::FailedPrecondition("the login has finished already");
  return Status::Ok();
}

Result<int64_t> LoginSessions::PurgeExpired() {
  const int64_t cutoff = clock_.NowSeconds() - 3600;
  auto a = db_.Exec("DELETE FROM login_sessions WHERE expires_at < ?", {store::Int(cutoff)});
  if (!a.ok()) return a.status();
  auto b =
      db_.Exec("DELETE FROM login_rate WHERE expires_at < ?", {store::Int(clock_.NowSeconds())});
  if (!b.ok()) return b.status();
  return a->affected + b->affected;
}

namespace {

// One statement on both backends (SQLite >= 3.35, PostgreSQL): the store counts, so every node
// shares the limit.
Result<RateVerdict> CountHit(store::Executor& db, const Clock& clock, std::string_view key,
                             int64_t window_seconds, int limit) {
  const int64_t now = clock.NowSeconds();
  const int64_t window = now - now % window_seconds;
  const int64_t window_end = window + window_seconds;
  auto r = db.Exec(
      "INSERT INTO login_rate (key, window_start, hits, expires_at) VALUES (?, ?, 1, ?) "
      "ON CONFLICT (key, window_start) DO UPDATE SET hits = login_rate.hits + 1 "
      "RETURNING hits",
      {store::Text(std::string(key)), store::Int(window), store::Int(window_end)});
  if (!r.ok()) return r.status();
  if (r->rows.empty()) return Status::Internal("rate counter: no row");
  if (r->rows[0].Int(0) <= limit) return RateVerdict{};
  return RateVerdict{false, std::max<int64_t>(1, window_end - now)};
}

}  // namespace

Result<RateVerdict> RateLimiter::Hit(std::string_view key, int64_t window_seconds, int limit) {
  return CountHit(db_, clock_, key, window_seconds, limit);
}

Result<RateVerdict> RateLimiter::HitAll(const std::vector<Limit>& limits) {
  RateVerdict verdict;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    verdict = RateVerdict{};  // InTransaction may run this again
    for (const Limit& l : limits) {
      IDS_ASSIGN_OR_RETURN(RateVerdict one, CountHit(tx, clock_, l.key, l.window_seconds, l.limit));
      if (one.within) continue;
      verdict.within = false;
      verdict.retry_after_seconds = std::max(verdict.retry_after_seconds, one.retry_after_seconds);
    }
    return Status::Ok();
  }));
  return verdict;
}

}  // namespace idscheme::login
