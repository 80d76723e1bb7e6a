#include "approval/actions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "approval/jcs.h"
#include "approval/test_env.h"
#include "common/hex.h"

namespace idscheme::approval {
namespace {

using testing::ApprovalTestBase;
using testing::PinInput;

// The digest definition of actions.h, as a known answer an app developer can check against.
TEST(ActionDigestTest, KnownAnswer) {
  Action a;
  a.id = "act_test";
  a.type = ActionType::kConfirmation;
  a.member_display_name = "Acme Bank";
  a.display = {{"payee", "Shop"}, {"amount", "12.50"}, {"currency", "EUR"}};
  a.verification_code = "42";
  a.nonce = "bm9uY2U";
  a.level = AssuranceLevel::kBasic;
  a.expires_at = 1700000180;
  // Not covered: who asks technically, the identity, the state.
  a.member_id = "m_1";
  a.client_id = "c_1";
  a.identity_id = "id_1";
  auto input = DigestInput(a);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(*Canonicalize(*input),
            R"({"display":{"amount":"12.50","currency":"EUR","payee":"Shop"},)"
            R"("expires_at":1700000180,"id":"act_test","level":"basic","member":"Acme Bank",)"
            R"("nonce":"bm9uY2U","purpose":"idscheme-approval-v1","type":"confirmation",)"
            R"("verification_code":"42"})");
  auto digest = ActionDigest(a);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(HexEncode(*digest), "b728a3621d83913b5268e55d8dc1de28666f36d139212d42a947022ea342ee66");
  a.client_id = "c_2";
  a.state = ActionState::kApproved;
  EXPECT_EQ(*ActionDigest(a), *digest);
  a.display["amount"] = "12.51";
  EXPECT_NE(*ActionDigest(a), *digest);
}

class ActionsTest : public ApprovalTestBase {
 protected:
  void SetUp() override {
    ApprovalTestBase::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    devices_ =
        std::make_unique<Devices>(*db_, clock_, random_, redeemer_, testing::FastDeviceOptions());
    ActionOptions options;
    options.max_pending_per_identity = 20;  // the limit has its own tests
    actions_ = std::make_unique<Actions>(*db_, clock_, random_, &sims_, options);
  }

  struct Phone {
    Device device;
    crypto::KeyPtr key;
  };

  Phone Enrol(const std::string& identity) {
    const std::string code = "code-" + std::to_string(next_code_++);
    redeemer_.Issue(code, identity);
    Phone p;
    p.key = testing::NewDeviceKey();
    auto d = devices_->Enrol({code, testing::PublicJwk(*p.key), "phone", PinInput(7)});
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    if (d.ok()) p.device = *d;
    return p;
  }

  NewAction Request(const std::string& identity = "id_anna",
                    AssuranceLevel level = AssuranceLevel::kBasic) {
    NewAction r;
    r.type = ActionType::kConfirmation;
    r.member_id = "m_bank";
    r.member_display_name = "Acme Bank";
    r.client_id = "c_bank";
    r.identity_id = identity;
    r.level = level;
    r.display = {{"amount", "12.50"}, {"currency", "EUR"}, {"payee", "Shop"}};
    return r;
  }

  Action Create(const NewAction& r) {
    auto a = actions_->Create(r);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Action{};
  }

  // What the app does: sign the digest of what it shows, with the code the person picked.
  Approval Sign(const Action& shown, const Phone& phone, const crypto::Key* sim_key = nullptr,
                std::string picked = {}) {
    Action a = shown;
    if (!picked.empty()) a.verification_code = picked;
    auto digest = ActionDigest(a);
    EXPECT_TRUE(digest.ok());
    Approval ap;
    ap.action_id = a.id;
    ap.device_id = phone.device.id;
    ap.verification_code = a.verification_code;
    ap.device_signature = testing::SignDigest(*phone.key, *digest);
    if (sim_key) ap.sim_signature = testing::SignDigest(*sim_key, *digest);
    return ap;
  }

  std::unique_ptr<Devices> devices_;
  std::unique_ptr<Actions> actions_;
  int next_code_ = 1;
};

TEST_P(ActionsTest, CreateFillsTheAction) {
  auto a = Create(Request());
  EXPECT_EQ(a.state, ActionState::kPending);
  EXPECT_EQ(a.id.rfind("act_", 0), 0u);
  EXPECT_EQ(a.expires_at, clock_.NowSeconds() + 180);
  EXPECT_EQ(a.verification_code.size(), 2u);
  ASSERT_EQ(a.code_choices.size(), 3u);
  EXPECT_EQ(std::set<std::string>(a.code_choices.begin(), a.code_choices.end()).size(), 3u);
  EXPECT_NE(std::find(a.code_choices.begin(), a.code_choices.end(), a.verification_code),
            a.code_choices.end());
  EXPECT_EQ(Base64UrlDecode(a.nonce)->size(), 32u);

  auto got = actions_->Get(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display, a.display);
  EXPECT_EQ(got->code_choices, a.code_choices);
  EXPECT_EQ(*ActionDigest(*got), *ActionDigest(a));
  EXPECT_EQ(actions_->Get("act_nope").status().code(), Status::Code::kNotFound);
}

TEST_P(ActionsTest, SuspendingAMemberCancelsItsPendingActionsOnly) {
  Action a = Create(Request("id_anna"));
  NewAction other_client = Request("id_bob");
  other_client.client_id = "c_bank_app";
  Action b = Create(other_client);
  NewAction other_member = Request("id_carl");
  other_member.member_id = "m_shop";
  Action c = Create(other_member);
  auto cancel = [&](std::string_view member, std::string_view client) -> int64_t {
    auto tx = db_->Begin();
    EXPECT_TRUE(tx.ok());
    auto n = CancelPendingOfMember(**tx, member, client, "system:suspended", clock_.NowMillis());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_TRUE((*tx)->Commit().ok());
    return n.ok() ? *n : -1;
  };
  // A client suspended: only its actions.
  EXPECT_EQ(cancel("m_bank", "c_bank_app"), 1);
  EXPECT_EQ(actions_->Get(b.id)->state, ActionState::kCancelled);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending);
  // The member suspended: all of its own, nobody else's.
  EXPECT_EQ(cancel("m_bank", ""), 1);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kCancelled);
  EXPECT_EQ(actions_->Get(a.id)->decided_by, "system:suspended");
  EXPECT_EQ(actions_->Get(c.id)->state, ActionState::kPending);
  EXPECT_EQ(AuditEntries("approval.cancel_member").size(), 2u);
  // A cancelled action cannot be approved any more.
  Phone phone = Enrol("id_anna");
  EXPECT_FALSE(actions_->Approve(Sign(a, phone)).ok());
}

TEST_P(ActionsTest, CreateRejectsBadRequests) {
  auto r = Request();
  r.member_display_name = "";
  EXPECT_FALSE(actions_->Create(r).ok());
  r = Request();
  r.display = nlohmann::json::array();
  EXPECT_FALSE(actions_->Create(r).ok());
  r = Request();
  r.display = {{"n", 9007199254740993ULL}};  // no canonical form
  EXPECT_FALSE(actions_->Create(r).ok());
  r = Request();
  r.ttl_seconds = 601;
  EXPECT_FALSE(actions_->Create(r).ok());
  r = Request();
  r.ttl_seconds = -1;
  EXPECT_FALSE(actions_->Create(r).ok());
  r = Request();
  r.display = {{"text", std::string(20000, 'x')}};
  EXPECT_FALSE(actions_->Create(r).ok());
}

TEST_P(ActionsTest, ApprovalIsVerifiedAndAudited) {
  auto phone = Enrol("id_anna");
  auto a = Create(Request());
  auto approved = actions_->Approve(Sign(a, phone));
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ(approved->state, ActionState::kApproved);
  EXPECT_EQ(approved->decided_by, "device:" + phone.device.id);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kApproved);

  auto entries = AuditEntries("approval.approve");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.subject, a.id);
  EXPECT_EQ(entries[0].event.details["digest"], HexEncode(*ActionDigest(a)));
  EXPECT_EQ(entries[0].event.actor, "device:" + phone.device.id);
  // The recorded signature is evidence: it verifies over the recorded digest.
  auto sig = Base64UrlDecode(entries[0].event.details["device_signature"].get<std::string>());
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::VerifyBytes(crypto::SigAlg::kES256, *phone.key, *ActionDigest(a), *sig).ok());
  EXPECT_TRUE(audit::Verify(*db_)->ok);
}

TEST_P(ActionsTest, ReplayedApprovalIsRefused) {
  auto phone = Enrol("id_anna");
  auto a = Create(Request());
  const Approval ap = Sign(a, phone);
  ASSERT_TRUE(actions_->Approve(ap).ok());
  auto again = actions_->Approve(ap);
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_FALSE(actions_->Deny(a.id, phone.device.id).ok());
  EXPECT_FALSE(actions_->Cancel(a.id, "client:c_bank").ok());

  // The signature for one action does not approve another.
  auto b = Create(Request());
  Approval moved = ap;
  moved.action_id = b.id;
  moved.verification_code = b.verification_code;
  EXPECT_EQ(actions_->Approve(moved).status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(actions_->Get(b.id)->state, ActionState::kPending);
  EXPECT_EQ(AuditEntries("approval.approve").size(), 1u);
}

TEST_P(ActionsTest, ChangedContentIsRefused) {
  auto phone = Enrol("id_anna");
  const struct {
    const char* column;
    const char* value;
  } kEdits[] = {
      {"display", R"({"amount":"999.00","currency":"EUR","payee":"Shop"})"},
      {"member_display_name", "Acme Bank Ltd"},
      {"nonce", "AAAA"},
      {"type", "signature"},
      {"level", "advanced"},
  };
  for (const auto& edit : kEdits) {
    auto a = Create(Request());
    const Approval ap = Sign(a, phone);  // over what the app showed
    ASSERT_TRUE(
        db_->Exec(std::string("UPDATE approval_actions SET ") + edit.column + " = ? WHERE id = ?",
                  {store::Text(edit.value), store::Text(a.id)})
            .ok());
    auto r = actions_->Approve(ap);
    EXPECT_FALSE(r.ok()) << edit.column;
    EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending) << edit.column;
  }
  // The expiry too (moved later, as an attacker would).
  auto a = Create(Request());
  const Approval ap = Sign(a, phone);
  ASSERT_TRUE(db_->Exec("UPDATE approval_actions SET expires_at = expires_at + 60 WHERE id = ?",
                        {store::Text(a.id)})
                  .ok());
  EXPECT_EQ(actions_->Approve(ap).status().code(), Status::Code::kUnauthenticated);
  EXPECT_TRUE(AuditEntries("approval.approve").empty());
}

TEST_P(ActionsTest, WrongSignatureIsRefused) {
  auto phone = Enrol("id_anna");
  auto a = Create(Request());
  Approval ap = Sign(a, phone);
  Phone stranger{phone.device, testing::NewDeviceKey()};
  EXPECT_EQ(actions_->Approve(Sign(a, stranger)).status().code(), Status::Code::kUnauthenticated);
  Approval garbled = ap;
  garbled.device_signature = "!!";
  EXPECT_EQ(actions_->Approve(garbled).status().code(), Status::Code::kInvalidArgument);
  Approval truncated = ap;
  truncated.device_signature = ap.device_signature.substr(0, 40);
  EXPECT_FALSE(actions_->Approve(truncated).ok());
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending);
  EXPECT_TRUE(actions_->Approve(ap).ok());
}

TEST_P(ActionsTest, WrongPickDeniesTheAction) {
  auto phone = Enrol("id_anna");
  auto a = Create(Request());
  std::string wrong;
  for (const auto& c : a.code_choices) {
    if (c != a.verification_code) wrong = c;
  }
  auto r = actions_->Approve(Sign(a, phone, nullptr, wrong));
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kDenied);
  EXPECT_FALSE(actions_->Approve(Sign(a, phone)).ok());  // no second guess
  EXPECT_EQ(AuditEntries("approval.wrong_code").size(), 1u);
}

TEST_P(ActionsTest, OnlyTheIdentitysActiveDevicesDecide) {
  auto anna = Enrol("id_anna");
  auto bob = Enrol("id_bob");
  auto a = Create(Request());
  EXPECT_EQ(actions_->Approve(Sign(a, bob)).status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(actions_->Deny(a.id, bob.device.id).status().code(), Status::Code::kPermissionDenied);
  Phone ghost{anna.device, anna.key};
  ghost.device.id = "dev_ghost";
  EXPECT_EQ(actions_->Approve(Sign(a, ghost)).status().code(), Status::Code::kPermissionDenied);
  // A locked device approves nothing, even with a valid signature (Anna has a second device, so
  // the lock leaves her action pending).
  Enrol("id_anna");
  for (int i = 0; i < 5; ++i) (void)devices_->VerifyPin(anna.device.id, PinInput(1));
  EXPECT_EQ(actions_->Approve(Sign(a, anna)).status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending);
}

TEST_P(ActionsTest, ADeviceTheCallerGivesIsCheckedAgainWhenTheDecisionIsRecorded) {
  auto anna = Enrol("id_anna");
  Enrol("id_anna");  // a second device: removing the first leaves her actions pending
  auto a = Create(Request());
  // Another device's record under this device_id is a caller's bug.
  auto bob = Enrol("id_bob");
  Approval mismatched = Sign(a, anna);
  mismatched.device = &bob.device;
  EXPECT_EQ(actions_->Approve(mismatched).status().code(), Status::Code::kInvalidArgument);
  // The caller's record says active, but the device was removed since: refused, with or
  // without the PIN step's write, and the action stays pending.
  const Device stale = anna.device;
  ASSERT_TRUE(devices_->Remove("id_anna", anna.device.id, "operator").ok());
  PinCheck right{anna.device.id, /*match=*/true};
  for (const PinCheck* pin : std::vector<const PinCheck*>{nullptr, &right}) {
    Approval ap = Sign(a, anna);
    ap.device = &stale;
    ap.pin = pin;
    // With the PIN step, refused as a wrong PIN is (docs/pin.md).
    EXPECT_EQ(actions_->Approve(ap).status().code(),
              pin ? PinRefused().code() : Status::Code::kPermissionDenied);
  }
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending);
  // A current record approves without being read again.
  auto other = Enrol("id_anna");
  Approval ap = Sign(a, other);
  ap.device = &other.device;
  auto decided = actions_->Approve(ap);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->state, ActionState::kApproved);
}

TEST_P(ActionsTest, AnActionTheCallerReadIsCheckedAgainWhenTheDecisionIsRecorded) {
  auto phone = Enrol("id_anna");
  auto a = Create(Request());
  auto b = Create(Request());
  // Another action's record under this action_id is a caller's bug.
  auto read_b = actions_->Load(b.id);
  ASSERT_TRUE(read_b.ok()) << read_b.status().ToString();
  Approval mismatched = Sign(a, phone);
  mismatched.loaded = &*read_b;
  EXPECT_EQ(actions_->Approve(mismatched).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(actions_->Load(a.id)->action.state, ActionState::kPending);
  EXPECT_EQ(actions_->Load("act_unknown").status().code(), Status::Code::kNotFound);

  // What the caller read, and the app signed, was changed in the store since: the signature
  // verifies over the read, and the decision is still refused.
  auto read = actions_->Load(a.id);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->action.verification_code, a.verification_code);
  ASSERT_TRUE(db_->Exec("UPDATE approval_actions SET display = ? WHERE id = ?",
                        {store::Text(R"({"amount":"999.00","currency":"EUR","payee":"Shop"})"),
                         store::Text(a.id)})
                  .ok());
  Approval stale = Sign(a, phone);
  stale.loaded = &*read;
  EXPECT_EQ(actions_->Approve(stale).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(AuditEntries("approval.approve").empty());

  // A current read approves without being read again.
  auto current = actions_->Load(b.id);
  ASSERT_TRUE(current.ok());
  Approval ap = Sign(b, phone);
  ap.loaded = &*current;
  auto decided = actions_->Approve(ap);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->state, ActionState::kApproved);
  EXPECT_EQ(actions_->Get(b.id)->state, ActionState::kApproved);
}

TEST_P(ActionsTest, StateMachineAndExpiry) {
  auto phone = Enrol("id_anna");
  // Deny.
  auto a = Create(Request());
  auto denied = actions_->Deny(a.id, phone.device.id);
  ASSERT_TRUE(denied.ok()) << denied.status().ToString();
  EXPECT_EQ(denied->state, ActionState::kDenied);
  EXPECT_FALSE(actions_->Approve(Sign(a, phone)).ok());
  EXPECT_FALSE(actions_->Cancel(a.id, "system").ok());
  EXPECT_EQ(AuditEntries("approval.deny").size(), 1u);
  // Cancel.
  auto b = Create(Request());
  auto cancelled = actions_->Cancel(b.id, "client:c_bank");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, ActionState::kCancelled);
  EXPECT_FALSE(actions_->Deny(b.id, phone.device.id).ok());
  EXPECT_EQ(AuditEntries("approval.cancel").size(), 1u);
  // Expiry: pending for 179 s, expired at 180 s, written lazily on read.
  auto c = Create(Request());
  const Approval ap = Sign(c, phone);
  clock_.AdvanceSeconds(179);
  EXPECT_EQ(actions_->Get(c.id)->state, ActionState::kPending);
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(actions_->Approve(ap).status().code(), Status::Code::kFailedPrecondition);
  auto row = db_->Exec("SELECT state FROM approval_actions WHERE id = ?", {store::Text(c.id)});
  EXPECT_EQ(row->rows[0].Text(0), "pending");  // not yet written
  EXPECT_EQ(actions_->Get(c.id)->state, ActionState::kExpired);
  row = db_->Exec("SELECT state FROM approval_actions WHERE id = ?", {store::Text(c.id)});
  EXPECT_EQ(row->rows[0].Text(0), "expired");
  clock_.AdvanceSeconds(-3600);  // a clock set back does not revive it
  EXPECT_EQ(actions_->Get(c.id)->state, ActionState::kExpired);
  EXPECT_FALSE(actions_->Approve(ap).ok());
  clock_.AdvanceSeconds(3600);
  // The sweep writes the others.
  auto d = Create(Request());
  auto e = Create(Request());
  clock_.AdvanceSeconds(181);
  EXPECT_EQ(*actions_->ExpireDue(), 2);
  EXPECT_EQ(*actions_->ExpireDue(), 0);
  EXPECT_EQ(actions_->Get(d.id)->state, ActionState::kExpired);
  EXPECT_EQ(actions_->Get(e.id)->decided_by, "system");
}

TEST_P(ActionsTest, CustomTtl) {
  auto r = Request();
  r.ttl_seconds = 30;
  auto a = Create(r);
  clock_.AdvanceSeconds(30);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kExpired);
}

TEST_P(ActionsTest, AdvancedLevelNeedsTheSimSignature) {
  auto phone = Enrol("id_anna");
  auto sim_key = testing::NewDeviceKey();
  sims_.Bind("id_anna", sim_key);
  auto a = Create(Request("id_anna", AssuranceLevel::kAdvanced));
  EXPECT_EQ(actions_->Approve(Sign(a, phone)).status().code(), Status::Code::kUnauthenticated);
  auto other_sim = testing::NewDeviceKey();
  EXPECT_EQ(actions_->Approve(Sign(a, phone, other_sim.get())).status().code(),
            Status::Code::kUnauthenticated);
  auto ok = actions_->Approve(Sign(a, phone, sim_key.get()));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto entries = AuditEntries("approval.approve");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.details["sim_binding_id"], "sim_id_anna");
  EXPECT_TRUE(entries[0].event.details.contains("sim_signature"));

  // Without a SIM lookup, advanced cannot be approved at all.
  Actions no_sim(*db_, clock_, random_, nullptr);
  auto b = Create(Request("id_anna", AssuranceLevel::kAdvanced));
  EXPECT_EQ(no_sim.Approve(Sign(b, phone, sim_key.get())).status().code(),
            Status::Code::kFailedPrecondition);
}

TEST_P(ActionsTest, SimSwapBetweenRequestAndApprovalFails) {
  auto phone = Enrol("id_anna");
  auto sim_key = testing::NewDeviceKey();
  sims_.Bind("id_anna", sim_key);
  auto a = Create(Request("id_anna", AssuranceLevel::kAdvanced));
  const Approval ap = Sign(a, phone, sim_key.get());
  sims_.ReportSimSwap("id_anna");
  EXPECT_EQ(actions_->Approve(ap).status().code(), Status::Code::kFailedPrecondition);
  // It can never be approved now: it ends at once (the browser and the service provider learn
  // why), instead of waiting out its expiry.
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kCancelled);
  EXPECT_EQ(actions_->Get(a.id)->decided_by, kDecidedByLevelUnreachable);
  EXPECT_EQ(AuditEntries("approval.level_unreachable").size(), 1u);
  // A basic-level action still works from the device alone.
  auto b = Create(Request());
  EXPECT_TRUE(actions_->Approve(Sign(b, phone)).ok());
}

TEST_P(ActionsTest, SimSwappedAndBoundAgainAfterTheRequestFails) {
  auto phone = Enrol("id_anna");
  sims_.Bind("id_anna", testing::NewDeviceKey(), clock_.NowMillis());
  clock_.Advance(std::chrono::seconds(10));
  auto a = Create(Request("id_anna", AssuranceLevel::kAdvanced));
  clock_.Advance(std::chrono::seconds(10));
  sims_.ReportSimSwap("id_anna");
  clock_.Advance(std::chrono::seconds(10));
  // The controller binds the new SIM: its key signs, but it was not the person's SIM when the
  // request was made.
  auto new_sim = testing::NewDeviceKey();
  sims_.Bind("id_anna", new_sim, clock_.NowMillis());
  clock_.Advance(std::chrono::seconds(1));
  auto refused = actions_->Approve(Sign(a, phone, new_sim.get()));
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition)
      << refused.status().ToString();
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kCancelled);
  EXPECT_TRUE(AuditEntries("approval.approve").empty());
  // A request made after the re-binding is approved with the new SIM.
  auto b = Create(Request("id_anna", AssuranceLevel::kAdvanced));
  auto ok = actions_->Approve(Sign(b, phone, new_sim.get()));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->state, ActionState::kApproved);
}

TEST_P(ActionsTest, APinCheckedForTheApprovalIsRecordedByItsTransaction) {
  auto phone = Enrol("id_anna");
  auto a = Create(Request());
  // Two wrong PINs first: the right one's verdict resets the count.
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(devices_->VerifyPin(phone.device.id, PinInput(1)).ok());
  auto device = devices_->Get(phone.device.id);
  ASSERT_TRUE(device.ok());
  auto check = devices_->CheckPin(*device, PinInput(7));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(check->match);
  EXPECT_EQ(devices_->Get(phone.device.id)->pin_failures, 2);  // checked, nothing written
  // The request's once-only value is accepted in the same transaction.
  store::DeferredOnce once(*db_, "test", "jti-1", clock_.NowSeconds() + 60);
  Approval ap = Sign(a, phone);
  ap.pin = &*check;
  ap.once = &once;
  ASSERT_TRUE(actions_->Approve(ap).ok());
  EXPECT_FALSE(once.pending());
  device = devices_->Get(phone.device.id);
  EXPECT_EQ(device->pin_failures, 0);
  EXPECT_TRUE(device->last_used_at_ms.has_value());
  auto again = store::AcceptOnce(*db_, "test", "jti-1", clock_.NowSeconds() + 60);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);

  // A once-only value used before: nothing is recorded, and it stays pending for the caller.
  auto b = Create(Request());
  EXPECT_FALSE(devices_->VerifyPin(phone.device.id, PinInput(1)).ok());
  store::DeferredOnce used(*db_, "test", "jti-1", clock_.NowSeconds() + 60);
  Approval replay = Sign(b, phone);
  replay.pin = &*check;
  replay.once = &used;
  EXPECT_FALSE(actions_->Approve(replay).ok());
  EXPECT_TRUE(used.pending());
  EXPECT_EQ(actions_->Get(b.id)->state, ActionState::kPending);
  EXPECT_EQ(devices_->Get(phone.device.id)->pin_failures, 1);

  // A wrong verification code denies the action, and the right PIN still counts as right.
  std::string wrong_pick;
  for (const auto& choice : b.code_choices) {
    if (choice != b.verification_code) wrong_pick = choice;
  }
  ASSERT_FALSE(wrong_pick.empty());
  Approval wrong_code = Sign(b, phone, nullptr, wrong_pick);
  wrong_code.pin = &*check;
  EXPECT_EQ(actions_->Approve(wrong_code).status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(actions_->Get(b.id)->state, ActionState::kDenied);
  EXPECT_EQ(devices_->Get(phone.device.id)->pin_failures, 0);

  // Failures recorded after the check, up to the lock: the right PIN checked before them no
  // longer approves (with the device as read before the lock), and the action stays pending
  // (Anna's second phone can still decide it).
  auto second = Enrol("id_anna");
  auto c = Create(Request());
  device = devices_->Get(phone.device.id);
  auto early = devices_->CheckPin(*device, PinInput(7));
  ASSERT_TRUE(early.ok());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(devices_->VerifyPin(phone.device.id, PinInput(1)).ok());
  EXPECT_EQ(devices_->Get(phone.device.id)->status, DeviceStatus::kLocked);
  Approval late = Sign(c, phone);
  late.pin = &*early;
  late.device = &*device;
  // Refused exactly as a wrong PIN is (docs/pin.md): nothing tells it was the right one.
  const Status refused = actions_->Approve(late).status();
  EXPECT_EQ(refused.code(), PinRefused().code());
  EXPECT_EQ(refused.oauth_error(), PinRefused().oauth_error());
  EXPECT_EQ(refused.message(), PinRefused().message());
  EXPECT_EQ(actions_->Get(c.id)->state, ActionState::kPending);
  EXPECT_FALSE(devices_->SettlePin(*early).ok());
  EXPECT_EQ(devices_->Get(phone.device.id)->status, DeviceStatus::kLocked);
  EXPECT_TRUE(actions_->Approve(Sign(c, second)).ok());

  // A check that did not match is not an approval's PIN.
  auto d = Create(Request("id_bob"));
  auto bob = Enrol("id_bob");
  auto wrong = devices_->CheckPin(bob.device, PinInput(1));
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->match);
  Approval mismatch = Sign(d, bob);
  mismatch.pin = &*wrong;
  EXPECT_EQ(actions_->Approve(mismatch).status().code(), Status::Code::kInvalidArgument);
}

TEST_P(ActionsTest, ARevokedIdentityLosesItsPendingActions) {
  auto anna = Enrol("id_anna");
  auto a1 = Create(Request("id_anna"));
  auto a2 = Create(Request("id_anna"));
  auto b1 = Create(Request("id_bob"));
  auto tx = db_->Begin();
  ASSERT_TRUE(tx.ok());
  auto n = CancelPendingOfIdentity(**tx, "id_anna", "system:identity_revoked", clock_.NowMillis());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(actions_->Get(a1.id)->state, ActionState::kCancelled);
  EXPECT_EQ(actions_->Get(a2.id)->decided_by, "system:identity_revoked");
  EXPECT_EQ(actions_->Get(b1.id)->state, ActionState::kPending);  // someone else's
  // An approval that comes after finds nothing to approve.
  EXPECT_FALSE(actions_->Approve(Sign(a1, anna)).ok());
  EXPECT_EQ(actions_->Get(a1.id)->state, ActionState::kCancelled);
  auto audited = AuditEntries("approval.cancel_identity");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].event.subject, "id_anna");
  EXPECT_EQ(audited[0].event.details["cancelled"], 2);
}

TEST_P(ActionsTest, LockingTheLastActiveDeviceCancelsThePersonsPendingActions) {
  auto anna = Enrol("id_anna");
  auto a1 = Create(Request("id_anna"));
  auto a2 = Create(Request("id_anna"));
  auto bob = Enrol("id_bob");
  auto b1 = Create(Request("id_bob"));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(devices_->VerifyPin(anna.device.id, PinInput(1)).ok());
  EXPECT_EQ(actions_->Get(a1.id)->state, ActionState::kPending);  // not locked yet
  EXPECT_FALSE(devices_->VerifyPin(anna.device.id, PinInput(1)).ok());
  for (const auto& id : {a1.id, a2.id}) {
    auto got = actions_->Get(id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->state, ActionState::kCancelled);
    EXPECT_EQ(got->decided_by, kDecidedByDeviceLocked);
  }
  EXPECT_EQ(actions_->Get(b1.id)->state, ActionState::kPending);  // someone else's
  auto audited = AuditEntries("approval.cancel_locked");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].event.actor, kDecidedByDeviceLocked);
  EXPECT_EQ(audited[0].event.subject, anna.device.id);
  EXPECT_EQ(audited[0].event.details["identity_id"], "id_anna");
  EXPECT_EQ(audited[0].event.details["cancelled"], 2);
  // Cancelled, so even an approval from the (now locked) device's key would find nothing to do.
  EXPECT_EQ(actions_->Approve(Sign(a1, anna)).status().code(), Status::Code::kFailedPrecondition);
}

TEST_P(ActionsTest, LockingOneOfTwoDevicesLeavesTheActionsToTheOther) {
  auto phone = Enrol("id_anna");
  auto tablet = Enrol("id_anna");
  auto a = Create(Request("id_anna"));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(devices_->VerifyPin(phone.device.id, PinInput(1)).ok());
  EXPECT_EQ(devices_->Get(phone.device.id)->status, DeviceStatus::kLocked);
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending);
  EXPECT_TRUE(AuditEntries("approval.cancel_locked").empty());
  EXPECT_TRUE(devices_->VerifyPin(tablet.device.id, PinInput(7)).ok());
  auto ok = actions_->Approve(Sign(a, tablet));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

// A person's last active device removed (a registrar revoking a lost phone): nobody can approve
// the pending requests any more, so they end now; while another device remains, they stay.
TEST_P(ActionsTest, RemovingThePersonsLastDeviceCancelsTheirPendingActions) {
  auto phone = Enrol("id_anna");
  auto tablet = Enrol("id_anna");
  auto a = Create(Request("id_anna"));
  ASSERT_TRUE(devices_->Remove("id_anna", tablet.device.id, "client:c_registrar").ok());
  EXPECT_EQ(actions_->Get(a.id)->state, ActionState::kPending);
  ASSERT_TRUE(devices_->Remove("id_anna", phone.device.id, "client:c_registrar").ok());
  auto ended = actions_->Get(a.id);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->state, ActionState::kCancelled);
  EXPECT_EQ(ended->decided_by, kDecidedByDeviceRemoved);
  auto entries = AuditEntries("approval.cancel_removed");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.details["cancelled"], 1);
}

TEST_P(ActionsTest, UnclaimedActionIsClaimedOnce) {
  auto phone = Enrol("id_anna");
  auto r = Request();
  r.identity_id.reset();
  auto a = Create(r);
  EXPECT_FALSE(a.identity_id.has_value());
  EXPECT_EQ(actions_->Approve(Sign(a, phone)).status().code(), Status::Code::kPermissionDenied);
  auto claimed = actions_->Claim(a.id, "id_anna");
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_EQ(claimed->identity_id, "id_anna");
  EXPECT_EQ(actions_->Claim(a.id, "id_bob").status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(actions_->Claim("act_nope", "id_bob").status().code(), Status::Code::kNotFound);
  auto pending = actions_->Pending("id_anna");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_TRUE(actions_->Approve(Sign(a, phone)).ok());
  EXPECT_TRUE(actions_->Pending("id_anna")->empty());
}

TEST_P(ActionsTest, PendingActionsPerIdentityAreLimited) {
  ActionOptions options;
  options.max_pending_per_identity = 2;
  Actions limited(*db_, clock_, random_, &sims_, options);
  auto phone = Enrol("id_anna");
  auto a = limited.Create(Request());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(limited.Create(Request()).ok());
  EXPECT_EQ(limited.Create(Request()).status().code(), Status::Code::kResourceExhausted);
  EXPECT_TRUE(limited.Create(Request("id_bob")).ok());  // per identity
  // Claiming counts as well.
  auto r = Request();
  r.identity_id.reset();
  auto unclaimed = limited.Create(r);
  ASSERT_TRUE(unclaimed.ok());
  EXPECT_EQ(limited.Claim(unclaimed->id, "id_anna").status().code(),
            Status::Code::kResourceExhausted);
  // A decided or expired action frees its slot.
  ASSERT_TRUE(limited.Deny(a->id, phone.device.id).ok());
  EXPECT_TRUE(limited.Create(Request()).ok());
  clock_.AdvanceSeconds(180);
  EXPECT_TRUE(limited.Create(Request()).ok());
}

// Concurrent creations, half of them through another connection pool: the limit holds.
TEST_P(ActionsTest, PendingLimitHoldsUnderConcurrency) {
  auto other = Open();
  ASSERT_NE(other, nullptr);
  ActionOptions options;
  options.max_pending_per_identity = 3;
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      SeededRandom random(1000 + t);
      Actions mine((t % 2 == 0) ? *db_ : *other, clock_, random, &sims_, options);
      auto a = mine.Create(Request());
      if (a.ok()) {
        ++created;
      } else if (a.status().code() == Status::Code::kResourceExhausted) {
        ++refused;
      } else {
        ADD_FAILURE() << a.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 3);
  EXPECT_EQ(refused.load(), 5);
}

// Two approvals of one action racing, on two connection pools: exactly one wins.
TEST_P(ActionsTest, RacingApprovalsExactlyOneWins) {
  auto other = Open();
  ASSERT_NE(other, nullptr);
  auto first = Enrol("id_anna");
  auto second = Enrol("id_anna");
  SeededRandom random_a(7), random_b(8);
  Actions via_a(*db_, clock_, random_a, &sims_);
  Actions via_b(*other, clock_, random_b, &sims_);
  for (int round = 0; round < 10; ++round) {
    auto a = Create(Request());
    const Approval ap1 = Sign(a, first);
    const Approval ap2 = Sign(a, second);
    std::atomic<bool> go{false};
    Result<Action> r1 = Status::Internal("not run"), r2 = Status::Internal("not run");
    std::thread t1([&] {
      while (!go) std::this_thread::yield();
      r1 = via_a.Approve(ap1);
    });
    std::thread t2([&] {
      while (!go) std::this_thread::yield();
      r2 = via_b.Approve(ap2);
    });
    go = true;
    t1.join();
    t2.join();
    EXPECT_EQ(r1.ok() + r2.ok(), 1)
        << round << ": " << r1.status().ToString() << " / " << r2.status().ToString();
    const Result<Action>& loser = r1.ok() ? r2 : r1;
    EXPECT_EQ(loser.status().code(), Status::Code::kFailedPrecondition) << round;
    auto got = actions_->Get(a.id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->state, ActionState::kApproved);
    EXPECT_EQ(got->decided_by, "device:" + (r1.ok() ? first : second).device.id);
  }
  EXPECT_EQ(AuditEntries("approval.approve").size(), 10u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ActionsTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::approval
