// Strict readers and value checks for the JSON that registrars and SIM controllers send: every
// error is an invalid_request naming the field ("phone_number: must be E.164, e.g.
// +31612345678", "address.country: ..."), so whoever sent it knows what to fix.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "registry/internal/fields.h"

namespace idscheme::identity::internal {

// Status::InvalidArgument("<field>: <what>").
Status FieldError(std::string_view field, std::string_view what);

// `object` must be a JSON object whose members are all in `known`; `name` names it in errors
// ("the body", "address"), `prefix` goes before member names ("address.").
Status CheckObject(const nlohmann::json& object, std::string_view name,
                   std::initializer_list<std::string_view> known, std::string_view prefix = {});

// The member `key` of `object` as a string; absent -> nullopt; another type -> error naming
// `prefix + key`.
Result<std::optional<std::string>> OptString(const nlohmann::json& object, std::string_view key,
                                             std::string_view prefix = {});

// Shared with the registry's readers: strict UTF-8, and human-readable text (1..max_bytes bytes
// of UTF-8; no control, invisible or direction-changing characters; no space at either end).
using registry::internal::CheckText;
using registry::internal::IsValidUtf8;

// ITU-T E.164: '+', a country code not starting with 0, 7..15 digits in all.
bool IsE164(std::string_view phone);
Status CheckPhone(std::string_view field, std::string_view phone);

// ISO 3166-1 alpha-2: an officially assigned code, upper case ("BE", "NL").
bool IsCountryCode(std::string_view code);
Status CheckCountry(std::string_view field, std::string_view code);

// A calendar date "YYYY-MM-DD" (ISO 8601 / RFC 3339 full-date), years 1800..9999; returns the
// day number since 1970-01-01.
std::optional<int64_t> ParseDate(std::string_view text);
Status CheckDate(std::string_view field, std::string_view text);
// An RFC 3339 date-time in UTC without fractions, "YYYY-MM-DDThh:mm:ssZ", as seconds since the
// epoch.
std::optional<int64_t> ParseDateTime(std::string_view text);
// The inverse of ParseDateTime for `seconds` since the epoch.
std::string FormatDateTime(int64_t seconds);
// Today's day number at `now_seconds` (UTC).
inline int64_t DayOf(int64_t now_seconds) {
  return (now_seconds >= 0 ? now_seconds : now_seconds - 86399) / 86400;
}

// local@domain, the common shape (RFC 5321 lengths; no quoted local parts).
Status CheckEmail(std::string_view field, std::string_view email);

// Whether `id` could be one of our identifiers (1..64 of [A-Za-z0-9_-]): lookups answer
// NotFound for anything else without asking the store.
bool IsWellFormedId(std::string_view id);

}  // namespace idscheme::identity::internal
