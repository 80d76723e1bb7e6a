#include "oidc/person_test_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "identity/identity_test_util.h"
#include "store/migrations.h"

namespace idscheme::oidc::testenv {

void OidcPersonTest::SetUp() {
  OidcTest::SetUp();
  if (HasFatalFailure() || IsSkipped()) return;
  std::vector<store::Migration> all = AllMigrations();
  for (auto& m : identity::Migrations()) all.push_back(m);
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  Status migrated = store::Migrate(*db_, all);
  ASSERT_TRUE(migrated.ok()) << migrated.ToString();
  registry::NewMember r;
  r.role = registry::Role::kIdentityRegistrar;
  r.display_name = "Registrar";
  r.legal_id = "BE0999999999";
  r.contacts.email = "ops@registrar.example";
  auto registrar = registry_->members().Create(r, "operator");
  ASSERT_TRUE(registrar.ok()) << registrar.status().ToString();
  identities_ = std::make_unique<identity::Identities>(*db_, clock_, random_);
  auto body = identity::ParseNewIdentity(identity::testing::SampleIdentity());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  auto person = identities_->Create(identity::Actor::Operator(), registrar->id, *body);
  ASSERT_TRUE(person.ok()) << person.status().ToString();
  person_ = *person;
}

}  // namespace idscheme::oidc::testenv
