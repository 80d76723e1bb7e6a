#include "registry/member.h"

#include <gtest/gtest.h>

#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::RegistryTest;

json ValidMember() {
  return {{"role", "service_provider"},
          {"display_name", "Acme Bank"},
          {"legal_id", "LEI:5493001KJTIIGC8Y1R12"},
          {"contacts", {{"email", "ops@acme.example"}, {"phone", "+3225551234"}}}};
}

std::string CreateError(Members& members, const json& body) {
  auto parsed = ParseNewMember(body);
  if (!parsed.ok()) return parsed.status().message();
  auto created = members.Create(*parsed, "operator");
  return created.ok() ? "" : created.status().message();
}

class MemberTest : public RegistryTest {};

TEST_P(MemberTest, CreateGetAndAudit) {
  auto parsed = ParseNewMember(ValidMember());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto m = registry_->members().Create(*parsed, "operator");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id.rfind("m_", 0), 0u);
  EXPECT_EQ(m->id.size(), 18u);
  EXPECT_EQ(m->status, MemberStatus::kActive);
  EXPECT_EQ(m->created_at_ms, clock_.NowMillis());
  auto got = registry_->members().Get(m->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ToJson(), m->ToJson());
  EXPECT_EQ(got->ToJson()["contacts"]["phone"], "+3225551234");
  auto entries = AuditEntries("member.create");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["actor"], "operator");
  EXPECT_EQ(entries[0]["subject"], m->id);
  EXPECT_EQ(entries[0]["details"]["display_name"], "Acme Bank");
  // Contacts may name people: not in the audit log.
  EXPECT_EQ(entries[0]["details"].dump().find("ops@acme.example"), std::string::npos);
  EXPECT_EQ(registry_->members().Get("m_unknown").status().code(), Status::Code::kNotFound);
}

TEST_P(MemberTest, EachFieldIsCheckedAndNamed) {
  auto& members = registry_->members();
  auto with = [](const char* key, json v) {
    json b = ValidMember();
    b[key] = std::move(v);
    return b;
  };
  json no_name = ValidMember();
  no_name.erase("display_name");
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "the member: must be a JSON object"},
      {with("id", "m_1"), "id: is set by the server"},
      {with("status", "active"), "status: is set by the server"},
      {with("colour", "red"), "colour: unknown field"},
      {with("role", "bank"), "role: unknown role"},
      {with("role", 1), "role: must be a string"},
      {no_name, "display_name: required"},
      {with("display_name", ""), "display_name: must not be empty"},
      {with("display_name", " Acme"), "display_name: must not start or end with a space"},
      {with("display_name", "Acme\tBank"), "display_name: must not contain control characters"},
      // The name people see when a member asks them something: nothing hidden in it.
      {with("display_name", "Bank\u202eknaB"),
       "display_name: must not contain invisible or direction-changing characters (U+202E)"},
      {with("display_name", "\u200b"),
       "display_name: must not contain invisible or direction-changing characters (U+200B)"},
      {with("display_name", "a\u0085b"),
       "display_name: must not contain control characters (U+0085)"},
      {with("display_name", "Acme\u2028Bank"),
       "display_name: must not contain line or paragraph separators (U+2028)"},
      {with("display_name", "\u00a0Acme"),
       "display_name: must not start or end with a space (U+00A0)"},
      {with("display_name", std::string(201, 'x')), "display_name: longer than 200 bytes"},
      {with("legal_id", "LEI:5493001KJTIIGC8Y1R13"), "legal_id: not a valid LEI"},
      {with("legal_id", "LEI:5493001KJTIIGC8Y1R1"), "legal_id: not a valid LEI"},
      {with("legal_id", "BE 0123"), "legal_id: only letters, digits"},
      {with("legal_id", ""), "legal_id: required"},
      {with("contacts", json::object()), "contacts: give an email or a phone number"},
      {with("contacts", "ops@acme.example"), "contacts: must be a JSON object"},
      {with("contacts", {{"fax", "1"}}), "contacts.fax: unknown field"},
      {with("contacts", {{"email", 5}}), "contacts.email: must be a string"},
      {with("contacts", {{"email", "ops"}}), "contacts.email: must be one address"},
      {with("contacts", {{"email", "ops@acme"}}), "contacts.email: domain has no '.'"},
      {with("contacts", {{"email", "o ps@acme.example"}}), "contacts.email: unexpected character"},
      {with("contacts", {{"email", "ops@-acme.example"}}), "contacts.email: malformed domain"},
      {with("contacts", {{"phone", "025551234"}}), "contacts.phone: must be an E.164 number"},
      {with("contacts", {{"phone", "+32 2 555"}}), "contacts.phone: must be an E.164 number"},
      {with("reseller_id", "m_none"), "reseller_id: no member m_none"},
      // Empty would read as absent: the member admitted without a reseller, or a contact.
      {with("reseller_id", ""), "reseller_id: must not be empty (leave it out instead)"},
      {with("contacts", {{"email", ""}, {"phone", "+3225551234"}}),
       "contacts.email: must not be empty (leave it out instead)"},
      {with("contacts", {{"email", "ops@acme.example"}, {"phone", ""}}),
       "contacts.phone: must not be empty (leave it out instead)"},
  };
  for (const auto& [body, want] : cases) {
    std::string got = CreateError(members, body);
    EXPECT_EQ(got.rfind(want, 0), 0u) << "got \"" << got << "\", want \"" << want << "\"";
  }
  // Nothing was stored by the refused requests.
  EXPECT_TRUE(AuditEntries("member.create").empty());
}

TEST_P(MemberTest, OnlyAnActiveResellerBringsInServiceProviders) {
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member bank = AddMember(Role::kServiceProvider, "Bank");
  Member shop = AddMember(Role::kServiceProvider, "Shop", reseller.id);
  EXPECT_EQ(shop.reseller_id, reseller.id);

  json body = ValidMember();
  body["reseller_id"] = bank.id;
  EXPECT_EQ(CreateError(registry_->members(), body).rfind("reseller_id: ", 0), 0u);
  body["reseller_id"] = reseller.id;
  body["role"] = "identity_registrar";
  EXPECT_EQ(CreateError(registry_->members(), body),
            "reseller_id: only a service provider is brought in by a reseller");
  ASSERT_TRUE(registry_->members().Suspend(reseller.id, "operator").ok());
  body["role"] = "service_provider";
  EXPECT_EQ(CreateError(registry_->members(), body),
            "reseller_id: " + reseller.id + " is not active");
}

TEST_P(MemberTest, TransitionsBumpTheEpochAndTerminationIsFinal) {
  Member m = AddMember(Role::kServiceProvider);
  auto& members = registry_->members();
  EXPECT_EQ(members.Reinstate(m.id, "operator").status().message(),
            "member " + m.id + " is already active");

  clock_.AdvanceSeconds(10);
  auto s = members.Suspend(m.id, "operator", "unpaid invoice");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->status, MemberStatus::kSuspended);
  EXPECT_EQ(s->revocation_epoch, 1);
  EXPECT_EQ(s->status_changed_at_ms, clock_.NowMillis());
  EXPECT_EQ(members.Suspend(m.id, "operator").status().code(), Status::Code::kFailedPrecondition);

  auto standing = members.StandingOf(m.id);
  ASSERT_TRUE(standing.ok());
  EXPECT_EQ(standing->status, MemberStatus::kSuspended);
  EXPECT_EQ(standing->revocation_epoch, 1);
  EXPECT_FALSE(standing->Active());
  EXPECT_EQ(*registry_->MemberStatusOf(m.id), MemberStatus::kSuspended);

  clock_.AdvanceSeconds(10);
  auto r = members.Reinstate(m.id, "operator");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->revocation_epoch, 2);
  EXPECT_TRUE(members.StandingOf(m.id)->Active());

  auto t = members.Terminate(m.id, "operator", "left the scheme");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, MemberStatus::kTerminated);
  EXPECT_EQ(t->revocation_epoch, 3);
  for (auto result : {members.Reinstate(m.id, "operator"), members.Suspend(m.id, "operator"),
                      members.Terminate(m.id, "operator"),
                      members.Update(m.id, {.display_name = "New"}, "operator")}) {
    EXPECT_EQ(result.status().code(), Status::Code::kFailedPrecondition);
    EXPECT_NE(result.status().message().find("terminated"), std::string::npos);
  }
  EXPECT_EQ(*registry_->MemberStatusOf(m.id), MemberStatus::kTerminated);

  auto suspended = AuditEntries("member.suspend");
  ASSERT_EQ(suspended.size(), 1u);
  EXPECT_EQ(suspended[0]["details"]["reason"], "unpaid invoice");
  EXPECT_EQ(suspended[0]["details"]["from"], "active");
  EXPECT_EQ(suspended[0]["details"]["revocation_epoch"], 1);
  EXPECT_EQ(AuditEntries("member.reinstate").size(), 1u);
  EXPECT_EQ(AuditEntries("member.terminate").size(), 1u);
  EXPECT_EQ(registry_->MemberStatusOf("m_nobody").status().code(), Status::Code::kNotFound);
}

TEST_P(MemberTest, AResellersStatusReachesItsCustomers) {
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member shop = AddMember(Role::kServiceProvider, "Shop", reseller.id);
  EXPECT_TRUE(registry_->members().StandingOf(shop.id)->Active());
  ASSERT_TRUE(registry_->members().Suspend(reseller.id, "operator").ok());
  auto standing = registry_->members().StandingOf(shop.id);
  ASSERT_TRUE(standing.ok());
  EXPECT_EQ(standing->status, MemberStatus::kActive);
  EXPECT_EQ(standing->reseller_status, MemberStatus::kSuspended);
  EXPECT_FALSE(standing->Active());
}

TEST_P(MemberTest, StatusHooksRunInTheChangesTransaction) {
  Member m = AddMember(Role::kServiceProvider);
  std::vector<StatusChange> seen;
  registry_->hooks().hooks.push_back([&](store::Transaction&, const StatusChange& c) {
    seen.push_back(c);
    return Status::Ok();
  });
  ASSERT_TRUE(registry_->members().Suspend(m.id, "operator").ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].member_id, m.id);
  EXPECT_EQ(seen[0].to, "suspended");
  EXPECT_EQ(seen[0].revocation_epoch, 1);
  // A failing hook aborts the change, audit entry included.
  registry_->hooks().hooks.push_back([](store::Transaction&, const StatusChange&) {
    return Status::FailedPrecondition("pending requests could not be failed");
  });
  EXPECT_FALSE(registry_->members().Reinstate(m.id, "operator").ok());
  EXPECT_EQ(*registry_->MemberStatusOf(m.id), MemberStatus::kSuspended);
  EXPECT_TRUE(AuditEntries("member.reinstate").empty());
}

TEST_P(MemberTest, UpdateNameAndContacts) {
  Member m = AddMember(Role::kServiceProvider);
  auto update = ParseMemberUpdate(
      {{"display_name", "Acme Bank NV"}, {"contacts", {{"phone", "+3225550000"}}}});
  ASSERT_TRUE(update.ok()) << update.status().ToString();
  clock_.AdvanceSeconds(5);
  auto u = registry_->members().Update(m.id, *update, "operator");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->display_name, "Acme Bank NV");
  EXPECT_EQ(u->contacts.email, "");
  EXPECT_EQ(u->contacts.phone, "+3225550000");
  EXPECT_EQ(u->updated_at_ms, clock_.NowMillis());
  EXPECT_EQ(registry_->members().Get(m.id)->display_name, "Acme Bank NV");
  auto entries = AuditEntries("member.update");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["details"]["changed"][1], "contacts");

  EXPECT_EQ(ParseMemberUpdate(json::object()).status().message(),
            "nothing to update: give display_name and/or contacts");
  // contacts replaces the whole object: a contact to drop is left out, not sent empty.
  EXPECT_EQ(ParseMemberUpdate({{"contacts", {{"email", "ops@acme.example"}, {"phone", ""}}}})
                .status()
                .message(),
            "contacts.phone: must not be empty (leave it out instead)");
  // What is given at creation says so, not "set by the server".
  EXPECT_EQ(ParseMemberUpdate({{"role", "scheme_manager"}}).status().message(),
            "role: cannot change after creation (register a new member)");
  EXPECT_EQ(ParseMemberUpdate({{"legal_id", "NL2"}, {"display_name", "X"}}).status().message(),
            "legal_id: cannot change after creation (register a new member)");
  EXPECT_EQ(ParseMemberUpdate({{"status", "active"}})
                .status()
                .message()
                .rfind("status: is set by the server", 0),
            0u);
  EXPECT_EQ(registry_->members()
                .Update(m.id, {.display_name = std::string("bad\x01")}, "operator")
                .status()
                .message(),
            "display_name: must not contain control characters (U+0001)");
  EXPECT_EQ(registry_->members()
                .Update(m.id, {.display_name = std::string("Bank\u202eknaB")}, "operator")
                .status()
                .message(),
            "display_name: must not contain invisible or direction-changing characters (U+202E)");
  EXPECT_EQ(registry_->members().Update("m_x", {.display_name = "x"}, "operator").status().code(),
            Status::Code::kNotFound);
}

TEST_P(MemberTest, GetKeepsTheMemberUntilAnyRegistryWriteOrTwoSeconds) {
  Member shop = AddMember(Role::kServiceProvider, "Shop");
  ASSERT_EQ(registry_->members().Get(shop.id)->display_name, "Shop");
  // Another node renames it and suspends it: the next read here sees both.
  auto other_db = store::Database::Open(url_, 2);
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  FakeClock other_clock;
  SeededRandom other_random{7};
  StatusHooks no_hooks;
  Members other(**other_db, other_clock, other_random, no_hooks);
  MemberUpdate rename;
  rename.display_name = "Shop Two";
  ASSERT_TRUE(other.Update(shop.id, rename, "operator").ok());
  EXPECT_EQ(registry_->members().Get(shop.id)->display_name, "Shop Two");
  ASSERT_TRUE(other.Suspend(shop.id, "operator").ok());
  EXPECT_EQ(registry_->members().Get(shop.id)->status, MemberStatus::kSuspended);

  // Straight in the store, around the registry: seen within two seconds.
  ASSERT_TRUE(db_->Exec("UPDATE registry_members SET display_name = 'Shop Three' WHERE id = ?",
                        {store::Text(shop.id)})
                  .ok());
  if (db_->change_epoch() != nullptr) {
    EXPECT_EQ(registry_->members().Get(shop.id)->display_name, "Shop Two") << "kept";
    clock_.Advance(std::chrono::milliseconds(1999));
    EXPECT_EQ(registry_->members().Get(shop.id)->display_name, "Shop Two");
    clock_.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(registry_->members().Get(shop.id)->display_name, "Shop Three");
  EXPECT_EQ(registry_->members().Get("m_0000000000000000").status().code(),
            Status::Code::kNotFound);
}

TEST_P(MemberTest, ListFiltersAndPages) {
  Member reseller = AddMember(Role::kValueAddedReseller, "R");
  std::vector<std::string> sps;
  for (int i = 0; i < 5; ++i)
    sps.push_back(AddMember(Role::kServiceProvider, "SP", reseller.id).id);
  AddMember(Role::kIdentityRegistrar, "Registrar");
  ASSERT_TRUE(registry_->members().Suspend(sps[0], "operator").ok());

  auto all = registry_->members().List({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 7u);
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end(),
                             [](const Member& a, const Member& b) { return a.id < b.id; }));
  EXPECT_EQ(registry_->members().List({.role = Role::kServiceProvider})->size(), 5u);
  EXPECT_EQ(registry_->members()
                .List({.role = Role::kServiceProvider, .status = MemberStatus::kActive})
                ->size(),
            4u);
  EXPECT_EQ(registry_->members().List({.reseller_id = reseller.id})->size(), 5u);
  auto page1 = registry_->members().List({.limit = 4});
  ASSERT_EQ(page1->size(), 4u);
  auto page2 = registry_->members().List({.after = page1->back().id, .limit = 4});
  ASSERT_EQ(page2->size(), 3u);
  EXPECT_GT(page2->front().id, page1->back().id);
  EXPECT_EQ(registry_->members().List({.limit = 0}).status().message(), "limit: must be 1..1000");
}

INSTANTIATE_TEST_SUITE_P(Backends, MemberTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::registry
