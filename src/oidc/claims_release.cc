#include "oidc/claims_release.h"

#include <algorithm>

#include "registry/claims.h"

namespace idscheme::oidc {
namespace {

using json = nlohmann::json;

constexpr std::string_view kNationalIdClaim = "urn:idscheme:claims:national_id_number";
constexpr std::string_view kIdDocumentClaim = "urn:idscheme:claims:id_document";

constexpr std::string_view kReleasable[] = {
    "name",           "given_name",    "family_name",    "middle_name",   "email",
    "email_verified", "gender",        "birthdate",      "phone_number",  "phone_number_verified",
    "address",        "updated_at",    "place_of_birth", "nationalities", "msisdn",
    kNationalIdClaim, kIdDocumentClaim};

bool IsReleasable(std::string_view name) {
  return std::find(std::begin(kReleasable), std::end(kReleasable), name) != std::end(kReleasable);
}

void AddUnique(std::vector<std::string>& names, std::string_view name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// OIDC4IDA §5: verified_claims is an object or an array of them; each names its claims under
// "claims" (an object). Anything else asks for nothing.
std::vector<json> VerifiedClaimsRequests(const std::optional<json>& request) {
  std::vector<json> out;
  if (!request) return out;
  if (request->is_object()) {
    out.push_back(*request);
  } else if (request->is_array()) {
    for (const auto& e : *request) {
      if (e.is_object()) out.push_back(e);
    }
  }
  return out;
}

std::vector<std::string> VerifiedClaimNames(const json& one) {
  std::vector<std::string> names;
  auto it = one.find("claims");
  if (it == one.end() || !it->is_object()) return names;
  for (const auto& [name, spec] : it->items()) {
    if (registry::IsKnownClaim(name) && name != registry::kSubjectClaim) AddUnique(names, name);
  }
  return names;
}

// OIDC Core §5.5.1: "value" / "values" ask for the claim with that value; when the record's
// value differs the claim is not returned.
bool MatchesRequestedValue(const RequestedClaim& request, const json& value) {
  if (request.value) return *request.value == value;
  if (!request.values.empty())
    return std::find(request.values.begin(), request.values.end(), value) != request.values.end();
  return true;
}

std::string FullName(const identity::Attributes& a) {
  std::string name = *a.given_name;
  if (a.middle_name) name += " " + *a.middle_name;
  name += " " + *a.family_name;
  return name;
}

// OIDC4IDA §5: whether the request element asks for a verification element (all of them when
// it names none).
bool AsksFor(const json& request, std::string_view element) {
  auto v = request.find("verification");
  if (v == request.end() || !v->is_object() || v->empty()) return true;
  return v->contains(element);
}

// The attributes a claim is made of, when it is one the registrar verifies.
std::vector<std::string_view> AttributesOf(std::string_view claim) {
  if (claim == "name") return {"given_name", "middle_name", "family_name"};
  if (claim == "phone_number" || claim == "phone_number_verified" || claim == "msisdn")
    return {"phone_number"};
  if (claim == "email" || claim == "email_verified") return {"email"};
  if (claim == kNationalIdClaim) return {"national_id_number"};
  if (claim == "updated_at") return {};  // a time of the record, never verified
  return {claim};
}

// OIDC4IDA §5: a claim in verified_claims was verified by the process its verification
// describes. The record keeps one evidence, the latest: a claim counts only when that check
// dated it (an attribute changed since without evidence, or verified by an earlier document,
// is not covered by it). The ID document is the evidence itself.
bool VerifiedByEvidence(const identity::Identity& identity, std::string_view claim) {
  if (claim == kIdDocumentClaim) return true;
  const auto parts = AttributesOf(claim);
  if (parts.empty()) return false;
  for (std::string_view part : parts) {
    auto it = identity.verified_at.find(std::string(part));
    if (it == identity.verified_at.end()) {
      if (part == "middle_name") continue;  // absent: "name" is made without it
      return false;
    }
    if (it->second != identity.evidence.time) return false;
  }
  return true;
}

// OIDC4IDA §6: a constraint on a verification element ({"value"}, {"values"}, and for time
// {"max_age"} in seconds) that the stored verification does not meet leaves the element's
// verified_claims out.
bool MeetsConstraint(const json& request, std::string_view element, const json& actual) {
  auto v = request.find("verification");
  if (v == request.end() || !v->is_object()) return true;
  auto c = v->find(std::string(element));
  if (c == v->end() || !c->is_object()) return true;
  if (auto value = c->find("value"); value != c->end() && *value != actual) return false;
  if (auto values = c->find("values");
      values != c->end() && values->is_array() &&
      std::find(values->begin(), values->end(), actual) == values->end())
    return false;
  return true;
}

bool MeetsMaxAge(const json& request, int64_t verified_at, int64_t now) {
  auto v = request.find("verification");
  if (v == request.end() || !v->is_object()) return true;
  auto t = v->find("time");
  if (t == v->end() || !t->is_object()) return true;
  auto max_age = t->find("max_age");
  if (max_age == t->end() || !max_age->is_number_integer()) return true;
  return now - verified_at <= max_age->get<int64_t>();
}

// The verification of `request`'s element, or nullopt when its constraints are not met.
std::optional<json> Verification(const identity::Identity& identity,
                                 const ApprovedAuthorization& grant, const json& request,
                                 const ClaimsReleaseOptions& options) {
  const std::string_view level = AssuranceLevelForEvidence(identity.evidence);
  if (!MeetsConstraint(request, "trust_framework", options.trust_framework) ||
      !MeetsConstraint(request, "assurance_level", level) ||
      !MeetsMaxAge(request, identity.evidence.time, options.now_seconds))
    return std::nullopt;
  json verification = {{"trust_framework", options.trust_framework}};  // OIDC4IDA §5.4.1
  if (AsksFor(request, "assurance_level")) verification["assurance_level"] = level;
  json evidence = identity.evidence.ToJson();
  if (AsksFor(request, "time")) verification["time"] = evidence.at("time");
  if (AsksFor(request, "evidence")) {
    // The document's details are the ID document claim: only when the person was shown it
    // and approved it (ClaimsToShow adds it when evidence is asked for).
    if (!Contains(grant.approved_claims, kIdDocumentClaim)) evidence.erase("document_details");
    verification["evidence"] = json::array({evidence});
  }
  return verification;
}

// One verified_claims answer per request element that yields at least one claim (OIDC4IDA §6:
// elements the OP cannot fill are left out).
std::optional<json> ReleaseVerified(const identity::Identity& identity,
                                    const ApprovedAuthorization& grant,
                                    const std::optional<json>& request,
                                    const ClaimsReleaseOptions& options) {
  json answers = json::array();
  for (const json& one : VerifiedClaimsRequests(request)) {
    json claims = json::object();
    for (const auto& name : VerifiedClaimNames(one)) {
      if (!Contains(grant.approved_claims, name) || !VerifiedByEvidence(identity, name)) continue;
      if (auto value = ClaimValue(identity, name)) claims[name] = *value;
    }
    if (claims.empty()) continue;
    auto verification = Verification(identity, grant, one, options);
    if (!verification) continue;
    answers.push_back({{"verification", std::move(*verification)}, {"claims", claims}});
  }
  if (answers.empty()) return std::nullopt;
  if (request->is_object()) return answers[0];
  return answers;
}

void ReleaseInto(json& target, const identity::Identity& identity,
                 const ApprovedAuthorization& grant, const RequestedClaim* request,
                 const std::string& name) {
  if (!Contains(grant.approved_claims, name) || target.contains(name)) return;
  auto value = ClaimValue(identity, name);
  if (!value) return;
  if (request && !MatchesRequestedValue(*request, *value)) return;
  target[name] = *value;
}

}  // namespace

std::vector<std::string> ClaimsToShow(const std::vector<std::string>& scopes,
                                      const ClaimsRequest& claims,
                                      const registry::AgreementTerms& terms) {
  std::vector<std::string> asked;
  for (const auto& scope : scopes) {
    for (auto name : registry::ScopeClaims(scope)) AddUnique(asked, name);  // OIDC Core §5.4
  }
  for (const auto& name : claims.PersonClaimNames()) AddUnique(asked, name);  // OIDC Core §5.5
  for (const auto* vc : {&claims.id_token_verified_claims, &claims.userinfo_verified_claims}) {
    for (const auto& one : VerifiedClaimsRequests(*vc)) {
      const auto names = VerifiedClaimNames(one);
      for (const auto& name : names) AddUnique(asked, name);  // OIDC4IDA §5
      // The evidence carries the ID document's details: the person sees that it goes too.
      if (!names.empty() && AsksFor(one, "evidence")) AddUnique(asked, kIdDocumentClaim);
    }
  }
  std::vector<std::string> shown;
  for (const auto& name : asked) {
    if (!IsReleasable(name)) continue;
    if (terms.AllowsClaim(name)) shown.push_back(name);
  }
  return shown;
}

std::vector<std::string> ClaimsToShow(const ValidatedAuthorizationRequest& request,
                                      const registry::AgreementTerms& terms) {
  return ClaimsToShow(request.scopes, request.claims, terms);
}

std::span<const std::string_view> ReleasableClaims() { return kReleasable; }

std::vector<std::string> VerifiedClaimNames(const ClaimsRequest& claims) {
  std::vector<std::string> names;
  for (const auto* vc : {&claims.id_token_verified_claims, &claims.userinfo_verified_claims}) {
    for (const auto& one : VerifiedClaimsRequests(*vc)) {
      for (const auto& name : VerifiedClaimNames(one)) AddUnique(names, name);
    }
  }
  return names;
}

std::string_view AssuranceLevelForEvidence(const identity::Evidence& evidence) {
  if (evidence.method == "eid") return "high";
  if (evidence.method == "pipp" || evidence.method == "sripp") return "substantial";
  return "low";
}

std::optional<json> ClaimValue(const identity::Identity& identity, std::string_view name) {
  const identity::Attributes& a = identity.attributes;
  if (name == "name") {
    if (!a.given_name || !a.family_name) return std::nullopt;
    return FullName(a);
  }
  if (name == "phone_number_verified") {
    if (!a.phone_number) return std::nullopt;
    return true;  // the registrar checked it, and the app is bound to its SIM
  }
  if (name == "email_verified") {
    if (!a.email) return std::nullopt;
    return identity.verified_at.count("email") > 0;
  }
  if (name == "msisdn") {  // OIDC4IDA §4: E.164 without the '+'
    if (!a.phone_number || a.phone_number->empty()) return std::nullopt;
    return a.phone_number->substr(1);
  }
  if (name == "updated_at") return identity.updated_at_ms / 1000;  // OIDC Core §5.1: seconds
  if (name == kNationalIdClaim) {
    if (!a.national_id_number) return std::nullopt;
    return *a.national_id_number;
  }
  if (name == kIdDocumentClaim) {
    const identity::Evidence& e = identity.evidence;
    if (e.document_type.empty()) return std::nullopt;
    return json{{"type", e.document_type},
                {"number", e.document_number},
                {"issuing_country", e.issuing_country},
                {"date_of_issuance", e.date_of_issuance},
                {"date_of_expiry", e.date_of_expiry}};
  }
  // The remaining claims share their names with the record's attributes.
  const json attributes = a.ToJson();
  auto it = attributes.find(std::string(name));
  if (it == attributes.end()) return std::nullopt;
  return *it;
}

ReleasedClaims ReleaseClaims(const identity::Identity& identity, const ApprovedAuthorization& grant,
                             const ClaimsReleaseOptions& options) {
  ReleasedClaims out;
  // OIDC Core §5.5: claims asked for in a member go there.
  for (const auto& c : grant.claims.id_token)
    ReleaseInto(out.id_token, identity, grant, &c, c.name);
  for (const auto& c : grant.claims.userinfo)
    ReleaseInto(out.userinfo, identity, grant, &c, c.name);
  // OIDC Core §5.4: scope claims go to userinfo when an access token is issued. A value the
  // claims parameter asked for holds here too: a claim it left out is not brought back.
  json& scope_target = options.access_token_issued ? out.userinfo : out.id_token;
  const auto constraint = [&](std::string_view name) -> const RequestedClaim* {
    for (const auto* list : {&grant.claims.id_token, &grant.claims.userinfo}) {
      for (const auto& c : *list) {
        if (c.name == name && (c.value || !c.values.empty())) return &c;
      }
    }
    return nullptr;
  };
  for (const auto& scope : grant.scopes) {
    for (auto name : registry::ScopeClaims(scope))
      ReleaseInto(scope_target, identity, grant, constraint(name), std::string(name));
  }
  // OIDC4IDA §5: verified_claims where they were asked for.
  if (auto vc = ReleaseVerified(identity, grant, grant.claims.id_token_verified_claims, options))
    out.id_token["verified_claims"] = *vc;
  if (auto vc = ReleaseVerified(identity, grant, grant.claims.userinfo_verified_claims, options))
    out.userinfo["verified_claims"] = *vc;
  return out;
}

}  // namespace idscheme::oidc
