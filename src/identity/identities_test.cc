// Identities over the store, on SQLite and PostgreSQL.
#include "identity/identities.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>
#include <vector>

#include "identity/identity_test_util.h"
#include "identity/internal/fields.h"

namespace idscheme::identity {
namespace {

using json = nlohmann::json;
using registry::Role;
using testing::IdentityTest;
using testing::SampleEvidence;
using testing::SampleIdentity;

class IdentitiesTest : public IdentityTest {
 protected:
  void SetUp() override {
    IdentityTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    registrar_ = AddMember(Role::kIdentityRegistrar, "Bank Registrar");
    other_ = AddMember(Role::kIdentityRegistrar, "Post Office");
  }
  Actor Me() const { return Actor::Registrar(registrar_, "c_me"); }
  Actor Other() const { return Actor::Registrar(other_, "c_other"); }

  std::string registrar_, other_;
};

TEST_P(IdentitiesTest, CreateGetListAndAudit) {
  Identity i = CreateIdentity(registrar_);
  ASSERT_FALSE(i.id.empty());
  EXPECT_EQ(i.id.rfind("idn_", 0), 0u);
  EXPECT_EQ(i.id.size(), 4u + 32u);
  EXPECT_EQ(i.status, IdentityStatus::kActive);
  EXPECT_EQ(i.version, 1);
  EXPECT_EQ(i.verified_at.size(), 11u);
  EXPECT_EQ(i.verified_at.at("birthdate"), *internal::ParseDateTime("2023-11-01T10:00:00Z"));

  auto got = identities_->Get(Me(), i.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->ToJson(), i.ToJson());
  EXPECT_EQ(got->ToJson()["attributes"]["address"]["postal_code"], "2800");
  EXPECT_EQ(got->ToJson()["verified_at"]["email"], "2023-11-01T10:00:00Z");
  EXPECT_EQ(got->ToJson()["evidence"], SampleEvidence());
  auto status = identities_->StatusOf(i.id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, IdentityStatus::kActive);

  CreateIdentity(registrar_, "+32470000002");
  CreateIdentity(other_, "+32470000003");
  auto mine = identities_->List(Me(), {});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 2u);
  auto all = identities_->List(Actor::Operator(), {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto by_phone = identities_->List(Me(), {.phone_number = "+32470123456"});
  ASSERT_TRUE(by_phone.ok());
  ASSERT_EQ(by_phone->size(), 1u);
  EXPECT_EQ((*by_phone)[0].id, i.id);

  // Audited in the same transaction, without personal data.
  auto entries = AuditEntries("identity.create");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["actor"], "client:c_test");
  EXPECT_EQ(entries[0]["subject"], i.id);
  std::string dumped = entries[0].dump();
  for (const char* personal : {"Anna", "Peeters", "+32470123456", "592123456789", "1990-04-27"})
    EXPECT_EQ(dumped.find(personal), std::string::npos) << personal;
  EXPECT_NE(dumped.find("given_name"), std::string::npos);
}

TEST_P(IdentitiesTest, ARegistrarNeverSeesAnotherRegistrarsIdentity) {
  Identity i = CreateIdentity(registrar_);
  auto parsed_update = ParseIdentityUpdate({{"email", "x@example.be"}});
  ASSERT_TRUE(parsed_update.ok());
  EXPECT_EQ(identities_->Get(Other(), i.id).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(identities_->Update(Other(), i.id, *parsed_update).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(identities_->History(Other(), i.id).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(identities_->Revoke(Other(), i.id, "").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(identities_->IssueActivationCode(Other(), i.id).status().code(),
            Status::Code::kNotFound);
  auto theirs = identities_->List(Other(), {});
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->empty());
  // Unchanged, and the refusals left no trace.
  EXPECT_EQ(identities_->Get(Me(), i.id)->version, 1);
  EXPECT_TRUE(AuditEntries("identity.update").empty());
  // A registrar cannot create an identity in another's name, nor can a non-registrar own one.
  auto parsed = ParseNewIdentity(SampleIdentity("+32470999999"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(identities_->Create(Other(), registrar_, *parsed).status().code(),
            Status::Code::kPermissionDenied);
  std::string shop = AddMember(Role::kServiceProvider, "Shop");
  auto not_registrar = identities_->Create(Actor::Operator(), shop, *parsed);
  EXPECT_EQ(not_registrar.status().message(),
            "registrar_id: " + shop + " is not an identity registrar");
}

TEST_P(IdentitiesTest, APhoneNumberBelongsToOneActiveIdentity) {
  Identity first = CreateIdentity(registrar_);
  auto parsed = ParseNewIdentity(SampleIdentity());
  ASSERT_TRUE(parsed.ok());
  auto again = identities_->Create(Other(), other_, *parsed);
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "phone_number: already belongs to an active identity");

  Identity second = CreateIdentity(registrar_, "+32470000002");
  auto take = ParseIdentityUpdate({{"phone_number", "+32470123456"}});
  ASSERT_TRUE(take.ok());
  EXPECT_EQ(identities_->Update(Me(), second.id, *take).status().code(),
            Status::Code::kAlreadyExists);

  // Revocation frees the number.
  ASSERT_TRUE(identities_->Revoke(Me(), first.id, "deceased").ok());
  auto reused = identities_->Create(Other(), other_, *parsed);
  EXPECT_TRUE(reused.ok()) << reused.status().ToString();
}

TEST_P(IdentitiesTest, UpdatesKeepHistoryAndVerificationTimes) {
  Identity i = CreateIdentity(registrar_);
  clock_.AdvanceSeconds(3600);
  auto email = ParseIdentityUpdate({{"email", "anna@new.example"}, {"middle_name", nullptr}});
  ASSERT_TRUE(email.ok());
  auto updated = identities_->Update(Me(), i.id, *email);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(*updated->attributes.email, "anna@new.example");
  EXPECT_FALSE(updated->attributes.middle_name);
  EXPECT_EQ(updated->verified_at.count("middle_name"), 0u);
  EXPECT_EQ(updated->verified_at.at("email"), testing::kNow + 3600);  // no evidence: now
  EXPECT_EQ(updated->verified_at.at("given_name"), i.verified_at.at("given_name"));

  // A new ID card: the new evidence dates the attributes it came with.
  json evidence = SampleEvidence();
  evidence["time"] = "2023-11-14T12:00:00Z";
  evidence["document_details"]["document_number"] = "592999999999";
  auto address = ParseIdentityUpdate(
      {{"address", {{"street_address", "Bruul 5"}, {"locality", "Mechelen"}, {"country", "BE"}}},
       {"evidence", evidence}});
  ASSERT_TRUE(address.ok()) << address.status().ToString();
  auto moved = identities_->Update(Me(), i.id, *address);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->verified_at.at("address"), *internal::ParseDateTime("2023-11-14T12:00:00Z"));
  EXPECT_EQ(moved->evidence.document_number, "592999999999");

  // A periodic re-verification: evidence alone dates every attribute the record holds.
  json recheck = SampleEvidence();
  recheck["time"] = "2023-11-14T23:00:00Z";
  auto again = ParseIdentityUpdate({{"evidence", recheck}});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto rechecked = identities_->Update(Me(), i.id, *again);
  ASSERT_TRUE(rechecked.ok()) << rechecked.status().ToString();
  const int64_t recheck_time = *internal::ParseDateTime("2023-11-14T23:00:00Z");
  EXPECT_EQ(rechecked->attributes.ToJson(), moved->attributes.ToJson());
  EXPECT_EQ(rechecked->verified_at.size(), rechecked->attributes.Names().size());
  for (const auto& [name, at] : rechecked->verified_at) EXPECT_EQ(at, recheck_time) << name;
  EXPECT_EQ(ParseIdentityUpdate(json::object()).status().message(),
            "nothing to update: give at least one attribute, or evidence");
  // Evidence older than the record's would replace the latest check: refused, nothing changes.
  json older = SampleEvidence();
  older["time"] = "2023-11-14T22:59:59Z";
  auto late = ParseIdentityUpdate({{"email", "anna@late.example"}, {"evidence", older}});
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  auto refused = identities_->Update(Me(), i.id, *late);
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "evidence: time 2023-11-14T22:59:59Z is before the record's evidence "
            "(2023-11-14T23:00:00Z); the record keeps the latest check");
  auto unchanged = identities_->Get(Me(), i.id);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->version, rechecked->version);
  EXPECT_EQ(unchanged->evidence.time, recheck_time);

  auto history = identities_->History(Me(), i.id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[0].change, "create");
  EXPECT_EQ(*(*history)[0].attributes.email, "anna@example.be");
  EXPECT_EQ(*(*history)[0].attributes.middle_name, "Maria");
  EXPECT_EQ((*history)[1].change, "update");
  EXPECT_EQ((*history)[2].attributes.address->street_address, "Bruul 5");
  EXPECT_EQ((*history)[0].evidence.document_number, "592123456789");
  EXPECT_EQ((*history)[2].actor, "client:c_me");

  auto entries = AuditEntries("identity.update");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["details"]["attributes"], json({"email"}));
  EXPECT_EQ(entries[0]["details"]["removed"], json({"middle_name"}));
  EXPECT_EQ(entries[0].dump().find("anna@new.example"), std::string::npos);

  auto bad = ParseIdentityUpdate({{"birthdate", "2023-02-29"}});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(identities_->Update(Me(), i.id, *bad).status().message(),
            "birthdate: must be a date YYYY-MM-DD, e.g. 1990-04-27");
}

// What must end with an identity runs in its revocation's transaction: a hook's failure leaves
// the identity as it was.
TEST_P(IdentitiesTest, RevokeHooksRunInTheRevocationsTransaction) {
  Identity i = CreateIdentity(registrar_);
  std::vector<std::string> seen;
  bool fail = true;
  identities_->AddRevokeHook([&](store::Transaction&, std::string_view id, int64_t at_ms) {
    seen.emplace_back(id);
    EXPECT_EQ(at_ms, clock_.NowMillis());
    return fail ? Status::Unavailable("the approvals could not be ended") : Status::Ok();
  });
  EXPECT_EQ(identities_->Revoke(Me(), i.id, "").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(*identities_->StatusOf(i.id), IdentityStatus::kActive);
  EXPECT_TRUE(AuditEntries("identity.revoke").empty());
  fail = false;
  ASSERT_TRUE(identities_->Revoke(Me(), i.id, "").ok());
  EXPECT_EQ(*identities_->StatusOf(i.id), IdentityStatus::kRevoked);
  EXPECT_EQ(seen, (std::vector<std::string>{i.id, i.id}));
}

TEST_P(IdentitiesTest, RevocationIsFinalAndRecorded) {
  Identity i = CreateIdentity(registrar_);
  auto code = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(code.ok());
  clock_.AdvanceSeconds(60);
  auto revoked = identities_->Revoke(Me(), i.id, "deceased");
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->status, IdentityStatus::kRevoked);
  EXPECT_EQ(revoked->revoked_at_ms, (testing::kNow + 60) * 1000);
  EXPECT_EQ(revoked->ToJson()["revocation_reason"], "deceased");
  EXPECT_EQ(*identities_->StatusOf(i.id), IdentityStatus::kRevoked);
  // Its code died with it; nothing more can happen to it.
  EXPECT_FALSE(identities_->RedeemActivationCode(code->code).ok());
  EXPECT_EQ(identities_->IssueActivationCode(Me(), i.id).status().code(),
            Status::Code::kFailedPrecondition);
  auto u = ParseIdentityUpdate({{"email", "x@example.be"}});
  EXPECT_EQ(identities_->Update(Me(), i.id, *u).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(identities_->Revoke(Me(), i.id, "").status().code(), Status::Code::kFailedPrecondition);
  auto entries = AuditEntries("identity.revoke");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["details"]["reason"], "deceased");
  EXPECT_EQ(identities_->StatusOf("idn_nope").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(identities_->StatusOf("bad id\n").status().code(), Status::Code::kNotFound);
}

TEST_P(IdentitiesTest, ReadsAreKeptUntilAnyIdentityWriteOrTwoSeconds) {
  Identity i = CreateIdentity(registrar_);
  Identity j = CreateIdentity(registrar_, "+32470000002");
  ASSERT_EQ(*identities_->StatusOf(i.id), IdentityStatus::kActive);
  ASSERT_EQ(identities_->Get(Me(), j.id)->version, 1);
  // Another node, on the same store: its changes show here at once.
  auto other_db = store::Database::Open(url_, 2);
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  FakeClock other_clock{testing::kNow};
  SeededRandom other_random{8};
  Identities other(**other_db, other_clock, other_random);
  IdentityUpdate update;
  update.set.email = "anna@new.example";
  ASSERT_TRUE(other.Update(Me(), j.id, update).ok());
  EXPECT_EQ(identities_->Get(Me(), j.id)->version, 2);
  ASSERT_TRUE(other.Revoke(Me(), i.id, "died").ok());
  EXPECT_EQ(*identities_->StatusOf(i.id), IdentityStatus::kRevoked);
  // The kept record is still the actor's to see or not.
  EXPECT_EQ(identities_->Get(Other(), j.id).status().code(), Status::Code::kNotFound);

  // Straight in the store, around Identities: seen within two seconds.
  ASSERT_TRUE(
      db_->Exec("UPDATE identity_records SET version = 9 WHERE id = ?", {store::Text(j.id)}).ok());
  if (db_->change_epoch() != nullptr) {
    EXPECT_EQ(identities_->Get(Me(), j.id)->version, 2) << "kept: no identity write since";
    clock_.Advance(std::chrono::milliseconds(1999));
    EXPECT_EQ(identities_->Get(Me(), j.id)->version, 2);
    clock_.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(identities_->Get(Me(), j.id)->version, 9);
}

TEST_P(IdentitiesTest, ActivationCodesWorkOnce) {
  Identity i = CreateIdentity(registrar_);
  auto code = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(code->code.size(), 24u);  // 5 groups of 4, dashes between
  EXPECT_EQ(code->expires_at_ms, (testing::kNow + 15 * 60) * 1000);
  // Case and dashes do not matter to a person typing it.
  std::string typed = code->code;
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto redeemed = identities_->RedeemActivationCode(typed, "device:enrolment");
  ASSERT_TRUE(redeemed.ok()) << redeemed.status().ToString();
  EXPECT_EQ(*redeemed, i.id);
  auto twice = identities_->RedeemActivationCode(code->code);
  EXPECT_EQ(twice.status().oauth_error(), "invalid_grant");
  EXPECT_EQ(identities_->RedeemActivationCode("").status().oauth_error(), "invalid_grant");
  EXPECT_EQ(identities_->RedeemActivationCode("AAAA-AAAA-AAAA-AAAA-AAAA").status().oauth_error(),
            "invalid_grant");
  auto redeems = AuditEntries("identity.activation_code.redeem");
  ASSERT_EQ(redeems.size(), 1u);
  EXPECT_EQ(redeems[0]["actor"], "device:enrolment");
  EXPECT_EQ(AuditEntries("identity.activation_code.issue").size(), 1u);
}

TEST_P(IdentitiesTest, ConcurrentRedemptionsHaveOneWinner) {
  Identity i = CreateIdentity(registrar_);
  auto code = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(code.ok());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      if (identities_->RedeemActivationCode(code->code).ok()) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_P(IdentitiesTest, ActivationCodesExpire) {
  Identity i = CreateIdentity(registrar_);
  auto code = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(code.ok());
  clock_.AdvanceSeconds(15 * 60);  // expires_at is exclusive
  EXPECT_EQ(identities_->RedeemActivationCode(code->code).status().oauth_error(), "invalid_grant");

  Identities short_lived(*db_, clock_, random_, {.activation_code_ttl_seconds = 60});
  auto quick = short_lived.IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(quick.ok());
  clock_.AdvanceSeconds(59);
  EXPECT_TRUE(short_lived.RedeemActivationCode(quick->code).ok());
}

TEST_P(IdentitiesTest, OldActivationCodesArePurgedRecentOnesKept) {
  Identity i = CreateIdentity(registrar_);
  ASSERT_TRUE(identities_->IssueActivationCode(Me(), i.id).ok());
  clock_.AdvanceSeconds(23 * 3600);  // expired, but less than a day ago
  EXPECT_EQ(*identities_->PurgeActivationCodes(), 0);
  auto fresh = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(fresh.ok());
  clock_.AdvanceSeconds(2 * 3600);
  EXPECT_EQ(*identities_->PurgeActivationCodes(), 1);  // the first, not the fresh one
  EXPECT_EQ(*identities_->PurgeActivationCodes(), 0);
}

TEST_P(IdentitiesTest, ANewCodeSupersedesTheOldOne) {
  Identity i = CreateIdentity(registrar_);
  auto first = identities_->IssueActivationCode(Me(), i.id);
  auto second = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->code, second->code);
  EXPECT_FALSE(identities_->RedeemActivationCode(first->code).ok());
  EXPECT_TRUE(identities_->RedeemActivationCode(second->code).ok());
}

TEST_P(IdentitiesTest, ActivationCodesAreRateLimitedPerIdentity) {
  Identity i = CreateIdentity(registrar_);
  Identity j = CreateIdentity(registrar_, "+32470000002");
  for (int k = 0; k < 5; ++k) {
    ASSERT_TRUE(identities_->IssueActivationCode(Me(), i.id).ok()) << k;
    clock_.AdvanceSeconds(60);
  }
  auto sixth = identities_->IssueActivationCode(Me(), i.id);
  EXPECT_EQ(sixth.status().code(), Status::Code::kResourceExhausted);
  // Another identity has its own budget.
  EXPECT_TRUE(identities_->IssueActivationCode(Me(), j.id).ok());
  // The limit holds for another node on the same store (a second Identities, same database).
  Identities other_node(*db_, clock_, random_);
  EXPECT_EQ(other_node.IssueActivationCode(Me(), i.id).status().code(),
            Status::Code::kResourceExhausted);
  // A sliding hour: once the first code is an hour old, one more may be issued.
  clock_.AdvanceSeconds(3600 - 5 * 60 + 1);
  EXPECT_TRUE(identities_->IssueActivationCode(Me(), i.id).ok());
  EXPECT_EQ(identities_->IssueActivationCode(Me(), i.id).status().code(),
            Status::Code::kResourceExhausted);
  EXPECT_EQ(AuditEntries("identity.activation_code.issue").size(), 7u);
}

TEST_P(IdentitiesTest, ActivationCodesAreStoredHashed) {
  Identity i = CreateIdentity(registrar_);
  auto code = identities_->IssueActivationCode(Me(), i.id);
  ASSERT_TRUE(code.ok());
  auto normalized = NormalizeActivationCode(code->code);
  ASSERT_TRUE(normalized);
  auto rows = db_->Exec("SELECT code_hash, identity_id, state FROM identity_activation_codes");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  const std::string& stored = rows->rows[0].Text(0);
  EXPECT_EQ(stored.size(), 64u);  // hex SHA-256
  EXPECT_EQ(stored.find(*normalized), std::string::npos);
  EXPECT_EQ(stored.find(code->code), std::string::npos);
  // Nowhere else either: not in the audit log, not in the identity's row.
  auto audit = db_->Exec("SELECT details FROM audit_log");
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  for (const auto& row : audit->rows) {
    EXPECT_EQ(row.Text(0).find(*normalized), std::string::npos);
    EXPECT_EQ(row.Text(0).find(code->code), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentitiesTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::identity
