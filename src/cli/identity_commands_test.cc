// The identity commands end to end, in process, on a temporary SQLite data directory: each call
// parses a command line as `idscheme` does and runs it against the store.
#include "cli/identity_commands.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/identity_adapters.h"
#include "approval/devices.h"
#include "cli/registry_commands.h"
#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "identity/identities.h"
#include "store/database.h"
#include "testing/test_db.h"

namespace idscheme::cli {
namespace {

using json = nlohmann::json;

struct Outcome {
  int rc = -1;
  std::string out;
  std::string err;
};

class IdentityCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir();
    Outcome r = Cmd({"member", "add", "--role", "identity_registrar", "--name", "Bank Registrar",
                     "--legal-id", "BE0123456789", "--email", "kyc@bank.example", "--json"});
    ASSERT_EQ(r.rc, 0) << r.err;
    registrar_ = json::parse(r.out)["id"];
  }

  // Runs `idscheme <args...> --data <dir>` (the test's data directory unless `data` is given).
  Outcome Cmd(std::vector<std::string> args, const std::string& data = "") {
    args.insert(args.begin(), "idscheme");
    args.push_back("--data");
    args.push_back(data.empty() ? dir_ : data);
    args.push_back("--set");
    args.push_back("keys.rsa_bits=2048");
    CLI::App app{"idscheme"};
    app.require_subcommand(1);
    CommonFlags flags;
    int rc = 0;
    AddRegistryCommands(app, flags, rc);
    AddIdentityCommands(app, flags, rc);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    Outcome r;
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
      r.rc = rc;
    } catch (const CLI::ParseError& e) {
      r.rc = app.exit(e) == 0 ? 0 : 2;
    }
    r.out = ::testing::internal::GetCapturedStdout();
    r.err = ::testing::internal::GetCapturedStderr();
    return r;
  }

  json JsonOf(const Outcome& r) {
    EXPECT_EQ(r.rc, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  std::vector<std::string> AddArgs(const std::string& phone) {
    return {"identity",
            "add",
            "--registrar",
            registrar_,
            "--given-name",
            "Anna",
            "--family-name",
            "Peeters",
            "--birthdate",
            "1990-04-27",
            "--phone",
            phone,
            "--nationality",
            "BE",
            "--country",
            "BE",
            "--locality",
            "Mechelen",
            "--document-type",
            "idcard",
            "--document-number",
            "592123456789",
            "--document-country",
            "BE",
            "--document-issued",
            "2021-03-01",
            "--document-expires",
            "2031-03-01"};
  }

  // Redeems `code` on the store the commands used.
  Result<std::string> Redeem(const std::string& code) {
    auto db = store::Database::Open(dir_ + "/idscheme.db", 2);
    if (!db.ok()) return db.status();
    identity::Identities ids(**db, SystemClock::Instance(), crypto::SystemRandom());
    return ids.RedeemActivationCode(code);
  }

  // Enrols a phone app for `code` on the store the commands used, as POST /app/v1/devices does;
  // returns its device id.
  Result<std::string> Enrol(const std::string& code, const std::string& name) {
    auto db = store::Database::Open(dir_ + "/idscheme.db", 2);
    if (!db.ok()) return db.status();
    identity::Identities ids(**db, SystemClock::Instance(), crypto::SystemRandom());
    app::IdentityActivationRedeemer redeemer(ids);
    approval::Devices devices(**db, SystemClock::Instance(), crypto::SystemRandom(), redeemer,
                              {.pin = {1, 8, 1}});
    IDS_ASSIGN_OR_RETURN(auto key, crypto::Key::Generate(crypto::KeyType::kEcP256));
    IDS_ASSIGN_OR_RETURN(auto jwk, key->ToJwk(false));
    approval::Enrolment e{code, jwk, name,
                          Base64UrlEncode(std::vector<uint8_t>(approval::kPinInputBytes, 1))};
    IDS_ASSIGN_OR_RETURN(approval::Device device, devices.Enrol(e));
    return device.id;
  }

  // The device's status and the actors of its removal, as stored.
  std::pair<std::string, std::vector<std::string>> DeviceRecord(const std::string& device_id) {
    auto db = store::Database::Open(dir_ + "/idscheme.db", 2);
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return {};
    auto status =
        (*db)->Exec("SELECT status FROM approval_devices WHERE id = ?", {store::Text(device_id)});
    auto audit = (*db)->Exec(
        "SELECT actor FROM audit_log WHERE action = 'device.remove' AND subject = ? ORDER BY seq",
        {store::Text(device_id)});
    EXPECT_TRUE(status.ok() && audit.ok());
    if (!status.ok() || !audit.ok() || status->rows.empty()) return {};
    std::vector<std::string> actors;
    for (const auto& row : audit->rows) actors.push_back(row.Text(0));
    return {status->rows[0].Text(0), actors};
  }

  std::string dir_;
  std::string registrar_;
};

TEST_F(IdentityCommandsTest, AddPrintsTheIdAndAWorkingActivationCode) {
  Outcome added = Cmd(AddArgs("+32470123456"));
  ASSERT_EQ(added.rc, 0) << added.err;
  ASSERT_EQ(added.out.rfind("identity idn_", 0), 0u) << added.out;
  std::string id = added.out.substr(9, 36);
  auto at = added.out.find("activation code  ");
  ASSERT_NE(at, std::string::npos) << added.out;
  std::string code = added.out.substr(at + 17, 24);

  json shown = JsonOf(Cmd({"identity", "show", id, "--json"}));
  EXPECT_EQ(shown["registrar_id"], registrar_);
  EXPECT_EQ(shown["attributes"]["address"]["locality"], "Mechelen");
  EXPECT_EQ(shown["evidence"]["method"], "pipp");
  Outcome text = Cmd({"identity", "show", id});
  EXPECT_NE(text.out.find("given_name           Anna"), std::string::npos) << text.out;

  auto redeemed = Redeem(code);
  ASSERT_TRUE(redeemed.ok()) << redeemed.status().ToString();
  EXPECT_EQ(*redeemed, id);
  EXPECT_FALSE(Redeem(code).ok());
}

TEST_F(IdentityCommandsTest, ListRevokeAndNewCodes) {
  json a = JsonOf(Cmd([&] {
    auto args = AddArgs("+32470123456");
    args.push_back("--json");
    return args;
  }()));
  std::string id = a["identity"]["id"];
  std::string first_code = a["activation_code"]["activation_code"];

  // A JSON file, with a flag on top.
  std::string file = dir_ + "/identity.json";
  std::ofstream(file) << json{{"given_name", "Bart"},
                              {"family_name", "Janssens"},
                              {"birthdate", "1985-01-31"},
                              {"phone_number", "+32470000001"},
                              {"evidence",
                               {{"type", "document"},
                                {"method", "eid"},
                                {"time", "2024-05-01T08:00:00Z"},
                                {"document_details",
                                 {{"type", "passport"},
                                  {"document_number", "EP123456"},
                                  {"issuer", {{"country", "BE"}}},
                                  {"date_of_issuance", "2020-01-01"},
                                  {"date_of_expiry", "2030-01-01"}}}}}}
                             .dump();
  json b = JsonOf(Cmd({"identity", "add", "--registrar", registrar_, "--file", file, "--email",
                       "bart@example.be", "--json"}));
  EXPECT_EQ(b["identity"]["attributes"]["email"], "bart@example.be");
  EXPECT_EQ(b["identity"]["evidence"]["method"], "eid");

  EXPECT_EQ(JsonOf(Cmd({"identity", "list", "--json"})).size(), 2u);
  EXPECT_EQ(JsonOf(Cmd({"identity", "list", "--phone", "+32470000001", "--json"})).size(), 1u);
  EXPECT_EQ(JsonOf(Cmd({"identity", "list", "--registrar", "m_0000000000000000", "--json"})).size(),
            0u);

  json code = JsonOf(Cmd({"identity", "activation-code", id, "--json"}));
  EXPECT_EQ(code["identity_id"], id);
  EXPECT_FALSE(Redeem(first_code).ok());  // superseded by the new one

  Outcome revoked = Cmd({"identity", "revoke", id, "--reason", "deceased"});
  ASSERT_EQ(revoked.rc, 0) << revoked.err;
  EXPECT_EQ(revoked.out, "identity " + id + " is now revoked\n");
  EXPECT_FALSE(Redeem(code["activation_code"]).ok());
  EXPECT_EQ(JsonOf(Cmd({"identity", "list", "--status", "revoked", "--json"})).size(), 1u);
  Outcome again = Cmd({"identity", "revoke", id});
  EXPECT_EQ(again.rc, 1);
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.err;
}

TEST_F(IdentityCommandsTest, BadInputIsNamed) {
  Outcome phone = Cmd(AddArgs("0470123456"));
  EXPECT_EQ(phone.rc, 1);
  EXPECT_NE(phone.err.find("phone_number: must be E.164, e.g. +31612345678"), std::string::npos)
      << phone.err;
  auto args = AddArgs("+32470123456");
  args[3] = "m_0000000000000000";
  Outcome unknown = Cmd(args);
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_NE(unknown.err.find("registrar_id: no member"), std::string::npos) << unknown.err;
  Outcome missing = Cmd({"identity", "add", "--registrar", registrar_, "--given-name", "Anna"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.err.find("required"), std::string::npos) << missing.err;
  EXPECT_EQ(Cmd({"identity", "show", "idn_nope"}).rc, 1);
  EXPECT_EQ(Cmd({"identity", "list", "--status", "gone"}).rc, 1);
}

TEST_F(IdentityCommandsTest, MissingFlagsAreNamedByFlagAllAtOnce) {
  // Without the birthdate and the document's number and expiry.
  std::vector<std::string> args = AddArgs("+32470123456");
  for (const char* drop : {"--birthdate", "--document-number", "--document-expires"}) {
    auto at = std::find(args.begin(), args.end(), drop);
    ASSERT_NE(at, args.end());
    args.erase(at, at + 2);
  }
  Outcome r = Cmd(args);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("--birthdate, --document-number, --document-expires: required"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("evidence."), std::string::npos) << r.err;
  EXPECT_EQ(JsonOf(Cmd({"identity", "list", "--json"})).size(), 0u);

  // One missing: named alone. An address needs its country.
  args = AddArgs("+32470123456");
  auto number = std::find(args.begin(), args.end(), std::string("--document-number"));
  args.erase(number, number + 2);
  auto country = std::find(args.begin(), args.end(), std::string("--country"));
  args.erase(country, country + 2);
  r = Cmd(args);
  EXPECT_NE(r.err.find("idscheme: --document-number, --country: required"), std::string::npos)
      << r.err;

  // What --file gives needs no flag.
  std::string file = dir_ + "/evidence.json";
  std::ofstream(file) << json{{"birthdate", "1990-04-27"},
                              {"evidence",
                               {{"type", "document"},
                                {"method", "pipp"},
                                {"time", "2024-05-01T08:00:00Z"},
                                {"document_details",
                                 {{"type", "idcard"},
                                  {"document_number", "592123456789"},
                                  {"issuer", {{"country", "BE"}}},
                                  {"date_of_issuance", "2021-03-01"},
                                  {"date_of_expiry", "2031-03-01"}}}}}}
                             .dump();
  Outcome from_file =
      Cmd({"identity", "add", "--registrar", registrar_, "--file", file, "--given-name", "Anna",
           "--family-name", "Peeters", "--phone", "+32470123456"});
  EXPECT_EQ(from_file.rc, 0) << from_file.err;
}

// Issue 4: the operator lists a person's devices and revokes one (a lost phone) without
// revoking the identity.
TEST_F(IdentityCommandsTest, DevicesAndRevokeDevice) {
  json a = JsonOf(Cmd([&] {
    auto args = AddArgs("+32470123456");
    args.push_back("--json");
    return args;
  }()));
  const std::string id = a["identity"]["id"];
  // Nothing enrolled yet.
  EXPECT_EQ(JsonOf(Cmd({"identity", "devices", id, "--json"})), json::array());
  auto lost = Enrol(a["activation_code"]["activation_code"], "Lost phone");
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  json code = JsonOf(Cmd({"identity", "activation-code", id, "--json"}));
  auto kept = Enrol(code["activation_code"], "New phone");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();

  json listed = JsonOf(Cmd({"identity", "devices", id, "--json"}));
  ASSERT_EQ(listed.size(), 2u) << listed.dump();
  EXPECT_EQ(listed[0]["id"], *lost);
  EXPECT_EQ(listed[0]["name"], "Lost phone");
  EXPECT_EQ(listed[0]["status"], "active");
  EXPECT_TRUE(listed[0].contains("jwk_thumbprint"));
  EXPECT_FALSE(listed[0].contains("pin_verifier"));
  EXPECT_EQ(listed[1]["id"], *kept);
  Outcome text = Cmd({"identity", "devices", id});
  ASSERT_EQ(text.rc, 0) << text.err;
  EXPECT_NE(text.out.find(*lost), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Lost phone"), std::string::npos) << text.out;

  Outcome revoked = Cmd({"identity", "revoke-device", id, *lost});
  ASSERT_EQ(revoked.rc, 0) << revoked.err;
  EXPECT_NE(revoked.out.find("now revoked"), std::string::npos) << revoked.out;
  EXPECT_EQ(DeviceRecord(*lost),
            (std::pair<std::string, std::vector<std::string>>{"removed", {"operator"}}));
  listed = JsonOf(Cmd({"identity", "devices", id, "--json"}));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], *kept);
  EXPECT_EQ(JsonOf(Cmd({"identity", "show", id, "--json"}))["status"], "active");

  // Revoked already, unknown device or identity: refused, nothing changed.
  Outcome again = Cmd({"identity", "revoke-device", id, *lost});
  EXPECT_EQ(again.rc, 1);
  EXPECT_NE(again.err.find("no such device"), std::string::npos) << again.err;
  EXPECT_EQ(Cmd({"identity", "revoke-device", id, "dev_nothing"}).rc, 1);
  EXPECT_EQ(Cmd({"identity", "revoke-device", "idn_nobody", *kept}).rc, 1);
  EXPECT_EQ(DeviceRecord(*kept).first, "active");
  EXPECT_EQ(Cmd({"identity", "devices", "idn_nobody"}).rc, 1);
}

// Reading and revoking need a store that exists: a mistyped --data creates none.
TEST_F(IdentityCommandsTest, DeviceCommandsCreateNoStore) {
  const std::string typo = dir_ + "-typo";
  const std::vector<std::vector<std::string>> commands = {
      {"identity", "devices", "idn_a"}, {"identity", "revoke-device", "idn_a", "dev_b"}};
  for (const auto& args : commands) {
    Outcome r = Cmd(args, typo);
    EXPECT_EQ(r.rc, 1) << args[1];
    EXPECT_FALSE(std::filesystem::exists(typo)) << args[1];
  }
}

TEST_F(IdentityCommandsTest, TheDeviceCommandsExplainThemselves) {
  Outcome help = Cmd({"identity", "--help"});
  EXPECT_NE(help.out.find("devices"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("revoke-device"), std::string::npos) << help.out;
  Outcome revoke = Cmd({"identity", "revoke-device", "--help"});
  EXPECT_EQ(revoke.rc, 0);
  EXPECT_NE(revoke.out.find("device_id"), std::string::npos) << revoke.out;
  EXPECT_NE(revoke.out.find("not even a request it already fetched"), std::string::npos)
      << revoke.out;
}

TEST_F(IdentityCommandsTest, TheHelpMarksEveryRequiredFlag) {
  Outcome help = Cmd({"identity", "add", "--help"});
  EXPECT_EQ(help.rc, 0);
  for (const char* flag :
       {"--given-name", "--family-name", "--birthdate", "--phone", "--document-type",
        "--document-number", "--document-country", "--document-issued", "--document-expires"}) {
    auto at = help.out.find(std::string(flag) + " ");
    ASSERT_NE(at, std::string::npos) << flag << "\n" << help.out;
    const std::string line = help.out.substr(at, help.out.find('\n', at) - at);
    EXPECT_NE(line.find("REQUIRED"), std::string::npos) << line;
  }
  auto middle = help.out.find("--middle-name ");
  ASSERT_NE(middle, std::string::npos);
  EXPECT_EQ(help.out.substr(middle, help.out.find('\n', middle) - middle).find("REQUIRED"),
            std::string::npos);
}

}  // namespace
}  // namespace idscheme::cli
