#include "registry/registry_test_util.h"

#include "audit/audit_log.h"
#include "store/migrations.h"

namespace idscheme::registry::testing {

using json = nlohmann::json;

json TestJwks() {
  // RFC 7515 Appendix A.3's P-256 key, public part.
  return {{"keys",
           {{{"kty", "EC"},
             {"crv", "P-256"},
             {"kid", "k1"},
             {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
             {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}}}};
}

json WebClientMetadata(const std::string& redirect) {
  return {{"redirect_uris", {redirect}}, {"jwks", TestJwks()}, {"client_name", "Acme web"}};
}

std::vector<store::Migration> RegistryMigrations() {
  auto all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(m);
  for (auto& m : Migrations()) all.push_back(m);
  return all;
}

void RegistryTest::SetUp() {
  IDS_REQUIRE_BACKEND(GetParam());
  url_ = idscheme::testing::FreshDatabaseUrl(GetParam());
  auto db = store::Database::Open(url_, 8);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(db).value();
  Status s = store::Migrate(*db_, RegistryMigrations());
  ASSERT_TRUE(s.ok()) << s.ToString();
  registry_ = std::make_unique<Registry>(*db_, clock_, random_);
}

Member RegistryTest::AddMember(Role role, const std::string& name, const std::string& reseller_id) {
  NewMember m;
  m.role = role;
  m.display_name = name;
  m.legal_id = "BE0123456789";
  m.contacts.email = "ops@acme.example";
  m.reseller_id = reseller_id;
  auto created = registry_->members().Create(m, "operator");
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : Member{};
}

Agreement RegistryTest::SetTerms(const std::string& member_id, const json& terms) {
  auto parsed = ParseAgreementTerms(terms);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return {};
  auto set = registry_->agreements().Set(member_id, *parsed, "operator");
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return set.ok() ? *set : Agreement{};
}

ClientWithSecret RegistryTest::AddClient(const std::string& member_id, const json& metadata) {
  auto m = ValidateClientMetadata(metadata);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return {};
  auto c = registry_->clients().Create(member_id, *m, "operator", "operator");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ClientWithSecret{};
}

std::vector<json> RegistryTest::AuditEntries(const std::string& action) {
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

}  // namespace idscheme::registry::testing
