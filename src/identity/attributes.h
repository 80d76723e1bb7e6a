// Identity records as registrars send them: the person's attributes under their OpenID Connect
// Core §5.1 names, and the evidence of how they were verified under OpenID Connect for Identity
// Assurance 1.0 names (§5.4 evidence, document_details, check method and time).
//
// A request body is the attributes at top level plus "evidence":
//
//   {"given_name": "Anna", "family_name": "Peeters", "middle_name": "Maria",
//    "birthdate": "1990-04-27", "gender": "female",
//    "place_of_birth": {"country": "BE", "region": "Antwerpen", "locality": "Mechelen"},
//    "nationalities": ["BE"], "phone_number": "+32470123456", "email": "anna@example.be",
//    "address": {"street_address": "Grote Markt 1", "locality": "Mechelen",
//                "postal_code": "2800", "region": "Antwerpen", "country": "BE"},
//    "national_id_number": "90042712345",
//    "evidence": {"type": "document", "method": "pipp", "time": "2026-11-20T09:30:00Z",
//                 "document_details": {"type": "idcard", "document_number": "592123456789",
//                                      "issuer": {"country": "BE"},
//                                      "date_of_issuance": "2021-03-01",
//                                      "date_of_expiry": "2031-03-01"}}}
//
// Parsing is strict: unknown members at any level, wrong types and malformed values are refused
// with an invalid_request naming the field ("phone_number: must be E.164, e.g. +31612345678",
// "evidence.document_details.date_of_expiry: ..."). Dates are "YYYY-MM-DD", times RFC 3339 UTC,
// countries ISO 3166-1 alpha-2, the phone number E.164.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace idscheme::identity {

struct PlaceOfBirth {
  std::string country;  // ISO 3166-1 alpha-2
  std::string region;
  std::string locality;
  bool operator==(const PlaceOfBirth&) const = default;
};

struct Address {
  std::string street_address;
  std::string locality;
  std::string region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2
  bool operator==(const Address&) const = default;
};

// A person's attributes; an unset member is absent (in an update: unchanged).
struct Attributes {
  std::optional<std::string> given_name;
  std::optional<std::string> family_name;
  std::optional<std::string> middle_name;
  std::optional<std::string> birthdate;  // YYYY-MM-DD
  std::optional<std::string> gender;     // "female", "male" or "other"
  std::optional<PlaceOfBirth> place_of_birth;
  std::optional<std::vector<std::string>> nationalities;  // ISO 3166-1 alpha-2
  std::optional<Address> address;
  std::optional<std::string> phone_number;  // E.164
  std::optional<std::string> email;
  std::optional<std::string> national_id_number;
  bool operator==(const Attributes&) const = default;

  // The names of the set members, in the order above.
  std::vector<std::string> Names() const;
  // {name: value} of the set members.
  nlohmann::json ToJson() const;
};

// Every attribute name, in the order of Attributes.
const std::vector<std::string>& AttributeNames();
// Attributes every identity must have.
inline constexpr std::string_view kRequiredAttributes[] = {"given_name", "family_name", "birthdate",
                                                           "phone_number"};

// How and when the attributes were verified (OIDC4IDA §5.4.4 "document" evidence).
struct Evidence {
  std::string type = "document";
  std::string method;         // "pipp", "sripp", "eid" or "uripp" (OIDC4IDA predefined values)
  int64_t time = 0;           // when the check happened, seconds since the epoch
  std::string document_type;  // "idcard", "passport", "driving_permit" or "residence_permit"
  std::string document_number;
  std::string issuing_country;   // ISO 3166-1 alpha-2
  std::string date_of_issuance;  // YYYY-MM-DD
  std::string date_of_expiry;    // YYYY-MM-DD
  bool operator==(const Evidence&) const = default;

  nlohmann::json ToJson() const;  // the request shape above
};

// A new identity record (POST body).
struct NewIdentity {
  Attributes attributes;
  Evidence evidence;
};

// A change of attributes (PATCH body): the attributes given replace the current ones, a null
// removes an optional one; new evidence, when given, replaces the current evidence and dates the
// changed attributes' verification.
struct IdentityUpdate {
  Attributes set;
  std::vector<std::string> removed;
  std::optional<Evidence> evidence;
};

// Shape and types only: values are checked by the Validate functions (Identities does that).
Result<NewIdentity> ParseNewIdentity(const nlohmann::json& body);
Result<IdentityUpdate> ParseIdentityUpdate(const nlohmann::json& body);
// Attributes as ToJson writes them (what the store keeps).
Result<Attributes> ParseAttributes(const nlohmann::json& object);
Result<Evidence> ParseEvidence(const nlohmann::json& object, std::string_view prefix = "evidence.");

// Value checks, one error naming the field. `now_seconds` bounds the dates in the past.
Status ValidateAttributes(const Attributes& attributes, int64_t now_seconds);
Status ValidateEvidence(const Evidence& evidence, int64_t now_seconds);
// A complete new record: the required attributes present, then both checks above.
Status ValidateNewIdentity(const NewIdentity& identity, int64_t now_seconds);
Status ValidateIdentityUpdate(const IdentityUpdate& update, int64_t now_seconds);

}  // namespace idscheme::identity
