#include "identity/identities.h"

#include <algorithm>
#include <array>
#include <utility>

#include "audit/audit_log.h"
#include "common/hex.h"
#include "crypto/hash.h"
#include "crypto/json.h"
#include "identity/internal/fields.h"
#include "registry/member.h"

namespace idscheme::identity {

using internal::FieldError;
using json = nlohmann::json;

namespace {

constexpr std::string_view kColumns =
    "id, registrar_id, status, attributes, evidence, verified_at, version, created_at,"
    " updated_at, revoked_at, revocation_reason";

// 32 symbols without the look-alikes 0/O and 1/I: a code is read off a letter or a screen and
// typed into the app. 20 symbols carry 100 bits.
constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
constexpr size_t kCodeLength = 20;

Status InvalidCode() {
  return Status::OAuth("invalid_grant", "the activation code is unknown, used or expired");
}

std::string NewId(Random& random, std::string_view prefix) {
  std::array<uint8_t, 16> bytes{};
  random.Fill(bytes);
  return std::string(prefix) + HexEncode(bytes);
}

json VerifiedAtJson(const std::map<std::string, int64_t>& verified_at) {
  json j = json::object();
  for (const auto& [name, t] : verified_at) j[name] = t;
  return j;
}

std::map<std::string, int64_t> VerifiedAtFrom(const std::string& text) {
  std::map<std::string, int64_t> out;
  auto j = crypto::ParseJsonStrict(text);
  if (!j.ok() || !j->is_object()) return out;
  for (const auto& [name, t] : j->items()) {
    if (t.is_number_integer()) out[name] = t.get<int64_t>();
  }
  return out;
}

// Values the store wrote itself: a parse failure means a corrupted row.
Result<Attributes> AttributesFrom(const std::string& text) {
  IDS_ASSIGN_OR_RETURN(json j, crypto::ParseJsonStrict(text));
  auto a = ParseAttributes(j);
  if (!a.ok())
    return Status::Internal("stored identity attributes unreadable: " + a.status().message());
  return a;
}

Result<Evidence> EvidenceFrom(const std::string& text) {
  IDS_ASSIGN_OR_RETURN(json j, crypto::ParseJsonStrict(text));
  auto e = ParseEvidence(j);
  if (!e.ok())
    return Status::Internal("stored identity evidence unreadable: " + e.status().message());
  return e;
}

Result<Identity> FromRow(const store::Row& r) {
  Identity i;
  i.id = r.Text(0);
  i.registrar_id = r.Text(1);
  i.status = ParseIdentityStatus(r.Text(2)).value_or(IdentityStatus::kRevoked);
  IDS_ASSIGN_OR_RETURN(i.attributes, AttributesFrom(r.Text(3)));
  IDS_ASSIGN_OR_RETURN(i.evidence, EvidenceFrom(r.Text(4)));
  i.verified_at = VerifiedAtFrom(r.Text(5));
  i.version = r.Int(6);
  i.created_at_ms = r.Int(7);
  i.updated_at_ms = r.Int(8);
  i.revoked_at_ms = r.Int(9);
  i.revocation_reason = r.Text(10);
  return i;
}

Result<Identity> ReadIdentity(store::Executor& db, std::string_view id) {
  if (!internal::IsWellFormedId(id)) return Status::NotFound("no such identity");
  IDS_ASSIGN_OR_RETURN(
      auto r, db.Exec("SELECT " + std::string(kColumns) + " FROM identity_records WHERE id = ?",
                      {store::Text(std::string(id))}));
  if (r.rows.empty()) return Status::NotFound("no identity " + std::string(id));
  return FromRow(r.rows[0]);
}

// `identity` as `actor` may see it: another registrar's reads as unknown.
Result<Identity> Owned(const Actor& actor, Identity identity) {
  // Not 403: whether another registrar's id exists is not this registrar's business.
  if (!actor.is_operator() && identity.registrar_id != actor.registrar_id)
    return Status::NotFound("no identity " + identity.id);
  return identity;
}

Result<Identity> GetOwned(store::Executor& db, const Actor& actor, std::string_view id) {
  IDS_ASSIGN_OR_RETURN(Identity i, ReadIdentity(db, id));
  return Owned(actor, std::move(i));
}

// AlreadyExists when another active identity holds `phone`.
Status CheckPhoneFree(store::Executor& db, const std::string& phone, const std::string& self_id) {
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec("SELECT id FROM identity_records WHERE phone_number = ?"
                                       " AND status = 'active' AND id <> ?",
                                       {store::Text(phone), store::Text(self_id)}));
  if (!r.rows.empty())
    return Status::AlreadyExists("phone_number: already belongs to an active identity");
  return Status::Ok();
}

// The unique index is the authority when two nodes race past CheckPhoneFree.
Status PhoneTaken(const Status& s) {
  if (s.code() == Status::Code::kAlreadyExists)
    return Status::AlreadyExists("phone_number: already belongs to an active identity");
  return s;
}

Status AddVersion(store::Transaction& tx, const Identity& i, std::string_view change,
                  std::string_view actor) {
  return tx
      .Exec(
          "INSERT INTO identity_history (identity_id, version, change, attributes, evidence,"
          " verified_at, changed_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {store::Text(i.id), store::Int(i.version), store::Text(std::string(change)),
           store::Text(i.attributes.ToJson().dump()), store::Text(i.evidence.ToJson().dump()),
           store::Text(VerifiedAtJson(i.verified_at).dump()), store::Int(i.updated_at_ms),
           store::Text(std::string(actor))})
      .status();
}

json TimesJson(const std::map<std::string, int64_t>& verified_at) {
  json j = json::object();
  for (const auto& [name, t] : verified_at) j[name] = internal::FormatDateTime(t);
  return j;
}

Status CheckRegistrar(store::Executor& db, std::string_view registrar_id) {
  auto m = registry::GetMember(db, registrar_id);
  if (!m.ok() && m.status().code() == Status::Code::kNotFound)
    return FieldError("registrar_id", "no member " + std::string(registrar_id));
  IDS_RETURN_IF_ERROR(m.status());
  if (m->role != registry::Role::kIdentityRegistrar)
    return FieldError("registrar_id", m->id + " is not an identity registrar");
  if (m->status != registry::MemberStatus::kActive)
    return FieldError("registrar_id", m->id + " is not active");
  return Status::Ok();
}

}  // namespace

std::string_view IdentityStatusName(IdentityStatus status) {
  return status == IdentityStatus::kActive ? "active" : "revoked";
}

std::optional<IdentityStatus> ParseIdentityStatus(std::string_view name) {
  if (name == "active") return IdentityStatus::kActive;
  if (name == "revoked") return IdentityStatus::kRevoked;
  return std::nullopt;
}

json Identity::ToJson() const {
  json j = {{"id", id},
            {"registrar_id", registrar_id},
            {"status", IdentityStatusName(status)},
            {"version", version},
            {"created_at", created_at_ms},
            {"updated_at", updated_at_ms},
            {"attributes", attributes.ToJson()},
            {"evidence", evidence.ToJson()},
            {"verified_at", TimesJson(verified_at)}};
  if (status == IdentityStatus::kRevoked) {
    j["revoked_at"] = revoked_at_ms;
    if (!revocation_reason.empty()) j["revocation_reason"] = revocation_reason;
  }
  return j;
}

json IdentityVersion::ToJson() const {
  return {{"version", version},
          {"change", change},
          {"attributes", attributes.ToJson()},
          {"evidence", evidence.ToJson()},
          {"verified_at", TimesJson(verified_at)},
          {"changed_at", changed_at_ms},
          {"actor", actor}};
}

json ActivationCode::ToJson() const {
  return {{"activation_code", code}, {"identity_id", identity_id}, {"expires_at", expires_at_ms}};
}

std::optional<std::string> NormalizeActivationCode(std::string_view code) {
  if (code.size() > 64) return std::nullopt;
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (kCodeAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != kCodeLength) return std::nullopt;
  return out;
}

Result<Identity> Identities::Create(const Actor& actor, std::string_view registrar_id,
                                    const NewIdentity& request) {
  if (!actor.is_operator() && registrar_id != actor.registrar_id)
    return Status::PermissionDenied("a registrar creates identities of its own only");
  const int64_t now_ms = clock_.NowMillis();
  IDS_RETURN_IF_ERROR(ValidateNewIdentity(request, now_ms / 1000));

  Identity i;
  i.id = NewId(random_, "idn_");
  i.registrar_id = std::string(registrar_id);
  i.attributes = request.attributes;
  i.evidence = request.evidence;
  for (const auto& name : i.attributes.Names()) i.verified_at[name] = i.evidence.time;
  i.created_at_ms = i.updated_at_ms = now_ms;

  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_RETURN_IF_ERROR(CheckRegistrar(tx, registrar_id));
    IDS_RETURN_IF_ERROR(CheckPhoneFree(tx, *i.attributes.phone_number, i.id));
    IDS_RETURN_IF_ERROR(PhoneTaken(
        tx.Exec("INSERT INTO identity_records (" + std::string(kColumns) +
                    ", phone_number, last_code_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {store::Text(i.id), store::Text(i.registrar_id), store::Text("active"),
                 store::Text(i.attributes.ToJson().dump()), store::Text(i.evidence.ToJson().dump()),
                 store::Text(VerifiedAtJson(i.verified_at).dump()), store::Int(i.version),
                 store::Int(i.created_at_ms), store::Int(i.updated_at_ms), store::Int(0),
                 store::Text(""), store::Text(*i.attributes.phone_number), store::Int(0)})
            .status()));
    IDS_RETURN_IF_ERROR(AddVersion(tx, i, "create", actor.name));
    json details = {
        {"registrar_id", i.registrar_id},
        {"attributes", i.attributes.Names()},
        {"evidence", {{"method", i.evidence.method}, {"document_type", i.evidence.document_type}}}};
    return audit::Append(tx, {actor.name, "identity.create", i.id, details}, now_ms).status();
  }));
  return i;
}

Result<Identity> Identities::Get(const Actor& actor, std::string_view id) {
  IDS_ASSIGN_OR_RETURN(Identity i, Load(id));
  return Owned(actor, std::move(i));
}

Result<Identity> Identities::Load(std::string_view id) {
  return kept_->Get(db_, clock_.NowMillis(), id, [&] { return ReadIdentity(db_, id); });
}

Result<std::vector<Identity>> Identities::List(const Actor& actor, const IdentityFilter& filter) {
  IDS_ASSIGN_OR_RETURN(Page<Identity> page, ListPage(actor, filter));
  return std::move(page.items);
}

Result<Page<Identity>> Identities::ListPage(const Actor& actor, const IdentityFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) return FieldError("limit", "must be 1..1000");
  if (!filter.after.empty() && !internal::IsWellFormedId(filter.after))
    return FieldError("after", "not an identity id");
  std::string sql = "SELECT " + std::string(kColumns) + " FROM identity_records WHERE id > ?";
  std::vector<store::Value> params = {store::Text(filter.after)};
  if (!actor.is_operator()) {
    sql += " AND registrar_id = ?";
    params.push_back(store::Text(actor.registrar_id));
  }
  if (filter.status) {
    sql += " AND status = ?";
    params.push_back(store::Text(std::string(IdentityStatusName(*filter.status))));
  }
  if (!filter.phone_number.empty()) {
    IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", filter.phone_number));
    sql += " AND phone_number = ?";
    params.push_back(store::Text(filter.phone_number));
  }
  // One row more than the page: whether another page follows.
  sql += " ORDER BY id LIMIT " + std::to_string(filter.limit + 1);
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec(sql, params));
  std::vector<Identity> out;
  for (const auto& row : r.rows) {
    IDS_ASSIGN_OR_RETURN(Identity i, FromRow(row));
    out.push_back(std::move(i));
  }
  return ToPage(std::move(out), filter.limit, [](const Identity& i) { return i.id; });
}

Result<Identity> Identities::Update(const Actor& actor, std::string_view id,
                                    const IdentityUpdate& update) {
  const int64_t now_ms = clock_.NowMillis();
  IDS_RETURN_IF_ERROR(ValidateIdentityUpdate(update, now_ms / 1000));
  Identity out;
  const store::EpochWrite write(db_);  // Load's readers on every process read it again
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Identity i, GetOwned(tx, actor, id));
    if (i.status != IdentityStatus::kActive)
      return Status::FailedPrecondition("identity " + i.id + " is revoked; it cannot change");
    // The record keeps one evidence, the latest check: an older one would take its place and
    // leave the attributes the newer check dated without evidence for verified_claims.
    if (update.evidence && update.evidence->time < i.evidence.time) {
      return Status::InvalidArgument(
          "evidence: time " + internal::FormatDateTime(update.evidence->time) +
          " is before the record's evidence (" + internal::FormatDateTime(i.evidence.time) +
          "); the record keeps the latest check");
    }
    json merged = i.attributes.ToJson();
    const json given = update.set.ToJson();
    for (const auto& [name, value] : given.items()) merged[name] = value;
    for (const auto& name : update.removed) {
      merged.erase(name);
      i.verified_at.erase(name);
    }
    IDS_ASSIGN_OR_RETURN(i.attributes, ParseAttributes(merged));
    if (update.evidence) i.evidence = *update.evidence;
    const int64_t verified = update.evidence ? update.evidence->time : now_ms / 1000;
    std::vector<std::string> names = update.set.Names();
    // Evidence without new values is a new check of the whole record (of what is left of it,
    // after removals): every attribute is dated by it.
    if (names.empty() && update.evidence) names = i.attributes.Names();
    for (const auto& name : names) i.verified_at[name] = verified;
    if (update.set.phone_number)
      IDS_RETURN_IF_ERROR(CheckPhoneFree(tx, *update.set.phone_number, i.id));
    i.version += 1;
    i.updated_at_ms = now_ms;
    IDS_ASSIGN_OR_RETURN(
        auto r,
        tx.Exec("UPDATE identity_records SET attributes = ?, evidence = ?,"
                " verified_at = ?, phone_number = ?, version = ?, updated_at = ?"
                " WHERE id = ? AND version = ?",
                {store::Text(i.attributes.ToJson().dump()), store::Text(i.evidence.ToJson().dump()),
                 store::Text(VerifiedAtJson(i.verified_at).dump()),
                 store::Text(*i.attributes.phone_number), store::Int(i.version),
                 store::Int(i.updated_at_ms), store::Text(i.id), store::Int(i.version - 1)}));
    if (r.affected != 1) return store::TransientError("identity changed concurrently");
    IDS_RETURN_IF_ERROR(AddVersion(tx, i, "update", actor.name));
    json details = {{"attributes", names},
                    {"removed", update.removed},
                    {"evidence", update.evidence.has_value()},
                    {"version", i.version}};
    IDS_RETURN_IF_ERROR(
        audit::Append(tx, {actor.name, "identity.update", i.id, details}, now_ms).status());
    out = std::move(i);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<IdentityVersion>> Identities::History(const Actor& actor, std::string_view id) {
  IDS_RETURN_IF_ERROR(GetOwned(db_, actor, id).status());
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT version, change, attributes, evidence, verified_at, changed_at,"
                       " actor FROM identity_history WHERE identity_id = ? ORDER BY version",
                       {store::Text(std::string(id))}));
  std::vector<IdentityVersion> out;
  for (const auto& row : r.rows) {
    IdentityVersion v;
    v.version = row.Int(0);
    v.change = row.Text(1);
    IDS_ASSIGN_OR_RETURN(v.attributes, AttributesFrom(row.Text(2)));
    IDS_ASSIGN_OR_RETURN(v.evidence, EvidenceFrom(row.Text(3)));
    v.verified_at = VerifiedAtFrom(row.Text(4));
    v.changed_at_ms = row.Int(5);
    v.actor = row.Text(6);
    out.push_back(std::move(v));
  }
  return out;
}

Result<Identity> Identities::Revoke(const Actor& actor, std::string_view id,
                                    std::string_view reason) {
  if (!reason.empty()) IDS_RETURN_IF_ERROR(internal::CheckText("reason", reason, 500));
  const int64_t now_ms = clock_.NowMillis();
  Identity out;
  const store::EpochWrite write(db_);  // Load's readers on every process read it again
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Identity i, GetOwned(tx, actor, id));
    if (i.status != IdentityStatus::kActive)
      return Status::FailedPrecondition("identity " + i.id + " is already revoked");
    i.status = IdentityStatus::kRevoked;
    i.revoked_at_ms = i.updated_at_ms = now_ms;
    i.revocation_reason = std::string(reason);
    i.version += 1;
    IDS_ASSIGN_OR_RETURN(auto r,
                         tx.Exec("UPDATE identity_records SET status = 'revoked', revoked_at = ?,"
                                 " revocation_reason = ?, version = ?, updated_at = ?"
                                 " WHERE id = ? AND status = 'active'",
                                 {store::Int(now_ms), store::Text(i.revocation_reason),
                                  store::Int(i.version), store::Int(now_ms), store::Text(i.id)}));
    if (r.affected != 1) return store::TransientError("identity changed concurrently");
    // Its unused activation codes die with it.
    IDS_RETURN_IF_ERROR(tx.Exec("UPDATE identity_activation_codes SET state = 'revoked'"
                                " WHERE identity_id = ? AND state = 'issued'",
                                {store::Text(i.id)})
                            .status());
    IDS_RETURN_IF_ERROR(AddVersion(tx, i, "revoke", actor.name));
    for (const auto& hook : revoke_hooks_) IDS_RETURN_IF_ERROR(hook(tx, i.id, now_ms));
    json details = json::object();
    if (!reason.empty()) details["reason"] = std::string(reason);
    IDS_RETURN_IF_ERROR(
        audit::Append(tx, {actor.name, "identity.revoke", i.id, details}, now_ms).status());
    out = std::move(i);
    return Status::Ok();
  }));
  return out;
}

Result<IdentityStatus> Identities::StatusOf(std::string_view id) {
  if (db_.change_epoch() != nullptr) {
    IDS_ASSIGN_OR_RETURN(Identity i, Load(id));
    return i.status;
  }
  // Nothing kept (PostgreSQL): the status alone, without parsing the attributes.
  if (!internal::IsWellFormedId(id)) return Status::NotFound("no such identity");
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("SELECT status FROM identity_records WHERE id = ?",
                                        {store::Text(std::string(id))}));
  if (r.rows.empty()) return Status::NotFound("no identity " + std::string(id));
  return ParseIdentityStatus(r.rows[0].Text(0)).value_or(IdentityStatus::kRevoked);
}

Result<int64_t> Identities::SecondsUntilNextActivationCode(std::string_view id) {
  const int64_t now_ms = clock_.NowMillis();
  // The limit-th most recent code: the next one is allowed once it is an hour old.
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT created_at FROM identity_activation_codes WHERE identity_id = ?"
                       " ORDER BY created_at DESC LIMIT 1 OFFSET ?",
                       {store::Text(std::string(id)),
                        store::Int(std::max(0, options_.activation_codes_per_hour - 1))}));
  if (r.rows.empty()) return int64_t{1};
  const int64_t wait_ms = r.rows[0].Int(0) + 3600 * 1000 - now_ms;
  return std::max<int64_t>(1, (wait_ms + 999) / 1000);
}

Result<ActivationCode> Identities::IssueActivationCode(const Actor& actor, std::string_view id) {
  const int64_t now_ms = clock_.NowMillis();
  ActivationCode out;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Identity i, GetOwned(tx, actor, id));
    if (i.status != IdentityStatus::kActive)
      return Status::FailedPrecondition("identity " + i.id + " is revoked");
    // The row lock: concurrent issuers for one identity queue here, on every node, so the
    // count below sees the codes the others committed.
    IDS_ASSIGN_OR_RETURN(auto locked, tx.Exec("UPDATE identity_records SET last_code_at = ?"
                                              " WHERE id = ? AND status = 'active'",
                                              {store::Int(now_ms), store::Text(i.id)}));
    if (locked.affected != 1) return Status::FailedPrecondition("identity " + i.id + " is revoked");
    IDS_ASSIGN_OR_RETURN(auto recent,
                         tx.Exec("SELECT COUNT(*) FROM identity_activation_codes"
                                 " WHERE identity_id = ? AND created_at > ?",
                                 {store::Text(i.id), store::Int(now_ms - 3600 * 1000)}));
    if (recent.rows.at(0).Int(0) >= options_.activation_codes_per_hour)
      return Status::ResourceExhausted(
          "at most " + std::to_string(options_.activation_codes_per_hour) +
          " activation codes per identity in an hour; try again later");
    IDS_RETURN_IF_ERROR(tx.Exec("UPDATE identity_activation_codes SET state = 'superseded'"
                                " WHERE identity_id = ? AND state = 'issued'",
                                {store::Text(i.id)})
                            .status());
    std::array<uint8_t, kCodeLength> bytes{};
    random_.Fill(bytes);
    std::string code;
    for (size_t k = 0; k < bytes.size(); ++k) {
      if (k > 0 && k % 4 == 0) code.push_back('-');
      code.push_back(kCodeAlphabet[bytes[k] % kCodeAlphabet.size()]);  // 256 = 8 * 32: uniform
    }
    out.code = code;
    out.identity_id = i.id;
    out.expires_at_ms = now_ms + options_.activation_code_ttl_seconds * 1000;
    std::string hash = HexEncode(crypto::Sha256(*NormalizeActivationCode(code)));
    IDS_RETURN_IF_ERROR(tx.Exec("INSERT INTO identity_activation_codes (code_hash, identity_id,"
                                " state, created_at, expires_at, used_at)"
                                " VALUES (?, ?, 'issued', ?, ?, 0)",
                                {store::Text(hash), store::Text(i.id), store::Int(now_ms),
                                 store::Int(out.expires_at_ms)})
                            .status());
    return audit::Append(tx,
                         {actor.name,
                          "identity.activation_code.issue",
                          i.id,
                          {{"expires_at", out.expires_at_ms}}},
                         now_ms)
        .status();
  }));
  return out;
}

Result<std::string> Identities::RedeemActivationCode(std::string_view code,
                                                     std::string_view actor) {
  std::string identity_id;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(identity_id, RedeemActivationCode(tx, code, actor));
    return Status::Ok();
  }));
  return identity_id;
}

Result<std::string> Identities::RedeemActivationCode(store::Transaction& tx, std::string_view code,
                                                     std::string_view actor) {
  auto normalized = NormalizeActivationCode(code);
  if (!normalized) return InvalidCode();
  const std::string hash = HexEncode(crypto::Sha256(*normalized));
  const int64_t now_ms = clock_.NowMillis();
  IDS_ASSIGN_OR_RETURN(auto found,
                       tx.Exec("SELECT code_hash, identity_id FROM identity_activation_codes"
                               " WHERE code_hash = ?",
                               {store::Text(hash)}));
  if (found.rows.empty() || !crypto::ConstantTimeEquals(found.rows[0].Text(0), hash))
    return InvalidCode();
  std::string identity_id = found.rows[0].Text(1);
  // Single use, decided by the store: only one redeemer moves the code out of 'issued'.
  IDS_ASSIGN_OR_RETURN(auto used,
                       tx.Exec("UPDATE identity_activation_codes SET state = 'used', used_at = ?"
                               " WHERE code_hash = ? AND state = 'issued' AND expires_at > ?",
                               {store::Int(now_ms), store::Text(hash), store::Int(now_ms)}));
  if (used.affected != 1) return InvalidCode();
  IDS_ASSIGN_OR_RETURN(auto status, tx.Exec("SELECT status FROM identity_records WHERE id = ?",
                                            {store::Text(identity_id)}));
  if (status.rows.empty() || status.rows[0].Text(0) != "active") return InvalidCode();
  IDS_RETURN_IF_ERROR(
      audit::Append(tx, {std::string(actor), "identity.activation_code.redeem", identity_id, {}},
                    now_ms)
          .status());
  return identity_id;
}

std::vector<store::Migration> Migrations() {
  // One text for both engines: partial unique indexes and these types are common to both.
  return {
      {500, "identity records, their history, activation codes and SIM bindings",
       "CREATE TABLE identity_records ("
       " id TEXT PRIMARY KEY,"
       " registrar_id TEXT NOT NULL REFERENCES registry_members (id),"
       " status TEXT NOT NULL, phone_number TEXT NOT NULL, attributes TEXT NOT NULL,"
       " evidence TEXT NOT NULL, verified_at TEXT NOT NULL, version BIGINT NOT NULL,"
       " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL,"
       " revocation_reason TEXT NOT NULL, last_code_at BIGINT NOT NULL);"
       "CREATE UNIQUE INDEX identity_records_active_phone ON identity_records (phone_number)"
       " WHERE status = 'active';"
       "CREATE INDEX identity_records_registrar ON identity_records (registrar_id, id);"
       "CREATE TABLE identity_history ("
       " identity_id TEXT NOT NULL REFERENCES identity_records (id), version BIGINT NOT NULL,"
       " change TEXT NOT NULL, attributes TEXT NOT NULL, evidence TEXT NOT NULL,"
       " verified_at TEXT NOT NULL, changed_at BIGINT NOT NULL, actor TEXT NOT NULL,"
       " PRIMARY KEY (identity_id, version));"
       "CREATE TABLE identity_activation_codes ("
       " code_hash TEXT PRIMARY KEY,"
       " identity_id TEXT NOT NULL REFERENCES identity_records (id),"
       " state TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
       " used_at BIGINT NOT NULL);"
       "CREATE INDEX identity_activation_codes_identity"
       " ON identity_activation_codes (identity_id, created_at);"
       "CREATE TABLE sim_bindings ("
       " id TEXT PRIMARY KEY,"
       " controller_id TEXT NOT NULL REFERENCES registry_members (id),"
       " phone_number TEXT NOT NULL, iccid TEXT NOT NULL, public_jwk TEXT NOT NULL,"
       " jwk_thumbprint TEXT NOT NULL, status TEXT NOT NULL, event_type TEXT NOT NULL,"
       " event_at BIGINT NOT NULL, reported_at BIGINT NOT NULL, created_at BIGINT NOT NULL,"
       " updated_at BIGINT NOT NULL);"
       "CREATE UNIQUE INDEX sim_bindings_active_phone ON sim_bindings (phone_number)"
       " WHERE status = 'active';"
       "CREATE INDEX sim_bindings_controller ON sim_bindings (controller_id, phone_number);"
       "CREATE INDEX sim_bindings_phone_event ON sim_bindings (phone_number, event_at);"},
  };
}

Result<int64_t> Identities::PurgeActivationCodes() {
  const int64_t cutoff_ms = clock_.NowMillis() - 24 * 3600 * 1000;
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("DELETE FROM identity_activation_codes"
                                        " WHERE expires_at < ? AND created_at < ?",
                                        {store::Int(cutoff_ms), store::Int(cutoff_ms)}));
  return r.affected;
}

}  // namespace idscheme::identity
