#include "identity/sim_bindings.h"

#include <array>
#include <utility>

#include "audit/audit_log.h"
#include "common/hex.h"
#include "crypto/json.h"
#include "crypto/key.h"
#include "identity/internal/fields.h"
#include "registry/member.h"

namespace idscheme::identity {

using internal::FieldError;
using json = nlohmann::json;

namespace {

constexpr std::string_view kColumns =
    "id, controller_id, phone_number, iccid, public_jwk, jwk_thumbprint, status, event_type,"
    " event_at, reported_at, created_at, updated_at";

SimBinding FromRow(const store::Row& r) {
  SimBinding b;
  b.id = r.Text(0);
  b.controller_id = r.Text(1);
  b.phone_number = r.Text(2);
  b.iccid = r.Text(3);
  auto jwk = crypto::ParseJsonStrict(r.Text(4));
  b.public_jwk = jwk.ok() ? *jwk : json::object();
  b.jwk_thumbprint = r.Text(5);
  b.status = r.Text(6) == "active" ? BindingStatus::kActive : BindingStatus::kSuspended;
  b.event = ParseSimEventType(r.Text(7));
  b.event_at_ms = r.Int(8);
  b.reported_at_ms = r.Int(9);
  b.created_at_ms = r.Int(10);
  b.updated_at_ms = r.Int(11);
  return b;
}

Status CheckController(store::Executor& db, std::string_view controller_id) {
  auto m = registry::GetMember(db, controller_id);
  if (!m.ok() && m.status().code() == Status::Code::kNotFound)
    return FieldError("controller_id", "no member " + std::string(controller_id));
  IDS_RETURN_IF_ERROR(m.status());
  if (m->role != registry::Role::kSimController)
    return FieldError("controller_id", m->id + " is not a SIM controller");
  if (m->status != registry::MemberStatus::kActive)
    return FieldError("controller_id", m->id + " is not active");
  return Status::Ok();
}

Result<std::string> RequiredString(const json& body, std::string_view key) {
  IDS_ASSIGN_OR_RETURN(auto v, internal::OptString(body, key));
  if (!v) return FieldError(key, "required");
  return *v;
}

}  // namespace

std::string_view BindingStatusName(BindingStatus status) {
  return status == BindingStatus::kActive ? "active" : "suspended";
}

std::string_view SimEventTypeName(SimEventType type) {
  switch (type) {
    case SimEventType::kSimSwap:
      return "sim_swap";
    case SimEventType::kLineTermination:
      return "line_termination";
    case SimEventType::kControllerTerminated:
      return "controller_terminated";
  }
  return "sim_swap";
}

std::optional<SimEventType> ParseSimEventType(std::string_view name) {
  if (name == "sim_swap") return SimEventType::kSimSwap;
  if (name == "line_termination") return SimEventType::kLineTermination;
  if (name == "controller_terminated") return SimEventType::kControllerTerminated;
  return std::nullopt;
}

// A binding counts only while its controller is an active member (appended to a WHERE on
// sim_bindings).
constexpr std::string_view kByActiveController =
    " AND controller_id IN (SELECT id FROM registry_members WHERE status = 'active')";

json SimBinding::ToJson() const {
  json j = {{"id", id},
            {"controller_id", controller_id},
            {"phone_number", phone_number},
            {"iccid", iccid},
            {"public_key", public_jwk},
            {"jwk_thumbprint", jwk_thumbprint},
            {"status", BindingStatusName(status)},
            {"created_at", created_at_ms},
            {"updated_at", updated_at_ms}};
  if (event)
    j["event"] = {{"type", SimEventTypeName(*event)},
                  {"occurred_at", event_at_ms},
                  {"reported_at", reported_at_ms}};
  return j;
}

bool IsValidIccid(std::string_view iccid) {
  // ITU-T E.118 §4.2: issuer identification number starting "89" (telecommunications), and a
  // Luhn check digit at the end.
  if (iccid.size() < 18 || iccid.size() > 20 || iccid.substr(0, 2) != "89") return false;
  int sum = 0;
  for (size_t k = 0; k < iccid.size(); ++k) {
    char c = iccid[iccid.size() - 1 - k];
    if (c < '0' || c > '9') return false;
    int d = c - '0';
    if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 == 0;
}

Result<NewBinding> ParseNewBinding(const json& body) {
  IDS_RETURN_IF_ERROR(
      internal::CheckObject(body, "the body", {"phone_number", "iccid", "public_key"}));
  NewBinding b;
  IDS_ASSIGN_OR_RETURN(b.phone_number, RequiredString(body, "phone_number"));
  IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", b.phone_number));
  IDS_ASSIGN_OR_RETURN(b.iccid, RequiredString(body, "iccid"));
  if (!IsValidIccid(b.iccid))
    return FieldError("iccid", "must be an ICCID: 18-20 digits starting 89, Luhn check digit last");
  auto key = body.find("public_key");
  if (key == body.end()) return FieldError("public_key", "required");
  if (!key->is_object()) return FieldError("public_key", "must be a JWK (a JSON object)");
  b.public_key = *key;
  return b;
}

Result<SimEvent> ParseSimEvent(const json& body) {
  IDS_RETURN_IF_ERROR(
      internal::CheckObject(body, "the body", {"phone_number", "type", "occurred_at"}));
  SimEvent e;
  IDS_ASSIGN_OR_RETURN(e.phone_number, RequiredString(body, "phone_number"));
  IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", e.phone_number));
  IDS_ASSIGN_OR_RETURN(std::string type, RequiredString(body, "type"));
  auto parsed = ParseSimEventType(type);
  if (!parsed || *parsed == SimEventType::kControllerTerminated)
    return FieldError("type", "must be sim_swap or line_termination");
  e.type = *parsed;
  IDS_ASSIGN_OR_RETURN(auto occurred, internal::OptString(body, "occurred_at"));
  if (occurred) {
    e.occurred_at = internal::ParseDateTime(*occurred);
    if (!e.occurred_at)
      return FieldError("occurred_at", "must be an RFC 3339 UTC time, e.g. 2026-11-20T09:30:00Z");
  }
  return e;
}

Result<SimBinding> SimBindings::Bind(std::string_view controller_id, const NewBinding& request,
                                     std::string_view actor) {
  IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", request.phone_number));
  if (!IsValidIccid(request.iccid))
    return FieldError("iccid", "must be an ICCID: 18-20 digits starting 89, Luhn check digit last");
  auto key = crypto::Key::FromPublicJwk(request.public_key);
  if (!key.ok()) return FieldError("public_key", key.status().message());
  if ((*key)->type() != crypto::KeyType::kEcP256)
    return FieldError("public_key", "must be an EC P-256 key (kty EC, crv P-256)");
  auto jwk = (*key)->ToJwk(/*include_private=*/false);
  if (!jwk.ok()) return FieldError("public_key", jwk.status().message());

  SimBinding b;
  std::array<uint8_t, 16> bytes{};
  random_.Fill(bytes);
  b.id = "sb_" + HexEncode(bytes);
  b.controller_id = std::string(controller_id);
  b.phone_number = request.phone_number;
  b.iccid = request.iccid;
  b.public_jwk = *jwk;
  b.jwk_thumbprint = (*key)->Rfc7638Thumbprint();
  b.created_at_ms = b.updated_at_ms = clock_.NowMillis();

  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_RETURN_IF_ERROR(CheckController(tx, controller_id));
    IDS_ASSIGN_OR_RETURN(auto taken,
                         tx.Exec("SELECT b.id, m.status FROM sim_bindings b JOIN registry_members m"
                                 " ON m.id = b.controller_id WHERE b.phone_number = ?"
                                 " AND b.status = 'active'",
                                 {store::Text(b.phone_number)}));
    if (!taken.rows.empty()) {
      if (taken.rows[0].Text(1) != registry::MemberStatusName(registry::MemberStatus::kTerminated))
        return Status::AlreadyExists(
            "phone_number: already has an active binding (report the SIM swap first)");
      // The number's binding is a terminated controller's, which vouches for nothing any more:
      // it ends now, as a swap would, and the number is free.
      const std::string ended = taken.rows[0].Text(0);
      const std::string_view event = SimEventTypeName(SimEventType::kControllerTerminated);
      IDS_RETURN_IF_ERROR(
          tx.Exec("UPDATE sim_bindings SET status = 'suspended', event_type = ?,"
                  " event_at = ?, reported_at = ?, updated_at = ?"
                  " WHERE id = ? AND status = 'active'",
                  {store::Text(std::string(event)), store::Int(b.created_at_ms),
                   store::Int(b.created_at_ms), store::Int(b.created_at_ms), store::Text(ended)})
              .status());
      IDS_RETURN_IF_ERROR(audit::Append(tx,
                                        {std::string(actor),
                                         "sim.suspend",
                                         ended,
                                         {{"event", event}, {"occurred_at", b.created_at_ms}}},
                                        b.created_at_ms)
                              .status());
    }
    Status inserted = tx.Exec("INSERT INTO sim_bindings (" + std::string(kColumns) +
                                  ") VALUES (?, ?, ?, ?, ?, ?, 'active', '', 0, 0, ?, ?)",
                              {store::Text(b.id), store::Text(b.controller_id),
                               store::Text(b.phone_number), store::Text(b.iccid),
                               store::Text(b.public_jwk.dump()), store::Text(b.jwk_thumbprint),
                               store::Int(b.created_at_ms), store::Int(b.updated_at_ms)})
                          .status();
    if (inserted.code() == Status::Code::kAlreadyExists)
      return Status::AlreadyExists("phone_number: already has an active binding");
    IDS_RETURN_IF_ERROR(inserted);
    return audit::Append(
               tx,
               {std::string(actor),
                "sim.bind",
                b.id,
                {{"controller_id", b.controller_id}, {"jwk_thumbprint", b.jwk_thumbprint}}},
               b.created_at_ms)
        .status();
  }));
  return b;
}

Result<SimBinding> SimBindings::Get(std::string_view controller_id, std::string_view id) {
  if (!internal::IsWellFormedId(id)) return Status::NotFound("no such binding");
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT " + std::string(kColumns) +
                           " FROM sim_bindings WHERE id = ? AND controller_id = ?",
                       {store::Text(std::string(id)), store::Text(std::string(controller_id))}));
  if (r.rows.empty()) return Status::NotFound("no binding " + std::string(id));
  return FromRow(r.rows[0]);
}

Result<std::vector<SimBinding>> SimBindings::ListByPhone(std::string_view controller_id,
                                                         std::string_view phone) {
  IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", phone));
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT " + std::string(kColumns) +
                           " FROM sim_bindings WHERE controller_id = ? AND phone_number = ?"
                           " ORDER BY created_at DESC, id LIMIT 100",
                       {store::Text(std::string(controller_id)), store::Text(std::string(phone))}));
  std::vector<SimBinding> out;
  for (const auto& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Result<SimBinding> SimBindings::Report(std::string_view controller_id, const SimEvent& event,
                                       std::string_view actor) {
  IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", event.phone_number));
  const int64_t now_ms = clock_.NowMillis();
  if (event.occurred_at && *event.occurred_at * 1000 > now_ms + 300 * 1000)
    return FieldError("occurred_at", "is in the future");
  SimBinding out;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(
        auto r,
        tx.Exec("SELECT " + std::string(kColumns) +
                    " FROM sim_bindings WHERE controller_id = ? AND phone_number = ?"
                    " AND status = 'active'",
                {store::Text(std::string(controller_id)), store::Text(event.phone_number)}));
    if (r.rows.empty())
      return Status::NotFound("no active binding of " + event.phone_number + " by this controller");
    SimBinding b = FromRow(r.rows[0]);
    // A late report of an event before this binding was made concerns the SIM before it: the
    // binding of the new SIM must not end for it. (Whole seconds: the event's own second counts
    // as after the binding.)
    if (event.occurred_at && *event.occurred_at * 1000 + 999 < b.created_at_ms)
      return FieldError("occurred_at",
                        "is before the active binding was made: it concerns an earlier SIM");
    b.status = BindingStatus::kSuspended;
    b.event = event.type;
    b.event_at_ms = event.occurred_at ? *event.occurred_at * 1000 : now_ms;
    b.reported_at_ms = b.updated_at_ms = now_ms;
    IDS_ASSIGN_OR_RETURN(
        auto u,
        tx.Exec("UPDATE sim_bindings SET status = 'suspended', event_type = ?,"
                " event_at = ?, reported_at = ?, updated_at = ?"
                " WHERE id = ? AND status = 'active'",
                {store::Text(std::string(SimEventTypeName(event.type))), store::Int(b.event_at_ms),
                 store::Int(now_ms), store::Int(now_ms), store::Text(b.id)}));
    if (u.affected != 1) return store::TransientError("binding changed concurrently");
    IDS_RETURN_IF_ERROR(
        audit::Append(tx,
                      {std::string(actor),
                       "sim.suspend",
                       b.id,
                       {{"event", SimEventTypeName(event.type)}, {"occurred_at", b.event_at_ms}}},
                      now_ms)
            .status());
    out = std::move(b);
    return Status::Ok();
  }));
  return out;
}

Result<SimBinding> SimBindings::ActiveBinding(std::string_view phone) {
  if (!internal::IsE164(phone)) return Status::NotFound("no active binding");
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("SELECT " + std::string(kColumns) +
                                            " FROM sim_bindings WHERE phone_number = ?"
                                            " AND status = 'active'" +
                                            std::string(kByActiveController),
                                        {store::Text(std::string(phone))}));
  if (r.rows.empty()) return Status::NotFound("no active binding of " + std::string(phone));
  return FromRow(r.rows[0]);
}

Result<std::optional<int64_t>> SimBindings::LastEventAt(std::string_view phone) {
  if (!internal::IsE164(phone)) return std::optional<int64_t>();
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("SELECT MAX(event_at) FROM sim_bindings"
                                        " WHERE phone_number = ? AND status = 'suspended'",
                                        {store::Text(std::string(phone))}));
  if (r.rows.empty() || r.rows[0].IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(r.rows[0].Int(0));
}

Result<SimBinding> ActiveBindingOfIdentity(store::Executor& db, std::string_view identity_id) {
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec("SELECT " + std::string(kColumns) +
                                           " FROM sim_bindings WHERE status = 'active'"
                                           " AND phone_number = (SELECT phone_number"
                                           " FROM identity_records WHERE id = ?"
                                           " AND status = 'active')" +
                                           std::string(kByActiveController),
                                       {store::Text(std::string(identity_id))}));
  if (r.rows.empty()) return Status::NotFound("no active SIM binding for the identity");
  return FromRow(r.rows[0]);
}

}  // namespace idscheme::identity
