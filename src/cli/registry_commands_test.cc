// The registry commands end to end, in process, on a temporary SQLite data directory: each call
// parses a command line as `idscheme` does and runs it against the store.
#include "cli/registry_commands.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "http/server.h"
#include "registry/registry.h"
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

class RegistryCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir(); }

  // Runs `idscheme <args...> --data <dir>`.
  Outcome Cmd(std::vector<std::string> args) {
    args.insert(args.begin(), "idscheme");
    args.push_back("--data");
    args.push_back(dir_);
    args.push_back("--set");
    args.push_back("keys.rsa_bits=2048");
    for (const auto& set : sets_) {
      args.push_back("--set");
      args.push_back(set);
    }
    CLI::App app{"idscheme"};
    app.require_subcommand(1);
    CommonFlags flags;
    int rc = 0;
    AddRegistryCommands(app, flags, rc);
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

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  std::string AddMember(const std::string& role = "service_provider",
                        const std::string& extra = "") {
    std::vector<std::string> args = {"member",     "add",
                                     "--role",     role,
                                     "--name",     "Acme Bank",
                                     "--legal-id", "LEI:5493001KJTIIGC8Y1R12",
                                     "--email",    "ops@acme.example",
                                     "--json"};
    if (!extra.empty()) {
      args.push_back("--reseller");
      args.push_back(extra);
    }
    return JsonOf(Cmd(args)).value("id", "");
  }

  std::string dir_;
  std::vector<std::string> sets_;  // more --set KEY=VALUE for every command
};

TEST_F(RegistryCommandsTest, MembersFromAddToTermination) {
  Outcome added = Cmd({"member", "add", "--role", "service_provider", "--name", "Acme Bank",
                       "--legal-id", "BE0123456789", "--phone", "+3225551234"});
  ASSERT_EQ(added.rc, 0) << added.err;
  ASSERT_EQ(added.out.rfind("member m_", 0), 0u) << added.out;
  std::string id = added.out.substr(7, 18);

  Outcome shown = Cmd({"member", "show", id});
  ASSERT_EQ(shown.rc, 0);
  EXPECT_NE(shown.out.find("display name  Acme Bank"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("status        active"), std::string::npos);
  EXPECT_EQ(JsonOf(Cmd({"member", "show", id, "--json"}))["contacts"]["phone"], "+3225551234");

  json updated = JsonOf(Cmd(
      {"member", "update", id, "--name", "Acme Bank NV", "--email", "it@acme.example", "--json"}));
  EXPECT_EQ(updated["display_name"], "Acme Bank NV");
  EXPECT_EQ(updated["contacts"]["email"], "it@acme.example");
  EXPECT_EQ(updated["contacts"]["phone"], "+3225551234");  // kept

  Outcome suspended = Cmd({"member", "suspend", id, "--reason", "unpaid"});
  ASSERT_EQ(suspended.rc, 0) << suspended.err;
  EXPECT_EQ(suspended.out, "member " + id + " is now suspended (revocation epoch 1)\n");
  EXPECT_EQ(JsonOf(Cmd({"member", "reinstate", id, "--json"}))["status"], "active");
  EXPECT_EQ(Cmd({"member", "terminate", id}).rc, 0);
  Outcome again = Cmd({"member", "reinstate", id});
  EXPECT_EQ(again.rc, 1);
  EXPECT_NE(again.err.find("termination is final"), std::string::npos) << again.err;

  json list = JsonOf(Cmd({"member", "list", "--status", "terminated", "--json"}));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  Outcome table = Cmd({"member", "list"});
  EXPECT_NE(table.out.find(id), std::string::npos);
  EXPECT_EQ(JsonOf(Cmd({"member", "list", "--role", "sim_controller", "--json"})).size(), 0u);

  // Every change was audited as the operator.
  auto db = store::Database::Open(dir_ + "/idscheme.db", 1);
  ASSERT_TRUE(db.ok());
  auto entries = audit::List(**db, 0, 100);
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> actions;
  for (const auto& e : *entries) {
    if (e.event.subject != id) continue;
    EXPECT_EQ(e.event.actor, "operator");
    actions.push_back(e.event.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"member.create", "member.update", "member.suspend",
                                               "member.reinstate", "member.terminate"}));
}

TEST_F(RegistryCommandsTest, BadInputNamesTheFieldOrFlag) {
  Outcome bad_role = Cmd({"member", "add", "--role", "bank", "--name", "X", "--legal-id", "X1",
                          "--email", "a@b.example"});
  EXPECT_EQ(bad_role.rc, 1);
  EXPECT_EQ(bad_role.err, "idscheme: --role: unknown role 'bank'\n");
  Outcome bad_email = Cmd({"member", "add", "--role", "service_provider", "--name", "X",
                           "--legal-id", "X1", "--email", "nope"});
  EXPECT_EQ(bad_email.rc, 1);
  EXPECT_NE(bad_email.err.find("contacts.email: "), std::string::npos) << bad_email.err;
  EXPECT_EQ(Cmd({"member", "add", "--name", "X"}).rc, 2);  // --role is required
  Outcome unknown = Cmd({"member", "show", "m_0000000000000000"});
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_NE(unknown.err.find("no member"), std::string::npos);
}

TEST_F(RegistryCommandsTest, AgreementsSetShowHistory) {
  std::string id = AddMember();
  Outcome none = Cmd({"agreement", "show", id});
  EXPECT_EQ(none.rc, 1);
  EXPECT_NE(none.err.find("has no agreement"), std::string::npos);

  Outcome set = Cmd({"agreement", "set", id, "--services", "login,identification", "--claims",
                     "name,email", "--levels", "basic", "--outside", "drop"});
  ASSERT_EQ(set.rc, 0) << set.err;
  EXPECT_EQ(set.out, "member " + id + ": agreement version 1 is now current\n");
  std::string file = WriteFile("terms.json", R"({"services":["login"],"claims":["email"],
      "assurance_levels":["basic","advanced"],"claims_outside":"refuse"})");
  EXPECT_EQ(JsonOf(Cmd({"agreement", "set", id, "--file", file, "--json"}))["version"], 2);

  json current = JsonOf(Cmd({"agreement", "show", id, "--json"}));
  EXPECT_EQ(current["version"], 2);
  EXPECT_EQ(current["claims"], json({"email"}));
  EXPECT_EQ(current["effective"]["assurance_levels"], json({"basic", "advanced"}));
  Outcome text = Cmd({"agreement", "show", id});
  EXPECT_NE(text.out.find("claims outside    refuse"), std::string::npos) << text.out;

  json history = JsonOf(Cmd({"agreement", "history", id, "--json"}));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["claims"], json({"email", "name"}));

  Outcome bad = Cmd({"agreement", "set", id, "--services", "login", "--claims", "shoe_size",
                     "--levels", "basic", "--outside", "drop"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("claims[0]: unknown value"), std::string::npos) << bad.err;
  Outcome missing = Cmd({"agreement", "set", id, "--services", "login", "--levels", "basic"});
  EXPECT_EQ(missing.err, "idscheme: --outside: required: refuse or drop\n");
}

TEST_F(RegistryCommandsTest, ClientsAddShowRotateAndSuspend) {
  std::string member = AddMember();
  Outcome added = Cmd({"client", "add", member, "--redirect-uri", "https://shop.example/cb",
                       "--auth-method", "client_secret_basic", "--name", "Shop web"});
  ASSERT_EQ(added.rc, 0) << added.err;
  ASSERT_EQ(added.out.rfind("client_id      c_", 0), 0u) << added.out;
  std::string id = added.out.substr(15, 26);
  auto secret_at = added.out.find("client_secret  ");
  ASSERT_NE(secret_at, std::string::npos);
  std::string secret = added.out.substr(secret_at + 15, 43);

  // The secret is never shown again, and the store holds only its hash.
  Outcome shown = Cmd({"client", "show", id});
  ASSERT_EQ(shown.rc, 0);
  EXPECT_EQ(shown.out.find(secret), std::string::npos);
  EXPECT_NE(shown.out.find("sector identifier  shop.example"), std::string::npos) << shown.out;
  {
    auto db = store::Database::Open(dir_ + "/idscheme.db", 1);
    ASSERT_TRUE(db.ok());
    SeededRandom random(1);
    registry::Registry reg(**db, SystemClock::Instance(), random);
    auto record = reg.FindClient(id);
    ASSERT_TRUE(record.ok());
    EXPECT_TRUE(record->SecretMatches(secret));
  }

  json rotated = JsonOf(Cmd({"client", "rotate-secret", id, "--json"}));
  EXPECT_EQ(rotated["client_id"], id);
  EXPECT_NE(rotated["client_secret"], secret);

  std::string jwks = WriteFile("jwks.json", R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1",
      "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
      "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})");
  json jwt = JsonOf(Cmd({"client", "add", member, "--redirect-uri", "https://shop.example/cb2",
                         "--jwks-file", jwks, "--scope", "openid email", "--json"}));
  EXPECT_FALSE(jwt.contains("client_secret"));
  EXPECT_EQ(jwt["token_endpoint_auth_method"], "private_key_jwt");
  EXPECT_EQ(jwt["scope"], "openid email");

  json list = JsonOf(Cmd({"client", "list", member, "--json"}));
  EXPECT_EQ(list.size(), 2u);

  std::string metadata = WriteFile("metadata.json", R"({"redirect_uris":["https://shop.example/cb"],
      "token_endpoint_auth_method":"client_secret_post","client_name":"Shop web v2"})");
  json updated = JsonOf(Cmd({"client", "update", id, "--metadata-file", metadata, "--json"}));
  EXPECT_EQ(updated["client_name"], "Shop web v2");
  EXPECT_FALSE(updated.contains("client_secret"));

  EXPECT_EQ(Cmd({"client", "suspend", id}).out, "client " + id + " is now suspended\n");
  EXPECT_EQ(JsonOf(Cmd({"client", "reinstate", id, "--json"}))["status"], "active");
  EXPECT_EQ(Cmd({"client", "delete", id}).rc, 0);
  EXPECT_EQ(Cmd({"client", "reinstate", id}).rc, 1);

  Outcome bad = Cmd({"client", "add", member, "--redirect-uri", "http://shop.example/cb",
                     "--auth-method", "client_secret_basic"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_NE(bad.err.find("redirect_uris[0]: must use https"), std::string::npos) << bad.err;
  Outcome bad_json = Cmd({"client", "add", member, "--metadata", "{nope"});
  EXPECT_EQ(bad_json.rc, 1);
  EXPECT_EQ(bad_json.err.rfind("idscheme: --metadata: ", 0), 0u) << bad_json.err;
}

// The CLI shares the registry's rule: a terminated member's clients never change, and no new
// secret is printed for one.
TEST_F(RegistryCommandsTest, ATerminatedMembersClientsCannotChange) {
  std::string member = AddMember();
  json added = JsonOf(Cmd({"client", "add", member, "--redirect-uri", "https://shop.example/cb",
                           "--auth-method", "client_secret_basic", "--json"}));
  const std::string id = added.value("client_id", "");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(Cmd({"member", "terminate", member}).rc, 0);
  const std::string want = "member " + member + " is terminated; termination is final";
  for (const char* action : {"suspend", "reinstate", "rotate-secret", "delete"}) {
    Outcome r = Cmd({"client", action, id});
    EXPECT_EQ(r.rc, 1) << action;
    EXPECT_NE(r.err.find(want), std::string::npos) << action << ": " << r.err;
    EXPECT_EQ(r.out.find("client_secret"), std::string::npos) << action << ": " << r.out;
  }
  EXPECT_EQ(JsonOf(Cmd({"client", "show", id, "--json"}))["status"], "active");
}

// OIDC Registration §5: `client add` and `client update` fetch a sector_identifier_uri with
// the node's HTTPS client and the configured oauth.jwks_* settings (here: the test CA).
TEST_F(RegistryCommandsTest, ClientsWithASectorIdentifierUriAreCheckedAgainstItsDocument) {
  http::Router router;
  router.Add("GET", "/sector.json", "sector", [](http::Request&) {
    return http::Response::JsonText(200, R"(["https://a.shop.example/cb"])");
  });
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.worker_threads = 1;
  options.access_log = false;
  options.tls_cert_file = std::string(IDSCHEME_HTTP_TESTDATA_DIR) + "/test_cert.pem";
  options.tls_key_file = std::string(IDSCHEME_HTTP_TESTDATA_DIR) + "/test_key.pem";
  http::Server rp(options, std::move(router));
  ASSERT_TRUE(rp.Start().ok());
  const std::string sector = "https://127.0.0.1:" + std::to_string(rp.port()) + "/sector.json";
  std::string member = AddMember();
  auto metadata = [&](const std::string& redirect) {
    return json{{"redirect_uris", {redirect}},
                {"token_endpoint_auth_method", "client_secret_basic"},
                {"sector_identifier_uri", sector}}
        .dump();
  };

  // Without the CA, the relying party's certificate is not trusted: the fetch fails, named.
  Outcome untrusted =
      Cmd({"client", "add", member, "--metadata", metadata("https://a.shop.example/cb")});
  EXPECT_EQ(untrusted.rc, 1);
  EXPECT_EQ(
      untrusted.err.rfind(
          "idscheme: sector_identifier_uri: cannot fetch " + sector + " (fetch: TLS handshake", 0),
      0u)
      << untrusted.err;

  sets_ = {"oauth.jwks_ca_file=" + std::string(IDSCHEME_HTTP_TESTDATA_DIR) + "/test_cert.pem"};
  json added = JsonOf(Cmd(
      {"client", "add", member, "--metadata", metadata("https://a.shop.example/cb"), "--json"}));
  EXPECT_EQ(added["sector_identifier"], "127.0.0.1");

  Outcome unlisted = Cmd({"client", "update", added["client_id"].get<std::string>(), "--metadata",
                          metadata("https://b.shop.example/cb")});
  EXPECT_EQ(unlisted.rc, 1);
  EXPECT_NE(unlisted.err.find("sector_identifier_uri: the document at " + sector +
                              " does not list redirect_uris[0] 'https://b.shop.example/cb'"),
            std::string::npos)
      << unlisted.err;
}

TEST_F(RegistryCommandsTest, EveryCommandHasOneLineHelp) {
  for (const char* group : {"member", "agreement", "client"}) {
    CLI::App app{"idscheme"};
    CommonFlags flags;
    int rc = 0;
    AddRegistryCommands(app, flags, rc);
    auto* g = app.get_subcommand(group);
    ASSERT_NE(g, nullptr);
    EXPECT_FALSE(g->get_description().empty());
    for (auto* cmd : g->get_subcommands({})) {
      const std::string d = cmd->get_description();
      EXPECT_FALSE(d.empty()) << group << " " << cmd->get_name();
      EXPECT_EQ(d.find('\n'), std::string::npos) << d;
      EXPECT_NE(cmd->get_option_no_throw("--json"), nullptr) << cmd->get_name();
      EXPECT_NE(cmd->get_option_no_throw("--data"), nullptr) << cmd->get_name();
      EXPECT_NE(cmd->get_option_no_throw("--store"), nullptr) << cmd->get_name();
    }
  }
}

}  // namespace
}  // namespace idscheme::cli
