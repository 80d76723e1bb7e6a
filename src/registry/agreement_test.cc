#include "registry/agreement.h"

#include <gtest/gtest.h>

#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::RegistryTest;

json Terms() {
  return {{"services", {"login", "identification"}},
          {"claims", {"name", "birthdate", "email"}},
          {"assurance_levels", {"basic"}},
          {"claims_outside", "refuse"}};
}

TEST(AgreementTermsTest, ParsedSortedAndUnique) {
  auto t = ParseAgreementTerms(Terms());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->services, (std::vector<Service>{Service::kIdentification, Service::kLogin}));
  EXPECT_EQ(t->claims, (std::vector<std::string>{"birthdate", "email", "name"}));
  EXPECT_TRUE(t->Allows(Service::kLogin));
  EXPECT_FALSE(t->Allows(Service::kSign));
  EXPECT_TRUE(t->AllowsClaim("sub"));  // always
  EXPECT_TRUE(t->AllowsClaim("email"));
  EXPECT_FALSE(t->AllowsClaim("address"));
  EXPECT_TRUE(t->AllowsLevel(AssuranceLevel::kBasic));
  EXPECT_FALSE(t->AllowsLevel(AssuranceLevel::kAdvanced));
  auto again = ParseAgreementTerms(t->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *t);
}

TEST(AgreementTermsTest, RejectionsNameTheField) {
  auto with = [](const char* key, json v) {
    json b = Terms();
    b[key] = std::move(v);
    return b;
  };
  auto without = [](const char* key) {
    json b = Terms();
    b.erase(key);
    return b;
  };
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "the agreement: must be a JSON object"},
      {with("version", 2), "version: is set by the server"},
      {with("clients", json::array()), "clients: unknown field"},
      {without("services"), "services: required"},
      {with("services", json::array()), "services: must not be empty"},
      {with("services", {"login", "payments"}), "services[1]: unknown value"},
      {with("services", {"login", "login"}), "services[1]: duplicate value"},
      {with("services", "login"), "services: must be an array of strings"},
      {without("claims"), "claims: required"},
      {with("claims", {"name", "shoe_size"}), "claims[1]: unknown value"},
      {with("claims", {"name", 3}), "claims[1]: must be a string"},
      {with("assurance_levels", {"high"}), "assurance_levels[0]: unknown value (basic, advanced)"},
      {with("assurance_levels", json::array()), "assurance_levels: must not be empty"},
      {without("claims_outside"), "claims_outside: required"},
      {with("claims_outside", "ignore"), "claims_outside: must be refuse or drop"},
  };
  for (const auto& [body, want] : cases) {
    auto t = ParseAgreementTerms(body);
    ASSERT_FALSE(t.ok()) << want;
    EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(t.status().message().rfind(want, 0), 0u)
        << "got \"" << t.status().message() << "\", want \"" << want << "\"";
  }
  // An empty claims list is fine: a login-only agreement releases sub alone.
  EXPECT_TRUE(ParseAgreementTerms(with("claims", json::array())).ok());
}

TEST(AgreementTermsTest, IntersectionKeepsWhatBothAllow) {
  auto reseller = *ParseAgreementTerms({{"services", {"login", "identification", "sign"}},
                                        {"claims", {"name", "email", "address"}},
                                        {"assurance_levels", {"basic", "advanced"}},
                                        {"claims_outside", "drop"}});
  auto customer = *ParseAgreementTerms({{"services", {"login", "confirmation"}},
                                        {"claims", {"email", "phone_number"}},
                                        {"assurance_levels", {"advanced"}},
                                        {"claims_outside", "drop"}});
  AgreementTerms t = Intersect(reseller, customer);
  EXPECT_EQ(t.services, std::vector<Service>{Service::kLogin});
  EXPECT_EQ(t.claims, std::vector<std::string>{"email"});
  EXPECT_EQ(t.assurance_levels, std::vector<AssuranceLevel>{AssuranceLevel::kAdvanced});
  EXPECT_EQ(t.outside_claims, OutsideClaims::kDrop);
  customer.outside_claims = OutsideClaims::kRefuse;
  EXPECT_EQ(Intersect(reseller, customer).outside_claims, OutsideClaims::kRefuse);
  EXPECT_EQ(Intersect(customer, reseller).outside_claims, OutsideClaims::kRefuse);
}

class AgreementTest : public RegistryTest {};

TEST_P(AgreementTest, VersionsAreKeptAndNeverRewritten) {
  Member m = AddMember(Role::kServiceProvider);
  auto& agreements = registry_->agreements();
  EXPECT_EQ(agreements.Current(m.id).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(agreements.History(m.id)->empty());
  EXPECT_TRUE(agreements.Effective(m.id)->services.empty());

  Agreement v1 = SetTerms(m.id, Terms());
  EXPECT_EQ(v1.version, 1);
  clock_.AdvanceSeconds(60);
  json narrower = Terms();
  narrower["claims"] = {"name"};
  narrower["claims_outside"] = "drop";
  Agreement v2 = SetTerms(m.id, narrower);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.created_at_ms, v1.created_at_ms + 60'000);

  auto current = agreements.Current(m.id);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->terms.claims, std::vector<std::string>{"name"});
  EXPECT_EQ(current->created_by, "operator");
  auto history = agreements.History(m.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_EQ((*history)[0].terms.claims.size(), 3u);
  EXPECT_EQ((*history)[1].ToJson(), current->ToJson());

  // The table keeps every version: no UPDATE, no DELETE.
  EXPECT_FALSE(db_->Exec("UPDATE registry_agreements SET terms = '{}'").ok());
  EXPECT_FALSE(db_->Exec("DELETE FROM registry_agreements").ok());
  EXPECT_EQ(agreements.History(m.id)->size(), 2u);

  auto entries = AuditEntries("agreement.set");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["details"]["version"], 2);
  EXPECT_EQ(entries[1]["details"]["claims_outside"], "drop");
}

TEST_P(AgreementTest, NotForUnknownOrTerminatedMembers) {
  auto terms = *ParseAgreementTerms(Terms());
  EXPECT_EQ(registry_->agreements().Set("m_none", terms, "operator").status().code(),
            Status::Code::kNotFound);
  Member m = AddMember(Role::kServiceProvider);
  ASSERT_TRUE(registry_->members().Terminate(m.id, "operator").ok());
  auto s = registry_->agreements().Set(m.id, terms, "operator");
  EXPECT_EQ(s.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(registry_->agreements().Effective("m_none").status().code(), Status::Code::kNotFound);
}

TEST_P(AgreementTest, AResellersCustomerWorksUnderTheIntersection) {
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member shop = AddMember(Role::kServiceProvider, "Shop", reseller.id);
  SetTerms(shop.id, {{"services", {"login", "identification"}},
                     {"claims", {"name", "email", "address"}},
                     {"assurance_levels", {"basic", "advanced"}},
                     {"claims_outside", "drop"}});
  // Without a reseller agreement the customer may do nothing.
  EXPECT_TRUE(registry_->agreements().Effective(shop.id)->services.empty());
  SetTerms(reseller.id, {{"services", {"login"}},
                         {"claims", {"email"}},
                         {"assurance_levels", {"basic"}},
                         {"claims_outside", "drop"}});
  auto effective = registry_->agreements().Effective(shop.id);
  ASSERT_TRUE(effective.ok());
  EXPECT_EQ(effective->services, std::vector<Service>{Service::kLogin});
  EXPECT_EQ(effective->claims, std::vector<std::string>{"email"});
  EXPECT_EQ(effective->assurance_levels, std::vector<AssuranceLevel>{AssuranceLevel::kBasic});
  // Its own agreement is unchanged.
  EXPECT_EQ(registry_->agreements().Current(shop.id)->terms.claims.size(), 3u);
}

TEST_P(AgreementTest, EffectiveTermsAreKeptUntilAnyRegistryWriteOrTwoSeconds) {
  Member shop = AddMember(Role::kServiceProvider, "Shop");
  SetTerms(shop.id, Terms());
  ASSERT_EQ(registry_->agreements().Effective(shop.id)->claims.size(), 3u);
  // Another node changes the agreement: the next read here sees it.
  auto other_db = store::Database::Open(url_, 2);
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  FakeClock other_clock;
  Agreements other(**other_db, other_clock);
  json fewer = Terms();
  fewer["claims"] = {"email"};
  ASSERT_TRUE(other.Set(shop.id, *ParseAgreementTerms(fewer), "operator").ok());
  EXPECT_EQ(registry_->agreements().Effective(shop.id)->claims.size(), 1u);

  // Straight in the store, around the registry: seen within two seconds.
  json two = Terms();
  two["claims"] = {"email", "name"};
  ASSERT_TRUE(
      db_->Exec("INSERT INTO registry_agreements (member_id, version, terms, created_at,"
                " created_by) VALUES (?, 3, ?, 0, 'sql')",
                {store::Text(shop.id), store::Text(ParseAgreementTerms(two)->ToJson().dump())})
          .ok());
  if (db_->change_epoch() != nullptr) {
    EXPECT_EQ(registry_->agreements().Effective(shop.id)->claims.size(), 1u) << "kept";
    clock_.Advance(std::chrono::milliseconds(1999));
    EXPECT_EQ(registry_->agreements().Effective(shop.id)->claims.size(), 1u);
    clock_.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(registry_->agreements().Effective(shop.id)->claims.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AgreementTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::registry
