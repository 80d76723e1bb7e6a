#include "registry/policy.h"

#include <gtest/gtest.h>

#include "registry/internal/fields.h"
#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::RegistryTest;
using testing::WebClientMetadata;

class PolicyTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    sp_ = AddMember(Role::kServiceProvider, "Shop");
    SetTerms(sp_.id, {{"services", {"login", "identification"}},
                      {"claims", {"name", "email", "email_verified"}},
                      {"assurance_levels", {"basic"}},
                      {"claims_outside", "refuse"}});
    json metadata = WebClientMetadata();
    metadata["scope"] = "openid profile email";
    client_ = AddClient(sp_.id, metadata).client.client_id;
  }

  PolicyRequest Login() {
    return {.client_id = client_, .service = Service::kLogin, .scopes = {"openid"}};
  }

  // Checks `request`, expects a denial by `rule` with `error`, and its audit entry.
  void ExpectDenied(const PolicyRequest& request, const std::string& rule,
                    const std::string& error) {
    size_t before = AuditEntries("policy.deny").size();
    Decision d = registry_->policy().Check(request);
    EXPECT_FALSE(d.allowed());
    EXPECT_EQ(d.rule, rule);
    EXPECT_EQ(d.status.oauth_error(), error) << d.status.ToString();
    EXPECT_FALSE(d.status.message().empty());
    auto entries = AuditEntries("policy.deny");
    ASSERT_EQ(entries.size(), before + 1) << "the denial was not audited";
    EXPECT_EQ(entries.back()["details"]["rule"], rule);
    EXPECT_EQ(entries.back()["details"]["error"], error);
    if (internal::IsValidUtf8(d.status.message())) {
      EXPECT_EQ(entries.back()["details"]["reason"], d.status.message());
    }
  }

  Member sp_;
  std::string client_;
};

TEST_P(PolicyTest, AllowsWhatTheAgreementLists) {
  Decision d =
      registry_->policy().Check({.client_id = client_,
                                 .service = Service::kIdentification,
                                 .scopes = {"openid", "email"},
                                 .claims = {"sub", "email", "email_verified", "name", "email"},
                                 .assurance_level = AssuranceLevel::kBasic});
  EXPECT_TRUE(d.allowed()) << d.status.ToString();
  EXPECT_EQ(d.member_id, sp_.id);
  EXPECT_EQ(d.allowed_claims, (std::vector<std::string>{"sub", "email", "email_verified", "name"}));
  EXPECT_TRUE(d.refused_claims.empty());
  EXPECT_TRUE(AuditEntries("policy.deny").empty());
}

TEST_P(PolicyTest, UnknownOrInactiveClientsAndMembers) {
  ExpectDenied({.client_id = "c_nobody", .service = Service::kLogin}, "known_client",
               "invalid_client");
  ASSERT_TRUE(registry_->clients().Suspend(client_, "operator").ok());
  ExpectDenied(Login(), "client_active", "access_denied");
  ASSERT_TRUE(registry_->clients().Reinstate(client_, "operator").ok());
  EXPECT_TRUE(registry_->policy().Check(Login()).allowed());

  // A suspension takes effect on the very next check.
  ASSERT_TRUE(registry_->members().Suspend(sp_.id, "operator").ok());
  ExpectDenied(Login(), "member_active", "access_denied");
  ASSERT_TRUE(registry_->members().Reinstate(sp_.id, "operator").ok());
  EXPECT_TRUE(registry_->policy().Check(Login()).allowed());
  ASSERT_TRUE(registry_->members().Terminate(sp_.id, "operator").ok());
  ExpectDenied(Login(), "member_active", "access_denied");
}

TEST_P(PolicyTest, ClientMustBelongToTheNamedMember) {
  Member other = AddMember(Role::kServiceProvider, "Other");
  PolicyRequest r = Login();
  r.member_id = other.id;
  ExpectDenied(r, "known_client", "unauthorized_client");
}

TEST_P(PolicyTest, RoleIsTheRegistrysNotTheCallers) {
  ExpectDenied({.client_id = client_, .role = Role::kSchemeManager}, "member_role",
               "access_denied");
  Member registrar = AddMember(Role::kIdentityRegistrar, "Registrar");
  // A member acting without a client.
  EXPECT_TRUE(registry_->policy()
                  .Check({.member_id = registrar.id, .role = Role::kIdentityRegistrar})
                  .allowed());
  ExpectDenied({.member_id = registrar.id, .role = Role::kSimController}, "member_role",
               "access_denied");
  ExpectDenied({.member_id = "m_nobody"}, "member_active", "access_denied");
}

TEST_P(PolicyTest, ServiceScopeAndLevel) {
  ExpectDenied({.client_id = client_, .service = Service::kSign}, "service_allowed",
               "unauthorized_client");
  ExpectDenied({.client_id = client_, .service = Service::kLogin, .scopes = {"openid", "phone"}},
               "scope_registered", "invalid_scope");
  ExpectDenied({.client_id = client_,
                .service = Service::kLogin,
                .assurance_level = AssuranceLevel::kAdvanced},
               "level_allowed", "access_denied");
}

TEST_P(PolicyTest, ClaimsOutsideAreRefusedOrDroppedAsTheAgreementSays) {
  PolicyRequest r = {
      .client_id = client_,
      .service = Service::kIdentification,
      .claims = {"name", "birthdate", "urn:idscheme:claims:national_id_number", "not_a_claim"}};
  ExpectDenied(r, "claims_allowed", "invalid_scope");
  auto entries = AuditEntries("policy.deny");
  EXPECT_EQ(entries.back()["details"]["refused_claims"],
            json({"birthdate", "urn:idscheme:claims:national_id_number", "not_a_claim"}));
  EXPECT_EQ(entries.back()["actor"], "client:" + client_);
  EXPECT_EQ(entries.back()["subject"], sp_.id);

  SetTerms(sp_.id, {{"services", {"identification"}},
                    {"claims", {"name"}},
                    {"assurance_levels", {"basic"}},
                    {"claims_outside", "drop"}});
  Decision d = registry_->policy().Check(r);
  EXPECT_TRUE(d.allowed()) << d.status.ToString();
  EXPECT_TRUE(d.dropped);
  EXPECT_EQ(d.allowed_claims, std::vector<std::string>{"name"});
  EXPECT_EQ(d.refused_claims.size(), 3u);
}

TEST_P(PolicyTest, AResellersCustomerIsHeldToBothAgreements) {
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member shop = AddMember(Role::kServiceProvider, "Shop", reseller.id);
  SetTerms(shop.id, {{"services", {"login", "identification"}},
                     {"claims", {"name", "email"}},
                     {"assurance_levels", {"basic"}},
                     {"claims_outside", "refuse"}});
  SetTerms(reseller.id, {{"services", {"login"}},
                         {"claims", {"email"}},
                         {"assurance_levels", {"basic"}},
                         {"claims_outside", "refuse"}});
  std::string c = AddClient(shop.id, WebClientMetadata("https://shop.example/cb")).client.client_id;
  EXPECT_TRUE(registry_->policy().Check({.client_id = c, .service = Service::kLogin}).allowed());
  ExpectDenied({.client_id = c, .service = Service::kIdentification}, "service_allowed",
               "unauthorized_client");
  ExpectDenied({.client_id = c, .service = Service::kLogin, .claims = {"name"}}, "claims_allowed",
               "invalid_scope");
  ASSERT_TRUE(registry_->members().Suspend(reseller.id, "operator").ok());
  ExpectDenied({.client_id = c, .service = Service::kLogin}, "member_active", "access_denied");
}

// A caller hammering a route it may not use writes one entry per minute and kind of denial, the
// next one counting the repeats: the audit log cannot be grown without bound by refusals.
TEST_P(PolicyTest, RepeatedDenialsAreCountedNotWrittenEachTime) {
  ASSERT_TRUE(registry_->clients().Suspend(client_, "operator").ok());
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(registry_->policy().Check(Login()).allowed());
  auto entries = AuditEntries("policy.deny");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_FALSE(entries[0]["details"].contains("repeated"));
  // Another kind of denial is written at once.
  PolicyRequest other = Login();
  other.service = Service::kIdentification;
  EXPECT_FALSE(registry_->policy().Check(other).allowed());
  EXPECT_EQ(AuditEntries("policy.deny").size(), 2u);
  // A minute later the same denial is written again, with the count of those not written.
  clock_.AdvanceSeconds(60);
  EXPECT_FALSE(registry_->policy().Check(Login()).allowed());
  entries = AuditEntries("policy.deny");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries.back()["details"]["repeated"], 49);
}

TEST_P(PolicyTest, EvaluateWritesNothingAndAuditDenialIsForOthersToo) {
  Decision d = registry_->policy().Evaluate({.client_id = client_, .service = Service::kSign});
  EXPECT_FALSE(d.allowed());
  EXPECT_TRUE(AuditEntries("policy.deny").empty());
  Decision own;
  own.status = Status::OAuth("access_denied", "the user refused", Status::Code::kPermissionDenied);
  own.rule = "user_refused";
  own.member_id = sp_.id;
  ASSERT_TRUE(registry_->policy().AuditDenial({.client_id = client_}, own).ok());
  auto entries = AuditEntries("policy.deny");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["details"]["rule"], "user_refused");
}

TEST_P(PolicyTest, StrangersBytesCannotBreakTheAudit) {
  ExpectDenied({.client_id = std::string("c_\xff\xfe")}, "known_client", "invalid_client");
  ExpectDenied({.client_id = client_,
                .service = Service::kIdentification,
                .claims = {std::string("bad\xc3")}},
               "claims_allowed", "invalid_scope");
}

INSTANTIATE_TEST_SUITE_P(Backends, PolicyTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::registry
