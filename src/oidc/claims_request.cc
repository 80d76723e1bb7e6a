#include "oidc/claims_request.h"

#include <algorithm>

#include "crypto/json.h"
#include "registry/claims.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

constexpr std::string_view kVerifiedClaims = "verified_claims";

Status Invalid(std::string message) {
  return Status::OAuth("invalid_request", "claims: " + std::move(message));
}

// Characters, not bytes, as OIDC4IDA counts a purpose's length (the JSON parser checked UTF-8).
size_t Utf8Characters(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
  }));
}

// OIDC Core §2 / §5.5.1.1: claims about the authentication that an ID token may be asked for.
bool IsAuthenticationClaim(std::string_view name) {
  return name == "acr" || name == "auth_time" || name == "amr";
}

Result<RequestedClaim> ParseOne(const std::string& where, const std::string& name,
                                const json& spec) {
  RequestedClaim claim;
  claim.name = name;
  if (spec.is_null()) return claim;  // OIDC Core §5.5: null asks for the claim in the default way
  if (!spec.is_object()) return Invalid(where + ": must be null or an object");
  for (const auto& [key, value] : spec.items()) {
    if (key == "essential") {
      if (!value.is_boolean()) return Invalid(where + ".essential: must be a boolean");
      claim.essential = value.get<bool>();
    } else if (key == "value") {
      if (value.is_null() || value.is_object()) return Invalid(where + ".value: must be a value");
      claim.value = value;
    } else if (key == "values") {
      if (!value.is_array() || value.empty())
        return Invalid(where + ".values: must be a non-empty array");
      for (const auto& v : value) {
        if (v.is_null() || v.is_object() || v.is_array())
          return Invalid(where + ".values: must hold plain values");
        claim.values.push_back(v);
      }
    } else if (key == "purpose") {
      // OIDC4IDA §8: 3 to 300 characters.
      if (!value.is_string()) return Invalid(where + ".purpose: must be a string");
      claim.purpose = value.get<std::string>();
      const size_t characters = Utf8Characters(claim.purpose);
      if (characters < 3 || characters > 300)
        return Invalid(where + ".purpose: must be 3 to 300 characters");
    }
    // OIDC Core §5.5.1: "Other members MAY be defined ... Any members used that are not
    // understood MUST be ignored."
  }
  if (claim.value && !claim.values.empty())
    return Invalid(where + ": 'value' and 'values' are exclusive");
  return claim;
}

Status ParseMember(const json& top, std::string_view member, std::vector<RequestedClaim>* out,
                   std::optional<json>* verified) {
  auto it = top.find(std::string(member));
  if (it == top.end()) return Status::Ok();
  if (!it->is_object()) return Invalid(std::string(member) + ": must be an object");
  for (const auto& [name, spec] : it->items()) {
    const std::string where = std::string(member) + "." + name;
    if (name == kVerifiedClaims) {
      // OIDC4IDA §5.1: an object, or an array of objects; its inside is checked where it is
      // answered.
      bool ok = spec.is_object() || (spec.is_array() && !spec.empty() &&
                                     std::all_of(spec.begin(), spec.end(),
                                                 [](const json& v) { return v.is_object(); }));
      if (!ok) return Invalid(where + ": must be an object or an array of objects");
      *verified = spec;
      continue;
    }
    // Checked even when it is then dropped: a malformed request is refused whatever it asks for.
    IDS_ASSIGN_OR_RETURN(RequestedClaim claim, ParseOne(where, name, spec));
    // OIDC Core §5.5.1: a claim the scheme does not know is one it cannot return, which is not
    // an error; it is left out of the request (and never shown to the person).
    bool known =
        registry::IsKnownClaim(name) || (member == "id_token" && IsAuthenticationClaim(name));
    if (known) out->push_back(std::move(claim));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> ClaimsRequest::PersonClaimNames() const {
  std::vector<std::string> names;
  for (const auto* list : {&id_token, &userinfo}) {
    for (const auto& c : *list) {
      if (IsAuthenticationClaim(c.name)) continue;
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
    }
  }
  return names;
}

std::vector<std::string> ClaimsRequest::RequestedSubjects() const {
  std::vector<std::string> subjects;
  auto add = [&subjects](const nlohmann::json& v) {
    // A sub is a string (OIDC Core §2); any other value matches no one, so it is kept in a form
    // no sub has (a NUL first) and the request is refused rather than the value ignored.
    std::string s = v.is_string() ? v.get<std::string>() : std::string(1, '\0') + v.dump();
    if (std::find(subjects.begin(), subjects.end(), s) == subjects.end())
      subjects.push_back(std::move(s));
  };
  for (const auto* list : {&id_token, &userinfo}) {
    for (const auto& c : *list) {
      if (c.name != "sub") continue;
      if (c.value) add(*c.value);
      for (const auto& v : c.values) add(v);
    }
  }
  return subjects;
}

Result<ClaimsRequest> ParseClaimsRequestJson(const nlohmann::json& top) {
  if (!top.is_object()) return Invalid("must be a JSON object");
  // OIDC Core §5.5: members other than id_token and userinfo that are not understood are ignored.
  ClaimsRequest out;
  IDS_RETURN_IF_ERROR(ParseMember(top, "id_token", &out.id_token, &out.id_token_verified_claims));
  IDS_RETURN_IF_ERROR(ParseMember(top, "userinfo", &out.userinfo, &out.userinfo_verified_claims));
  return out;
}

Result<ClaimsRequest> ParseClaimsRequest(std::string_view text) {
  if (text.size() > kMaxClaimsParameterBytes) return Invalid("too long");
  auto parsed = crypto::ParseJsonStrict(text, 16);
  if (!parsed.ok()) return Invalid("not valid JSON");
  return ParseClaimsRequestJson(*parsed);
}

}  // namespace idscheme::oidc
