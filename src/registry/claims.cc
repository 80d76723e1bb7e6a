#include "registry/claims.h"

#include <array>

namespace idscheme::registry {
namespace {

using F = ClaimFamily;

constexpr std::array kClaims = {
    // OIDC Core §5.1.
    ClaimInfo{"sub", F::kOidcStandard, "subject identifier (pairwise unless registered public)"},
    ClaimInfo{"name", F::kOidcStandard, "full name"},
    ClaimInfo{"given_name", F::kOidcStandard, "given name(s)"},
    ClaimInfo{"family_name", F::kOidcStandard, "surname(s)"},
    ClaimInfo{"middle_name", F::kOidcStandard, "middle name(s)"},
    ClaimInfo{"nickname", F::kOidcStandard, "casual name"},
    ClaimInfo{"preferred_username", F::kOidcStandard, "shorthand name"},
    ClaimInfo{"profile", F::kOidcStandard, "profile page URL"},
    ClaimInfo{"picture", F::kOidcStandard, "photo URL"},
    ClaimInfo{"website", F::kOidcStandard, "web page URL"},
    ClaimInfo{"email", F::kOidcStandard, "e-mail address"},
    ClaimInfo{"email_verified", F::kOidcStandard, "whether the e-mail address was verified"},
    ClaimInfo{"gender", F::kOidcStandard, "gender"},
    ClaimInfo{"birthdate", F::kOidcStandard, "date of birth"},
    ClaimInfo{"zoneinfo", F::kOidcStandard, "time zone"},
    ClaimInfo{"locale", F::kOidcStandard, "locale"},
    ClaimInfo{"phone_number", F::kOidcStandard, "phone number"},
    ClaimInfo{"phone_number_verified", F::kOidcStandard, "whether the phone number was verified"},
    ClaimInfo{"address", F::kOidcStandard, "postal address"},
    ClaimInfo{"updated_at", F::kOidcStandard, "when the information was last updated"},
    // OpenID Connect for Identity Assurance 1.0 §4.
    ClaimInfo{"place_of_birth", F::kIdentityAssurance, "place of birth"},
    ClaimInfo{"nationalities", F::kIdentityAssurance, "nationalities (ISO 3166-1)"},
    ClaimInfo{"birth_family_name", F::kIdentityAssurance, "family name at birth"},
    ClaimInfo{"birth_given_name", F::kIdentityAssurance, "given name at birth"},
    ClaimInfo{"birth_middle_name", F::kIdentityAssurance, "middle name at birth"},
    ClaimInfo{"salutation", F::kIdentityAssurance, "salutation"},
    ClaimInfo{"title", F::kIdentityAssurance, "title"},
    ClaimInfo{"msisdn", F::kIdentityAssurance, "mobile number (E.164, no '+')"},
    ClaimInfo{"also_known_as", F::kIdentityAssurance, "stage or religious name"},
    // The scheme's own.
    ClaimInfo{"urn:idscheme:claims:national_id_number", F::kScheme,
              "national identification number"},
    ClaimInfo{"urn:idscheme:claims:id_document", F::kScheme,
              "identity document: type, number, issuer, validity"},
};

// OIDC Core §5.4: the claims each scope value asks for.
constexpr std::array<std::string_view, 14> kProfile = {
    "name",    "family_name", "given_name", "middle_name", "nickname",  "preferred_username",
    "profile", "picture",     "website",    "gender",      "birthdate", "zoneinfo",
    "locale",  "updated_at"};
constexpr std::array<std::string_view, 2> kEmail = {"email", "email_verified"};
constexpr std::array<std::string_view, 1> kAddress = {"address"};
constexpr std::array<std::string_view, 2> kPhone = {"phone_number", "phone_number_verified"};

}  // namespace

std::span<const ClaimInfo> ClaimCatalogue() { return kClaims; }

const ClaimInfo* FindClaim(std::string_view name) {
  for (const auto& c : kClaims) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool IsKnownScope(std::string_view scope) {
  return scope == "openid" || scope == "profile" || scope == "email" || scope == "address" ||
         scope == "phone" || scope == "offline_access";
}

std::span<const std::string_view> ScopeClaims(std::string_view scope) {
  if (scope == "profile") return kProfile;
  if (scope == "email") return kEmail;
  if (scope == "address") return kAddress;
  if (scope == "phone") return kPhone;
  return {};
}

}  // namespace idscheme::registry
