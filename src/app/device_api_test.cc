// The device API through a real HTTP server on port 0, on both backends, with the real identity
// part behind the adapters (activation codes issued by a registrar, SIM bindings pushed by a
// SIM controller) and the real approval engine.
#include "app/device_api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <tuple>

#include "app/device_proof.h"
#include "app/identity_adapters.h"
#include "app/qr.h"
#include "approval/jcs.h"
#include "approval/schema.h"
#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "http/server.h"
#include "identity/identity_test_util.h"
#include "identity/registrar_api.h"
#include "identity/sim_bindings.h"
#include "registry/client_metadata.h"
#include "registry/registry.h"
#include "testing/http_client.h"
#include "testing/test_db.h"

namespace idscheme::app {
namespace {

using json = nlohmann::json;
using approval::Action;
using approval::AssuranceLevel;
using idscheme::testing::Backend;

struct Reply {
  int status = 0;
  json body;
  std::map<std::string, std::string> headers;
};

struct Phone {
  std::string device_id;
  crypto::KeyPtr key;
  std::string identity_id;
};

std::vector<store::Migration> AllMigrations() {
  auto all = identity::testing::IdentityTestMigrations();
  for (auto& m : approval::Migrations()) all.push_back(m);
  return all;
}

std::string PinInput(uint8_t seed) {
  return Base64UrlEncode(std::vector<uint8_t>(approval::kPinInputBytes, seed));
}

crypto::KeyPtr NewKey() {
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  EXPECT_TRUE(key.ok());
  return *key;
}

json PublicJwk(const crypto::Key& key) {
  auto jwk = key.ToJwk(false);
  EXPECT_TRUE(jwk.ok());
  return *jwk;
}

// What the app signs: the digest input it was sent, with the code the person picked.
std::string Sign(const crypto::Key& key, const json& app_action, const std::string& code) {
  json input = app_action.at("digest_input");
  input["verification_code"] = code;
  auto canonical = approval::Canonicalize(input);
  EXPECT_TRUE(canonical.ok());
  auto digest = crypto::Sha256(*canonical);
  auto sig = crypto::SignBytes(crypto::SigAlg::kES256, key, digest);
  EXPECT_TRUE(sig.ok());
  return Base64UrlEncode(*sig);
}

class DeviceApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    url_ = idscheme::testing::FreshDatabaseUrl(GetParam());
    ASSERT_FALSE(HasFatalFailure());
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    Status migrated = store::Migrate(*db_, AllMigrations());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    registry_ = std::make_unique<registry::Registry>(*db_, clock_, random_);
    identities_ = std::make_unique<identity::Identities>(*db_, clock_, random_);
    sims_ = std::make_unique<identity::SimBindings>(*db_, clock_, random_);
    redeemer_ = std::make_unique<IdentityActivationRedeemer>(*identities_);
    approval::DeviceOptions device_options;
    device_options.pin = {1, 8, 1};  // cheap Argon2id for tests
    devices_ =
        std::make_unique<approval::Devices>(*db_, clock_, random_, *redeemer_, device_options);
    actions_ = std::make_unique<approval::Actions>(*db_, clock_, random_, &sim_lookup_);
    qr_ = std::make_unique<QrCodes>(std::vector<uint8_t>(32, 7), clock_);
    DeviceApiOptions options;
    options.poll_interval = std::chrono::milliseconds(20);
    api_ = std::make_unique<DeviceApi>(*db_, *identities_, *devices_, *actions_, *qr_, clock_,
                                       options);
    registrar_ = AddMember(registry::Role::kIdentityRegistrar, "Registrar");
    shop_ = AddMember(registry::Role::kServiceProvider, "Shop");
    other_registrar_ = AddMember(registry::Role::kIdentityRegistrar, "Other Registrar");
    person_devices_ = std::make_unique<ApprovalPersonDevices>(*devices_);

    http::Router router;
    AddDeviceRoutes(router, *api_);
    // The registrar's device routes (issue 4) next to the app's, behind the real policy; the
    // caller is read from a test token ("Authorization: Test <member_id>").
    for (const std::string& member : {registrar_, other_registrar_}) {
      registrar_callers_[member] = {member, registry::Role::kIdentityRegistrar, AddClient(member)};
    }
    registrar_callers_[shop_] = {shop_, registry::Role::kServiceProvider, AddClient(shop_)};
    auto authenticate = [this](http::Request& req) -> Result<registry::Caller> {
      auto h = req.GetHeader("authorization");
      if (!h || h->rfind("Test ", 0) != 0) return Status::Unauthenticated("no test token");
      auto it = registrar_callers_.find(std::string(h->substr(5)));
      if (it == registrar_callers_.end()) return Status::Unauthenticated("unknown test token");
      return it->second;
    };
    identity::AddRegistrarDeviceRoutes(router, *identities_, *person_devices_, *registry_,
                                       authenticate);
    http::ServerOptions server_options;
    server_options.worker_threads = 2;
    server_options.access_log = false;
    server_ = std::make_unique<http::Server>(server_options, std::move(router));
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    api_->set_public_base_url(base_);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::unique_ptr<store::Database> Open() {
    auto db = store::Database::Open(url_, 8);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
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

  std::string AddClient(const std::string& member) {
    json metadata = {{"grant_types", {"client_credentials"}},
                     {"jwks", {{"keys", {identity::testing::SimKeyJwk()}}}}};
    auto m = registry::ValidateClientMetadata(metadata);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    auto c = registry_->clients().Create(member, *m, "operator", "operator");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->client.client_id : "";
  }

  // A registrar API call as `member` (registrar_callers_).
  Reply AsRegistrar(const std::string& member, const std::string& method, const std::string& path) {
    return Raw(method, path, "", {{"Authorization", "Test " + member}});
  }

  std::vector<std::string> AuditActors(const std::string& action, const std::string& subject) {
    auto r = db_->Exec("SELECT actor FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq",
                       {store::Text(action), store::Text(subject)});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& row : r->rows) out.push_back(row.Text(0));
    }
    return out;
  }

  std::string NewIdentity(const std::string& phone) {
    auto parsed = identity::ParseNewIdentity(identity::testing::SampleIdentity(phone));
    EXPECT_TRUE(parsed.ok());
    auto created =
        identities_->Create(identity::Actor::Registrar(registrar_, "c_test"), registrar_, *parsed);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : "";
  }

  std::string ActivationCode(const std::string& identity_id) {
    auto code = identities_->IssueActivationCode(identity::Actor::Registrar(registrar_, "c_test"),
                                                 identity_id);
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? code->code : "";
  }

  Reply Raw(const std::string& method, const std::string& path, const std::string& body,
            const std::map<std::string, std::string>& headers) {
    std::string raw = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) raw += k + ": " + v + "\r\n";
    if (!body.empty()) raw += "Content-Type: application/json\r\n";
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto r = idscheme::testing::SendRaw(server_->port(), raw);
    Reply out{r.status, json(), r.headers};
    if (!r.body.empty()) out.body = json::parse(r.body, nullptr, false);
    return out;
  }

  std::string Proof(const Phone& phone, const std::string& method, const std::string& path) {
    auto proof =
        MakeDeviceProof(*phone.key, phone.device_id, method, base_ + path.substr(0, path.find('?')),
                        clock_.NowSeconds(), client_random_);
    EXPECT_TRUE(proof.ok()) << proof.status().ToString();
    return "Device " + *proof;
  }

  Reply Call(const Phone& phone, const std::string& method, const std::string& path,
             const json& body = nullptr) {
    return Raw(method, path, body.is_null() ? "" : body.dump(),
               {{"Authorization", Proof(phone, method, path)}});
  }

  // GET /app/v1/actions?wait=20 on a thread of its own; returns once the server has taken the
  // request (its proof is recorded), so what the caller does next happens during the wait.
  std::future<Reply> StartLongPoll(const Phone& phone) {
    auto proofs = [&] {
      auto r = db_->Exec("SELECT COUNT(*) FROM used_values WHERE kind = 'device_proof'");
      return r.ok() ? r->rows[0].Int(0) : -1;
    };
    const int64_t before = proofs();
    const std::string path = "/app/v1/actions?wait=20";
    auto poll = std::async(std::launch::async, [this, path, auth = Proof(phone, "GET", path)] {
      return Raw("GET", path, "", {{"Authorization", auth}});
    });
    while (proofs() == before) std::this_thread::yield();
    return poll;
  }

  Reply EnrolRaw(const json& body) { return Raw("POST", "/app/v1/devices", body.dump(), {}); }

  Phone Enrol(const std::string& identity_id, uint8_t pin = 1, const std::string& name = "Phone") {
    Phone phone{"", NewKey(), identity_id};
    Reply r = EnrolRaw({{"activation_code", ActivationCode(identity_id)},
                        {"public_jwk", PublicJwk(*phone.key)},
                        {"name", name},
                        {"pin_input", PinInput(pin)}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    if (r.status == 201) phone.device_id = r.body["device_id"].get<std::string>();
    return phone;
  }

  Action CreateAction(const std::optional<std::string>& identity_id,
                      AssuranceLevel level = AssuranceLevel::kBasic,
                      approval::Actions* actions = nullptr) {
    approval::NewAction n;
    n.type = approval::ActionType::kLogin;
    n.member_id = shop_;
    n.member_display_name = "Shop";
    n.client_id = "c_shop";
    n.identity_id = identity_id;
    n.level = level;
    n.display = {{"claims", {"name", "birthdate"}}};
    auto a = (actions ? actions : actions_.get())->Create(n);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Action{};
  }

  std::string RightCode(const std::string& action_id) {
    auto a = actions_->Get(action_id);
    EXPECT_TRUE(a.ok());
    return a.ok() ? a->verification_code : "";
  }

  std::string WrongCode(const json& app_action, const std::string& right) {
    for (const auto& c : app_action["code_choices"]) {
      if (c.get<std::string>() != right) return c.get<std::string>();
    }
    ADD_FAILURE() << "no wrong choice";
    return "";
  }

  Reply ApproveWith(const Phone& phone, const std::string& action_id, const std::string& code,
                    uint8_t pin) {
    Reply shown = Call(phone, "GET", "/app/v1/actions/" + action_id);
    EXPECT_EQ(shown.status, 200) << shown.body.dump();
    return Call(phone, "POST", "/app/v1/actions/" + action_id + "/approve",
                {{"pin_input", PinInput(pin)},
                 {"verification_code", code},
                 {"device_signature", Sign(*phone.key, shown.body, code)}});
  }

  std::string url_;
  std::unique_ptr<store::Database> db_;
  FakeClock clock_{identity::testing::kNow};
  SeededRandom random_{11};
  SeededRandom client_random_{12};
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<identity::Identities> identities_;
  std::unique_ptr<identity::SimBindings> sims_;
  std::unique_ptr<IdentityActivationRedeemer> redeemer_;
  IdentitySimBindingLookup sim_lookup_;
  std::unique_ptr<approval::Devices> devices_;
  std::unique_ptr<approval::Actions> actions_;
  std::unique_ptr<QrCodes> qr_;
  std::unique_ptr<DeviceApi> api_;
  std::unique_ptr<http::Server> server_;
  std::string base_;
  std::string registrar_;
  std::string shop_;
  std::string other_registrar_;
  std::map<std::string, registry::Caller> registrar_callers_;
  std::unique_ptr<ApprovalPersonDevices> person_devices_;
};

TEST_P(DeviceApiTest, EnrolWithARealActivationCodeThenListDevices) {
  std::string anna = NewIdentity("+32470000001");
  Phone phone = Enrol(anna);
  ASSERT_FALSE(phone.device_id.empty());
  Reply list = Call(phone, "GET", "/app/v1/devices");
  ASSERT_EQ(list.status, 200) << list.body.dump();
  ASSERT_EQ(list.body["devices"].size(), 1u);
  EXPECT_EQ(list.body["devices"][0]["id"], phone.device_id);
  EXPECT_EQ(list.body["devices"][0]["current"], true);
  EXPECT_EQ(list.body["devices"][0]["status"], "active");
}

TEST_P(DeviceApiTest, EnrolmentRefusals) {
  std::string anna = NewIdentity("+32470000001");
  auto key = NewKey();
  const std::string code = ActivationCode(anna);
  json good = {{"activation_code", code},
               {"public_jwk", PublicJwk(*key)},
               {"name", "Phone"},
               {"pin_input", PinInput(1)}};
  struct Case {
    std::string field;
    json value;  // null: remove the member
  };
  for (const Case& c :
       {Case{"activation_code", nullptr}, Case{"activation_code", 5}, Case{"public_jwk", "x"},
        Case{"name", ""}, Case{"pin_input", nullptr}, Case{"extra", 1}}) {
    json body = good;
    if (c.value.is_null()) {
      body.erase(c.field);
    } else {
      body[c.field] = c.value;
    }
    Reply r = EnrolRaw(body);
    EXPECT_EQ(r.status, 400) << c.field;
    EXPECT_EQ(r.body["error"], "invalid_request") << c.field;
    EXPECT_NE(r.body["error_description"].get<std::string>().find(c.field), std::string::npos)
        << r.body.dump();
  }
  // A key declared for another algorithm or use could never sign a proof: refused, naming it.
  for (const auto& [member, value] :
       {std::pair<std::string, std::string>{"alg", "RS256"}, {"alg", "ES384"}, {"use", "enc"}}) {
    json body = good;
    body["public_jwk"][member] = value;
    Reply r = EnrolRaw(body);
    EXPECT_EQ(r.status, 400) << member << "=" << value;
    EXPECT_NE(r.body["error_description"].get<std::string>().find("public_jwk: " + member),
              std::string::npos)
        << r.body.dump();
  }
  json declared = good;
  declared["public_jwk"]["alg"] = "ES256";
  declared["public_jwk"]["use"] = "sig";
  // A wrong code, then the right one (once), then the same again.
  json wrong = good;
  wrong["activation_code"] = "AAAAA-AAAAA-AAAAA-AAAAA";
  Reply bad = EnrolRaw(wrong);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"], "invalid_grant");
  EXPECT_EQ(EnrolRaw(declared).status, 201);
  Reply again = EnrolRaw(good);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body, bad.body);  // spent looks like unknown
}

TEST_P(DeviceApiTest, DeviceProofRules) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  const std::string path = "/app/v1/devices";
  // None, or another scheme.
  Reply none = Raw("GET", path, "", {});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body["error"], "invalid_token");
  EXPECT_EQ(none.headers["www-authenticate"].rfind("Device ", 0), 0u)
      << none.headers["www-authenticate"];
  EXPECT_EQ(Raw("GET", path, "", {{"Authorization", "Bearer x"}}).status, 401);
  // A proof is good once.
  std::string proof = Proof(phone, "GET", path);
  EXPECT_EQ(Raw("GET", path, "", {{"Authorization", proof}}).status, 200);
  Reply replay = Raw("GET", path, "", {{"Authorization", proof}});
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.body["error"], "invalid_token");
  // Bound to the method and the URL.
  EXPECT_EQ(Raw("GET", path, "", {{"Authorization", Proof(phone, "POST", path)}}).status, 401);
  EXPECT_EQ(
      Raw("GET", path, "", {{"Authorization", Proof(phone, "GET", "/app/v1/actions")}}).status,
      401);
  // iat within ±60 s.
  std::string old = Proof(phone, "GET", path);
  clock_.AdvanceSeconds(61);
  EXPECT_EQ(Raw("GET", path, "", {{"Authorization", old}}).status, 401);
  std::string ahead = Proof(phone, "GET", path);
  clock_.AdvanceSeconds(-61);
  EXPECT_EQ(Raw("GET", path, "", {{"Authorization", ahead}}).status, 401);
  // Signed by another key under this device's id: refused exactly as a device that does not
  // exist, so the answer tells nobody which device ids exist (docs/app-api.md).
  Phone impostor{phone.device_id, NewKey(), phone.identity_id};
  Reply wrong_key = Call(impostor, "GET", path);
  EXPECT_EQ(wrong_key.status, 401);
  Phone stranger{"dev_doesnotexist", NewKey(), phone.identity_id};
  Reply unknown = Call(stranger, "GET", path);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong_key.body, unknown.body);
  EXPECT_EQ(wrong_key.headers["www-authenticate"], unknown.headers["www-authenticate"]);
  Reply wrong_url =
      Raw("GET", path, "", {{"Authorization", Proof(phone, "GET", "/app/v1/actions")}});
  EXPECT_EQ(wrong_url.body, unknown.body);
  // Two Authorization headers.
  EXPECT_EQ(Raw("GET", path, "",
                {{"Authorization", Proof(phone, "GET", path)},
                 {"authorization", Proof(phone, "GET", path)}})
                .status,
            401);
  // A proof whose claims are not shaped right is named (docs/app-api.md), even signed well.
  auto shaped = [&](json claims) {
    json header = {{"typ", kDeviceProofTyp}, {"alg", "ES256"}, {"kid", phone.device_id}};
    auto jws = crypto::SignJws(header, claims.dump(), *phone.key);
    EXPECT_TRUE(jws.ok());
    Reply r = Raw("GET", path, "", {{"Authorization", "Device " + jws.value_or("")}});
    EXPECT_EQ(r.status, 401);
    return r.body.value("error_description", "");
  };
  const json good = {{"htm", "GET"},
                     {"htu", base_ + path},
                     {"iat", clock_.NowSeconds()},
                     {"jti", "0123456789abcdefghij"}};
  json extra = good;
  extra["foo"] = 1;
  EXPECT_NE(shaped(extra).find("unexpected claim foo"), std::string::npos);
  json short_jti = good;
  short_jti["jti"] = "abc";
  EXPECT_NE(shaped(short_jti).find("jti must be"), std::string::npos);
  json text_iat = good;
  text_iat["iat"] = "now";
  EXPECT_NE(shaped(text_iat).find("iat must be an integer"), std::string::npos);
  EXPECT_EQ(Call(phone, "GET", path).status, 200);
}

TEST_P(DeviceApiTest, FiveWrongPinsLockAndTheRightOneIsThenRefusedAlike) {
  Phone phone = Enrol(NewIdentity("+32470000001"), /*pin=*/1);
  Action action = CreateAction(phone.identity_id);
  const std::string code = RightCode(action.id);
  Reply first;
  for (int i = 0; i < 5; ++i) {
    Reply r = ApproveWith(phone, action.id, code, /*pin=*/2);
    EXPECT_EQ(r.status, 401) << i;
    EXPECT_EQ(r.body["error"], "access_denied");
    if (i == 0) first = r;
  }
  // Locked: the right PIN gets the same answer... if the device could still call at all; a
  // locked device's proofs are refused too.
  Reply right =
      Call(phone, "POST", "/app/v1/actions/" + action.id + "/approve",
           {{"pin_input", PinInput(1)}, {"verification_code", code}, {"device_signature", "AAAA"}});
  EXPECT_EQ(right.status, 401);
  EXPECT_EQ(Call(phone, "GET", "/app/v1/devices").status, 401);
  auto device = devices_->Get(phone.device_id);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->status, approval::DeviceStatus::kLocked);
  // And the engine refuses the right PIN with the wrong PIN's status.
  Status s = devices_->VerifyPin(phone.device_id, PinInput(1));
  EXPECT_EQ(s.oauth_error(), first.body["error"]);
  EXPECT_EQ(s.message(), first.body["error_description"]);
  // Its person has no other active device: the request is cancelled, for the browser's
  // "locked" page.
  auto cancelled = actions_->Get(action.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, approval::ActionState::kCancelled);
  EXPECT_EQ(cancelled->decided_by, approval::kDecidedByDeviceLocked);
}

// Issue 4: a refusal never reveals which factor was wrong. With the right PIN, a signature
// that does not verify gets the wrong PIN's answer and counts as a wrong PIN, so a device key
// used without the PIN cannot test PIN guesses by signing badly on purpose.
TEST_P(DeviceApiTest, ABadSignatureIsRefusedAndCountedAsAWrongPin) {
  Phone phone = Enrol(NewIdentity("+32470000001"), /*pin=*/1);
  Action action = CreateAction(phone.identity_id);
  const std::string code = RightCode(action.id);
  Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
  ASSERT_EQ(shown.status, 200);
  const std::string path = "/app/v1/actions/" + action.id + "/approve";
  const std::string good = Sign(*phone.key, shown.body, code);
  Reply wrong_pin =
      Call(phone, "POST", path,
           {{"pin_input", PinInput(2)}, {"verification_code", code}, {"device_signature", good}});
  auto other = crypto::Key::Generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other.ok());
  Reply bad_signature = Call(phone, "POST", path,
                             {{"pin_input", PinInput(1)},
                              {"verification_code", code},
                              {"device_signature", Sign(**other, shown.body, code)}});
  EXPECT_EQ(wrong_pin.status, 401);
  EXPECT_EQ(bad_signature.status, wrong_pin.status);
  EXPECT_EQ(bad_signature.body, wrong_pin.body);
  auto device = devices_->Get(phone.device_id);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->pin_failures, 2);
  // The action is still there to approve, with the right PIN and signature.
  Reply approved =
      Call(phone, "POST", path,
           {{"pin_input", PinInput(1)}, {"verification_code", code}, {"device_signature", good}});
  EXPECT_EQ(approved.status, 200) << approved.body.dump();
  EXPECT_EQ(devices_->Get(phone.device_id)->pin_failures, 0);
}

// The approve route accepts its proof's jti in the write that reserves the PIN attempt: a
// replayed proof is refused as a proof, counts no PIN attempt and approves nothing, and every
// other answer spends its proof all the same.
TEST_P(DeviceApiTest, AnApprovalsProofIsSpentByEveryAnswerAndAReplayCountsNoAttempt) {
  Phone phone = Enrol(NewIdentity("+32470000001"), /*pin=*/1);
  Action action = CreateAction(phone.identity_id);
  const std::string code = RightCode(action.id);
  Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
  ASSERT_EQ(shown.status, 200);
  const std::string path = "/app/v1/actions/" + action.id + "/approve";
  const json right = {{"pin_input", PinInput(1)},
                      {"verification_code", code},
                      {"device_signature", Sign(*phone.key, shown.body, code)}};
  json wrong_pin = right;
  wrong_pin["pin_input"] = PinInput(2);
  auto failures = [&] {
    auto device = devices_->Get(phone.device_id);
    EXPECT_TRUE(device.ok());
    return device.ok() ? device->pin_failures : -1;
  };

  // A wrong PIN counts once; its proof again, now with the right PIN, is a replay.
  const std::string proof = Proof(phone, "POST", path);
  Reply refused = Raw("POST", path, wrong_pin.dump(), {{"Authorization", proof}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body["error"], "access_denied");
  EXPECT_EQ(failures(), 1);
  Reply replay = Raw("POST", path, right.dump(), {{"Authorization", proof}});
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.body["error"], "invalid_token");
  EXPECT_EQ(failures(), 1);
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kPending);

  // Refused before the PIN (a malformed body, an unknown action): spent all the same.
  const std::string unknown = "/app/v1/actions/act_unknown/approve";
  for (const auto& [target, body, status] :
       {std::tuple{path, std::string("{"), 400}, std::tuple{unknown, right.dump(), 404}}) {
    SCOPED_TRACE(target + " " + body);
    const std::string once = Proof(phone, "POST", target);
    EXPECT_EQ(Raw("POST", target, body, {{"Authorization", once}}).status, status);
    Reply again = Raw("POST", target, right.dump(), {{"Authorization", once}});
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.body["error"], "invalid_token");
  }
  EXPECT_EQ(failures(), 1);

  // The approval, then its proof once more.
  const std::string good = Proof(phone, "POST", path);
  Reply approved = Raw("POST", path, right.dump(), {{"Authorization", good}});
  EXPECT_EQ(approved.status, 200) << approved.body.dump();
  EXPECT_EQ(failures(), 0);
  Reply after = Raw("POST", path, right.dump(), {{"Authorization", good}});
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.body["error"], "invalid_token");
}

TEST_P(DeviceApiTest, AnotherPersonsActionIsNotFound) {
  Phone anna = Enrol(NewIdentity("+32470000001"));
  Phone bob = Enrol(NewIdentity("+32470000002"));
  Action bobs = CreateAction(bob.identity_id);
  Reply get = Call(anna, "GET", "/app/v1/actions/" + bobs.id);
  EXPECT_EQ(get.status, 404);
  Reply unknown = Call(anna, "GET", "/app/v1/actions/act_unknown");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(get.body, unknown.body);
  EXPECT_EQ(Call(anna, "POST", "/app/v1/actions/" + bobs.id + "/deny").status, 404);
  Reply approve = Call(anna, "POST", "/app/v1/actions/" + bobs.id + "/approve",
                       {{"pin_input", PinInput(1)},
                        {"verification_code", RightCode(bobs.id)},
                        {"device_signature", "AAAA"}});
  EXPECT_EQ(approve.status, 404);
  Reply pending = Call(anna, "GET", "/app/v1/actions");
  ASSERT_EQ(pending.status, 200);
  EXPECT_TRUE(pending.body["actions"].empty());
  EXPECT_EQ(actions_->Get(bobs.id)->state, approval::ActionState::kPending);
}

TEST_P(DeviceApiTest, ApproveWithNumberMatching) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action action = CreateAction(phone.identity_id);
  Reply pending = Call(phone, "GET", "/app/v1/actions");
  ASSERT_EQ(pending.status, 200) << pending.body.dump();
  ASSERT_EQ(pending.body["actions"].size(), 1u);
  const json& shown = pending.body["actions"][0];
  EXPECT_EQ(shown["id"], action.id);
  EXPECT_EQ(shown["member"], "Shop");
  EXPECT_EQ(shown["type"], "login");
  EXPECT_EQ(shown["level"], "basic");
  EXPECT_EQ(shown["code_choices"].size(), 3u);
  EXPECT_FALSE(shown.contains("verification_code"));  // the person must match the page
  EXPECT_FALSE(shown["digest_input"].contains("verification_code"));

  Reply approved = ApproveWith(phone, action.id, RightCode(action.id), 1);
  ASSERT_EQ(approved.status, 200) << approved.body.dump();
  EXPECT_EQ(approved.body["state"], "approved");
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kApproved);
  // A replayed approval is refused.
  EXPECT_NE(ApproveWith(phone, action.id, RightCode(action.id), 1).status, 200);
}

// The approval reads the action once, with no expiry written: one past its expiry is refused as
// expired all the same, and reads as expired afterwards.
TEST_P(DeviceApiTest, AnActionPastItsExpiryIsRefusedAsExpired) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action action = CreateAction(phone.identity_id);
  Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  clock_.AdvanceSeconds(action.expires_at - clock_.NowSeconds());
  const std::string code = RightCode(action.id);
  Reply late = Call(phone, "POST", "/app/v1/actions/" + action.id + "/approve",
                    {{"pin_input", PinInput(1)},
                     {"verification_code", code},
                     {"device_signature", Sign(*phone.key, shown.body, code)}});
  EXPECT_EQ(late.status, 400) << late.body.dump();
  EXPECT_EQ(late.body["error"], "failed_precondition") << late.body.dump();
  EXPECT_NE(late.body["error_description"].get<std::string>().find("expired"), std::string::npos)
      << late.body.dump();
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kExpired);
  EXPECT_EQ(Call(phone, "GET", "/app/v1/actions/" + action.id).body["state"], "expired");
}

TEST_P(DeviceApiTest, WrongCodeDenies) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action action = CreateAction(phone.identity_id);
  Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
  ASSERT_EQ(shown.status, 200);
  Reply r = ApproveWith(phone, action.id, WrongCode(shown.body, RightCode(action.id)), 1);
  EXPECT_EQ(r.status, 403) << r.body.dump();
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kDenied);
}

TEST_P(DeviceApiTest, Deny) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action action = CreateAction(phone.identity_id);
  EXPECT_EQ(Call(phone, "POST", "/app/v1/actions/" + action.id + "/deny", {{"x", 1}}).status, 400);
  Reply r = Call(phone, "POST", "/app/v1/actions/" + action.id + "/deny");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["state"], "denied");
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kDenied);
}

TEST_P(DeviceApiTest, ApproveBodyIsStrict) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action action = CreateAction(phone.identity_id);
  const std::string path = "/app/v1/actions/" + action.id + "/approve";
  json good = {{"pin_input", PinInput(1)}, {"verification_code", "12"}, {"device_signature", "A"}};
  for (const char* field : {"pin_input", "verification_code", "device_signature"}) {
    json body = good;
    body.erase(field);
    Reply r = Call(phone, "POST", path, body);
    EXPECT_EQ(r.status, 400) << field;
    EXPECT_NE(r.body["error_description"].get<std::string>().find(field), std::string::npos);
  }
  json extra = good;
  extra["pin"] = "1234";
  EXPECT_EQ(Call(phone, "POST", path, extra).status, 400);
  // Nothing counted against the PIN.
  EXPECT_EQ(devices_->Get(phone.device_id)->pin_failures, 0);
}

TEST_P(DeviceApiTest, ClaimByQrCode) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action unclaimed = CreateAction(std::nullopt);
  Reply r = Call(phone, "POST", "/app/v1/claim", {{"qr", qr_->Content(unclaimed.id)}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["id"], unclaimed.id);
  EXPECT_EQ(actions_->Get(unclaimed.id)->identity_id, phone.identity_id);
  Reply approved = ApproveWith(phone, unclaimed.id, RightCode(unclaimed.id), 1);
  EXPECT_EQ(approved.status, 200) << approved.body.dump();

  // A screenshot relayed 10 s later is stale.
  Action other = CreateAction(std::nullopt);
  std::string content = qr_->Content(other.id);
  clock_.AdvanceSeconds(10);
  Reply stale = Call(phone, "POST", "/app/v1/claim", {{"qr", content}});
  EXPECT_EQ(stale.status, 400);
  EXPECT_EQ(stale.body["error"], "invalid_request");
  EXPECT_NE(stale.body["error_description"].get<std::string>().find("qr"), std::string::npos);
  EXPECT_FALSE(actions_->Get(other.id)->identity_id.has_value());
  // Made with another secret.
  QrCodes forged(std::vector<uint8_t>(32, 8), clock_);
  EXPECT_EQ(Call(phone, "POST", "/app/v1/claim", {{"qr", forged.Content(other.id)}}).status, 400);
}

TEST_P(DeviceApiTest, LongPollSeesAnActionCreatedOnAnotherConnection) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Reply empty = Call(phone, "GET", "/app/v1/actions?wait=0");
  ASSERT_EQ(empty.status, 200);
  EXPECT_TRUE(empty.body["actions"].empty());
  EXPECT_EQ(Call(phone, "GET", "/app/v1/actions?wait=31").status, 400);
  EXPECT_EQ(Call(phone, "GET", "/app/v1/actions?wait=x").status, 400);
  EXPECT_EQ(Call(phone, "GET", "/app/v1/actions?other=1").status, 400);

  // "Another node": its own connection pool and Actions.
  auto other_db = Open();
  ASSERT_NE(other_db, nullptr);
  SeededRandom other_random(99);
  approval::Actions other_actions(*other_db, clock_, other_random, &sim_lookup_);

  const auto start = std::chrono::steady_clock::now();
  auto poll = StartLongPoll(phone);
  Action created = CreateAction(phone.identity_id, AssuranceLevel::kBasic, &other_actions);
  Reply r = poll.get();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["actions"].size(), 1u);
  EXPECT_EQ(r.body["actions"][0]["id"], created.id);
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

// A poll outlives the proof that opened it: a device removed while it waits gets no action.
TEST_P(DeviceApiTest, ALongPollOfADeviceRemovedMeanwhileGetsNoAction) {
  const std::string anna = NewIdentity("+32470000001");
  Phone phone = Enrol(anna, 1, "Old");
  Phone other = Enrol(anna, 1, "New");
  auto poll = StartLongPoll(phone);
  ASSERT_EQ(Call(other, "DELETE", "/app/v1/devices/" + phone.device_id).status, 204);
  CreateAction(anna);
  Reply r = poll.get();
  EXPECT_EQ(r.status, 401) << r.body.dump();
  EXPECT_EQ(r.body["error"], "invalid_token");
  EXPECT_FALSE(r.body.contains("actions"));
  // The device still enrolled sees it.
  Reply seen = Call(other, "GET", "/app/v1/actions?wait=0");
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(seen.body["actions"].size(), 1u);
}

TEST_P(DeviceApiTest, ListAndRemoveDevices) {
  std::string anna = NewIdentity("+32470000001");
  Phone first = Enrol(anna, 1, "First");
  Phone second = Enrol(anna, 1, "Second");
  Phone bob = Enrol(NewIdentity("+32470000002"));
  Reply list = Call(first, "GET", "/app/v1/devices");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["devices"].size(), 2u);
  // Someone else's device: not found, and untouched.
  EXPECT_EQ(Call(first, "DELETE", "/app/v1/devices/" + bob.device_id).status, 404);
  EXPECT_EQ(Call(bob, "GET", "/app/v1/devices").status, 200);
  EXPECT_EQ(Call(first, "DELETE", "/app/v1/devices/" + second.device_id).status, 204);
  EXPECT_EQ(Call(second, "GET", "/app/v1/devices").status, 401);
  list = Call(first, "GET", "/app/v1/devices");
  ASSERT_EQ(list.body["devices"].size(), 1u);
  EXPECT_EQ(list.body["devices"][0]["id"], first.device_id);
  // Removing itself (unenrol).
  EXPECT_EQ(Call(first, "DELETE", "/app/v1/devices/" + first.device_id).status, 204);
  EXPECT_EQ(Call(first, "GET", "/app/v1/devices").status, 401);
}

// Issue 4: "registrars and the operator can revoke them". The registrar that registered the
// person sees the devices (nothing secret) and revokes one.
TEST_P(DeviceApiTest, ARegistrarListsAPersonsDevices) {
  const std::string anna = NewIdentity("+32470000001");
  // A second apart each, for the order (oldest first).
  Phone first = Enrol(anna, 1, "First");
  const int64_t first_enrolled = clock_.NowMillis();
  clock_.AdvanceSeconds(1);
  Phone second = Enrol(anna, 1, "Second");
  clock_.AdvanceSeconds(1);
  Phone removed = Enrol(anna, 1, "Removed");
  ASSERT_EQ(Call(first, "DELETE", "/app/v1/devices/" + removed.device_id).status, 204);
  for (int i = 0; i < 5; ++i) (void)devices_->VerifyPin(second.device_id, PinInput(9));
  const std::string path = "/registrar/v1/identities/" + anna + "/devices";

  Reply list = AsRegistrar(registrar_, "GET", path);
  ASSERT_EQ(list.status, 200) << list.body.dump();
  EXPECT_EQ(list.headers["cache-control"], "no-store");
  EXPECT_EQ(list.body["identity_id"], anna);
  ASSERT_EQ(list.body["devices"].size(), 2u) << list.body.dump();
  const json& d = list.body["devices"][0];
  EXPECT_EQ(d["id"], first.device_id);
  EXPECT_EQ(d["name"], "First");
  EXPECT_EQ(d["status"], "active");
  EXPECT_EQ(d["jwk_thumbprint"], first.key->Rfc7638Thumbprint());
  EXPECT_EQ(d["created_at"], first_enrolled);
  EXPECT_TRUE(d.contains("updated_at"));
  // Only these members: no key, no PIN verifier or salt, no failure count.
  for (const auto& [name, value] : d.items()) {
    EXPECT_TRUE(name == "id" || name == "name" || name == "status" || name == "jwk_thumbprint" ||
                name == "created_at" || name == "updated_at" || name == "last_used_at")
        << name;
  }
  EXPECT_EQ(list.body["devices"][1]["id"], second.device_id);
  EXPECT_EQ(list.body["devices"][1]["status"], "locked");

  // A person without devices: an empty list; another registrar's person, an unknown or a
  // malformed id: 404, as the other registrar routes answer.
  const std::string bob = NewIdentity("+32470000002");
  Reply none = AsRegistrar(registrar_, "GET", "/registrar/v1/identities/" + bob + "/devices");
  ASSERT_EQ(none.status, 200) << none.body.dump();
  EXPECT_EQ(none.body["devices"], json::array());
  Reply other = AsRegistrar(other_registrar_, "GET", path);
  EXPECT_EQ(other.status, 404) << other.body.dump();
  EXPECT_EQ(other.body["error"], "not_found");
  EXPECT_EQ(AsRegistrar(registrar_, "GET", "/registrar/v1/identities/idn_nobody/devices").status,
            404);
  EXPECT_EQ(AsRegistrar(registrar_, "GET", "/registrar/v1/identities/%21%21/devices").status, 404);
  // A service provider is no registrar; no caller is nobody.
  EXPECT_EQ(AsRegistrar(shop_, "GET", path).status, 403);
  EXPECT_EQ(Raw("GET", path, "", {}).status, 401);
}

TEST_P(DeviceApiTest, ARegistrarRevokesADeviceThatThenApprovesNothing) {
  const std::string anna = NewIdentity("+32470000001");
  Phone lost = Enrol(anna, 1, "Lost");
  Phone kept = Enrol(anna, 1, "Kept");
  const std::string path = "/registrar/v1/identities/" + anna + "/devices/";
  // The lost phone has already fetched the request it is about to approve.
  Action action = CreateAction(anna);
  const std::string code = RightCode(action.id);
  Reply shown = Call(lost, "GET", "/app/v1/actions/" + action.id);
  ASSERT_EQ(shown.status, 200) << shown.body.dump();

  // Another registrar cannot reach it (404, not 403), and it stays active.
  Reply foreign = AsRegistrar(other_registrar_, "DELETE", path + lost.device_id);
  EXPECT_EQ(foreign.status, 404) << foreign.body.dump();
  EXPECT_EQ(foreign.body["error"], "not_found");
  EXPECT_EQ(devices_->Get(lost.device_id)->status, approval::DeviceStatus::kActive);

  Reply revoked = AsRegistrar(registrar_, "DELETE", path + lost.device_id);
  ASSERT_EQ(revoked.status, 204) << revoked.body.dump();
  EXPECT_EQ(devices_->Get(lost.device_id)->status, approval::DeviceStatus::kRemoved);
  EXPECT_EQ(AuditActors("device.remove", lost.device_id),
            std::vector<std::string>{"client:" + registrar_callers_[registrar_].client_id});

  // The approval it signed for the action it fetched is refused, and the action stays pending
  // for the person's other device.
  Reply approve = Call(lost, "POST", "/app/v1/actions/" + action.id + "/approve",
                       {{"pin_input", PinInput(1)},
                        {"verification_code", code},
                        {"device_signature", Sign(*lost.key, shown.body, code)}});
  EXPECT_EQ(approve.status, 401) << approve.body.dump();
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kPending);
  EXPECT_EQ(Call(lost, "GET", "/app/v1/devices").status, 401);
  // Below the HTTP proof as well: the engine refuses the device's PIN from now on.
  EXPECT_FALSE(devices_->VerifyPin(lost.device_id, PinInput(1)).ok());
  Reply approved = ApproveWith(kept, action.id, code, 1);
  EXPECT_EQ(approved.status, 200) << approved.body.dump();

  // Revoked already: 404, as the person's own DELETE answers; so are unknown, malformed and
  // someone else's device ids.
  Reply again = AsRegistrar(registrar_, "DELETE", path + lost.device_id);
  EXPECT_EQ(again.status, 404) << again.body.dump();
  EXPECT_EQ(again.body["error"], "not_found");
  EXPECT_EQ(AsRegistrar(registrar_, "DELETE", path + "dev_nothing").status, 404);
  EXPECT_EQ(AsRegistrar(registrar_, "DELETE", path + "%21%21").status, 404);
  Phone bobs = Enrol(NewIdentity("+32470000002"));
  EXPECT_EQ(AsRegistrar(registrar_, "DELETE", path + bobs.device_id).status, 404);
  EXPECT_EQ(devices_->Get(bobs.device_id)->status, approval::DeviceStatus::kActive);
  Reply list = AsRegistrar(registrar_, "GET", "/registrar/v1/identities/" + anna + "/devices");
  ASSERT_EQ(list.body["devices"].size(), 1u);
  EXPECT_EQ(list.body["devices"][0]["id"], kept.device_id);
}

TEST_P(DeviceApiTest, RevokedIdentityDevicesAreRefused) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  ASSERT_TRUE(identities_->Revoke(identity::Actor::Operator(), phone.identity_id, "test").ok());
  EXPECT_EQ(Call(phone, "GET", "/app/v1/devices").status, 401);
}

TEST_P(DeviceApiTest, AdvancedLevelNeedsTheSimSignatureAndStopsAtASimSwap) {
  const std::string phone_number = "+32470000001";
  Phone phone = Enrol(NewIdentity(phone_number));
  std::string mno = AddMember(registry::Role::kSimController, "MNO");
  auto sim_key = NewKey();
  identity::NewBinding binding{phone_number, identity::testing::kIccid, PublicJwk(*sim_key)};
  ASSERT_TRUE(sims_->Bind(mno, binding, "client:c_mno").ok());

  Action action = CreateAction(phone.identity_id, AssuranceLevel::kAdvanced);
  const std::string code = RightCode(action.id);
  Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
  ASSERT_EQ(shown.body["level"], "advanced");
  const std::string path = "/app/v1/actions/" + action.id + "/approve";
  json body = {{"pin_input", PinInput(1)},
               {"verification_code", code},
               {"device_signature", Sign(*phone.key, shown.body, code)}};
  EXPECT_EQ(Call(phone, "POST", path, body).status, 401);  // no SIM signature
  body["sim_signature"] = Sign(*sim_key, shown.body, code);
  Reply ok = Call(phone, "POST", path, body);
  EXPECT_EQ(ok.status, 200) << ok.body.dump();

  // A SIM swap between request and approval.
  Action next = CreateAction(phone.identity_id, AssuranceLevel::kAdvanced);
  identity::SimEvent swap{phone_number, identity::SimEventType::kSimSwap, std::nullopt};
  ASSERT_TRUE(sims_->Report(mno, swap, "client:c_mno").ok());
  Reply next_shown = Call(phone, "GET", "/app/v1/actions/" + next.id);
  const std::string next_code = RightCode(next.id);
  Reply refused = Call(phone, "POST", "/app/v1/actions/" + next.id + "/approve",
                       {{"pin_input", PinInput(1)},
                        {"verification_code", next_code},
                        {"device_signature", Sign(*phone.key, next_shown.body, next_code)},
                        {"sim_signature", Sign(*sim_key, next_shown.body, next_code)}});
  EXPECT_EQ(refused.status, 400) << refused.body.dump();
  EXPECT_EQ(actions_->Get(next.id)->state, approval::ActionState::kCancelled);
  EXPECT_EQ(actions_->Get(next.id)->decided_by, approval::kDecidedByLevelUnreachable);
}

// SCHEME.md: a level the person's enrolment cannot reach fails with a clear error. A person
// whose number has no SIM binding tries to approve an advanced request: refused, saying why,
// and the request ends at once (it used to wait out its three minutes). A wrong PIN learns
// nothing of the kind.
TEST_P(DeviceApiTest, AnAdvancedRequestWithoutASimBindingEndsAtOnce) {
  Phone phone = Enrol(NewIdentity("+32470000001"));
  Action action = CreateAction(phone.identity_id, AssuranceLevel::kAdvanced);
  const std::string code = RightCode(action.id);
  Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
  const std::string path = "/app/v1/actions/" + action.id + "/approve";
  json body = {{"pin_input", PinInput(2)},
               {"verification_code", code},
               {"device_signature", Sign(*phone.key, shown.body, code)}};
  Reply wrong_pin = Call(phone, "POST", path, body);
  EXPECT_EQ(wrong_pin.status, 401);
  EXPECT_EQ(actions_->Get(action.id)->state, approval::ActionState::kPending);
  body["pin_input"] = PinInput(1);
  Reply refused = Call(phone, "POST", path, body);
  EXPECT_EQ(refused.status, 400) << refused.body.dump();
  EXPECT_NE(refused.body.value("error_description", "").find("advanced level cannot be reached"),
            std::string::npos)
      << refused.body.dump();
  auto ended = actions_->Get(action.id);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->state, approval::ActionState::kCancelled);
  EXPECT_EQ(ended->decided_by, approval::kDecidedByLevelUnreachable);
  EXPECT_EQ(devices_->Get(phone.device_id)->pin_failures, 0);  // the right PIN reset the count
}

TEST_P(DeviceApiTest, ASimSwapAndReBindingAfterTheRequestStillFailsIt) {
  const std::string phone_number = "+32470000001";
  Phone phone = Enrol(NewIdentity(phone_number));
  std::string mno = AddMember(registry::Role::kSimController, "MNO");
  identity::NewBinding old_sim{phone_number, identity::testing::kIccid, PublicJwk(*NewKey())};
  ASSERT_TRUE(sims_->Bind(mno, old_sim, "client:c_mno").ok());
  clock_.AdvanceSeconds(5);
  Action before = CreateAction(phone.identity_id, AssuranceLevel::kAdvanced);
  clock_.AdvanceSeconds(5);
  identity::SimEvent swap{phone_number, identity::SimEventType::kSimSwap, std::nullopt};
  ASSERT_TRUE(sims_->Report(mno, swap, "client:c_mno").ok());
  clock_.AdvanceSeconds(5);
  auto new_key = NewKey();
  identity::NewBinding new_sim{phone_number, identity::testing::kIccid, PublicJwk(*new_key)};
  auto rebound = sims_->Bind(mno, new_sim, "client:c_mno");
  ASSERT_TRUE(rebound.ok()) << rebound.status().ToString();
  clock_.AdvanceSeconds(5);

  auto approve = [&](const Action& action) {
    Reply shown = Call(phone, "GET", "/app/v1/actions/" + action.id);
    const std::string code = RightCode(action.id);
    return Call(phone, "POST", "/app/v1/actions/" + action.id + "/approve",
                {{"pin_input", PinInput(1)},
                 {"verification_code", code},
                 {"device_signature", Sign(*phone.key, shown.body, code)},
                 {"sim_signature", Sign(*new_key, shown.body, code)}});
  };
  Reply refused = approve(before);
  EXPECT_EQ(refused.status, 400) << refused.body.dump();
  EXPECT_EQ(actions_->Get(before.id)->state, approval::ActionState::kCancelled);
  Action after = CreateAction(phone.identity_id, AssuranceLevel::kAdvanced);
  Reply ok = approve(after);
  EXPECT_EQ(ok.status, 200) << ok.body.dump();
  EXPECT_EQ(ok.body["state"], "approved");
}

INSTANTIATE_TEST_SUITE_P(Backends, DeviceApiTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::app
