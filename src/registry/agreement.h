// Member agreements: what a member may do in the scheme (SCHEME.md, "member agreement").
//
// An agreement lists the services a member may use, the claims it may receive (from the claim
// catalogue, claims.h), the assurance levels it may ask for, and what happens to a requested
// claim outside the list: refuse the request, or drop the claim silently (data minimisation
// either way). Each member has at most one current agreement; setting a new one adds a version
// and never changes an old one (the table refuses UPDATE and DELETE), so the history of what a
// member was allowed, and when, is kept whole.
//
// A service provider brought in by a value added reseller works under the intersection of its own
// agreement and the reseller's (Intersect): the reseller cannot pass on more than it holds.
//
// Thread-safety: Agreements is stateless apart from the store and safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/database.h"
#include "store/epoch_cache.h"

namespace idscheme::registry {

// The scheme's four services (SCHEME.md, "The four services").
enum class Service { kIdentification, kLogin, kConfirmation, kSign };
std::string_view ServiceName(Service service);  // "identification", "login", "confirmation", "sign"
std::optional<Service> ParseService(std::string_view name);

// SCHEME.md, "Assurance levels". Their names are also the acr values clients register and ask
// for (default_acr_values, acr_values).
enum class AssuranceLevel { kBasic, kAdvanced };
std::string_view AssuranceLevelName(AssuranceLevel level);  // "basic", "advanced"
std::optional<AssuranceLevel> ParseAssuranceLevel(std::string_view name);

// What happens to a requested claim the agreement does not list.
enum class OutsideClaims { kRefuse, kDrop };
std::string_view OutsideClaimsName(OutsideClaims o);  // "refuse", "drop"

struct AgreementTerms {
  std::vector<Service> services;                 // sorted, unique
  std::vector<std::string> claims;               // sorted, unique, all in the catalogue
  std::vector<AssuranceLevel> assurance_levels;  // sorted, unique
  OutsideClaims outside_claims = OutsideClaims::kRefuse;

  bool Allows(Service s) const;
  bool AllowsClaim(std::string_view claim) const;  // "sub" always
  bool AllowsLevel(AssuranceLevel l) const;
  // {"services": [...], "claims": [...], "assurance_levels": [...], "claims_outside": "refuse"}
  nlohmann::json ToJson() const;
  bool operator==(const AgreementTerms&) const = default;
};

// Reads terms strictly: the four members above, each required ("claims" may be []), known
// values only, no duplicates; errors name the field ("claims[2]: unknown claim 'foo'").
Result<AgreementTerms> ParseAgreementTerms(const nlohmann::json& body);

// The terms a reseller's customer works under: services, claims and levels both allow; claims
// outside are refused if either agreement refuses them.
AgreementTerms Intersect(const AgreementTerms& reseller, const AgreementTerms& customer);

struct Agreement {
  std::string member_id;
  int64_t version = 0;  // 1, 2, ... per member
  AgreementTerms terms;
  int64_t created_at_ms = 0;
  std::string created_by;  // the audit actor who set it
  // {"member_id", "version", "created_at", "created_by", ...terms}
  nlohmann::json ToJson() const;
};

class Agreements {
 public:
  Agreements(store::Database& db, const Clock& clock)
      : db_(db),
        clock_(clock),
        kept_(std::make_shared<store::EpochCache<AgreementTerms>>(kKeptMs, kKeptMembers)) {}

  // Adds a new current version for `member_id` (not for a terminated member).
  Result<Agreement> Set(std::string_view member_id, const AgreementTerms& terms,
                        std::string_view actor);
  // The current version; NotFound when the member has none (or does not exist).
  Result<Agreement> Current(std::string_view member_id);
  // Every version, oldest first (empty when none).
  Result<std::vector<Agreement>> History(std::string_view member_id);
  // What the member works under now: its own current terms, intersected with its reseller's when
  // it has one. A member without an agreement (or whose reseller has none) gets empty terms.
  // Kept between registry writes, as Clients::FindClient keeps clients (store/epoch_cache.h):
  // every authorization request evaluates the policy with them.
  Result<AgreementTerms> Effective(std::string_view member_id);

  static constexpr int64_t kKeptMs = 2000;
  static constexpr size_t kKeptMembers = 10000;

 private:
  store::Database& db_;
  const Clock& clock_;
  std::shared_ptr<store::EpochCache<AgreementTerms>> kept_;

  Result<AgreementTerms> ReadEffective(std::string_view member_id);
};

}  // namespace idscheme::registry
