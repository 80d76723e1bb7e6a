// The demo's seeding on a real SQLite store: once on an empty store, read back on later runs,
// refused on a store the demo did not seed.
#include "cli/demo_seed.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "crypto/random.h"
#include "server/node.h"
#include "store/database.h"
#include "store/migrations.h"
#include "testing/test_db.h"

namespace idscheme::cli {
namespace {

class DemoSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    auto db = store::Database::Open(dir_ + "/idscheme.db", 1);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(store::Migrate(*db_, server::AllMigrations()).ok());
    registry_ = std::make_unique<registry::Registry>(*db_, clock_, crypto::SystemRandom());
    identities_ = std::make_unique<identity::Identities>(*db_, clock_, crypto::SystemRandom());
  }

  std::string dir_;
  FakeClock clock_{1'800'000'000};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<identity::Identities> identities_;
};

TEST_F(DemoSeedTest, SeedsOneMemberPerRoleAndAPersonOnceThenReadsThemBack) {
  auto first = SeedDemo(*registry_, *identities_, dir_, "http://127.0.0.1:8080");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 5u);
  // The demo person, registered by the registration office, ready for an activation code.
  const auto& person = first->back();
  EXPECT_EQ(person["role"], "person");
  EXPECT_EQ(person["phone_number"], kDemoPersonPhone);
  auto status = identities_->StatusOf(person["identity_id"].get<std::string>());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, identity::IdentityStatus::kActive);
  for (const auto& entry : *first) {
    if (entry["role"] == "person") continue;
    auto client = registry_->FindClient(entry["client_id"].get<std::string>());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    EXPECT_TRUE(client->Usable());
    // The secret printed is the one the token endpoint will accept; only its hash is stored.
    EXPECT_TRUE(client->SecretMatches(entry["client_secret"].get<std::string>()));
    EXPECT_FALSE(client->SecretMatches("not-the-secret"));
  }
  EXPECT_EQ((*first)[3]["role"], "service_provider");
  auto terms = registry_->agreements().Current((*first)[3]["member_id"].get<std::string>());
  ASSERT_TRUE(terms.ok());
  EXPECT_TRUE(terms->terms.Allows(registry::Service::kLogin));

  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/demo-credentials.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto again = SeedDemo(*registry_, *identities_, dir_, "http://127.0.0.1:8080");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *first);
  auto members = registry_->members().List({});
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 4u) << "a second run admits nobody";
}

TEST_F(DemoSeedTest, RefusesAStoreItDidNotSeed) {
  registry::NewMember m{
      registry::Role::kServiceProvider, "Someone Else", "X-1", {"a@b.example", ""}, ""};
  ASSERT_TRUE(registry_->members().Create(m, "operator").ok());
  auto r = SeedDemo(*registry_, *identities_, dir_, "http://127.0.0.1:8080");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace idscheme::cli
