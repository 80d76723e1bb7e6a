// The admin API through a real HTTP server on port 0, on both backends.
#include "registry/admin_api.h"

#include <gtest/gtest.h>

#include <map>

#include "http/server.h"
#include "registry/registry_test_util.h"
#include "testing/http_client.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::RegistryTest;
using testing::TestJwks;
using testing::WebClientMetadata;

struct Reply {
  int status = 0;
  json body;
  std::map<std::string, std::string> headers;
};

class AdminApiTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    // The scheme manager and its API client; the test tokens stand in for bearer tokens.
    Member manager = AddMember(Role::kSchemeManager, "Scheme Operator");
    json api = {{"grant_types", {"client_credentials"}}, {"jwks", TestJwks()}};
    std::string manager_client = AddClient(manager.id, api).client.client_id;
    manager_ = manager.id;
    tokens_["manager"] = {manager.id, Role::kSchemeManager, manager_client};
    Member registrar = AddMember(Role::kIdentityRegistrar, "Registrar");
    tokens_["registrar"] = {registrar.id, Role::kIdentityRegistrar,
                            AddClient(registrar.id, api).client.client_id};
    // A caller whose token claims a role the registry does not give it.
    tokens_["liar"] = {registrar.id, Role::kSchemeManager, tokens_["registrar"].client_id};
    // A second scheme manager, to be suspended.
    Member other = AddMember(Role::kSchemeManager, "Deputy");
    other_manager_ = other.id;
    tokens_["deputy"] = {other.id, Role::kSchemeManager, AddClient(other.id, api).client.client_id};

    http::Router router;
    AddAdminRoutes(router, *registry_, [this](http::Request& req) -> Result<Caller> {
      auto h = req.GetHeader("authorization");
      if (!h || h->rfind("Test ", 0) != 0) return Status::Unauthenticated("no test token");
      auto it = tokens_.find(std::string(h->substr(5)));
      if (it == tokens_.end()) return Status::Unauthenticated("unknown test token");
      return it->second;
    });
    http::ServerOptions options;
    options.port = 0;
    options.worker_threads = 2;
    options.access_log = false;
    server_ = std::make_unique<http::Server>(options, std::move(router));
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  Reply Call(const std::string& method, const std::string& target, const json& body = nullptr,
             const std::string& token = "manager") {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) req += "Authorization: Test " + token + "\r\n";
    std::string text = body.is_null() ? "" : body.dump();
    if (!body.is_null()) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
    auto raw = idscheme::testing::SendRaw(server_->port(), req);
    Reply r;
    r.status = raw.status;
    r.headers = raw.headers;
    r.body = json::parse(raw.body, nullptr, false);
    return r;
  }

  // `body` as it is, with `content_type` unless empty.
  Reply RawPost(const std::string& target, const std::string& content_type,
                const std::string& body) {
    std::string req = "POST " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Authorization: Test manager\r\n";
    if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto raw = idscheme::testing::SendRaw(server_->port(), req);
    return {raw.status, json::parse(raw.body, nullptr, false), raw.headers};
  }

  // Expects a 400 invalid_request whose description starts with `field_error`.
  void ExpectBadRequest(const Reply& r, const std::string& field_error) {
    EXPECT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["error"], "invalid_request") << r.body.dump();
    std::string d = r.body.value("error_description", "");
    EXPECT_EQ(d.rfind(field_error, 0), 0u) << "got \"" << d << "\", want \"" << field_error << "\"";
  }

  std::string CreateMember(const std::string& role = "service_provider") {
    Reply r = Call("POST", "/admin/v1/members",
                   {{"role", role},
                    {"display_name", "Shop"},
                    {"legal_id", "BE0999999999"},
                    {"contacts", {{"email", "it@shop.example"}}}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  }

  std::map<std::string, Caller> tokens_;
  std::string manager_, other_manager_;
  std::unique_ptr<http::Server> server_;
};

TEST_P(AdminApiTest, MembersLifecycle) {
  Reply created = Call("POST", "/admin/v1/members",
                       {{"role", "service_provider"},
                        {"display_name", "Shop"},
                        {"legal_id", "BE0999999999"},
                        {"contacts", {{"email", "it@shop.example"}}}});
  ASSERT_EQ(created.status, 201) << created.body.dump();
  std::string id = created.body["id"];
  EXPECT_EQ(created.headers["location"], "/admin/v1/members/" + id);
  EXPECT_EQ(created.body["status"], "active");
  EXPECT_EQ(created.headers["cache-control"], "no-store");

  Reply got = Call("GET", "/admin/v1/members/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, created.body);

  Reply patched = Call("PATCH", "/admin/v1/members/" + id, {{"display_name", "Shop NV"}});
  ASSERT_EQ(patched.status, 200) << patched.body.dump();
  EXPECT_EQ(patched.body["display_name"], "Shop NV");

  Reply listed = Call("GET", "/admin/v1/members?role=service_provider&status=active");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["members"].size(), 1u);
  EXPECT_EQ(listed.body["members"][0]["id"], id);
  Reply paged = Call("GET", "/admin/v1/members?limit=2");
  ASSERT_EQ(paged.body["members"].size(), 2u);
  ASSERT_TRUE(paged.body.contains("next_after"));
  Reply rest =
      Call("GET", "/admin/v1/members?limit=2&after=" + paged.body["next_after"].get<std::string>());
  EXPECT_EQ(rest.body["members"].size(), 2u);
  // Four members in all: the second page is the last, full as it is.
  EXPECT_EQ(Call("GET", "/admin/v1/members").body["members"].size(), 4u);
  EXPECT_FALSE(rest.body.contains("next_after")) << rest.body.dump();

  Reply suspended = Call("POST", "/admin/v1/members/" + id + "/suspend", {{"reason", "audit"}});
  ASSERT_EQ(suspended.status, 200) << suspended.body.dump();
  EXPECT_EQ(suspended.body["status"], "suspended");
  EXPECT_EQ(suspended.body["revocation_epoch"], 1);
  EXPECT_EQ(Call("POST", "/admin/v1/members/" + id + "/reinstate").status, 200);
  Reply terminated = Call("POST", "/admin/v1/members/" + id + "/terminate");
  ASSERT_EQ(terminated.status, 200);
  EXPECT_EQ(terminated.body["status"], "terminated");

  // Nothing after termination.
  for (const char* action : {"reinstate", "suspend", "terminate"}) {
    Reply r = Call("POST", "/admin/v1/members/" + id + "/" + action);
    EXPECT_EQ(r.status, 400) << action;
    EXPECT_EQ(r.body["error"], "failed_precondition");
    EXPECT_NE(r.body["error_description"].get<std::string>().find("termination is final"),
              std::string::npos);
  }
  EXPECT_EQ(Call("PATCH", "/admin/v1/members/" + id, {{"display_name", "X"}}).status, 400);

  // The audit names the caller's client.
  auto entries = AuditEntries("member.terminate");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["actor"], "client:" + tokens_["manager"].client_id);
}

TEST_P(AdminApiTest, BadInputIsA400NamingTheField) {
  ExpectBadRequest(Call("POST", "/admin/v1/members",
                        {{"role", "bank"}, {"display_name", "x"}, {"legal_id", "x"}}),
                   "role: unknown role");
  ExpectBadRequest(Call("POST", "/admin/v1/members",
                        {{"role", "service_provider"},
                         {"display_name", "Shop"},
                         {"legal_id", "BE1"},
                         {"contacts", {{"email", "nope"}}}}),
                   "contacts.email: ");
  ExpectBadRequest(Call("POST", "/admin/v1/members", {{"id", "m_mine"}}),
                   "id: is set by the server");
  ExpectBadRequest(Call("GET", "/admin/v1/members?colour=red"), "colour: unknown query parameter");
  ExpectBadRequest(Call("GET", "/admin/v1/members?limit=0"), "limit: must be a number 1..1000");
  ExpectBadRequest(Call("GET", "/admin/v1/members?status=gone"), "status: must be active");
  // An empty string is not "none": it is refused, not dropped.
  ExpectBadRequest(Call("POST", "/admin/v1/members",
                        {{"role", "service_provider"},
                         {"display_name", "Shop"},
                         {"legal_id", "BE0999999999"},
                         {"contacts", {{"email", "it@shop.example"}}},
                         {"reseller_id", ""}}),
                   "reseller_id: must not be empty (leave it out instead)");
  EXPECT_EQ(AuditEntries("member.create").size(), 3u);  // SetUp's, nothing more

  std::string sp = CreateMember();
  ExpectBadRequest(Call("PUT", "/admin/v1/members/" + sp + "/agreement",
                        {{"services", {"login"}},
                         {"claims", {"shoe_size"}},
                         {"assurance_levels", {"basic"}},
                         {"claims_outside", "drop"}}),
                   "claims[0]: unknown value");
  json bad_client = WebClientMetadata("http://rp.example/cb");
  ExpectBadRequest(Call("POST", "/admin/v1/members/" + sp + "/clients", bad_client),
                   "redirect_uris[0]: must use https");
  ExpectBadRequest(
      Call("POST", "/admin/v1/members/" + sp + "/clients",
           {{"redirect_uris", {"https://rp.example/cb"}}, {"token_endpoint_auth_method", "none"}}),
      "token_endpoint_auth_method: public clients are not allowed");
  ExpectBadRequest(Call("POST", "/admin/v1/members/" + sp + "/suspend", {{"why", "x"}}),
                   "why: unknown field");

  // Not JSON at all.
  std::string raw =
      "POST /admin/v1/members HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Authorization: Test manager\r\nContent-Type: text/plain\r\n"
      "Content-Length: 2\r\n\r\n{}";
  EXPECT_EQ(idscheme::testing::SendRaw(server_->port(), raw).status, 400);
}

// The display name is what people see in the app and on the login pages: a character that hides
// or reorders text could make one member's name read as another's.
TEST_P(AdminApiTest, NamesPeopleSeeHaveNothingHiddenInThem) {
  auto member = [](const std::string& name) {
    return json{{"role", "service_provider"},
                {"display_name", name},
                {"legal_id", "BE0999999999"},
                {"contacts", {{"email", "it@shop.example"}}}};
  };
  ExpectBadRequest(
      Call("POST", "/admin/v1/members", member("Bank\u202eknaB")),
      "display_name: must not contain invisible or direction-changing characters (U+202E)");
  ExpectBadRequest(
      Call("POST", "/admin/v1/members", member("\u200b")),
      "display_name: must not contain invisible or direction-changing characters (U+200B)");
  ExpectBadRequest(Call("POST", "/admin/v1/members", member("a\u0085b")),
                   "display_name: must not contain control characters (U+0085)");
  ExpectBadRequest(Call("POST", "/admin/v1/members", member("Shop\u3000")),
                   "display_name: must not start or end with a space (U+3000)");
  for (const char* name :
       {"Société Générale", "Ελληνική Τράπεζα", "Сбербанк", "بنك مصر", "みずほ銀行"}) {
    EXPECT_EQ(Call("POST", "/admin/v1/members", member(name)).status, 201) << name;
  }

  std::string sp = CreateMember();
  ExpectBadRequest(Call("PATCH", "/admin/v1/members/" + sp, {{"display_name", "Shop\u2066"}}),
                   "display_name: must not contain invisible or direction-changing characters");
  json metadata = WebClientMetadata("https://shop.example/cb");
  metadata["client_name"] = "Shop\u202e";
  ExpectBadRequest(Call("POST", "/admin/v1/members/" + sp + "/clients", metadata),
                   "client_name: must not contain invisible or direction-changing characters "
                   "(U+202E)");
  EXPECT_TRUE(AuditEntries("member.update").empty());
  EXPECT_TRUE(Call("GET", "/admin/v1/members/" + sp + "/clients").body["clients"].empty());
}

TEST_P(AdminApiTest, UnknownIdsAre404) {
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/admin/v1/members/m_0000000000000000"},
           {"POST", "/admin/v1/members/m_0000000000000000/suspend"},
           {"GET", "/admin/v1/members/m_0000000000000000/agreement"},
           {"GET", "/admin/v1/members/m_0000000000000000/agreement/history"},
           {"GET", "/admin/v1/members/m_0000000000000000/clients"},
           {"GET", "/admin/v1/clients/c_000000000000000000000000"},
           {"DELETE", "/admin/v1/clients/c_000000000000000000000000"},
           {"POST", "/admin/v1/clients/c_000000000000000000000000/rotate-secret"},
           {"GET", "/admin/v1/clients/%C3%A9t%C3%A9"}}) {
    Reply r = Call(method, target);
    EXPECT_EQ(r.status, 404) << method << " " << target << " " << r.body.dump();
    EXPECT_EQ(r.body["error"], "not_found");
  }
  json metadata = WebClientMetadata();
  EXPECT_EQ(Call("POST", "/admin/v1/members/m_0000000000000000/clients", metadata).status, 404);
}

TEST_P(AdminApiTest, OnlyActiveSchemeManagersGetIn) {
  // No credentials: 401 with a challenge.
  Reply anonymous = Call("GET", "/admin/v1/members", nullptr, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.headers.count("www-authenticate"), 1u);
  EXPECT_EQ(Call("GET", "/admin/v1/members", nullptr, "forged").status, 401);

  // Authenticated, but not a scheme manager: 403, whatever the token claims.
  for (const char* token : {"registrar", "liar"}) {
    Reply r = Call("GET", "/admin/v1/members", nullptr, token);
    EXPECT_EQ(r.status, 403) << token;
    EXPECT_EQ(r.body["error"], "access_denied");
  }

  // A suspended scheme manager's caller is refused on its next request.
  EXPECT_EQ(Call("GET", "/admin/v1/members", nullptr, "deputy").status, 200);
  EXPECT_EQ(Call("POST", "/admin/v1/members/" + other_manager_ + "/suspend").status, 200);
  Reply refused = Call("GET", "/admin/v1/members", nullptr, "deputy");
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body["error_description"].get<std::string>().find("suspended"),
            std::string::npos);
  // Refusals are audited: the registrar's (its two tokens are one client, so one entry: the same
  // denial is written once a minute) and the suspended manager's.
  EXPECT_EQ(AuditEntries("policy.deny").size(), 2u);

  // A suspended client too.
  EXPECT_EQ(Call("POST", "/admin/v1/members/" + other_manager_ + "/reinstate").status, 200);
  EXPECT_EQ(Call("GET", "/admin/v1/members", nullptr, "deputy").status, 200);
  EXPECT_EQ(Call("POST", "/admin/v1/clients/" + tokens_["deputy"].client_id + "/suspend").status,
            200);
  EXPECT_EQ(Call("GET", "/admin/v1/members", nullptr, "deputy").status, 403);

  // No locking oneself out through the API: neither the caller's member nor its client.
  Reply self = Call("POST", "/admin/v1/members/" + manager_ + "/suspend");
  EXPECT_EQ(self.status, 400);
  EXPECT_EQ(self.body["error"], "failed_precondition");
  for (const std::string suffix : {"/suspend", ""}) {
    Reply own = Call(suffix.empty() ? "DELETE" : "POST",
                     "/admin/v1/clients/" + tokens_["manager"].client_id + suffix);
    EXPECT_EQ(own.status, 400) << suffix;
    EXPECT_EQ(own.body["error"], "failed_precondition") << suffix;
  }
  EXPECT_EQ(Call("GET", "/admin/v1/members").status, 200);
}

// A client's status change takes a reason, as a member's does, into the audit log; its body
// is checked like any other.
TEST_P(AdminApiTest, ClientStatusChangesRecordTheirReason) {
  const std::string id = tokens_["deputy"].client_id;
  Reply suspended =
      Call("POST", "/admin/v1/clients/" + id + "/suspend", {{"reason", "key compromise"}});
  ASSERT_EQ(suspended.status, 200) << suspended.body.dump();
  EXPECT_EQ(suspended.body["status"], "suspended");
  auto entries = AuditEntries("client.suspend");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["details"].value("reason", ""), "key compromise");
  ExpectBadRequest(Call("POST", "/admin/v1/clients/" + id + "/reinstate", {{"reason", ""}}),
                   "reason: must be 1 to 500 bytes");
  ExpectBadRequest(Call("POST", "/admin/v1/clients/" + id + "/reinstate", {{"why", "x"}}),
                   "why: unknown field");
  EXPECT_EQ(
      Call("POST", "/admin/v1/clients/" + id + "/reinstate", {{"reason", std::string(501, 'x')}})
          .status,
      400);
  EXPECT_EQ(Call("POST", "/admin/v1/clients/" + id + "/reinstate").status, 200);
}

// rotate-secret has no fields, and reads a body as strictly as the other actions do: a stray body
// is a mistake to report, not something to ignore while the secret changes.
TEST_P(AdminApiTest, RotateSecretTakesNoBodyButAnEmptyOne) {
  std::string sp = CreateMember();
  Reply created = Call("POST", "/admin/v1/members/" + sp + "/clients",
                       {{"redirect_uris", {"https://shop.example/cb"}},
                        {"token_endpoint_auth_method", "client_secret_basic"}});
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["client_id"];
  const std::string secret = created.body["client_secret"];

  for (const std::string action : {"rotate-secret", "suspend"}) {
    const std::string target = "/admin/v1/clients/" + id + "/" + action;
    ExpectBadRequest(RawPost(target, "text/plain", "garbage"),
                     "Content-Type must be application/json");
    ExpectBadRequest(RawPost(target, "", "{}"), "missing Content-Type");
    ExpectBadRequest(RawPost(target, "application/json", "garbage"), "body is not valid JSON");
    ExpectBadRequest(RawPost(target, "application/json", "[]"), "the body: must be a JSON object");
    ExpectBadRequest(RawPost(target, "application/json", R"({"client_secret":"mine"})"),
                     "client_secret: unknown field");
  }
  ExpectBadRequest(RawPost("/admin/v1/clients/" + id + "/rotate-secret", "application/json",
                           R"({"reason":"leaked"})"),
                   "reason: unknown field");
  EXPECT_TRUE(registry_->FindClient(id)->SecretMatches(secret)) << "nothing rotated";
  EXPECT_TRUE(AuditEntries("client.rotate_secret").empty());

  // No body, or an empty object.
  Reply bare = RawPost("/admin/v1/clients/" + id + "/rotate-secret", "", "");
  ASSERT_EQ(bare.status, 200) << bare.body.dump();
  Reply empty_object =
      RawPost("/admin/v1/clients/" + id + "/rotate-secret", "application/json", "{}");
  ASSERT_EQ(empty_object.status, 200) << empty_object.body.dump();
  EXPECT_NE(empty_object.body.value("client_secret", ""), bare.body.value("client_secret", ""));
  EXPECT_TRUE(
      registry_->FindClient(id)->SecretMatches(empty_object.body.value("client_secret", "")));
  EXPECT_EQ(AuditEntries("client.rotate_secret").size(), 2u);
}

TEST_P(AdminApiTest, AgreementsCurrentHistoryAndEffective) {
  Reply reseller = Call("POST", "/admin/v1/members",
                        {{"role", "value_added_reseller"},
                         {"display_name", "Resell Co"},
                         {"legal_id", "BE0888888888"},
                         {"contacts", {{"phone", "+3225551234"}}}});
  ASSERT_EQ(reseller.status, 201);
  std::string rid = reseller.body["id"];
  Reply shop = Call("POST", "/admin/v1/members",
                    {{"role", "service_provider"},
                     {"display_name", "Shop"},
                     {"legal_id", "BE0777777777"},
                     {"contacts", {{"email", "it@shop.example"}}},
                     {"reseller_id", rid}});
  ASSERT_EQ(shop.status, 201) << shop.body.dump();
  std::string sid = shop.body["id"];
  EXPECT_EQ(Call("GET", "/admin/v1/members/" + sid + "/agreement").status, 404);

  json terms = {{"services", {"login", "identification"}},
                {"claims", {"name", "email"}},
                {"assurance_levels", {"basic", "advanced"}},
                {"claims_outside", "drop"}};
  Reply v1 = Call("PUT", "/admin/v1/members/" + sid + "/agreement", terms);
  ASSERT_EQ(v1.status, 201) << v1.body.dump();
  EXPECT_EQ(v1.body["version"], 1);
  terms["claims"] = {"email"};
  Reply v2 = Call("PUT", "/admin/v1/members/" + sid + "/agreement", terms);
  EXPECT_EQ(v2.body["version"], 2);
  ASSERT_EQ(Call("PUT", "/admin/v1/members/" + rid + "/agreement",
                 {{"services", {"login"}},
                  {"claims", {"email", "name"}},
                  {"assurance_levels", {"basic"}},
                  {"claims_outside", "drop"}})
                .status,
            201);

  Reply current = Call("GET", "/admin/v1/members/" + sid + "/agreement");
  ASSERT_EQ(current.status, 200);
  EXPECT_EQ(current.body["version"], 2);
  EXPECT_EQ(current.body["services"], json({"identification", "login"}));
  EXPECT_EQ(current.body["effective"]["services"], json({"login"}));
  EXPECT_EQ(current.body["effective"]["assurance_levels"], json({"basic"}));
  Reply history = Call("GET", "/admin/v1/members/" + sid + "/agreement/history");
  ASSERT_EQ(history.status, 200);
  ASSERT_EQ(history.body["versions"].size(), 2u);
  EXPECT_EQ(history.body["versions"][0]["claims"], json({"email", "name"}));
}

TEST_P(AdminApiTest, ClientsLifecycle) {
  std::string sp = CreateMember();
  json metadata = {{"redirect_uris", {"https://shop.example/cb"}},
                   {"token_endpoint_auth_method", "client_secret_basic"},
                   {"client_name", "Shop web"}};
  Reply created = Call("POST", "/admin/v1/members/" + sp + "/clients", metadata);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  std::string id = created.body["client_id"];
  std::string secret = created.body["client_secret"];
  EXPECT_EQ(created.body["client_secret_expires_at"], 0);
  EXPECT_EQ(created.body["registered_by"], manager_);
  EXPECT_EQ(created.body["sector_identifier"], "shop.example");
  EXPECT_TRUE(registry_->FindClient(id)->SecretMatches(secret));

  // Never shown again.
  Reply got = Call("GET", "/admin/v1/clients/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_FALSE(got.body.contains("client_secret"));
  EXPECT_EQ(got.body["has_secret"], true);
  Reply list = Call("GET", "/admin/v1/members/" + sp + "/clients");
  ASSERT_EQ(list.body["clients"].size(), 1u);
  EXPECT_FALSE(list.body["clients"][0].contains("client_secret"));

  Reply rotated = Call("POST", "/admin/v1/clients/" + id + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200);
  std::string secret2 = rotated.body["client_secret"];
  EXPECT_NE(secret2, secret);
  EXPECT_FALSE(registry_->FindClient(id)->SecretMatches(secret));
  EXPECT_TRUE(registry_->FindClient(id)->SecretMatches(secret2));

  metadata["client_name"] = "Shop web v2";
  metadata["scope"] = "openid email";
  Reply updated = Call("PUT", "/admin/v1/clients/" + id, metadata);
  ASSERT_EQ(updated.status, 200) << updated.body.dump();
  EXPECT_EQ(updated.body["client_name"], "Shop web v2");
  EXPECT_FALSE(updated.body.contains("client_secret"));

  EXPECT_EQ(Call("POST", "/admin/v1/clients/" + id + "/suspend").body["status"], "suspended");
  EXPECT_EQ(Call("POST", "/admin/v1/clients/" + id + "/reinstate").body["status"], "active");
  Reply deleted = Call("DELETE", "/admin/v1/clients/" + id);
  ASSERT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body["status"], "deleted");
  EXPECT_EQ(Call("POST", "/admin/v1/clients/" + id + "/reinstate").status, 400);
  EXPECT_EQ(Call("PUT", "/admin/v1/clients/" + id, metadata).status, 400);
  EXPECT_FALSE(registry_->FindClient(id)->Usable());

  // A private_key_jwt client gets no secret.
  Reply jwt = Call("POST", "/admin/v1/members/" + sp + "/clients",
                   WebClientMetadata("https://shop.example/cb"));
  ASSERT_EQ(jwt.status, 201) << jwt.body.dump();
  EXPECT_FALSE(jwt.body.contains("client_secret"));
  EXPECT_EQ(Call("POST",
                 "/admin/v1/clients/" + jwt.body["client_id"].get<std::string>() + "/rotate-secret")
                .status,
            400);
}

TEST_P(AdminApiTest, ClientsShowTheStatusInEffect) {
  std::string reseller = CreateMember("value_added_reseller");
  Reply sp = Call("POST", "/admin/v1/members",
                  {{"role", "service_provider"},
                   {"display_name", "Resold shop"},
                   {"legal_id", "BE0999999998"},
                   {"contacts", {{"email", "it@resold.example"}}},
                   {"reseller_id", reseller}});
  ASSERT_EQ(sp.status, 201) << sp.body.dump();
  const std::string member = sp.body["id"];
  Reply created = Call("POST", "/admin/v1/members/" + member + "/clients",
                       WebClientMetadata("https://resold.example/cb"));
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["client_id"];
  EXPECT_EQ(created.body["effective_status"], "active");

  auto shown = [&] {
    Reply listed = Call("GET", "/admin/v1/members/" + member + "/clients");
    Reply got = Call("GET", "/admin/v1/clients/" + id);
    EXPECT_EQ(listed.body["clients"][0]["effective_status"], got.body["effective_status"]);
    EXPECT_EQ(got.body["status"], "active");  // its own status is untouched
    return got.body.value("effective_status", "");
  };
  ASSERT_EQ(Call("POST", "/admin/v1/members/" + reseller + "/suspend").status, 200);
  EXPECT_EQ(shown(), "reseller_suspended");
  ASSERT_EQ(Call("POST", "/admin/v1/members/" + member + "/suspend").status, 200);
  EXPECT_EQ(shown(), "member_suspended");  // its member first, then the reseller
  // The client's own switch-off comes first.
  Reply suspended = Call("POST", "/admin/v1/clients/" + id + "/suspend");
  ASSERT_EQ(suspended.status, 200) << suspended.body.dump();
  EXPECT_EQ(suspended.body["effective_status"], "suspended");
  ASSERT_EQ(Call("POST", "/admin/v1/clients/" + id + "/reinstate").status, 200);
  ASSERT_EQ(Call("POST", "/admin/v1/members/" + member + "/terminate").status, 200);
  EXPECT_EQ(shown(), "member_terminated");
}

// docs/member-api.md §3.1: nothing about a terminated member changes any more, its clients
// included; above all, no new secret is handed out for it.
TEST_P(AdminApiTest, ATerminatedMembersClientsCannotChange) {
  std::string sp = CreateMember();
  json metadata = {{"redirect_uris", {"https://shop.example/cb"}},
                   {"token_endpoint_auth_method", "client_secret_basic"}};
  Reply active = Call("POST", "/admin/v1/members/" + sp + "/clients", metadata);
  ASSERT_EQ(active.status, 201) << active.body.dump();
  Reply suspended = Call("POST", "/admin/v1/members/" + sp + "/clients", metadata);
  ASSERT_EQ(suspended.status, 201) << suspended.body.dump();
  const std::string a = active.body["client_id"], s = suspended.body["client_id"];
  ASSERT_EQ(Call("POST", "/admin/v1/clients/" + s + "/suspend").status, 200);
  ASSERT_EQ(Call("POST", "/admin/v1/members/" + sp + "/terminate").status, 200);

  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/admin/v1/clients/" + a + "/suspend"},
           {"POST", "/admin/v1/clients/" + a + "/rotate-secret"},
           {"DELETE", "/admin/v1/clients/" + a},
           {"POST", "/admin/v1/clients/" + s + "/reinstate"},
           {"POST", "/admin/v1/clients/" + s + "/rotate-secret"}}) {
    Reply r = Call(method, target);
    EXPECT_EQ(r.status, 400) << method << " " << target << " " << r.body.dump();
    EXPECT_EQ(r.body["error"], "failed_precondition") << target;
    EXPECT_EQ(r.body.value("error_description", ""),
              "member " + sp + " is terminated; termination is final")
        << target;
    EXPECT_FALSE(r.body.contains("client_secret")) << target;
  }
  EXPECT_EQ(Call("PUT", "/admin/v1/clients/" + a, metadata).status, 400);
  EXPECT_TRUE(registry_->FindClient(a)->SecretMatches(active.body.value("client_secret", "")));
  EXPECT_EQ(Call("GET", "/admin/v1/clients/" + a).body["status"], "active");
  EXPECT_EQ(Call("GET", "/admin/v1/clients/" + s).body["status"], "suspended");
  EXPECT_TRUE(AuditEntries("client.rotate_secret").empty());
}

TEST_P(AdminApiTest, RefuseAllCallersKeepsTheApiClosed) {
  http::Router router;
  AddAdminRoutes(router, *registry_, RefuseAllCallers());
  http::ServerOptions options;
  options.port = 0;
  options.worker_threads = 1;
  options.access_log = false;
  http::Server closed(options, std::move(router));
  ASSERT_TRUE(closed.Start().ok());
  auto r = idscheme::testing::Get(closed.port(), "/admin/v1/members",
                                  {{"Authorization", "Test manager"}});
  EXPECT_EQ(r.status, 401);
  closed.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, AdminApiTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::registry
