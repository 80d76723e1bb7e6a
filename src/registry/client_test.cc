#include "registry/client.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/base64url.h"
#include "http/router.h"
#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;
using testing::RegistryTest;
using testing::TestJwks;
using testing::WebClientMetadata;

json SecretClientMetadata() {
  return {{"redirect_uris", {"https://shop.example/cb"}},
          {"token_endpoint_auth_method", "client_secret_basic"}};
}

class ClientTest : public RegistryTest {
 protected:
  // Another node on the same store: its own Database and Registry (its own clock, so only the
  // store tells it apart).
  Registry& OtherNode() {
    if (!other_registry_) {
      auto db = store::Database::Open(url_, 2);
      EXPECT_TRUE(db.ok()) << db.status().ToString();
      other_db_ = std::move(db).value();
      other_registry_ = std::make_unique<Registry>(*other_db_, other_clock_, other_random_);
    }
    return *other_registry_;
  }

  // Every text and blob the store holds in the registry's and the audit log's tables, joined.
  std::string EverythingStored() {
    std::string all;
    for (const char* table : {"registry_clients", "registry_members", "audit_log"}) {
      auto r = db_->Exec(std::string("SELECT * FROM ") + table);
      EXPECT_TRUE(r.ok());
      for (const auto& row : r->rows) {
        for (size_t i = 0; i < row.size(); ++i) {
          if (auto* s = std::get_if<std::string>(&row.at(i))) all += *s + "\n";
        }
      }
    }
    return all;
  }

  std::unique_ptr<store::Database> other_db_;
  FakeClock other_clock_;
  SeededRandom other_random_{7};
  std::unique_ptr<Registry> other_registry_;
};

TEST_P(ClientTest, PrivateKeyJwtClientHasNoSecret) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, WebClientMetadata());
  EXPECT_EQ(c.client.client_id.rfind("c_", 0), 0u);
  EXPECT_EQ(c.client.client_id.size(), 26u);
  EXPECT_TRUE(c.secret.empty());
  EXPECT_FALSE(c.client.has_secret);
  EXPECT_EQ(c.client.sector_identifier, "rp.example");
  EXPECT_EQ(c.client.registered_by, "operator");
  json out = c.ToJson();
  EXPECT_FALSE(out.contains("client_secret"));
  EXPECT_EQ(out["client_id_issued_at"], clock_.NowSeconds());
  EXPECT_EQ(out["jwks"], TestJwks());

  auto got = registry_->clients().Get(c.client.client_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ToJson(), c.client.ToJson());
  auto record = registry_->FindClient(c.client.client_id);
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->Usable());
  EXPECT_EQ(record->member_id, sp.id);
  EXPECT_EQ(record->member_role, Role::kServiceProvider);
  EXPECT_EQ(record->metadata.token_endpoint_auth_method, "private_key_jwt");
  EXPECT_EQ(*record->metadata.jwks, TestJwks());
  EXPECT_TRUE(record->secret_hash.empty());
  EXPECT_FALSE(record->SecretMatches(""));
  EXPECT_EQ(registry_->FindClient("c_nobody").status().code(), Status::Code::kNotFound);

  auto entries = AuditEntries("client.create");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["subject"], c.client.client_id);
  EXPECT_EQ(entries[0]["details"]["member_id"], sp.id);
}

TEST_P(ClientTest, SecretIsShownOnceAndStoredOnlyAsAHash) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, SecretClientMetadata());
  ASSERT_FALSE(c.secret.empty());
  auto raw = Base64UrlDecode(c.secret);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 32u);  // 256 bits
  EXPECT_EQ(c.ToJson()["client_secret"], c.secret);
  EXPECT_EQ(c.ToJson()["client_secret_expires_at"], 0);
  EXPECT_FALSE(c.client.ToJson().contains("client_secret"));

  std::string stored = EverythingStored();
  EXPECT_EQ(stored.find(c.secret), std::string::npos) << "the store holds the secret";
  EXPECT_NE(stored.find(HashClientSecret(c.secret)), std::string::npos);

  auto record = registry_->FindClient(c.client.client_id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->secret_hash, HashClientSecret(c.secret));
  EXPECT_EQ(record->secret_hash.size(), 64u);
  EXPECT_TRUE(record->SecretMatches(c.secret));
  EXPECT_FALSE(record->SecretMatches(c.secret + "x"));
  EXPECT_FALSE(record->SecretMatches(""));
  EXPECT_FALSE(registry_->clients().Get(c.client.client_id)->ToJson().contains("client_secret"));
}

TEST_P(ClientTest, RotatingReplacesTheSecretAtOnce) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, SecretClientMetadata());
  clock_.AdvanceSeconds(30);
  auto rotated = registry_->clients().RotateSecret(c.client.client_id, "operator");
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_NE(rotated->secret, c.secret);
  EXPECT_EQ(rotated->client.secret_rotated_at_ms, clock_.NowMillis());
  EXPECT_EQ(rotated->client.revocation_epoch, 0);  // tokens already issued stay valid
  auto record = registry_->FindClient(c.client.client_id);
  EXPECT_TRUE(record->SecretMatches(rotated->secret));
  EXPECT_FALSE(record->SecretMatches(c.secret));
  EXPECT_EQ(EverythingStored().find(rotated->secret), std::string::npos);
  EXPECT_EQ(AuditEntries("client.rotate_secret").size(), 1u);

  ClientWithSecret jwt = AddClient(sp.id, WebClientMetadata("https://shop.example/cb2"));
  auto no = registry_->clients().RotateSecret(jwt.client.client_id, "operator");
  EXPECT_EQ(no.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(no.status().message().find("no secret to rotate"), std::string::npos);
}

TEST_P(ClientTest, UpdateReplacesMetadataAndFollowsTheAuthMethod) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, WebClientMetadata("https://rp.example/cb"));
  // To a secret method: a secret is generated and shown once.
  json to_secret = {{"redirect_uris", {"https://rp.example/cb", "https://rp.example/cb2"}},
                    {"token_endpoint_auth_method", "client_secret_post"},
                    {"scope", "openid email"}};
  auto u = registry_->clients().Update(c.client.client_id, *ValidateClientMetadata(to_secret),
                                       "operator");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  ASSERT_FALSE(u->secret.empty());
  EXPECT_TRUE(u->client.has_secret);
  EXPECT_EQ(u->client.metadata.redirect_uris.size(), 2u);
  EXPECT_TRUE(registry_->FindClient(c.client.client_id)->SecretMatches(u->secret));
  // Staying on a secret method keeps the secret.
  to_secret["client_name"] = "Renamed";
  auto same = registry_->clients().Update(c.client.client_id, *ValidateClientMetadata(to_secret),
                                          "operator");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->secret.empty());
  EXPECT_TRUE(registry_->FindClient(c.client.client_id)->SecretMatches(u->secret));
  // Back to private_key_jwt: the hash is erased.
  auto back = registry_->clients().Update(c.client.client_id,
                                          *ValidateClientMetadata(WebClientMetadata()), "operator");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->client.has_secret);
  EXPECT_TRUE(registry_->FindClient(c.client.client_id)->secret_hash.empty());
  EXPECT_EQ(AuditEntries("client.update").size(), 3u);
}

TEST_P(ClientTest, UpdateRefusesToMovePairwiseSubjects) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, WebClientMetadata("https://rp.example/cb"));
  auto moved = registry_->clients().Update(
      c.client.client_id, *ValidateClientMetadata(WebClientMetadata("https://other.example/cb")),
      "operator");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().message().rfind("redirect_uris: the sector identifier would change "
                                           "from rp.example to other.example",
                                           0),
            0u)
      << moved.status().message();
  // With a sector_identifier_uri on the old host (whose document lists the new URI), the client
  // may move.
  registry_->clients().SetSectorFetcher([](std::string_view url) -> Result<std::string> {
    if (url != "https://rp.example/sector.json") return Status::Unavailable("fetch: HTTP 404");
    return std::string(R"(["https://other.example/cb"])");
  });
  json kept = WebClientMetadata("https://other.example/cb");
  kept["sector_identifier_uri"] = "https://rp.example/sector.json";
  auto u =
      registry_->clients().Update(c.client.client_id, *ValidateClientMetadata(kept), "operator");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->client.sector_identifier, "rp.example");
}

// OIDC Registration §5: the sector_identifier_uri is fetched at Create and at every Update, and
// the client is accepted only when the document lists its redirect URIs.
class SectorTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    registry_->clients().SetSectorFetcher([this](std::string_view url) -> Result<std::string> {
      fetched_.emplace_back(url);
      // A write while fetching: it would wait for the writer (and fail on SQLite) if the
      // fetch ran inside the registry's write transaction.
      NewMember m{Role::kServiceProvider, "Bystander", "BE0123456789", {"ops@b.example", ""}, ""};
      auto written = registry_->members().Create(m, "operator");
      if (!written.ok()) return written.status().WithContext("the store's writer was held");
      auto it = documents_.find(std::string(url));
      if (it == documents_.end()) return Status::Unavailable("fetch: HTTP 404");
      return it->second;
    });
    shop_ = AddMember(Role::kServiceProvider, "Shop");
  }

  // Valid metadata: redirect URIs on two hosts, one sector.
  static ClientMetadata TwoHosts() {
    json m = WebClientMetadata("https://a.shop.example/cb");
    m["redirect_uris"].push_back("https://b.shop.example/cb");
    m["sector_identifier_uri"] = "https://shop.example/sector.json";
    auto v = ValidateClientMetadata(m);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : ClientMetadata{};
  }

  std::map<std::string, std::string> documents_;
  std::vector<std::string> fetched_;
  Member shop_;
};

TEST_P(SectorTest, AListingDocumentIsAccepted) {
  documents_["https://shop.example/sector.json"] =
      R"(["https://b.shop.example/cb", "https://elsewhere.example/cb", "https://a.shop.example/cb"])";
  auto c = registry_->clients().Create(shop_.id, TwoHosts(), "operator", "operator");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->client.sector_identifier, "shop.example");
  EXPECT_EQ(fetched_, std::vector<std::string>{"https://shop.example/sector.json"});
  EXPECT_EQ(AuditEntries("client.create").size(), 1u);
}

TEST_P(SectorTest, ADocumentMissingARedirectUriIsRefusedAndNothingIsStored) {
  documents_["https://shop.example/sector.json"] = R"(["https://a.shop.example/cb"])";
  auto c = registry_->clients().Create(shop_.id, TwoHosts(), "operator", "operator");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "sector_identifier_uri: the document at https://shop.example/sector.json does not "
            "list redirect_uris[1] 'https://b.shop.example/cb' (it must list every URI the "
            "client registers, exactly as registered); add it to the document");
  EXPECT_TRUE(registry_->clients().ListByMember(shop_.id)->empty());
  EXPECT_TRUE(AuditEntries("client.create").empty());
}

TEST_P(SectorTest, AFetchFailureNamesTheUrlAndTheReason) {
  auto c = registry_->clients().Create(shop_.id, TwoHosts(), "operator", "operator");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "sector_identifier_uri: cannot fetch https://shop.example/sector.json (fetch: HTTP "
            "404)");
  EXPECT_TRUE(registry_->clients().ListByMember(shop_.id)->empty());
}

TEST_P(SectorTest, WithoutAFetcherNothingIsVerifiedSoNothingIsRegistered) {
  registry_->clients().SetSectorFetcher(nullptr);
  auto c = registry_->clients().Create(shop_.id, TwoHosts(), "operator", "operator");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(c.status().message(), "cannot verify sector_identifier_uri: no fetcher configured");
  // A client without a sector_identifier_uri needs no fetcher.
  AddClient(shop_.id, WebClientMetadata());
  EXPECT_TRUE(fetched_.empty());
}

TEST_P(SectorTest, EveryUpdateFetchesTheDocumentAgain) {
  documents_["https://shop.example/sector.json"] =
      R"(["https://a.shop.example/cb", "https://b.shop.example/cb"])";
  auto c = registry_->clients().Create(shop_.id, TwoHosts(), "operator", "operator");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // The document changed since: an update is checked against today's document.
  documents_["https://shop.example/sector.json"] = R"(["https://a.shop.example/cb"])";
  ClientMetadata renamed = TwoHosts();
  renamed.client_name = "Renamed";
  auto u = registry_->clients().Update(c->client.client_id, renamed, "operator");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("does not list redirect_uris[1]"), std::string::npos)
      << u.status().message();
  EXPECT_EQ(registry_->clients().Get(c->client.client_id)->metadata.client_name, "Acme web");
  // Dropping the unlisted URI makes the update acceptable again.
  renamed.redirect_uris.pop_back();
  auto ok = registry_->clients().Update(c->client.client_id, renamed, "operator");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->client.metadata.client_name, "Renamed");
  EXPECT_EQ(fetched_.size(), 3u);
}

// CIBA Core §4: a client without redirect URIs is vouched for by its jwks_uri and notification
// endpoint, each of which the document must list.
TEST_P(SectorTest, ACibaClientsDocumentListsItsJwksUriAndNotificationEndpoint) {
  auto ciba = ValidateClientMetadata(
      {{"grant_types", {"urn:openid:params:grant-type:ciba"}},
       {"backchannel_token_delivery_mode", "ping"},
       {"backchannel_client_notification_endpoint", "https://notify.shop.example/ciba"},
       {"jwks_uri", "https://keys.shop.example/jwks"},
       {"sector_identifier_uri", "https://shop.example/sector.json"}});
  ASSERT_TRUE(ciba.ok()) << ciba.status().ToString();
  documents_["https://shop.example/sector.json"] = R"(["https://keys.shop.example/jwks"])";
  auto refused = registry_->clients().Create(shop_.id, *ciba, "operator", "operator");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(
      refused.status().message().find("does not list backchannel_client_notification_endpoint "
                                      "'https://notify.shop.example/ciba'"),
      std::string::npos)
      << refused.status().message();
  documents_["https://shop.example/sector.json"] =
      R"(["https://notify.shop.example/ciba", "https://keys.shop.example/jwks"])";
  auto c = registry_->clients().Create(shop_.id, *ciba, "operator", "operator");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->client.sector_identifier, "shop.example");
}

// Metadata that did not come through ValidateClientMetadata is refused too, before any fetch.
TEST_P(SectorTest, NothingToVouchForIsRefusedWithoutFetching) {
  auto api =
      ValidateClientMetadata({{"grant_types", {"client_credentials"}}, {"jwks", TestJwks()}});
  ASSERT_TRUE(api.ok());
  api->sector_identifier_uri = "https://shop.example/sector.json";
  auto c = registry_->clients().Create(shop_.id, *api, "operator", "operator");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("sector_identifier_uri: the client registers no "
                                       "redirect_uris, jwks_uri or "
                                       "backchannel_client_notification_endpoint",
                                       0),
            0u)
      << c.status().message();
  EXPECT_TRUE(fetched_.empty());
}

TEST_P(ClientTest, TransitionsAndDeletionIsFinal) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, SecretClientMetadata());
  auto& clients = registry_->clients();
  const std::string id = c.client.client_id;
  EXPECT_EQ(clients.Reinstate(id, "operator").status().code(), Status::Code::kFailedPrecondition);
  clock_.AdvanceSeconds(1);
  auto s = clients.Suspend(id, "operator");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, ClientStatus::kSuspended);
  EXPECT_EQ(s->revocation_epoch, 1);
  auto record = registry_->FindClient(id);
  EXPECT_FALSE(record->Usable());
  EXPECT_EQ(record->client_status, ClientStatus::kSuspended);
  EXPECT_EQ(record->client_revocation_epoch, 1);
  EXPECT_EQ(record->client_status_changed_at_ms, clock_.NowMillis());
  EXPECT_EQ(record->switched_off_at_ms, clock_.NowMillis());
  const int64_t suspended_at = clock_.NowMillis();
  clock_.AdvanceSeconds(2);
  ASSERT_TRUE(clients.Reinstate(id, "operator").ok());
  record = registry_->FindClient(id);
  EXPECT_TRUE(record->Usable());
  // A reinstatement is a status change, not a switch-off: tokens issued from now on live.
  EXPECT_EQ(record->client_status_changed_at_ms, clock_.NowMillis());
  EXPECT_EQ(record->switched_off_at_ms, suspended_at);

  auto d = clients.Delete(id, "operator");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, ClientStatus::kDeleted);
  EXPECT_FALSE(d->has_secret);
  EXPECT_TRUE(registry_->FindClient(id)->secret_hash.empty());
  for (auto r : {clients.Reinstate(id, "operator"), clients.Suspend(id, "operator"),
                 clients.Delete(id, "operator")}) {
    EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
    EXPECT_NE(r.status().message().find("deletion is final"), std::string::npos);
  }
  EXPECT_EQ(clients.RotateSecret(id, "operator").status().code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(clients.Update(id, *ValidateClientMetadata(SecretClientMetadata()), "operator")
                .status()
                .code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(clients.Suspend("c_nobody", "operator").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(AuditEntries("client.delete").size(), 1u);
}

// A terminated member's records stay readable but never change (member.h), its clients neither:
// no new secret, no status change, whatever the client's own status.
TEST_P(ClientTest, ATerminatedMembersClientsNeverChange) {
  Member sp = AddMember(Role::kServiceProvider);
  auto& clients = registry_->clients();
  const std::string active = AddClient(sp.id, SecretClientMetadata()).client.client_id;
  const std::string suspended = AddClient(sp.id, SecretClientMetadata()).client.client_id;
  ASSERT_TRUE(clients.Suspend(suspended, "operator").ok());
  ASSERT_TRUE(registry_->members().Terminate(sp.id, "operator").ok());
  const std::string secret_hash = registry_->FindClient(active)->secret_hash;

  const auto metadata = *ValidateClientMetadata(SecretClientMetadata());
  for (const Status& s :
       {clients.Suspend(active, "operator").status(), clients.Delete(active, "operator").status(),
        clients.Reinstate(suspended, "operator").status(),
        clients.Delete(suspended, "operator").status(),
        clients.RotateSecret(active, "operator").status(),
        clients.Update(active, metadata, "operator").status()}) {
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    EXPECT_EQ(s.message(), "member " + sp.id + " is terminated; termination is final");
  }
  EXPECT_EQ(clients.Get(active)->status, ClientStatus::kActive);
  EXPECT_EQ(clients.Get(suspended)->status, ClientStatus::kSuspended);
  EXPECT_EQ(registry_->FindClient(active)->secret_hash, secret_hash);
  for (const char* action : {"client.delete", "client.reinstate", "client.rotate_secret"})
    EXPECT_TRUE(AuditEntries(action).empty()) << action;
  EXPECT_EQ(AuditEntries("client.suspend").size(), 1u);  // the one before the termination
}

TEST_P(ClientTest, TheMembersStatusReachesItsClientsAtOnce) {
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member shop = AddMember(Role::kServiceProvider, "Shop", reseller.id);
  ClientWithSecret c = AddClient(shop.id, SecretClientMetadata());
  ASSERT_TRUE(registry_->FindClient(c.client.client_id)->Usable());

  ASSERT_TRUE(registry_->members().Suspend(reseller.id, "operator").ok());
  auto record = registry_->FindClient(c.client.client_id);
  EXPECT_FALSE(record->Usable());
  EXPECT_EQ(record->reseller_status, MemberStatus::kSuspended);
  const int64_t reseller_suspended_at = clock_.NowMillis();
  clock_.AdvanceSeconds(1);
  ASSERT_TRUE(registry_->members().Reinstate(reseller.id, "operator").ok());
  // The reseller's suspension ended the shop's tokens too: they stay dead.
  record = registry_->FindClient(c.client.client_id);
  EXPECT_TRUE(record->Usable());
  EXPECT_EQ(record->switched_off_at_ms, reseller_suspended_at);

  clock_.AdvanceSeconds(3);
  ASSERT_TRUE(registry_->members().Suspend(shop.id, "operator").ok());
  record = registry_->FindClient(c.client.client_id);
  EXPECT_FALSE(record->Usable());
  EXPECT_EQ(record->member_status, MemberStatus::kSuspended);
  EXPECT_EQ(record->member_revocation_epoch, 1);
  EXPECT_EQ(record->member_status_changed_at_ms, clock_.NowMillis());
  EXPECT_EQ(record->switched_off_at_ms, clock_.NowMillis());
}

// registry/internal/request_reads.h: one request sees one state of a client; its own changes
// at once, other writers' from the next request on.
TEST_P(ClientTest, ARequestReusesItsFirstReadAndSeesItsOwnChanges) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, WebClientMetadata("https://rp.example/cb"));
  const std::string& id = c.client.client_id;
  const std::string route = "test";
  {
    http::CurrentRouteScope request(route);
    ASSERT_TRUE(registry_->FindClient(id)->Usable());
    Registry& other = OtherNode();
    // On a thread of its own, as another node's request (this thread's reads stay this
    // request's).
    std::thread([&] { ASSERT_TRUE(other.clients().Suspend(id, "operator").ok()); }).join();
    EXPECT_TRUE(registry_->FindClient(id)->Usable()) << "the request's first read is kept";
  }
  // The next request (and anything outside a request) reads again.
  EXPECT_FALSE(registry_->FindClient(id)->Usable());
  ASSERT_TRUE(OtherNode().clients().Reinstate(id, "operator").ok());
  {
    http::CurrentRouteScope request(route);
    ASSERT_TRUE(registry_->FindClient(id)->Usable());
    // A change through the registry within the request is read back at once.
    ASSERT_TRUE(registry_->clients().Suspend(id, "operator").ok());
    EXPECT_FALSE(registry_->FindClient(id)->Usable());
    ASSERT_TRUE(registry_->clients().Reinstate(id, "operator").ok());
    ASSERT_TRUE(registry_->FindClient(id)->Usable());
    ASSERT_TRUE(registry_->members().Suspend(sp.id, "operator").ok());
    EXPECT_EQ(registry_->FindClient(id)->member_status, MemberStatus::kSuspended);
    {
      http::CurrentRouteScope nested(route);  // another request on this thread
      EXPECT_EQ(registry_->FindClient(id)->member_status, MemberStatus::kSuspended);
    }
  }
}

// The metadata is parsed again whenever its stored text changed, even when nothing else did.
TEST_P(ClientTest, FindClientShowsChangedMetadataAtOnce) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, WebClientMetadata("https://rp.example/cb"));
  const std::string& id = c.client.client_id;
  ASSERT_EQ(registry_->FindClient(id)->metadata.redirect_uris,
            std::vector<std::string>{"https://rp.example/cb"});
  ASSERT_TRUE(registry_->clients()
                  .Update(id, *ValidateClientMetadata(WebClientMetadata("https://rp.example/new")),
                          "operator")
                  .ok());
  EXPECT_EQ(registry_->FindClient(id)->metadata.redirect_uris,
            std::vector<std::string>{"https://rp.example/new"});
  // Another node's update too.
  ASSERT_TRUE(OtherNode()
                  .clients()
                  .Update(id,
                          *ValidateClientMetadata(WebClientMetadata("https://rp.example/other")),
                          "operator")
                  .ok());
  EXPECT_EQ(registry_->FindClient(id)->metadata.redirect_uris,
            std::vector<std::string>{"https://rp.example/other"});
}

// FindClient keeps its answers while no registry write happened anywhere on the store (the
// embedded store's ChangeEpoch): another node's change shows at once; a change made around the
// registry (or by a writer that died before its second bump) once the kept answer is 2 s old.
// PostgreSQL has no epoch: it reads each time.
TEST_P(ClientTest, FindClientKeepsItsAnswerUntilAnyRegistryWriteOrTwoSeconds) {
  Member sp = AddMember(Role::kServiceProvider);
  ClientWithSecret c = AddClient(sp.id, SecretClientMetadata());
  const std::string& id = c.client.client_id;
  ASSERT_TRUE(registry_->FindClient(id)->Usable());

  // Another node suspends the member: the next read here sees it.
  ASSERT_TRUE(OtherNode().members().Suspend(sp.id, "operator").ok());
  EXPECT_EQ(registry_->FindClient(id)->member_status, MemberStatus::kSuspended);
  ASSERT_TRUE(OtherNode().members().Reinstate(sp.id, "operator").ok());
  ASSERT_TRUE(registry_->FindClient(id)->Usable());

  // Straight in the store, around the registry.
  ASSERT_TRUE(db_->Exec("UPDATE registry_clients SET status = 'suspended' WHERE client_id = ?",
                        {store::Text(id)})
                  .ok());
  if (db_->change_epoch() != nullptr) {
    EXPECT_TRUE(registry_->FindClient(id)->Usable()) << "kept: no registry write since";
    clock_.Advance(std::chrono::milliseconds(1999));
    EXPECT_TRUE(registry_->FindClient(id)->Usable());
    clock_.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(registry_->FindClient(id)->Usable());

  // Any registry write (here an unrelated member's) drops every kept answer.
  ASSERT_TRUE(db_->Exec("UPDATE registry_clients SET status = 'active' WHERE client_id = ?",
                        {store::Text(id)})
                  .ok());
  AddMember(Role::kServiceProvider, "Another Shop");
  EXPECT_TRUE(registry_->FindClient(id)->Usable());
}

TEST_P(ClientTest, WhoMayOwnAndRegisterClients) {
  Member registrar = AddMember(Role::kIdentityRegistrar, "Registrar");
  Member reseller = AddMember(Role::kValueAddedReseller, "Resell Co");
  Member customer = AddMember(Role::kServiceProvider, "Customer", reseller.id);
  Member other = AddMember(Role::kServiceProvider, "Other");
  Member manager = AddMember(Role::kSchemeManager, "Scheme");
  auto& clients = registry_->clients();
  auto web = *ValidateClientMetadata(WebClientMetadata());
  auto api =
      *ValidateClientMetadata({{"grant_types", {"client_credentials"}}, {"jwks", TestJwks()}});

  // Users are logged in only through service providers' clients; API clients for anyone.
  auto r = clients.Create(registrar.id, web, "operator", "operator");
  EXPECT_EQ(r.status().message().rfind("grant_types: authorization_code and CIBA are for "
                                       "service providers' clients",
                                       0),
            0u);
  EXPECT_TRUE(clients.Create(registrar.id, api, "operator", "operator").ok());
  EXPECT_TRUE(clients.Create(manager.id, api, "operator", "operator").ok());

  // A reseller registers for its own customers only; a scheme manager for anyone.
  auto by_reseller = clients.Create(customer.id, web, reseller.id, "client:c_r");
  ASSERT_TRUE(by_reseller.ok()) << by_reseller.status().ToString();
  EXPECT_EQ(by_reseller->client.registered_by, reseller.id);
  EXPECT_EQ(clients.Create(other.id, web, reseller.id, "client:c_r").status().code(),
            Status::Code::kPermissionDenied);
  EXPECT_EQ(clients.Create(other.id, web, registrar.id, "client:c_x").status().code(),
            Status::Code::kPermissionDenied);
  EXPECT_TRUE(clients.Create(other.id, web, manager.id, "client:c_m").ok());

  // Not for unknown or terminated members.
  EXPECT_EQ(clients.Create("m_none", web, "operator", "operator").status().code(),
            Status::Code::kNotFound);
  ASSERT_TRUE(registry_->members().Terminate(other.id, "operator").ok());
  EXPECT_EQ(clients.Create(other.id, web, "operator", "operator").status().code(),
            Status::Code::kFailedPrecondition);

  auto listed = clients.ListByMember(customer.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].client_id, by_reseller->client.client_id);
  EXPECT_TRUE(clients.ListByMember("m_none")->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, SectorTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::registry
