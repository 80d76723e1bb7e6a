// The strict parsers and value checks of identity bodies and SIM requests (no store needed).
#include "identity/attributes.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "identity/identity_test_util.h"
#include "identity/internal/fields.h"
#include "identity/sim_bindings.h"

namespace idscheme::identity {
namespace {

using json = nlohmann::json;
using testing::kNow;
using testing::SampleEvidence;
using testing::SampleIdentity;

// The error of parsing then validating `body` as a new identity (OK when accepted).
Status NewIdentityError(const json& body) {
  auto parsed = ParseNewIdentity(body);
  if (!parsed.ok()) return parsed.status();
  return ValidateNewIdentity(*parsed, kNow);
}

void ExpectFieldError(const Status& s, const std::string& prefix) {
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message().rfind(prefix, 0), 0u)
      << "got \"" << s.message() << "\", want \"" << prefix << "...\"";
}

TEST(AttributesTest, ASampleIdentityRoundTrips) {
  auto parsed = ParseNewIdentity(SampleIdentity());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(ValidateNewIdentity(*parsed, kNow).ok());
  json back = parsed->attributes.ToJson();
  back["evidence"] = parsed->evidence.ToJson();
  EXPECT_EQ(back, SampleIdentity());
  EXPECT_EQ(parsed->attributes.Names().size(), 11u);
}

TEST(AttributesTest, PhoneNumbersMustBeE164) {
  for (const char* bad : {"0470123456", "+0470123456", "+32 470 12 34 56", "+3247012345678901",
                          "+32470", "32470123456", "+32470-123456", "", "+"}) {
    json body = SampleIdentity(bad);
    Status s = NewIdentityError(body);
    EXPECT_EQ(s.message(), "phone_number: must be E.164, e.g. +31612345678") << bad;
  }
  json wrong_type = SampleIdentity();
  wrong_type["phone_number"] = 32470123456;
  ExpectFieldError(NewIdentityError(wrong_type), "phone_number: must be a string");
}

TEST(AttributesTest, DatesAreCalendarDates) {
  for (const char* bad : {"1990-02-30", "1990-13-01", "1990-4-27", "27-04-1990", "1990/04/27",
                          "1990-04-27T00:00:00Z", "1799-12-31", "2023-02-29", " 1990-04-27"}) {
    json body = SampleIdentity();
    body["birthdate"] = bad;
    ExpectFieldError(NewIdentityError(body), "birthdate: must be a date YYYY-MM-DD");
  }
  json leap = SampleIdentity();
  leap["birthdate"] = "2000-02-29";
  EXPECT_TRUE(NewIdentityError(leap).ok());
  json future = SampleIdentity();
  future["birthdate"] = "2030-01-01";
  ExpectFieldError(NewIdentityError(future), "birthdate: is in the future");

  json expired = SampleIdentity();
  expired["evidence"]["document_details"]["date_of_expiry"] = "2020-01-01";
  ExpectFieldError(NewIdentityError(expired),
                   "evidence.document_details.date_of_expiry: must be after date_of_issuance");
  json lapsed = SampleIdentity();
  lapsed["evidence"]["document_details"]["date_of_issuance"] = "2011-01-01";
  lapsed["evidence"]["document_details"]["date_of_expiry"] = "2021-01-01";
  ExpectFieldError(NewIdentityError(lapsed),
                   "evidence.document_details.date_of_expiry: the document had expired");
  json bad_time = SampleIdentity();
  bad_time["evidence"]["time"] = "2023-11-01 10:00:00";
  ExpectFieldError(NewIdentityError(bad_time), "evidence.time: must be an RFC 3339 UTC time");
  json later = SampleIdentity();
  later["evidence"]["time"] = "2024-01-01T00:00:00Z";
  ExpectFieldError(NewIdentityError(later), "evidence.time: is in the future");
}

TEST(AttributesTest, CountriesAreIsoAlpha2) {
  json lower = SampleIdentity();
  lower["address"]["country"] = "be";
  ExpectFieldError(NewIdentityError(lower), "address.country: must be an ISO 3166-1 alpha-2");
  json alpha3 = SampleIdentity();
  alpha3["place_of_birth"]["country"] = "BEL";
  ExpectFieldError(NewIdentityError(alpha3), "place_of_birth.country: must be an ISO 3166-1");
  json unassigned = SampleIdentity();
  unassigned["nationalities"] = {"BE", "XK"};
  ExpectFieldError(NewIdentityError(unassigned), "nationalities[1]: must be an ISO 3166-1");
  json dup = SampleIdentity();
  dup["nationalities"] = {"BE", "BE"};
  ExpectFieldError(NewIdentityError(dup), "nationalities[1]: duplicate value");
  json issuer = SampleIdentity();
  issuer["evidence"]["document_details"]["issuer"]["country"] = "EU";
  ExpectFieldError(NewIdentityError(issuer), "evidence.document_details.issuer.country:");
  EXPECT_TRUE(internal::IsCountryCode("ZW"));
  EXPECT_TRUE(internal::IsCountryCode("AD"));
  EXPECT_FALSE(internal::IsCountryCode("UK"));
}

TEST(AttributesTest, UnknownFieldsAndWrongTypesAreRefused) {
  json unknown = SampleIdentity();
  unknown["favourite_colour"] = "blue";
  ExpectFieldError(NewIdentityError(unknown), "favourite_colour: unknown field");
  json nested = SampleIdentity();
  nested["address"]["planet"] = "Earth";
  ExpectFieldError(NewIdentityError(nested), "address.planet: unknown field");
  json evidence = SampleIdentity();
  evidence["evidence"]["document_details"]["colour"] = "red";
  ExpectFieldError(NewIdentityError(evidence), "evidence.document_details.colour: unknown field");
  json server_set = SampleIdentity();
  server_set["id"] = "idn_x";
  ExpectFieldError(NewIdentityError(server_set), "id: unknown field");
  json array = SampleIdentity();
  array["nationalities"] = "BE";
  ExpectFieldError(NewIdentityError(array), "nationalities: must be an array");
  json object = SampleIdentity();
  object["address"] = "Grote Markt 1";
  ExpectFieldError(NewIdentityError(object), "address: must be a JSON object");
  ExpectFieldError(NewIdentityError(json::array()), "the body: must be a JSON object");
  json gender = SampleIdentity();
  gender["gender"] = "F";
  ExpectFieldError(NewIdentityError(gender), "gender: must be female, male or other");
  json method = SampleIdentity();
  method["evidence"]["method"] = "selfie";
  ExpectFieldError(NewIdentityError(method), "evidence.method:");
  json doc = SampleIdentity();
  doc["evidence"]["document_details"]["type"] = "library_card";
  ExpectFieldError(NewIdentityError(doc), "evidence.document_details.type:");
  json email = SampleIdentity();
  email["email"] = "anna@@example.be";
  ExpectFieldError(NewIdentityError(email), "email:");
  json control = SampleIdentity();
  control["given_name"] = "An\nna";
  ExpectFieldError(NewIdentityError(control), "given_name: must not contain control characters");
}

// Names are shown to service providers and in the app: nothing hidden, nothing that turns the
// text around, no line breaks, no space of any kind at either end.
TEST(AttributesTest, NamesHaveNothingHiddenInThem) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"Ann\u202ea",
       "given_name: must not contain invisible or direction-changing characters "
       "(U+202E)"},
      {"\u200b",
       "given_name: must not contain invisible or direction-changing characters "
       "(U+200B)"},
      {"An\u200dna",
       "given_name: must not contain invisible or direction-changing characters "
       "(U+200D)"},
      {"a\u0085b", "given_name: must not contain control characters (U+0085)"},
      {"Anna\u2028Maria", "given_name: must not contain line or paragraph separators (U+2028)"},
      {"\u00a0Anna", "given_name: must not start or end with a space (U+00A0)"},
      {"Anna\u2003", "given_name: must not start or end with a space (U+2003)"},
      {"\u00a0", "given_name: must not be only spaces"},
  };
  for (const auto& [name, want] : refused) {
    json body = SampleIdentity();
    body["given_name"] = name;
    Status s = NewIdentityError(body);
    EXPECT_EQ(s.message(), want);
  }
  json family = SampleIdentity();
  family["family_name"] = "Peeters\u2067";
  ExpectFieldError(NewIdentityError(family),
                   "family_name: must not contain invisible or direction-changing characters");
  json locality = SampleIdentity();
  locality["address"]["locality"] = "Mechelen\ufeff";
  ExpectFieldError(NewIdentityError(locality),
                   "address.locality: must not contain invisible or direction-changing");
  auto update = ParseIdentityUpdate({{"middle_name", "Ma\u200eria"}});
  ASSERT_TRUE(update.ok());
  ExpectFieldError(ValidateIdentityUpdate(*update, kNow),
                   "middle_name: must not contain invisible or direction-changing");

  for (const char* name :
       {"Zoë", "François", "Ελένη", "Анна", "فاطمة", "美咲", "José María", "Anna\u00a0Maria"}) {
    json body = SampleIdentity();
    body["given_name"] = name;
    EXPECT_TRUE(NewIdentityError(body).ok()) << name;
  }
}

// An empty string would read as "absent" and vanish from the record: refused, naming the field.
// Leaving the member out (or null, in an update, for a whole attribute) is how to give none.
TEST(AttributesTest, EmptyStringsAreRefusedNotDropped) {
  for (const auto& [object, member] :
       std::vector<std::pair<std::string, std::string>>{{"address", "street_address"},
                                                        {"address", "locality"},
                                                        {"address", "region"},
                                                        {"address", "postal_code"},
                                                        {"place_of_birth", "region"},
                                                        {"place_of_birth", "locality"}}) {
    const std::string field = object + "." + member;
    json body = SampleIdentity();
    body[object][member] = "";
    ExpectFieldError(NewIdentityError(body), field + ": must not be empty (leave it out instead)");
    json update = {{object, SampleIdentity()[object]}};
    update[object][member] = "";
    ExpectFieldError(ParseIdentityUpdate(update).status(),
                     field + ": must not be empty (leave it out instead)");
    // Left out, it is simply not there.
    json without = SampleIdentity();
    without[object].erase(member);
    EXPECT_TRUE(NewIdentityError(without).ok()) << field;
  }
  for (const char* name : {"given_name", "middle_name", "national_id_number", "email"}) {
    json body = SampleIdentity();
    body[name] = "";
    EXPECT_EQ(NewIdentityError(body).code(), Status::Code::kInvalidArgument) << name;
  }
}

TEST(AttributesTest, RequiredMembers) {
  for (const char* name : {"given_name", "family_name", "birthdate", "phone_number"}) {
    json body = SampleIdentity();
    body.erase(name);
    ExpectFieldError(NewIdentityError(body), std::string(name) + ": required");
  }
  json no_evidence = SampleIdentity();
  no_evidence.erase("evidence");
  ExpectFieldError(NewIdentityError(no_evidence), "evidence: required");
  json no_doc = SampleIdentity();
  no_doc["evidence"].erase("document_details");
  ExpectFieldError(NewIdentityError(no_doc), "evidence.document_details: required");
  json no_country = SampleIdentity();
  no_country["address"].erase("country");
  ExpectFieldError(NewIdentityError(no_country), "address.country: required");
}

TEST(AttributesTest, Updates) {
  auto u = ParseIdentityUpdate({{"email", "new@example.be"}, {"middle_name", nullptr}});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->set.Names(), std::vector<std::string>{"email"});
  EXPECT_EQ(u->removed, std::vector<std::string>{"middle_name"});
  EXPECT_FALSE(u->evidence);
  EXPECT_TRUE(ValidateIdentityUpdate(*u, kNow).ok());

  ExpectFieldError(ParseIdentityUpdate({{"family_name", nullptr}}).status(),
                   "family_name: required; cannot be removed");
  EXPECT_EQ(ParseIdentityUpdate(json::object()).status().code(), Status::Code::kInvalidArgument);
  ExpectFieldError(
      ParseIdentityUpdate({{"evidence", SampleEvidence()}, {"shoe_size", 42}}).status(),
      "shoe_size: unknown field");
  auto bad_phone = ParseIdentityUpdate({{"phone_number", "+31 6 1234 5678"}});
  ASSERT_TRUE(bad_phone.ok());
  EXPECT_EQ(ValidateIdentityUpdate(*bad_phone, kNow).message(),
            "phone_number: must be E.164, e.g. +31612345678");
}

TEST(AttributesTest, DateTimesRoundTrip) {
  EXPECT_EQ(internal::ParseDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(internal::ParseDateTime("2023-11-14T22:13:20Z"), kNow);
  EXPECT_EQ(internal::FormatDateTime(kNow), "2023-11-14T22:13:20Z");
  EXPECT_EQ(internal::FormatDateTime(951782400), "2000-02-29T00:00:00Z");
  for (const char* bad : {"2023-11-14T24:00:00Z", "2023-11-14T22:13:20+01:00",
                          "2023-11-14T22:13:20.5Z", "2023-11-14t22:13:20z"})
    EXPECT_FALSE(internal::ParseDateTime(bad)) << bad;
}

TEST(SimRequestsTest, BindingsAndEventsParseStrictly) {
  json good = {{"phone_number", "+32470123456"},
               {"iccid", testing::kIccid},
               {"public_key", {{"kty", "EC"}}}};
  EXPECT_TRUE(ParseNewBinding(good).ok());
  json bad_phone = good;
  bad_phone["phone_number"] = "0470123456";
  EXPECT_EQ(ParseNewBinding(bad_phone).status().message(),
            "phone_number: must be E.164, e.g. +31612345678");
  json bad_iccid = good;
  bad_iccid["iccid"] = "8932000000000000007";  // Luhn digit off by one
  ExpectFieldError(ParseNewBinding(bad_iccid).status(), "iccid: must be an ICCID");
  json extra = good;
  extra["imsi"] = "206012345678901";
  ExpectFieldError(ParseNewBinding(extra).status(), "imsi: unknown field");
  json key_text = good;
  key_text["public_key"] = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE";
  ExpectFieldError(ParseNewBinding(key_text).status(), "public_key: must be a JWK");

  auto event = ParseSimEvent({{"phone_number", "+32470123456"},
                              {"type", "sim_swap"},
                              {"occurred_at", "2023-11-14T20:00:00Z"}});
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type, SimEventType::kSimSwap);
  EXPECT_EQ(*event->occurred_at, kNow - 2 * 3600 - 13 * 60 - 20);
  ExpectFieldError(ParseSimEvent({{"phone_number", "+32470123456"}, {"type", "stolen"}}).status(),
                   "type: must be sim_swap or line_termination");
  ExpectFieldError(
      ParseSimEvent(
          {{"phone_number", "+32470123456"}, {"type", "sim_swap"}, {"occurred_at", "yesterday"}})
          .status(),
      "occurred_at: must be an RFC 3339 UTC time");
  EXPECT_TRUE(IsValidIccid("8931440400012345672"));
  EXPECT_FALSE(IsValidIccid("1931440400012345672"));
  EXPECT_FALSE(IsValidIccid("89314404000123456A2"));
}

}  // namespace
}  // namespace idscheme::identity
