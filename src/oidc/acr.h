// The scheme's authentication context class references (OIDC Core §2 `acr`, §3.1.2.1
// `acr_values`): one URI per assurance level (SCHEME.md, "Assurance levels"), defined here only.
// Discovery lists these; ID tokens carry them; requests ask for them.
//
// Client registrations name levels by their short names ("basic", "advanced": registry's
// AssuranceLevelName) in default_acr_values; requests use the URIs below.
//
// Thread-safety: constants and pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "registry/agreement.h"

namespace idscheme::oidc {

inline constexpr std::string_view kAcrBasic = "urn:idscheme:loa:basic";
inline constexpr std::string_view kAcrAdvanced = "urn:idscheme:loa:advanced";

inline std::string_view AcrForLevel(registry::AssuranceLevel level) {
  return level == registry::AssuranceLevel::kAdvanced ? kAcrAdvanced : kAcrBasic;
}

// The level an acr value names; nullopt for anything else.
inline std::optional<registry::AssuranceLevel> LevelForAcr(std::string_view acr) {
  if (acr == kAcrBasic) return registry::AssuranceLevel::kBasic;
  if (acr == kAcrAdvanced) return registry::AssuranceLevel::kAdvanced;
  return std::nullopt;
}

}  // namespace idscheme::oidc
