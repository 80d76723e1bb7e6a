#include "registry/agreement.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "audit/audit_log.h"
#include "crypto/json.h"
#include "registry/claims.h"
#include "registry/internal/fields.h"
#include "registry/internal/request_reads.h"
#include "registry/member.h"

namespace idscheme::registry {

using internal::FieldError;
using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<Service, std::string_view>, 4> kServices = {{
    {Service::kIdentification, "identification"},
    {Service::kLogin, "login"},
    {Service::kConfirmation, "confirmation"},
    {Service::kSign, "sign"},
}};

constexpr std::array<std::pair<AssuranceLevel, std::string_view>, 2> kLevels = {{
    {AssuranceLevel::kBasic, "basic"},
    {AssuranceLevel::kAdvanced, "advanced"},
}};

template <typename T>
std::vector<T> Sorted(std::set<T> s) {
  return {s.begin(), s.end()};
}

template <typename T>
std::vector<T> Both(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Reads a required array of names, mapping each through `parse`.
template <typename T, typename Parse>
Result<std::vector<T>> NameList(const json& body, std::string_view field, Parse parse,
                                std::string_view known, bool allow_empty) {
  IDS_ASSIGN_OR_RETURN(auto names, internal::OptStringArray(body, field, allow_empty));
  if (!names) return FieldError(field, "required");
  std::set<T> out;
  for (size_t i = 0; i < names->size(); ++i) {
    auto v = parse((*names)[i]);
    if (!v) {
      std::string what = "unknown value";
      if (!known.empty()) what += " (" + std::string(known) + ")";
      return FieldError(std::string(field) + "[" + std::to_string(i) + "]", what);
    }
    out.insert(*v);
  }
  return Sorted(std::move(out));
}

// Stored terms were validated when set; a later, stricter release still reads them.
AgreementTerms TermsFromStored(const std::string& text) {
  AgreementTerms t;
  auto parsed = crypto::ParseJsonObjectStrict(text);
  if (!parsed.ok()) return t;
  const json& j = *parsed;
  for (const auto& s : j.value("services", json::array())) {
    if (auto v = s.is_string() ? ParseService(s.get<std::string>()) : std::nullopt)
      t.services.push_back(*v);
  }
  for (const auto& c : j.value("claims", json::array())) {
    if (c.is_string()) t.claims.push_back(c.get<std::string>());
  }
  for (const auto& l : j.value("assurance_levels", json::array())) {
    if (auto v = l.is_string() ? ParseAssuranceLevel(l.get<std::string>()) : std::nullopt)
      t.assurance_levels.push_back(*v);
  }
  t.outside_claims =
      j.value("claims_outside", "refuse") == "drop" ? OutsideClaims::kDrop : OutsideClaims::kRefuse;
  return t;
}

Agreement FromRow(const store::Row& r) {
  Agreement a;
  a.member_id = r.Text(0);
  a.version = r.Int(1);
  a.terms = TermsFromStored(r.Text(2));
  a.created_at_ms = r.Int(3);
  a.created_by = r.Text(4);
  return a;
}

constexpr std::string_view kSelect =
    "SELECT member_id, version, terms, created_at, created_by FROM registry_agreements"
    " WHERE member_id = ?";

}  // namespace

std::string_view ServiceName(Service service) {
  for (const auto& [s, n] : kServices) {
    if (s == service) return n;
  }
  return "unknown";
}

std::optional<Service> ParseService(std::string_view name) {
  for (const auto& [s, n] : kServices) {
    if (n == name) return s;
  }
  return std::nullopt;
}

std::string_view AssuranceLevelName(AssuranceLevel level) {
  for (const auto& [l, n] : kLevels) {
    if (l == level) return n;
  }
  return "unknown";
}

std::optional<AssuranceLevel> ParseAssuranceLevel(std::string_view name) {
  for (const auto& [l, n] : kLevels) {
    if (n == name) return l;
  }
  return std::nullopt;
}

std::string_view OutsideClaimsName(OutsideClaims o) {
  return o == OutsideClaims::kDrop ? "drop" : "refuse";
}

bool AgreementTerms::Allows(Service s) const {
  return std::binary_search(services.begin(), services.end(), s);
}

bool AgreementTerms::AllowsClaim(std::string_view claim) const {
  if (claim == kSubjectClaim) return true;
  return std::binary_search(claims.begin(), claims.end(), claim);
}

bool AgreementTerms::AllowsLevel(AssuranceLevel l) const {
  return std::binary_search(assurance_levels.begin(), assurance_levels.end(), l);
}

json AgreementTerms::ToJson() const {
  json j = {{"services", json::array()},
            {"claims", claims},
            {"assurance_levels", json::array()},
            {"claims_outside", OutsideClaimsName(outside_claims)}};
  for (auto s : services) j["services"].push_back(ServiceName(s));
  for (auto l : assurance_levels) j["assurance_levels"].push_back(AssuranceLevelName(l));
  return j;
}

Result<AgreementTerms> ParseAgreementTerms(const json& body) {
  IDS_RETURN_IF_ERROR(internal::CheckFields(
      body, "the agreement", {"services", "claims", "assurance_levels", "claims_outside"},
      {"member_id", "version", "created_at", "created_by"}));
  AgreementTerms t;
  IDS_ASSIGN_OR_RETURN(t.services,
                       NameList<Service>(body, "services", ParseService,
                                         "identification, login, confirmation, sign", false));
  IDS_ASSIGN_OR_RETURN(t.claims, NameList<std::string>(
                                     body, "claims",
                                     [](const std::string& c) -> std::optional<std::string> {
                                       if (!IsKnownClaim(c)) return std::nullopt;
                                       return c;
                                     },
                                     "see the claim catalogue", true));
  IDS_ASSIGN_OR_RETURN(t.assurance_levels,
                       NameList<AssuranceLevel>(body, "assurance_levels", ParseAssuranceLevel,
                                                "basic, advanced", false));
  IDS_ASSIGN_OR_RETURN(auto outside, internal::OptString(body, "claims_outside"));
  if (!outside) return FieldError("claims_outside", "required (refuse or drop)");
  if (*outside == "refuse") {
    t.outside_claims = OutsideClaims::kRefuse;
  } else if (*outside == "drop") {
    t.outside_claims = OutsideClaims::kDrop;
  } else {
    return FieldError("claims_outside", "must be refuse or drop");
  }
  return t;
}

AgreementTerms Intersect(const AgreementTerms& reseller, const AgreementTerms& customer) {
  AgreementTerms t;
  t.services = Both(reseller.services, customer.services);
  t.claims = Both(reseller.claims, customer.claims);
  t.assurance_levels = Both(reseller.assurance_levels, customer.assurance_levels);
  t.outside_claims = reseller.outside_claims == OutsideClaims::kDrop &&
                             customer.outside_claims == OutsideClaims::kDrop
                         ? OutsideClaims::kDrop
                         : OutsideClaims::kRefuse;
  return t;
}

json Agreement::ToJson() const {
  json j = terms.ToJson();
  j["member_id"] = member_id;
  j["version"] = version;
  j["created_at"] = created_at_ms;
  j["created_by"] = created_by;
  return j;
}

Result<Agreement> Agreements::Set(std::string_view member_id, const AgreementTerms& terms,
                                  std::string_view actor) {
  Agreement a;
  a.member_id = std::string(member_id);
  a.terms = terms;
  a.created_by = std::string(actor);
  internal::RegistryWrite write(db_);  // every process's kept terms are read again
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Member m, GetMember(tx, member_id));
    if (m.status == MemberStatus::kTerminated)
      return Status::FailedPrecondition("member " + m.id + " is terminated; termination is final");
    IDS_ASSIGN_OR_RETURN(auto r, tx.Exec("SELECT COALESCE(MAX(version), 0) FROM"
                                         " registry_agreements WHERE member_id = ?",
                                         {store::Text(a.member_id)}));
    a.version = r.rows[0].Int(0) + 1;
    a.created_at_ms = clock_.NowMillis();
    auto inserted = tx.Exec(
        "INSERT INTO registry_agreements (member_id, version, terms,"
        " created_at, created_by) VALUES (?, ?, ?, ?, ?)",
        {store::Text(a.member_id), store::Int(a.version), store::Text(a.terms.ToJson().dump()),
         store::Int(a.created_at_ms), store::Text(a.created_by)});
    // Another writer took this version number: start over and take the next one.
    if (!inserted.ok() && inserted.status().code() == Status::Code::kAlreadyExists)
      return store::TransientError("agreement version taken concurrently");
    IDS_RETURN_IF_ERROR(inserted.status());
    json details = a.terms.ToJson();
    details["version"] = a.version;
    return audit::Append(tx, {a.created_by, "agreement.set", a.member_id, details}, a.created_at_ms)
        .status();
  }));
  return a;
}

Result<Agreement> Agreements::Current(std::string_view member_id) {
  if (!internal::IsWellFormedId(member_id)) return Status::NotFound("no such member");
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec(std::string(kSelect) + " ORDER BY version DESC LIMIT 1",
                                        {store::Text(std::string(member_id))}));
  if (r.rows.empty())
    return Status::NotFound("member " + std::string(member_id) + " has no agreement");
  return FromRow(r.rows[0]);
}

Result<std::vector<Agreement>> Agreements::History(std::string_view member_id) {
  if (!internal::IsWellFormedId(member_id)) return std::vector<Agreement>{};
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec(std::string(kSelect) + " ORDER BY version",
                                        {store::Text(std::string(member_id))}));
  std::vector<Agreement> out;
  for (const auto& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Result<AgreementTerms> Agreements::Effective(std::string_view member_id) {
  if (!internal::IsWellFormedId(member_id)) return Status::NotFound("no such member");
  return kept_->Get(db_, clock_.NowMillis(), member_id, [&] { return ReadEffective(member_id); });
}

Result<AgreementTerms> Agreements::ReadEffective(std::string_view member_id) {
  // One query: the member's current terms and, when it has a reseller, the reseller's.
  IDS_ASSIGN_OR_RETURN(
      auto r, db_.Exec("SELECT m.reseller_id,"
                       " (SELECT terms FROM registry_agreements a WHERE a.member_id = m.id"
                       "  ORDER BY version DESC LIMIT 1),"
                       " (SELECT terms FROM registry_agreements b WHERE b.member_id = m.reseller_id"
                       "  ORDER BY version DESC LIMIT 1)"
                       " FROM registry_members m WHERE m.id = ?",
                       {store::Text(std::string(member_id))}));
  if (r.rows.empty()) return Status::NotFound("no member " + std::string(member_id));
  const auto& row = r.rows[0];
  auto terms_of = [&row](size_t i) {
    return row.IsNull(i) ? AgreementTerms{} : TermsFromStored(row.Text(i));
  };
  AgreementTerms own = terms_of(1);
  if (row.IsNull(0) || row.Text(0).empty()) return own;
  return Intersect(terms_of(2), own);
}

}  // namespace idscheme::registry
