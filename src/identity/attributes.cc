#include "identity/attributes.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "identity/internal/fields.h"

namespace idscheme::identity {

using internal::FieldError;
using json = nlohmann::json;

namespace {

using StringMember = std::optional<std::string> Attributes::*;

// The plain-text attributes (the structured ones are handled one by one).
constexpr std::array<std::pair<std::string_view, StringMember>, 8> kStringAttributes = {{
    {"given_name", &Attributes::given_name},
    {"family_name", &Attributes::family_name},
    {"middle_name", &Attributes::middle_name},
    {"birthdate", &Attributes::birthdate},
    {"gender", &Attributes::gender},
    {"phone_number", &Attributes::phone_number},
    {"email", &Attributes::email},
    {"national_id_number", &Attributes::national_id_number},
}};

constexpr std::string_view kMethods[] = {"pipp", "sripp", "eid", "uripp"};
constexpr std::string_view kDocumentTypes[] = {"idcard", "passport", "driving_permit",
                                               "residence_permit"};
constexpr std::string_view kGenders[] = {"female", "male", "other"};

template <typename Range>
bool Contains(const Range& range, std::string_view value) {
  return std::find(std::begin(range), std::end(range), value) != std::end(range);
}

// A required string member of a nested object.
Status RequiredString(const json& object, std::string_view key, std::string_view prefix,
                      std::string* out) {
  IDS_ASSIGN_OR_RETURN(auto v, internal::OptString(object, key, prefix));
  if (!v) return FieldError(std::string(prefix) + std::string(key), "required");
  *out = std::move(*v);
  return Status::Ok();
}

// An optional string member of a nested object, where "" would read as absent: refused, so that
// a value sent is never dropped without a word.
Status OptionalString(const json& object, std::string_view key, std::string_view prefix,
                      std::string* out) {
  IDS_ASSIGN_OR_RETURN(auto v, internal::OptString(object, key, prefix));
  if (v && v->empty())
    return FieldError(std::string(prefix) + std::string(key),
                      "must not be empty (leave it out instead)");
  if (v) *out = std::move(*v);
  return Status::Ok();
}

Result<PlaceOfBirth> ParsePlaceOfBirth(const json& j) {
  IDS_RETURN_IF_ERROR(internal::CheckObject(j, "place_of_birth", {"country", "region", "locality"},
                                            "place_of_birth."));
  PlaceOfBirth p;
  IDS_RETURN_IF_ERROR(RequiredString(j, "country", "place_of_birth.", &p.country));
  IDS_RETURN_IF_ERROR(OptionalString(j, "region", "place_of_birth.", &p.region));
  IDS_RETURN_IF_ERROR(OptionalString(j, "locality", "place_of_birth.", &p.locality));
  return p;
}

Result<Address> ParseAddress(const json& j) {
  IDS_RETURN_IF_ERROR(internal::CheckObject(
      j, "address", {"street_address", "locality", "region", "postal_code", "country"},
      "address."));
  Address a;
  IDS_RETURN_IF_ERROR(OptionalString(j, "street_address", "address.", &a.street_address));
  IDS_RETURN_IF_ERROR(OptionalString(j, "locality", "address.", &a.locality));
  IDS_RETURN_IF_ERROR(OptionalString(j, "region", "address.", &a.region));
  IDS_RETURN_IF_ERROR(OptionalString(j, "postal_code", "address.", &a.postal_code));
  IDS_RETURN_IF_ERROR(RequiredString(j, "country", "address.", &a.country));
  return a;
}

Result<std::vector<std::string>> ParseNationalities(const json& j) {
  if (!j.is_array()) return FieldError("nationalities", "must be an array of country codes");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string())
      return FieldError("nationalities[" + std::to_string(i) + "]", "must be a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

// Sets the attribute `name` of `out` from `value` (a known name).
Status ParseAttribute(std::string_view name, const json& value, Attributes* out) {
  for (const auto& [n, member] : kStringAttributes) {
    if (n != name) continue;
    if (!value.is_string()) return FieldError(name, "must be a string");
    out->*member = value.get<std::string>();
    return Status::Ok();
  }
  if (name == "place_of_birth") {
    IDS_ASSIGN_OR_RETURN(out->place_of_birth, ParsePlaceOfBirth(value));
  } else if (name == "address") {
    IDS_ASSIGN_OR_RETURN(out->address, ParseAddress(value));
  } else if (name == "nationalities") {
    IDS_ASSIGN_OR_RETURN(out->nationalities, ParseNationalities(value));
  } else {
    return FieldError(name, "unknown field");
  }
  return Status::Ok();
}

bool IsKnownAttribute(std::string_view name) { return Contains(AttributeNames(), name); }

Status CheckName(std::string_view field, const std::optional<std::string>& v) {
  return v ? internal::CheckText(field, *v, 200) : Status::Ok();
}

Status CheckPlaceOfBirth(const PlaceOfBirth& p) {
  IDS_RETURN_IF_ERROR(internal::CheckCountry("place_of_birth.country", p.country));
  if (!p.region.empty())
    IDS_RETURN_IF_ERROR(internal::CheckText("place_of_birth.region", p.region, 200));
  if (!p.locality.empty())
    IDS_RETURN_IF_ERROR(internal::CheckText("place_of_birth.locality", p.locality, 200));
  return Status::Ok();
}

Status CheckAddress(const Address& a) {
  if (a.street_address.empty() && a.locality.empty() && a.postal_code.empty())
    return FieldError("address", "give at least street_address, locality or postal_code");
  for (auto [field, value] :
       {std::pair{"address.street_address", &a.street_address},
        std::pair{"address.locality", &a.locality}, std::pair{"address.region", &a.region}}) {
    if (!value->empty()) IDS_RETURN_IF_ERROR(internal::CheckText(field, *value, 300));
  }
  if (!a.postal_code.empty()) {
    IDS_RETURN_IF_ERROR(internal::CheckText("address.postal_code", a.postal_code, 16));
    for (char c : a.postal_code) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '-')
        return FieldError("address.postal_code", "only letters, digits, spaces and '-'");
    }
  }
  return internal::CheckCountry("address.country", a.country);
}

}  // namespace

const std::vector<std::string>& AttributeNames() {
  static const std::vector<std::string> kNames = {
      "given_name",   "family_name",    "middle_name",       "birthdate",
      "gender",       "place_of_birth", "nationalities",     "address",
      "phone_number", "email",          "national_id_number"};
  return kNames;
}

std::vector<std::string> Attributes::Names() const {
  json j = ToJson();
  std::vector<std::string> out;
  for (const auto& name : AttributeNames()) {
    if (j.contains(name)) out.push_back(name);
  }
  return out;
}

json Attributes::ToJson() const {
  json j = json::object();
  for (const auto& [name, member] : kStringAttributes) {
    if (this->*member) j[std::string(name)] = *(this->*member);
  }
  if (place_of_birth) {
    json p = {{"country", place_of_birth->country}};
    if (!place_of_birth->region.empty()) p["region"] = place_of_birth->region;
    if (!place_of_birth->locality.empty()) p["locality"] = place_of_birth->locality;
    j["place_of_birth"] = p;
  }
  if (nationalities) j["nationalities"] = *nationalities;
  if (address) {
    json a = {{"country", address->country}};
    for (auto [name, value] :
         {std::pair{"street_address", &address->street_address},
          std::pair{"locality", &address->locality}, std::pair{"region", &address->region},
          std::pair{"postal_code", &address->postal_code}}) {
      if (!value->empty()) a[name] = *value;
    }
    j["address"] = a;
  }
  return j;
}

json Evidence::ToJson() const {
  return {{"type", type},
          {"method", method},
          {"time", internal::FormatDateTime(time)},
          {"document_details",
           {{"type", document_type},
            {"document_number", document_number},
            {"issuer", {{"country", issuing_country}}},
            {"date_of_issuance", date_of_issuance},
            {"date_of_expiry", date_of_expiry}}}};
}

Result<Attributes> ParseAttributes(const json& object) {
  if (!object.is_object()) return FieldError("attributes", "must be a JSON object");
  Attributes a;
  for (const auto& [key, value] : object.items()) {
    if (!IsKnownAttribute(key))
      return FieldError(internal::IsValidUtf8(key) ? key : "?", "unknown attribute");
    IDS_RETURN_IF_ERROR(ParseAttribute(key, value, &a));
  }
  return a;
}

Result<Evidence> ParseEvidence(const json& j, std::string_view prefix) {
  std::string p(prefix);
  std::string name = p.empty() ? "evidence" : p.substr(0, p.size() - 1);
  IDS_RETURN_IF_ERROR(
      internal::CheckObject(j, name, {"type", "method", "time", "document_details"}, p));
  Evidence e;
  IDS_RETURN_IF_ERROR(RequiredString(j, "type", p, &e.type));
  IDS_RETURN_IF_ERROR(RequiredString(j, "method", p, &e.method));
  std::string time;
  IDS_RETURN_IF_ERROR(RequiredString(j, "time", p, &time));
  auto t = internal::ParseDateTime(time);
  if (!t) return FieldError(p + "time", "must be an RFC 3339 UTC time, e.g. 2026-11-20T09:30:00Z");
  e.time = *t;
  auto d = j.find("document_details");
  if (d == j.end()) return FieldError(p + "document_details", "required");
  std::string dp = p + "document_details.";
  IDS_RETURN_IF_ERROR(internal::CheckObject(
      *d, p + "document_details",
      {"type", "document_number", "issuer", "date_of_issuance", "date_of_expiry"}, dp));
  IDS_RETURN_IF_ERROR(RequiredString(*d, "type", dp, &e.document_type));
  IDS_RETURN_IF_ERROR(RequiredString(*d, "document_number", dp, &e.document_number));
  auto issuer = d->find("issuer");
  if (issuer == d->end()) return FieldError(dp + "issuer", "required");
  IDS_RETURN_IF_ERROR(internal::CheckObject(*issuer, dp + "issuer", {"country"}, dp + "issuer."));
  IDS_RETURN_IF_ERROR(RequiredString(*issuer, "country", dp + "issuer.", &e.issuing_country));
  IDS_RETURN_IF_ERROR(RequiredString(*d, "date_of_issuance", dp, &e.date_of_issuance));
  IDS_RETURN_IF_ERROR(RequiredString(*d, "date_of_expiry", dp, &e.date_of_expiry));
  return e;
}

Result<NewIdentity> ParseNewIdentity(const json& body) {
  if (!body.is_object()) return FieldError("the body", "must be a JSON object");
  NewIdentity out;
  bool has_evidence = false;
  for (const auto& [key, value] : body.items()) {
    if (key == "evidence") {
      IDS_ASSIGN_OR_RETURN(out.evidence, ParseEvidence(value));
      has_evidence = true;
    } else if (IsKnownAttribute(key)) {
      IDS_RETURN_IF_ERROR(ParseAttribute(key, value, &out.attributes));
    } else {
      return FieldError(internal::IsValidUtf8(key) ? key : "?", "unknown field");
    }
  }
  if (!has_evidence)
    return FieldError("evidence", "required: how and when the identity was verified");
  return out;
}

Result<IdentityUpdate> ParseIdentityUpdate(const json& body) {
  if (!body.is_object()) return FieldError("the body", "must be a JSON object");
  IdentityUpdate out;
  for (const auto& [key, value] : body.items()) {
    if (key == "evidence") {
      IDS_ASSIGN_OR_RETURN(out.evidence, ParseEvidence(value));
    } else if (IsKnownAttribute(key)) {
      if (value.is_null()) {
        if (Contains(kRequiredAttributes, key))
          return FieldError(key, "required; cannot be removed");
        out.removed.push_back(key);
      } else {
        IDS_RETURN_IF_ERROR(ParseAttribute(key, value, &out.set));
      }
    } else {
      return FieldError(internal::IsValidUtf8(key) ? key : "?", "unknown field");
    }
  }
  if (out.set.Names().empty() && out.removed.empty() && !out.evidence)
    return Status::InvalidArgument("nothing to update: give at least one attribute, or evidence");
  return out;
}

Status ValidateAttributes(const Attributes& a, int64_t now_seconds) {
  IDS_RETURN_IF_ERROR(CheckName("given_name", a.given_name));
  IDS_RETURN_IF_ERROR(CheckName("family_name", a.family_name));
  IDS_RETURN_IF_ERROR(CheckName("middle_name", a.middle_name));
  if (a.birthdate) {
    auto day = internal::ParseDate(*a.birthdate);
    if (!day) return FieldError("birthdate", "must be a date YYYY-MM-DD, e.g. 1990-04-27");
    if (*day > internal::DayOf(now_seconds)) return FieldError("birthdate", "is in the future");
  }
  if (a.gender && !Contains(kGenders, *a.gender))
    return FieldError("gender", "must be female, male or other");
  if (a.place_of_birth) IDS_RETURN_IF_ERROR(CheckPlaceOfBirth(*a.place_of_birth));
  if (a.nationalities) {
    if (a.nationalities->empty()) return FieldError("nationalities", "must not be empty");
    std::set<std::string> seen;
    for (size_t i = 0; i < a.nationalities->size(); ++i) {
      std::string field = "nationalities[" + std::to_string(i) + "]";
      IDS_RETURN_IF_ERROR(internal::CheckCountry(field, (*a.nationalities)[i]));
      if (!seen.insert((*a.nationalities)[i]).second) return FieldError(field, "duplicate value");
    }
  }
  if (a.address) IDS_RETURN_IF_ERROR(CheckAddress(*a.address));
  if (a.phone_number) IDS_RETURN_IF_ERROR(internal::CheckPhone("phone_number", *a.phone_number));
  if (a.email) IDS_RETURN_IF_ERROR(internal::CheckEmail("email", *a.email));
  if (a.national_id_number) {
    const std::string& n = *a.national_id_number;
    if (n.empty() || n.size() > 32 || !std::all_of(n.begin(), n.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
        }))
      return FieldError("national_id_number", "1..32 letters, digits, '-' or '.'");
  }
  return Status::Ok();
}

Status ValidateEvidence(const Evidence& e, int64_t now_seconds) {
  // OIDC4IDA 1.0 §5.4.4: evidence of type "document" with its document_details.
  if (e.type != "document") return FieldError("evidence.type", "must be \"document\"");
  if (!Contains(kMethods, e.method))
    return FieldError("evidence.method", "must be pipp, sripp, eid or uripp");
  // A check may be reported a little after it happened on a clock a little ahead of ours.
  if (e.time > now_seconds + 300) return FieldError("evidence.time", "is in the future");
  constexpr std::string_view kDoc = "evidence.document_details.";
  if (!Contains(kDocumentTypes, e.document_type))
    return FieldError(std::string(kDoc) + "type",
                      "must be idcard, passport, driving_permit or residence_permit");
  const std::string& num = e.document_number;
  if (num.empty() || num.size() > 64 || !std::all_of(num.begin(), num.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      }))
    return FieldError(std::string(kDoc) + "document_number", "1..64 letters, digits, '-' or '.'");
  IDS_RETURN_IF_ERROR(
      internal::CheckCountry(std::string(kDoc) + "issuer.country", e.issuing_country));
  auto issued = internal::ParseDate(e.date_of_issuance);
  if (!issued)
    return FieldError(std::string(kDoc) + "date_of_issuance",
                      "must be a date YYYY-MM-DD, e.g. 2021-03-01");
  auto expires = internal::ParseDate(e.date_of_expiry);
  if (!expires)
    return FieldError(std::string(kDoc) + "date_of_expiry",
                      "must be a date YYYY-MM-DD, e.g. 2031-03-01");
  if (*issued > internal::DayOf(e.time))
    return FieldError(std::string(kDoc) + "date_of_issuance", "is after the verification time");
  if (*expires <= *issued)
    return FieldError(std::string(kDoc) + "date_of_expiry", "must be after date_of_issuance");
  if (*expires < internal::DayOf(e.time))
    return FieldError(std::string(kDoc) + "date_of_expiry",
                      "the document had expired when it was checked");
  return Status::Ok();
}

Status ValidateNewIdentity(const NewIdentity& identity, int64_t now_seconds) {
  json present = identity.attributes.ToJson();
  for (std::string_view name : kRequiredAttributes) {
    if (!present.contains(name)) return FieldError(name, "required");
  }
  IDS_RETURN_IF_ERROR(ValidateAttributes(identity.attributes, now_seconds));
  return ValidateEvidence(identity.evidence, now_seconds);
}

Status ValidateIdentityUpdate(const IdentityUpdate& update, int64_t now_seconds) {
  for (const auto& name : update.removed) {
    if (!IsKnownAttribute(name)) return FieldError(name, "unknown attribute");
    if (Contains(kRequiredAttributes, name)) return FieldError(name, "required; cannot be removed");
  }
  IDS_RETURN_IF_ERROR(ValidateAttributes(update.set, now_seconds));
  if (update.evidence) IDS_RETURN_IF_ERROR(ValidateEvidence(*update.evidence, now_seconds));
  return Status::Ok();
}

}  // namespace idscheme::identity
