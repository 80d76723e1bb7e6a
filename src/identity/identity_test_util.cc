#include "identity/identity_test_util.h"

#include "audit/audit_log.h"
#include "crypto/key.h"
#include "store/migrations.h"

namespace idscheme::identity::testing {

using json = nlohmann::json;

json SampleEvidence() {
  return {{"type", "document"},
          {"method", "pipp"},
          {"time", "2023-11-01T10:00:00Z"},
          {"document_details",
           {{"type", "idcard"},
            {"document_number", "592123456789"},
            {"issuer", {{"country", "BE"}}},
            {"date_of_issuance", "2021-03-01"},
            {"date_of_expiry", "2031-03-01"}}}};
}

json SampleIdentity(const std::string& phone) {
  return {
      {"given_name", "Anna"},
      {"family_name", "Peeters"},
      {"middle_name", "Maria"},
      {"birthdate", "1990-04-27"},
      {"gender", "female"},
      {"place_of_birth", {{"country", "BE"}, {"region", "Antwerpen"}, {"locality", "Mechelen"}}},
      {"nationalities", {"BE", "NL"}},
      {"address",
       {{"street_address", "Grote Markt 1"},
        {"locality", "Mechelen"},
        {"postal_code", "2800"},
        {"country", "BE"}}},
      {"phone_number", phone},
      {"email", "anna@example.be"},
      {"national_id_number", "90.04.27-123.45"},
      {"evidence", SampleEvidence()}};
}

json SimKeyJwk() {
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  EXPECT_TRUE(key.ok());
  auto jwk = (*key)->ToJwk(false);
  EXPECT_TRUE(jwk.ok());
  return *jwk;
}

std::vector<store::Migration> IdentityTestMigrations() {
  auto all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(m);
  for (auto& m : registry::Migrations()) all.push_back(m);
  for (auto& m : Migrations()) all.push_back(m);
  return all;
}

void IdentityTest::SetUp() {
  IDS_REQUIRE_BACKEND(GetParam());
  url_ = idscheme::testing::FreshDatabaseUrl(GetParam());
  auto db = store::Database::Open(url_, 8);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(db).value();
  Status s = store::Migrate(*db_, IdentityTestMigrations());
  ASSERT_TRUE(s.ok()) << s.ToString();
  registry_ = std::make_unique<registry::Registry>(*db_, clock_, random_);
  identities_ = std::make_unique<Identities>(*db_, clock_, random_);
  sims_ = std::make_unique<SimBindings>(*db_, clock_, random_);
}

std::string IdentityTest::AddMember(registry::Role role, const std::string& name) {
  registry::NewMember m;
  m.role = role;
  m.display_name = name;
  m.legal_id = "BE0123456789";
  m.contacts.email = "ops@registrar.example";
  auto created = registry_->members().Create(m, "operator");
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? created->id : "";
}

Identity IdentityTest::CreateIdentity(const std::string& registrar_id, const std::string& phone) {
  auto parsed = ParseNewIdentity(SampleIdentity(phone));
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return {};
  auto created =
      identities_->Create(Actor::Registrar(registrar_id, "c_test"), registrar_id, *parsed);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : Identity{};
}

std::vector<json> IdentityTest::AuditEntries(const std::string& action) {
  std::vector<json> out;
  auto entries = audit::List(*db_, 0, 10000);
  EXPECT_TRUE(entries.ok());
  if (!entries.ok()) return out;
  for (const auto& e : *entries) {
    if (e.event.action != action) continue;
    out.push_back({{"actor", e.event.actor},
                   {"subject", e.event.subject},
                   {"details", e.event.details},
                   {"time_ms", e.time_ms}});
  }
  return out;
}

}  // namespace idscheme::identity::testing
