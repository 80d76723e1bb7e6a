#include "registry/member.h"

#include <array>
#include <cctype>
#include <utility>

#include "audit/audit_log.h"
#include "common/hex.h"
#include "registry/internal/fields.h"
#include "registry/internal/request_reads.h"

namespace idscheme::registry {

using internal::FieldError;
using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles = {{
    {Role::kSchemeManager, "scheme_manager"},
    {Role::kIdentityRegistrar, "identity_registrar"},
    {Role::kSimController, "sim_controller"},
    {Role::kServiceProvider, "service_provider"},
    {Role::kValueAddedReseller, "value_added_reseller"},
}};

constexpr std::array<std::pair<MemberStatus, std::string_view>, 3> kStatuses = {{
    {MemberStatus::kActive, "active"},
    {MemberStatus::kSuspended, "suspended"},
    {MemberStatus::kTerminated, "terminated"},
}};

constexpr std::string_view kColumns =
    "id, role, display_name, legal_id, contact_email, contact_phone, status, reseller_id,"
    " revocation_epoch, status_changed_at, created_at, updated_at";

Member FromRow(const store::Row& r) {
  Member m;
  m.id = r.Text(0);
  m.role = ParseRole(r.Text(1)).value_or(Role::kServiceProvider);
  m.display_name = r.Text(2);
  m.legal_id = r.Text(3);
  m.contacts = {r.Text(4), r.Text(5)};
  m.status = ParseMemberStatus(r.Text(6)).value_or(MemberStatus::kSuspended);
  m.reseller_id = r.Text(7);
  m.revocation_epoch = r.Int(8);
  m.status_changed_at_ms = r.Int(9);
  m.created_at_ms = r.Int(10);
  m.updated_at_ms = r.Int(11);
  return m;
}

// ISO 17442: 18 characters, then two check digits; letters count as 10..35 and the whole
// number is 1 modulo 97 (ISO 7064 MOD 97-10).
bool IsValidLei(std::string_view lei) {
  if (lei.size() != 20) return false;
  int rem = 0;
  for (size_t i = 0; i < lei.size(); ++i) {
    char c = lei[i];
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z' && i < 18) {
      int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool IsEmailLocalChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}

Status CheckEmail(std::string_view email) {
  constexpr std::string_view kField = "contacts.email";
  if (email.size() > 254) return FieldError(kField, "longer than 254 characters");
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return FieldError(kField, "must be one address, local@domain");
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.size() > 64) return FieldError(kField, "local part longer than 64 characters");
  for (char c : local) {
    if (!IsEmailLocalChar(c)) return FieldError(kField, "unexpected character in the local part");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return FieldError(kField, "misplaced '.' in the local part");
  if (domain.find('.') == std::string_view::npos) return FieldError(kField, "domain has no '.'");
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? domain.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return FieldError(kField, "malformed domain");
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
        return FieldError(kField, "malformed domain");
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return Status::Ok();
}

Status CheckPhone(std::string_view phone) {
  // ITU-T E.164: '+', a country code not starting with 0, at most 15 digits in all.
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0')
    return FieldError("contacts.phone", "must be an E.164 number, e.g. +3225551234");
  for (size_t i = 1; i < phone.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(phone[i])))
      return FieldError("contacts.phone", "must be an E.164 number, e.g. +3225551234");
  }
  return Status::Ok();
}

Result<Contacts> ParseContacts(const json& body) {
  auto it = body.find("contacts");
  if (it == body.end()) return FieldError("contacts", "required");
  IDS_RETURN_IF_ERROR(internal::CheckFields(*it, "contacts", {"email", "phone"}, {}, "contacts."));
  Contacts c;
  for (auto [name, out] : {std::pair{"email", &c.email}, std::pair{"phone", &c.phone}}) {
    auto v = it->find(name);
    if (v == it->end()) continue;
    if (!v->is_string()) return FieldError(std::string("contacts.") + name, "must be a string");
    *out = v->get<std::string>();
    // An empty contact reads as none: leaving it out says that without ambiguity.
    if (out->empty())
      return FieldError(std::string("contacts.") + name,
                        "must not be empty (leave it out instead)");
  }
  return c;
}

Status ExpectRequiredString(const json& body, std::string_view field, std::string* out) {
  IDS_ASSIGN_OR_RETURN(auto v, internal::OptString(body, field));
  if (!v) return FieldError(field, "required");
  *out = std::move(*v);
  return Status::Ok();
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoles) {
    if (r == role) return name;
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [r, n] : kRoles) {
    if (n == name) return r;
  }
  return std::nullopt;
}

std::string_view MemberStatusName(MemberStatus status) {
  for (const auto& [s, name] : kStatuses) {
    if (s == status) return name;
  }
  return "unknown";
}

std::optional<MemberStatus> ParseMemberStatus(std::string_view name) {
  for (const auto& [s, n] : kStatuses) {
    if (n == name) return s;
  }
  return std::nullopt;
}

json Member::ToJson() const {
  json j = {{"id", id},
            {"role", RoleName(role)},
            {"display_name", display_name},
            {"legal_id", legal_id},
            {"contacts", json::object()},
            {"status", MemberStatusName(status)},
            {"revocation_epoch", revocation_epoch},
            {"status_changed_at", status_changed_at_ms},
            {"created_at", created_at_ms},
            {"updated_at", updated_at_ms}};
  if (!contacts.email.empty()) j["contacts"]["email"] = contacts.email;
  if (!contacts.phone.empty()) j["contacts"]["phone"] = contacts.phone;
  if (!reseller_id.empty()) j["reseller_id"] = reseller_id;
  return j;
}

Result<NewMember> ParseNewMember(const json& body) {
  IDS_RETURN_IF_ERROR(internal::CheckFields(
      body, "the member", {"role", "display_name", "legal_id", "contacts", "reseller_id"},
      {"id", "status", "revocation_epoch", "status_changed_at", "created_at", "updated_at"}));
  NewMember m;
  std::string role;
  IDS_RETURN_IF_ERROR(ExpectRequiredString(body, "role", &role));
  auto parsed = ParseRole(role);
  if (!parsed)
    return FieldError("role",
                      "unknown role (scheme_manager, identity_registrar, sim_controller, "
                      "service_provider, value_added_reseller)");
  m.role = *parsed;
  IDS_RETURN_IF_ERROR(ExpectRequiredString(body, "display_name", &m.display_name));
  IDS_RETURN_IF_ERROR(ExpectRequiredString(body, "legal_id", &m.legal_id));
  IDS_ASSIGN_OR_RETURN(m.contacts, ParseContacts(body));
  IDS_ASSIGN_OR_RETURN(auto reseller, internal::OptString(body, "reseller_id"));
  // An empty reseller_id would admit the member without a reseller, whatever was meant.
  if (reseller && reseller->empty())
    return FieldError("reseller_id", "must not be empty (leave it out instead)");
  if (reseller) m.reseller_id = *reseller;
  return m;
}

Result<MemberUpdate> ParseMemberUpdate(const json& body) {
  // Given at creation, never changed: a member with another role, legal identity or reseller
  // is another member.
  if (body.is_object()) {
    for (const char* fixed : {"role", "legal_id", "reseller_id"}) {
      if (body.contains(fixed))
        return internal::FieldError(fixed, "cannot change after creation (register a new member)");
    }
  }
  IDS_RETURN_IF_ERROR(internal::CheckFields(
      body, "the update", {"display_name", "contacts"},
      {"id", "status", "revocation_epoch", "status_changed_at", "created_at", "updated_at"}));
  MemberUpdate u;
  IDS_ASSIGN_OR_RETURN(u.display_name, internal::OptString(body, "display_name"));
  if (body.contains("contacts")) {
    IDS_ASSIGN_OR_RETURN(auto c, ParseContacts(body));
    u.contacts = std::move(c);
  }
  if (!u.display_name && !u.contacts)
    return Status::InvalidArgument("nothing to update: give display_name and/or contacts");
  return u;
}

Status ValidateDisplayName(std::string_view name) {
  return internal::CheckText("display_name", name, 200);
}

Status ValidateLegalId(std::string_view legal_id) {
  if (legal_id.empty()) return FieldError("legal_id", "required");
  if (legal_id.size() > 64) return FieldError("legal_id", "longer than 64 characters");
  for (char c : legal_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view(":./-").find(c) == std::string_view::npos)
      return FieldError("legal_id", "only letters, digits and : . / - are allowed");
  }
  if (legal_id.rfind("LEI:", 0) == 0 && !IsValidLei(legal_id.substr(4)))
    return FieldError("legal_id", "not a valid LEI (ISO 17442: 20 characters, check digits)");
  return Status::Ok();
}

Status ValidateContacts(const Contacts& contacts) {
  if (contacts.email.empty() && contacts.phone.empty())
    return FieldError("contacts", "give an email or a phone number");
  if (!contacts.email.empty()) IDS_RETURN_IF_ERROR(CheckEmail(contacts.email));
  if (!contacts.phone.empty()) IDS_RETURN_IF_ERROR(CheckPhone(contacts.phone));
  return Status::Ok();
}

Status StatusHooks::Run(store::Transaction& tx, const StatusChange& change) const {
  for (const auto& hook : hooks) IDS_RETURN_IF_ERROR(hook(tx, change));
  return Status::Ok();
}

std::string NewId(Random& random, std::string_view prefix, size_t hex_bytes) {
  std::vector<uint8_t> bytes(hex_bytes);
  random.Fill(bytes);
  return std::string(prefix) + HexEncode(bytes);
}

Result<Member> GetMember(store::Executor& db, std::string_view id) {
  if (!internal::IsWellFormedId(id)) return Status::NotFound("no such member");
  IDS_ASSIGN_OR_RETURN(
      auto r, db.Exec("SELECT " + std::string(kColumns) + " FROM registry_members WHERE id = ?",
                      {store::Text(std::string(id))}));
  if (r.rows.empty()) return Status::NotFound("no member " + std::string(id));
  return FromRow(r.rows[0]);
}

Result<Member> Members::Create(const NewMember& request, std::string_view actor) {
  internal::RegistryWrite write(db_);  // this request reads its own change back
  IDS_RETURN_IF_ERROR(ValidateDisplayName(request.display_name));
  IDS_RETURN_IF_ERROR(ValidateLegalId(request.legal_id));
  IDS_RETURN_IF_ERROR(ValidateContacts(request.contacts));
  if (!request.reseller_id.empty() && request.role != Role::kServiceProvider)
    return FieldError("reseller_id", "only a service provider is brought in by a reseller");

  Member m;
  m.id = NewId(random_, "m_", 8);
  m.role = request.role;
  m.display_name = request.display_name;
  m.legal_id = request.legal_id;
  m.contacts = request.contacts;
  m.reseller_id = request.reseller_id;
  m.status = MemberStatus::kActive;
  m.created_at_ms = m.updated_at_ms = m.status_changed_at_ms = clock_.NowMillis();

  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    if (!m.reseller_id.empty()) {
      auto reseller = GetMember(tx, m.reseller_id);
      if (!reseller.ok() && reseller.status().code() == Status::Code::kNotFound)
        return FieldError("reseller_id", "no member " + m.reseller_id);
      IDS_RETURN_IF_ERROR(reseller.status());
      if (reseller->role != Role::kValueAddedReseller)
        return FieldError("reseller_id", m.reseller_id + " is not a value added reseller");
      if (reseller->status != MemberStatus::kActive)
        return FieldError("reseller_id", m.reseller_id + " is not active");
    }
    IDS_RETURN_IF_ERROR(tx.Exec("INSERT INTO registry_members (" + std::string(kColumns) +
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                {store::Text(m.id), store::Text(std::string(RoleName(m.role))),
                                 store::Text(m.display_name), store::Text(m.legal_id),
                                 store::Text(m.contacts.email), store::Text(m.contacts.phone),
                                 store::Text("active"),
                                 m.reseller_id.empty() ? store::Null() : store::Text(m.reseller_id),
                                 store::Int(0), store::Int(m.status_changed_at_ms),
                                 store::Int(m.created_at_ms), store::Int(m.updated_at_ms)})
                            .status());
    json details = {
        {"role", RoleName(m.role)}, {"display_name", m.display_name}, {"legal_id", m.legal_id}};
    if (!m.reseller_id.empty()) details["reseller_id"] = m.reseller_id;
    return audit::Append(tx, {std::string(actor), "member.create", m.id, details}, m.created_at_ms)
        .status();
  }));
  return m;
}

Result<Member> Members::Get(std::string_view id) {
  if (!internal::IsWellFormedId(id)) return Status::NotFound("no such member");
  return kept_->Get(db_, clock_.NowMillis(), id, [&] { return GetMember(db_, id); });
}

Result<std::vector<Member>> Members::List(const MemberFilter& filter) {
  IDS_ASSIGN_OR_RETURN(Page<Member> page, ListPage(filter));
  return std::move(page.items);
}

Result<Page<Member>> Members::ListPage(const MemberFilter& filter) {
  if (filter.limit < 1 || filter.limit > 1000) return FieldError("limit", "must be 1..1000");
  std::string sql = "SELECT " + std::string(kColumns) + " FROM registry_members WHERE id > ?";
  if (!internal::IsValidUtf8(filter.after) || !internal::IsValidUtf8(filter.reseller_id) ||
      filter.after.find('\0') != std::string::npos ||
      filter.reseller_id.find('\0') != std::string::npos)
    return FieldError("after", "not a member id");
  std::vector<store::Value> params = {store::Text(filter.after)};
  if (filter.role) {
    sql += " AND role = ?";
    params.push_back(store::Text(std::string(RoleName(*filter.role))));
  }
  if (filter.status) {
    sql += " AND status = ?";
    params.push_back(store::Text(std::string(MemberStatusName(*filter.status))));
  }
  if (!filter.reseller_id.empty()) {
    sql += " AND reseller_id = ?";
    params.push_back(store::Text(filter.reseller_id));
  }
  // One row more than the page: whether another page follows.
  sql += " ORDER BY id LIMIT " + std::to_string(filter.limit + 1);
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec(sql, params));
  std::vector<Member> out;
  for (const auto& row : r.rows) out.push_back(FromRow(row));
  return ToPage(std::move(out), filter.limit, [](const Member& m) { return m.id; });
}

Result<Member> Members::Update(std::string_view id, const MemberUpdate& update,
                               std::string_view actor) {
  internal::RegistryWrite write(db_);  // this request reads its own change back
  if (update.display_name) IDS_RETURN_IF_ERROR(ValidateDisplayName(*update.display_name));
  if (update.contacts) IDS_RETURN_IF_ERROR(ValidateContacts(*update.contacts));
  Member out;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Member m, GetMember(tx, id));
    if (m.status == MemberStatus::kTerminated)
      return Status::FailedPrecondition("member " + m.id + " is terminated; it cannot change");
    json changed = json::array();
    if (update.display_name && *update.display_name != m.display_name) {
      changed.push_back(
          {{"display_name", {{"from", m.display_name}, {"to", *update.display_name}}}});
      m.display_name = *update.display_name;
    }
    // Contacts may name people: the audit entry says that they changed, not what they are.
    if (update.contacts && *update.contacts != m.contacts) {
      changed.push_back("contacts");
      m.contacts = *update.contacts;
    }
    m.updated_at_ms = clock_.NowMillis();
    IDS_RETURN_IF_ERROR(
        tx.Exec("UPDATE registry_members SET display_name = ?, contact_email = ?,"
                " contact_phone = ?, updated_at = ? WHERE id = ?",
                {store::Text(m.display_name), store::Text(m.contacts.email),
                 store::Text(m.contacts.phone), store::Int(m.updated_at_ms), store::Text(m.id)})
            .status());
    IDS_RETURN_IF_ERROR(
        audit::Append(tx, {std::string(actor), "member.update", m.id, {{"changed", changed}}},
                      m.updated_at_ms)
            .status());
    out = std::move(m);
    return Status::Ok();
  }));
  return out;
}

Result<Member> Members::Suspend(std::string_view id, std::string_view actor,
                                std::string_view reason) {
  return Transition(id, MemberStatus::kSuspended, "member.suspend", actor, reason);
}
Result<Member> Members::Reinstate(std::string_view id, std::string_view actor,
                                  std::string_view reason) {
  return Transition(id, MemberStatus::kActive, "member.reinstate", actor, reason);
}
Result<Member> Members::Terminate(std::string_view id, std::string_view actor,
                                  std::string_view reason) {
  return Transition(id, MemberStatus::kTerminated, "member.terminate", actor, reason);
}

Result<Member> Members::Transition(std::string_view id, MemberStatus to, std::string_view action,
                                   std::string_view actor, std::string_view reason) {
  internal::RegistryWrite write(db_);  // this request reads its own change back
  if (!reason.empty()) IDS_RETURN_IF_ERROR(internal::CheckText("reason", reason, 500));
  Member out;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Member m, GetMember(tx, id));
    const MemberStatus from = m.status;
    if (from == MemberStatus::kTerminated)
      return Status::FailedPrecondition("member " + m.id + " is terminated; termination is final");
    if (from == to)
      return Status::FailedPrecondition("member " + m.id + " is already " +
                                        std::string(MemberStatusName(to)));
    if (to == MemberStatus::kActive && from != MemberStatus::kSuspended)
      return Status::FailedPrecondition("only a suspended member can be reinstated");
    m.status = to;
    m.revocation_epoch += 1;
    m.status_changed_at_ms = m.updated_at_ms = clock_.NowMillis();
    // Conditional on the epoch read above: a concurrent change makes this one retry.
    IDS_ASSIGN_OR_RETURN(
        auto r,
        tx.Exec(
            "UPDATE registry_members SET status = ?,"
            " revocation_epoch = ?, status_changed_at = ?, updated_at = ?,"
            // A switch-off (tokens issued before it stay dead); not a reinstatement.
            " deactivated_at = CASE WHEN ? = 1 THEN ? ELSE deactivated_at END"
            " WHERE id = ? AND revocation_epoch = ?",
            {store::Text(std::string(MemberStatusName(to))), store::Int(m.revocation_epoch),
             store::Int(m.status_changed_at_ms), store::Int(m.updated_at_ms),
             store::Int(to != MemberStatus::kActive ? 1 : 0), store::Int(m.status_changed_at_ms),
             store::Text(m.id), store::Int(m.revocation_epoch - 1)}));
    if (r.affected != 1) return store::TransientError("member changed concurrently");
    json details = {{"from", MemberStatusName(from)},
                    {"to", MemberStatusName(to)},
                    {"revocation_epoch", m.revocation_epoch}};
    if (!reason.empty()) details["reason"] = std::string(reason);
    IDS_RETURN_IF_ERROR(audit::Append(tx, {std::string(actor), std::string(action), m.id, details},
                                      m.status_changed_at_ms)
                            .status());
    IDS_RETURN_IF_ERROR(hooks_.Run(
        tx, {m.id, "", std::string(MemberStatusName(from)), std::string(MemberStatusName(to)),
             m.revocation_epoch, m.status_changed_at_ms, std::string(actor)}));
    out = std::move(m);
    return Status::Ok();
  }));
  return out;
}

Result<MemberStanding> Members::StandingOf(std::string_view id) {
  if (!internal::IsWellFormedId(id)) return Status::NotFound("no such member");
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT m.status, m.revocation_epoch, m.status_changed_at, m.reseller_id,"
                       " r.status, m.role FROM registry_members m"
                       " LEFT JOIN registry_members r ON r.id = m.reseller_id WHERE m.id = ?",
                       {store::Text(std::string(id))}));
  if (r.rows.empty()) return Status::NotFound("no member " + std::string(id));
  const auto& row = r.rows[0];
  MemberStanding s;
  s.status = ParseMemberStatus(row.Text(0)).value_or(MemberStatus::kSuspended);
  s.revocation_epoch = row.Int(1);
  s.status_changed_at_ms = row.Int(2);
  s.reseller_id = row.Text(3);
  s.role = ParseRole(row.Text(5)).value_or(Role::kServiceProvider);
  if (!s.reseller_id.empty())
    s.reseller_status = ParseMemberStatus(row.Text(4)).value_or(MemberStatus::kSuspended);
  return s;
}

}  // namespace idscheme::registry
