// `idscheme app` end to end: the real commands, parsed as the binary parses them, against a real
// device API server on port 0 (SQLite store, the real identity and approval parts, system clock
// as the app and server share it on one machine).
#include "cli/app_commands.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "app/device_api.h"
#include "app/identity_adapters.h"
#include "app/qr.h"
#include "approval/schema.h"
#include "crypto/key.h"
#include "http/server.h"
#include "identity/identity_test_util.h"
#include "identity/sim_bindings.h"
#include "registry/registry.h"
#include "testing/test_db.h"

namespace idscheme::cli {
namespace {

using json = nlohmann::json;

struct Outcome {
  int rc = -1;
  std::string out;
  std::string err;
};

class AppCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = idscheme::testing::TempDir();
    auto db = store::Database::Open(dir_ + "/store.db", 4);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto migrations = identity::testing::IdentityTestMigrations();
    for (auto& m : approval::Migrations()) migrations.push_back(m);
    ASSERT_TRUE(store::Migrate(*db_, migrations).ok());
    registry_ = std::make_unique<registry::Registry>(*db_, clock_, random_);
    identities_ = std::make_unique<identity::Identities>(*db_, clock_, random_);
    sims_ = std::make_unique<identity::SimBindings>(*db_, clock_, random_);
    redeemer_ = std::make_unique<app::IdentityActivationRedeemer>(*identities_);
    approval::DeviceOptions device_options;
    device_options.pin = {1, 8, 1};
    devices_ =
        std::make_unique<approval::Devices>(*db_, clock_, random_, *redeemer_, device_options);
    actions_ = std::make_unique<approval::Actions>(*db_, clock_, random_, &sim_lookup_);
    qr_ = std::make_unique<app::QrCodes>(std::vector<uint8_t>(32, 5), clock_);
    app::DeviceApiOptions options;
    options.poll_interval = std::chrono::milliseconds(20);
    api_ = std::make_unique<app::DeviceApi>(*db_, *identities_, *devices_, *actions_, *qr_, clock_,
                                            options);
    http::Router router;
    app::AddDeviceRoutes(router, *api_);
    http::ServerOptions server_options;
    server_options.worker_threads = 2;
    server_options.access_log = false;
    server_ = std::make_unique<http::Server>(server_options, std::move(router));
    ASSERT_TRUE(server_->Start().ok());
    server_url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    api_->set_public_base_url(server_url_);

    registrar_ = AddMember(registry::Role::kIdentityRegistrar, "Registrar");
    shop_ = AddMember(registry::Role::kServiceProvider, "Bakery Shop");
    auto parsed = identity::ParseNewIdentity(identity::testing::SampleIdentity(kPhone));
    ASSERT_TRUE(parsed.ok());
    auto created =
        identities_->Create(identity::Actor::Registrar(registrar_, "c_test"), registrar_, *parsed);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    identity_ = created->id;
    state_ = dir_ + "/phone.json";
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::string AddMember(registry::Role role, const std::string& name) {
    registry::NewMember m;
    m.role = role;
    m.display_name = name;
    m.legal_id = "BE0123456789";
    m.contacts.email = "ops@member.example";
    auto created = registry_->members().Create(m, "operator");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : "";
  }

  std::string Code() {
    auto code = identities_->IssueActivationCode(identity::Actor::Registrar(registrar_, "c_test"),
                                                 identity_);
    EXPECT_TRUE(code.ok());
    return code.ok() ? code->code : "";
  }

  approval::Action NewAction(approval::AssuranceLevel level = approval::AssuranceLevel::kBasic,
                             bool claimed = true) {
    approval::NewAction n;
    n.member_id = shop_;
    n.member_display_name = "Bakery Shop";
    n.client_id = "c_shop";
    if (claimed) n.identity_id = identity_;
    n.level = level;
    n.display = {{"claims", {"given_name"}}};
    auto a = actions_->Create(n);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : approval::Action{};
  }

  // Runs `idscheme app --state <state> <args...>`.
  Outcome App(std::vector<std::string> args) {
    args.insert(args.begin(), {"idscheme", "app", "--state", state_, "--pin-cost", "test"});
    CLI::App root{"idscheme"};
    root.require_subcommand(1);
    int rc = 0;
    AddAppCommands(root, rc);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    Outcome r;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    try {
      root.parse(static_cast<int>(argv.size()), argv.data());
      r.rc = rc;
    } catch (const CLI::ParseError& e) {
      r.rc = root.exit(e) == 0 ? 0 : 2;
    }
    r.out = ::testing::internal::GetCapturedStdout();
    r.err = ::testing::internal::GetCapturedStderr();
    return r;
  }

  void Enroll(const std::string& pin = "1234") {
    Outcome r = App({"--server", server_url_, "enroll", "--code", Code(), "--pin", pin, "--name",
                     "Test phone"});
    ASSERT_EQ(r.rc, 0) << r.err;
  }

  static constexpr char kPhone[] = "+32470000009";
  std::string dir_, state_, server_url_, registrar_, shop_, identity_;
  std::unique_ptr<store::Database> db_;
  SystemClock& clock_ = SystemClock::Instance();
  SeededRandom random_{21};
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<identity::Identities> identities_;
  std::unique_ptr<identity::SimBindings> sims_;
  std::unique_ptr<app::IdentityActivationRedeemer> redeemer_;
  app::IdentitySimBindingLookup sim_lookup_;
  std::unique_ptr<approval::Devices> devices_;
  std::unique_ptr<approval::Actions> actions_;
  std::unique_ptr<app::QrCodes> qr_;
  std::unique_ptr<app::DeviceApi> api_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(AppCommandsTest, EnrollWritesAPrivateStateFileWithASealedKey) {
  Enroll();
  struct stat st {};
  ASSERT_EQ(::stat(state_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(state_);
  json state = json::parse(in);
  EXPECT_EQ(state["server"], server_url_);
  EXPECT_EQ(state["device_id"].get<std::string>().rfind("dev_", 0), 0u);
  EXPECT_FALSE(state.dump().find("\"d\"") != std::string::npos);  // no clear private key
  // A second enrolment into the same file needs --force.
  Outcome again = App({"--server", server_url_, "enroll", "--code", Code(), "--pin", "1234"});
  EXPECT_EQ(again.rc, 1);
  Outcome devices = App({"devices", "--pin", "1234", "--json"});
  ASSERT_EQ(devices.rc, 0) << devices.err;
  EXPECT_EQ(json::parse(devices.out).size(), 1u);
}

TEST_F(AppCommandsTest, PendingThenApproveWithNumberMatching) {
  Enroll();
  approval::Action action = NewAction();
  Outcome pending = App({"pending", "--pin", "1234", "--json"});
  ASSERT_EQ(pending.rc, 0) << pending.err;
  json list = json::parse(pending.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], action.id);
  Outcome text = App({"pending", "--pin", "1234"});
  EXPECT_NE(text.out.find("Bakery Shop"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pick the code"), std::string::npos) << text.out;

  // Without --code, number matching refuses to guess.
  EXPECT_EQ(App({"approve", "--pin", "1234"}).rc, 1);
  // A code that is not among the choices is caught before anything is sent.
  EXPECT_EQ(App({"approve", "--pin", "1234", "--code", "x"}).rc, 1);
  Outcome ok = App({"approve", "--pin", "1234", "--code", action.verification_code});
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kApproved);
}

// A login started again (the browser went back) leaves the first action pending: approving with
// the page's code takes the newest action that offers it, and leaves the older one alone.
TEST_F(AppCommandsTest, WithSeveralPendingTheCodePicksTheNewestOfferingIt) {
  Enroll();
  approval::Action first = NewAction();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // created after it (ms)
  approval::Action second = NewAction();
  Outcome none = App({"approve", "--pin", "1234"});
  EXPECT_EQ(none.rc, 1);
  EXPECT_NE(none.err.find("2 actions are pending"), std::string::npos) << none.err;
  // A code that neither offers: nothing is sent.
  std::string unknown = "x";
  Outcome refused = App({"approve", "--pin", "1234", "--code", unknown});
  EXPECT_EQ(refused.rc, 1);
  EXPECT_NE(refused.err.find("none offers --code"), std::string::npos) << refused.err;
  Outcome ok = App({"approve", "--pin", "1234", "--code", second.verification_code});
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.err.find(second.id), std::string::npos) << ok.err;
  EXPECT_EQ(actions_->Get(second.id)->state, approval::ActionState::kApproved);
  EXPECT_EQ(actions_->Get(first.id)->state, approval::ActionState::kPending);
}

TEST_F(AppCommandsTest, WrongPinFailsOnTheDeviceWithoutCountingOnTheServer) {
  Enroll();
  approval::Action action = NewAction();
  Outcome r = App({"approve", "--pin", "9999", "--code", action.verification_code});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("PIN"), std::string::npos) << r.err;
  auto devices = devices_->List(identity_);
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].pin_failures, 0);
}

TEST_F(AppCommandsTest, DenyShowScanAndUnenroll) {
  Enroll();
  approval::Action a = NewAction();
  Outcome show = App({"show", a.id, "--pin", "1234", "--json"});
  ASSERT_EQ(show.rc, 0) << show.err;
  EXPECT_EQ(json::parse(show.out)["id"], a.id);
  Outcome deny = App({"deny", "--pin", "1234"});
  ASSERT_EQ(deny.rc, 0) << deny.err;
  EXPECT_EQ(actions_->Get(a.id)->state, approval::ActionState::kDenied);

  approval::Action unclaimed = NewAction(approval::AssuranceLevel::kBasic, /*claimed=*/false);
  Outcome scan = App({"scan", qr_->Content(unclaimed.id), "--pin", "1234", "--json"});
  ASSERT_EQ(scan.rc, 0) << scan.err;
  EXPECT_EQ(actions_->Get(unclaimed.id)->identity_id, identity_);
  EXPECT_EQ(App({"scan", "idscheme:1:act_x:1:AAAA", "--pin", "1234"}).rc, 1);

  Outcome un = App({"unenroll", "--pin", "1234"});
  ASSERT_EQ(un.rc, 0) << un.err;
  EXPECT_FALSE(std::ifstream(state_).good());
  auto devices = devices_->List(identity_);
  ASSERT_TRUE(devices.ok());
  EXPECT_TRUE(devices->empty());
}

TEST_F(AppCommandsTest, AdvancedLevelWithASimKey) {
  Enroll();
  std::string mno = AddMember(registry::Role::kSimController, "MNO");
  auto sim = crypto::Key::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(sim.ok());
  identity::NewBinding binding{kPhone, identity::testing::kIccid, *(*sim)->ToJwk(false)};
  ASSERT_TRUE(sims_->Bind(mno, binding, "client:c_mno").ok());
  const std::string pem_file = dir_ + "/sim.pem";
  std::ofstream(pem_file) << *(*sim)->ToPem(true);

  approval::Action a = NewAction(approval::AssuranceLevel::kAdvanced);
  EXPECT_EQ(App({"approve", "--pin", "1234", "--code", a.verification_code}).rc, 1);
  Outcome ok =
      App({"approve", "--pin", "1234", "--code", a.verification_code, "--sim-key", pem_file});
  ASSERT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(actions_->Get(a.id)->state, approval::ActionState::kApproved);
}

TEST_F(AppCommandsTest, HelpIsThere) {
  Outcome help = App({"--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("activation code"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace idscheme::cli
