// Fuzz target: claims release (oidc/claims_release.h) driven by a `claims` parameter a client
// sends, verified_claims included. Whatever parses: only claims shown (and so approved) are
// released, verified_claims hold approved claims only, and the stored form of the request
// (ClaimsRequestToJson, what authorization codes keep) reads back to the same JSON.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "oidc/authorization_codes.h"
#include "oidc/claims_release.h"
#include "registry/claims.h"

namespace {

using json = nlohmann::json;
using namespace idscheme;

const identity::Identity& Person() {
  static const identity::Identity* p = [] {
    auto* i = new identity::Identity();
    i->id = "idn_1";
    i->attributes.given_name = "Anna";
    i->attributes.family_name = "Peeters";
    i->attributes.birthdate = "1990-04-27";
    i->attributes.phone_number = "+32470123456";
    i->attributes.email = "anna@example.be";
    i->attributes.national_id_number = "90042712345";
    i->evidence.method = "eid";
    i->evidence.time = 1'700'000'000;
    i->evidence.document_type = "idcard";
    return i;
  }();
  return *p;
}

const registry::AgreementTerms& AllClaims() {
  static const registry::AgreementTerms* t = [] {
    auto* terms = new registry::AgreementTerms();
    for (const auto& c : registry::ClaimCatalogue()) terms->claims.emplace_back(c.name);
    std::sort(terms->claims.begin(), terms->claims.end());
    return terms;
  }();
  return *t;
}

bool Approved(const std::vector<std::string>& approved, const std::string& name) {
  return std::find(approved.begin(), approved.end(), name) != approved.end();
}

void CheckReleased(const json& released, const std::vector<std::string>& approved) {
  for (const auto& [name, value] : released.items()) {
    if (name == "verified_claims") {
      const json list = value.is_array() ? value : json::array({value});
      for (const auto& one : list) {
        for (const auto& [inner, v] : one.at("claims").items()) {
          if (!Approved(approved, inner)) std::abort();
        }
      }
    } else if (!Approved(approved, name)) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = oidc::ParseClaimsRequest(text);
  if (!parsed.ok()) return 0;
  const json stored = oidc::ClaimsRequestToJson(*parsed);
  auto back = oidc::ParseClaimsRequestJson(stored);
  if (!back.ok() || oidc::ClaimsRequestToJson(*back) != stored) std::abort();

  oidc::ApprovedAuthorization grant;
  grant.scopes = {"openid", "profile", "email"};
  grant.claims = *parsed;
  grant.approved_claims = oidc::ClaimsToShow(grant.scopes, grant.claims, AllClaims());
  // Approve every other one, so that refusals are exercised too.
  std::vector<std::string> approved;
  for (size_t i = 0; i < grant.approved_claims.size(); i += 2)
    approved.push_back(grant.approved_claims[i]);
  grant.approved_claims = approved;
  const auto released = oidc::ReleaseClaims(Person(), grant);
  CheckReleased(released.id_token, approved);
  CheckReleased(released.userinfo, approved);
  return 0;
}
