#include "oidc/pushed_requests.h"

#include <nlohmann/json.hpp>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/json.h"

namespace idscheme::oidc {
namespace {

std::string UriHash(std::string_view request_uri) {
  auto digest = crypto::Sha256(request_uri);
  return Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size()));
}

}  // namespace

Result<PushedRequest> PushedRequests::Push(std::string_view client_id,
                                           const http::FormParams& params, int64_t lifetime_seconds,
                                           oauth::PendingJti* jti) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, value] : params.entries()) list.push_back({name, value});
  IDS_ASSIGN_OR_RETURN(std::string text, crypto::DumpJson(list));
  PushedRequest out;
  // RFC 9126 §2.2 / §7.1: unguessable, 256 bits.
  out.request_uri = std::string(kRequestUriPrefix) + random_.Token(32);
  out.expires_in = lifetime_seconds;
  const int64_t now = clock_.NowSeconds();
  auto insert = [&](store::Executor& db) {
    return db
        .Exec(
            "INSERT INTO oidc_pushed_requests (request_uri_hash, client_id, params, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            {store::Text(UriHash(out.request_uri)), store::Text(std::string(client_id)),
             store::Text(text), store::Int(now), store::Int(now + lifetime_seconds)})
        .status();
  };
  if (jti == nullptr || !jti->pending()) {
    IDS_RETURN_IF_ERROR(insert(db_));
    return out;
  }
  // One commit for both (RFC 7523 §3 item 7: the jti is still accepted once).
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_RETURN_IF_ERROR(jti->AcceptIn(tx));
    return insert(tx);
  }));
  jti->Committed();
  return out;
}

Result<http::FormParams> PushedRequests::Take(std::string_view request_uri,
                                              std::string_view client_id) {
  // RFC 9126 §2.2 / §4: one-time use; the DELETE decides, so two nodes cannot both take it.
  auto r = db_.Exec(
      "DELETE FROM oidc_pushed_requests WHERE request_uri_hash = ? AND client_id = ? "
      "RETURNING params, expires_at",
      {store::Text(UriHash(request_uri)), store::Text(std::string(client_id))});
  if (!r.ok()) return r.status();
  if (r->rows.empty()) return Status::NotFound("request_uri unknown, used or of another client");
  const store::Row& row = r->rows[0];
  if (row.Int(1) <= clock_.NowSeconds()) return Status::FailedPrecondition("request_uri expired");
  auto list = crypto::ParseJsonStrict(row.Text(0));
  if (!list.ok() || !list->is_array()) return Status::Internal("pushed request: bad stored params");
  http::FormParams params;
  for (const auto& pair : *list) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
      return Status::Internal("pushed request: bad stored params");
    params.Add(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return params;
}

Status PushedRequests::PurgeExpired() {
  auto r = db_.Exec("DELETE FROM oidc_pushed_requests WHERE expires_at <= ?",
                    {store::Int(clock_.NowSeconds())});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace idscheme::oidc
