// The registrar and SIM controller APIs through a real HTTP server on port 0, on both backends.
// The authenticator reads test tokens ("Authorization: Test <name>"); the policy and everything
// after it are the real ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "http/server.h"
#include "identity/identity_test_util.h"
#include "identity/internal/fields.h"
#include "identity/registrar_api.h"
#include "identity/sim_controller_api.h"
#include "registry/client_metadata.h"
#include "testing/http_client.h"

namespace idscheme::identity {
namespace {

using json = nlohmann::json;
using registry::Caller;
using registry::Role;
using testing::IdentityTest;
using testing::kIccid;
using testing::SampleEvidence;
using testing::SampleIdentity;
using testing::SimKeyJwk;

struct Reply {
  int status = 0;
  json body;
  std::map<std::string, std::string> headers;
};

class ApiTest : public IdentityTest {
 protected:
  void SetUp() override {
    IdentityTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    for (auto [name, role] :
         {std::pair{"registrar", Role::kIdentityRegistrar},
          std::pair{"registrar2", Role::kIdentityRegistrar}, std::pair{"mno", Role::kSimController},
          std::pair{"mno2", Role::kSimController}, std::pair{"shop", Role::kServiceProvider}}) {
      std::string member = AddMember(role, name);
      members_[name] = member;
      tokens_[name] = {member, role, AddClient(member)};
    }
    http::Router router;
    auto authenticate = [this](http::Request& req) -> Result<Caller> {
      auto h = req.GetHeader("authorization");
      if (!h || h->rfind("Test ", 0) != 0) return Status::Unauthenticated("no test token");
      auto it = tokens_.find(std::string(h->substr(5)));
      if (it == tokens_.end()) return Status::Unauthenticated("unknown test token");
      return it->second;
    };
    AddRegistrarRoutes(router, *identities_, *registry_, authenticate);
    AddSimControllerRoutes(router, *sims_, *registry_, authenticate);
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

  std::string AddClient(const std::string& member) {
    json metadata = {{"grant_types", {"client_credentials"}}, {"jwks", {{"keys", {SimKeyJwk()}}}}};
    auto m = registry::ValidateClientMetadata(metadata);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    auto c = registry_->clients().Create(member, *m, "operator", "operator");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->client.client_id : "";
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& token,
             const std::string& body = "", const std::string& content_type = "application/json") {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) req += "Authorization: Test " + token + "\r\n";
    if (!body.empty()) req += "Content-Type: " + content_type + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto raw = idscheme::testing::SendRaw(server_->port(), req);
    Reply r;
    r.status = raw.status;
    r.headers = raw.headers;
    r.body = json::parse(raw.body, nullptr, false);
    return r;
  }
  Reply Call(const std::string& method, const std::string& target, const std::string& token,
             const json& body) {
    return Call(method, target, token, body.dump());
  }

  void ExpectBadRequest(const Reply& r, const std::string& field_error) {
    EXPECT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["error"], "invalid_request") << r.body.dump();
    std::string d = r.body.value("error_description", "");
    EXPECT_EQ(d.rfind(field_error, 0), 0u) << "got \"" << d << "\", want \"" << field_error << "\"";
  }

  std::string CreateIdentityOverHttp(const std::string& token = "registrar",
                                     const std::string& phone = "+32470123456") {
    Reply r = Call("POST", "/registrar/v1/identities", token, SampleIdentity(phone));
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("id", "");
  }

  std::map<std::string, std::string> members_;
  std::map<std::string, Caller> tokens_;
  std::unique_ptr<http::Server> server_;
};

TEST_P(ApiTest, RegistrarLifecycle) {
  Reply created = Call("POST", "/registrar/v1/identities", "registrar", SampleIdentity());
  ASSERT_EQ(created.status, 201) << created.body.dump();
  std::string id = created.body["id"];
  EXPECT_EQ(created.headers["location"], "/registrar/v1/identities/" + id);
  EXPECT_EQ(created.headers["cache-control"], "no-store");
  EXPECT_EQ(created.body["registrar_id"], members_["registrar"]);
  EXPECT_EQ(created.body["status"], "active");
  EXPECT_EQ(created.body["attributes"]["place_of_birth"]["locality"], "Mechelen");

  Reply got = Call("GET", "/registrar/v1/identities/" + id, "registrar");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, created.body);

  Reply patched = Call("PATCH", "/registrar/v1/identities/" + id, "registrar",
                       json{{"email", "anna@new.example"}, {"middle_name", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body.dump();
  EXPECT_EQ(patched.body["attributes"]["email"], "anna@new.example");
  EXPECT_FALSE(patched.body["attributes"].contains("middle_name"));
  EXPECT_EQ(patched.body["version"], 2);

  Reply listed = Call("GET", "/registrar/v1/identities?status=active&phone_number=%2B32470123456",
                      "registrar");
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  ASSERT_EQ(listed.body["identities"].size(), 1u);
  EXPECT_EQ(listed.body["identities"][0]["id"], id);

  Reply code = Call("POST", "/registrar/v1/identities/" + id + "/activation-codes", "registrar");
  ASSERT_EQ(code.status, 201) << code.body.dump();
  EXPECT_EQ(code.body["identity_id"], id);
  auto redeemed =
      identities_->RedeemActivationCode(code.body["activation_code"].get<std::string>());
  ASSERT_TRUE(redeemed.ok());
  EXPECT_EQ(*redeemed, id);

  Reply revoked = Call("POST", "/registrar/v1/identities/" + id + "/revoke", "registrar",
                       json{{"reason", "deceased"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
  EXPECT_EQ(revoked.body["status"], "revoked");
  EXPECT_EQ(*identities_->StatusOf(id), IdentityStatus::kRevoked);
  Reply again = Call("POST", "/registrar/v1/identities/" + id + "/revoke", "registrar");
  EXPECT_EQ(again.status, 400);

  Reply history = Call("GET", "/registrar/v1/identities/" + id + "/history", "registrar");
  ASSERT_EQ(history.status, 200);
  ASSERT_EQ(history.body["versions"].size(), 3u);
  EXPECT_EQ(history.body["versions"][0]["attributes"]["middle_name"], "Maria");
  EXPECT_EQ(history.body["versions"][2]["change"], "revoke");

  auto audit = AuditEntries("identity.create");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["actor"], "client:" + tokens_["registrar"].client_id);
}

TEST_P(ApiTest, PagesEndWithoutANextAfter) {
  std::vector<std::string> ids;
  for (const char* phone : {"+32470000001", "+32470000002", "+32470000003", "+32470000004"})
    ids.push_back(CreateIdentityOverHttp("registrar", phone));
  std::sort(ids.begin(), ids.end());
  Reply first = Call("GET", "/registrar/v1/identities?limit=3", "registrar");
  ASSERT_EQ(first.status, 200) << first.body.dump();
  ASSERT_EQ(first.body["identities"].size(), 3u);
  EXPECT_EQ(first.body["next_after"], ids[2]);
  Reply last = Call("GET", "/registrar/v1/identities?limit=3&after=" + ids[2], "registrar");
  ASSERT_EQ(last.body["identities"].size(), 1u);
  EXPECT_FALSE(last.body.contains("next_after")) << last.body.dump();
  // A page that holds exactly what is left is the last one too.
  Reply full = Call("GET", "/registrar/v1/identities?limit=4", "registrar");
  ASSERT_EQ(full.body["identities"].size(), 4u);
  EXPECT_FALSE(full.body.contains("next_after")) << full.body.dump();
}

TEST_P(ApiTest, AnotherRegistrarsIdentityIsNotFound) {
  std::string id = CreateIdentityOverHttp();
  for (auto [method, path] :
       {std::pair{"GET", ""}, std::pair{"GET", "/history"}, std::pair{"POST", "/revoke"},
        std::pair{"POST", "/activation-codes"}}) {
    Reply r = Call(method, "/registrar/v1/identities/" + id + path, "registrar2");
    EXPECT_EQ(r.status, 404) << method << path << r.body.dump();
  }
  Reply patched = Call("PATCH", "/registrar/v1/identities/" + id, "registrar2",
                       json{{"email", "x@example.be"}});
  EXPECT_EQ(patched.status, 404);
  // The same answer as an id that does not exist at all.
  Reply unknown =
      Call("GET", "/registrar/v1/identities/idn_00000000000000000000000000000000", "registrar2");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"], patched.body["error"]);
  EXPECT_TRUE(Call("GET", "/registrar/v1/identities", "registrar2").body["identities"].empty());
  EXPECT_EQ(Call("GET", "/registrar/v1/identities/" + id, "registrar").body["version"], 1);
}

TEST_P(ApiTest, ARegistrarCannotTakeAPhoneNumberInUse) {
  CreateIdentityOverHttp();
  Reply r = Call("POST", "/registrar/v1/identities", "registrar2", SampleIdentity());
  EXPECT_EQ(r.status, 409) << r.body.dump();
  EXPECT_EQ(r.body["error_description"], "phone_number: already belongs to an active identity");
}

TEST_P(ApiTest, OnlyActiveMembersOfTheRightRoleGetIn) {
  std::string id = CreateIdentityOverHttp();
  // A service provider on the registrar API, a registrar on the SIM API, and the reverse.
  Reply shop = Call("POST", "/registrar/v1/identities", "shop", SampleIdentity("+32470000002"));
  EXPECT_EQ(shop.status, 403) << shop.body.dump();
  EXPECT_EQ(shop.body["error"], "access_denied");
  EXPECT_EQ(Call("GET", "/registrar/v1/identities/" + id, "shop").status, 403);
  EXPECT_EQ(Call("GET", "/registrar/v1/identities", "mno").status, 403);
  EXPECT_EQ(
      Call("GET", "/simcontroller/v1/bindings?phone_number=%2B32470123456", "registrar").status,
      403);
  // No token, an unknown token: 401.
  EXPECT_EQ(Call("GET", "/registrar/v1/identities", "").status, 401);
  EXPECT_EQ(Call("GET", "/simcontroller/v1/bindings/sb_x", "nobody").status, 401);

  // Suspended members are refused everything, at once.
  ASSERT_TRUE(registry_->members().Suspend(members_["registrar"], "operator").ok());
  ASSERT_TRUE(registry_->members().Suspend(members_["mno"], "operator").ok());
  Reply get = Call("GET", "/registrar/v1/identities/" + id, "registrar");
  EXPECT_EQ(get.status, 403) << get.body.dump();
  EXPECT_EQ(get.body["error"], "access_denied");
  EXPECT_EQ(
      Call("POST", "/registrar/v1/identities", "registrar", SampleIdentity("+32470000003")).status,
      403);
  EXPECT_EQ(
      Call("POST", "/registrar/v1/identities/" + id + "/activation-codes", "registrar").status,
      403);
  EXPECT_EQ(
      Call("POST", "/simcontroller/v1/bindings", "mno",
           json{{"phone_number", "+32470123456"}, {"iccid", kIccid}, {"public_key", SimKeyJwk()}})
          .status,
      403);
  EXPECT_EQ(Call("POST", "/simcontroller/v1/events", "mno",
                 json{{"phone_number", "+32470123456"}, {"type", "sim_swap"}})
                .status,
            403);
  EXPECT_FALSE(AuditEntries("policy.deny").empty());
}

TEST_P(ApiTest, BadInputNamesTheField) {
  ExpectBadRequest(
      Call("POST", "/registrar/v1/identities", "registrar", SampleIdentity("0612345678")),
      "phone_number: must be E.164, e.g. +31612345678");
  json date = SampleIdentity();
  date["birthdate"] = "1990-02-31";
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", date),
                   "birthdate: must be a date YYYY-MM-DD");
  json unknown = SampleIdentity();
  unknown["shoe_size"] = 42;
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", unknown),
                   "shoe_size: unknown field");
  json type = SampleIdentity();
  type["given_name"] = json::array({"Anna"});
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", type),
                   "given_name: must be a string");
  json hidden = SampleIdentity();
  hidden["given_name"] = "Ann\u202ea";
  ExpectBadRequest(
      Call("POST", "/registrar/v1/identities", "registrar", hidden),
      "given_name: must not contain invisible or direction-changing characters (U+202E)");
  json empty_region = SampleIdentity();
  empty_region["address"]["region"] = "";
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", empty_region),
                   "address.region: must not be empty (leave it out instead)");
  json country = SampleIdentity();
  country["address"]["country"] = "Belgium";
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", country),
                   "address.country: must be an ISO 3166-1 alpha-2");
  json expiry = SampleIdentity();
  expiry["evidence"]["document_details"]["date_of_expiry"] = "2031-13-01";
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", expiry),
                   "evidence.document_details.date_of_expiry: must be a date");
  // Not JSON, a duplicate key, the wrong media type.
  ExpectBadRequest(Call("POST", "/registrar/v1/identities", "registrar", std::string("{")), "");
  EXPECT_EQ(Call("POST", "/registrar/v1/identities", "registrar",
                 std::string(R"({"given_name":"A","given_name":"B"})"))
                .status,
            400);
  EXPECT_EQ(
      Call("POST", "/registrar/v1/identities", "registrar", SampleIdentity().dump(), "text/plain")
          .status,
      400);
  std::string id = CreateIdentityOverHttp();
  ExpectBadRequest(Call("PATCH", "/registrar/v1/identities/" + id, "registrar",
                        json{{"phone_number", "+31 6 12345678"}}),
                   "phone_number: must be E.164, e.g. +31612345678");
  ExpectBadRequest(
      Call("PATCH", "/registrar/v1/identities/" + id, "registrar", json{{"status", "revoked"}}),
      "status: unknown field");
  ExpectBadRequest(Call("PATCH", "/registrar/v1/identities/" + id, "registrar",
                        json{{"place_of_birth", {{"country", "BE"}, {"region", ""}}}}),
                   "place_of_birth.region: must not be empty (leave it out instead)");
  ExpectBadRequest(
      Call("POST", "/registrar/v1/identities/" + id + "/revoke", "registrar", json{{"reason", 7}}),
      "reason: must be a string");
  ExpectBadRequest(
      Call("POST", "/registrar/v1/identities/" + id + "/revoke", "registrar", json{{"reason", ""}}),
      "reason: must be 1 to 500 bytes");
  ExpectBadRequest(Call("GET", "/registrar/v1/identities?limit=0", "registrar"), "limit:");
  ExpectBadRequest(Call("GET", "/registrar/v1/identities?sort=name", "registrar"),
                   "sort: unknown query parameter");
  ExpectBadRequest(Call("GET", "/registrar/v1/identities?phone_number=123", "registrar"),
                   "phone_number: must be E.164");
  EXPECT_TRUE(AuditEntries("identity.update").empty());
}

TEST_P(ApiTest, ActivationCodesAreRateLimitedOverHttp) {
  std::string id = CreateIdentityOverHttp();
  const std::string path = "/registrar/v1/identities/" + id + "/activation-codes";
  for (int k = 0; k < 5; ++k) {
    ASSERT_EQ(Call("POST", path, "registrar").status, 201);
    clock_.AdvanceSeconds(60);  // the first at t, the fifth at t + 240 s
  }
  // Now t + 300 s: the next code is allowed when the first is an hour old (RFC 6585 §4).
  Reply limited = Call("POST", path, "registrar");
  EXPECT_EQ(limited.status, 429) << limited.body.dump();
  EXPECT_EQ(limited.headers["retry-after"], "3300");
  clock_.AdvanceSeconds(3299);
  EXPECT_EQ(Call("POST", path, "registrar").headers["retry-after"], "1");
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(Call("POST", path, "registrar").status, 201);
}

TEST_P(ApiTest, SimControllerLifecycle) {
  json key = SimKeyJwk();
  Reply bound =
      Call("POST", "/simcontroller/v1/bindings", "mno",
           json{{"phone_number", "+32470123456"}, {"iccid", kIccid}, {"public_key", key}});
  ASSERT_EQ(bound.status, 201) << bound.body.dump();
  std::string id = bound.body["id"];
  EXPECT_EQ(bound.headers["location"], "/simcontroller/v1/bindings/" + id);
  EXPECT_EQ(bound.body["public_key"], key);
  EXPECT_EQ(bound.body["status"], "active");

  Reply got = Call("GET", "/simcontroller/v1/bindings/" + id, "mno");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, bound.body);
  Reply listed = Call("GET", "/simcontroller/v1/bindings?phone_number=%2B32470123456", "mno");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["bindings"].size(), 1u);

  // Another controller sees nothing and cannot report on it.
  EXPECT_EQ(Call("GET", "/simcontroller/v1/bindings/" + id, "mno2").status, 404);
  EXPECT_TRUE(Call("GET", "/simcontroller/v1/bindings?phone_number=%2B32470123456", "mno2")
                  .body["bindings"]
                  .empty());
  EXPECT_EQ(Call("POST", "/simcontroller/v1/events", "mno2",
                 json{{"phone_number", "+32470123456"}, {"type", "sim_swap"}})
                .status,
            404);
  EXPECT_EQ(Call("POST", "/simcontroller/v1/bindings", "mno2",
                 json{{"phone_number", "+32470123456"}, {"iccid", kIccid}, {"public_key", key}})
                .status,
            409);
  ASSERT_TRUE(sims_->ActiveBinding("+32470123456").ok());

  // The binding was made at 22:13:20: an event a second before concerns the SIM before it.
  Reply late = Call("POST", "/simcontroller/v1/events", "mno",
                    json{{"phone_number", "+32470123456"},
                         {"type", "sim_swap"},
                         {"occurred_at", "2023-11-14T22:13:19Z"}});
  ExpectBadRequest(late, "occurred_at: is before the active binding was made");
  ASSERT_TRUE(sims_->ActiveBinding("+32470123456").ok());
  Reply swapped = Call("POST", "/simcontroller/v1/events", "mno",
                       json{{"phone_number", "+32470123456"},
                            {"type", "sim_swap"},
                            {"occurred_at", "2023-11-14T22:13:20Z"}});
  ASSERT_EQ(swapped.status, 200) << swapped.body.dump();
  EXPECT_EQ(swapped.body["status"], "suspended");
  EXPECT_EQ(swapped.body["event"]["type"], "sim_swap");
  EXPECT_EQ(sims_->ActiveBinding("+32470123456").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(**sims_->LastEventAt("+32470123456"),
            *internal::ParseDateTime("2023-11-14T22:13:20Z") * 1000);
  EXPECT_EQ(AuditEntries("sim.suspend")[0]["actor"], "client:" + tokens_["mno"].client_id);
}

TEST_P(ApiTest, SimControllerBadInput) {
  json good = {{"phone_number", "+32470123456"}, {"iccid", kIccid}, {"public_key", SimKeyJwk()}};
  json phone = good;
  phone["phone_number"] = "+32-470-123456";
  ExpectBadRequest(Call("POST", "/simcontroller/v1/bindings", "mno", phone),
                   "phone_number: must be E.164, e.g. +31612345678");
  json iccid = good;
  iccid["iccid"] = 8932000000000000006;
  ExpectBadRequest(Call("POST", "/simcontroller/v1/bindings", "mno", iccid),
                   "iccid: must be a string");
  json rsa = good;
  rsa["public_key"] = {{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}};
  ExpectBadRequest(Call("POST", "/simcontroller/v1/bindings", "mno", rsa), "public_key: ");
  json extra = good;
  extra["msisdn"] = "32470123456";
  ExpectBadRequest(Call("POST", "/simcontroller/v1/bindings", "mno", extra),
                   "msisdn: unknown field");
  ExpectBadRequest(Call("POST", "/simcontroller/v1/events", "mno",
                        json{{"phone_number", "+32470123456"}, {"type", "lost"}}),
                   "type: must be sim_swap or line_termination");
  ExpectBadRequest(Call("GET", "/simcontroller/v1/bindings", "mno"), "phone_number: required");
  EXPECT_TRUE(AuditEntries("sim.bind").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::identity
