// Integration tests: a real node (store, keys, HTTP server on port 0) on both backends.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "audit/audit_log.h"
#include "server/node.h"
#include "testing/http_client.h"
#include "testing/test_db.h"
#include "testing/test_node.h"

namespace idscheme::server {
namespace {

using testing::Backend;

class NodeTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    auto inst = testing::StartTestNode(GetParam(), {{"server.read_timeout_ms", "500"}});
    ASSERT_TRUE(inst.ok()) << inst.status().ToString();
    instance_ = std::move(inst).value();
    port_ = instance_->port();
  }

  std::unique_ptr<Instance> instance_;
  uint16_t port_ = 0;
};

TEST_P(NodeTest, HealthAndReadiness) {
  auto h = testing::Get(port_, "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(nlohmann::json::parse(h.body)["status"], "ok");
  auto r = testing::Get(port_, "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["store"], "ok");
}

TEST_P(NodeTest, JwksPublishesPublicKeysWithCaching) {
  auto r = testing::Get(port_, "/jwks");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/jwk-set+json");
  EXPECT_NE(r.headers["cache-control"].find("max-age=300"), std::string::npos);
  auto jwks = nlohmann::json::parse(r.body);
  EXPECT_EQ(jwks["keys"].size(), 12u);
  EXPECT_EQ(r.body.find("\"d\""), std::string::npos);
}

// RFC 6797: a node reached over HTTPS (here an https issuer behind a TLS proxy) sends
// Strict-Transport-Security with every response; one on plain http (the demo, tests) does not.
TEST_P(NodeTest, StrictTransportSecurityOnlyWhenReachedOverHttps) {
  EXPECT_FALSE(testing::Get(port_, "/healthz").headers.contains("strict-transport-security"));
  auto inst = testing::StartTestNode(GetParam(), {{"server.behind_tls_proxy", "true"},
                                                  {"server.issuer", "https://id.example.org"}});
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  for (const char* path : {"/healthz", "/jwks", "/no-such-page"}) {
    auto r = testing::Get((*inst)->port(), path);
    EXPECT_EQ(r.headers["strict-transport-security"], "max-age=31536000") << path;
  }
}

TEST_P(NodeTest, MetricsCountRequestsAndStoreLatency) {
  testing::Get(port_, "/healthz");
  testing::Get(port_, "/readyz");
  auto m = testing::Get(port_, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("http_requests_total{route=\"healthz\""), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("http_request_duration_seconds_bucket{route=\"healthz\""),
            std::string::npos);
  EXPECT_NE(m.body.find("store_query_duration_seconds_count{op=\"exec\"}"), std::string::npos);
  EXPECT_NE(m.body.find("http_open_connections"), std::string::npos);
}

TEST_P(NodeTest, MetricsCountStoreStatementsByRoute) {
  // The client lookup of a token request runs in the token route's handler.
  auto r = testing::Post(port_, "/token", "application/x-www-form-urlencoded",
                         "grant_type=client_credentials&client_id=nobody&client_secret=x");
  EXPECT_EQ(r.status, 401);
  auto m = testing::Get(port_, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("store_statements_total{route=\"token\"} "), std::string::npos) << m.body;
  // The metrics route itself reads nothing from the store.
  EXPECT_EQ(m.body.find("store_statements_total{route=\"metrics\"}"), std::string::npos);
}

TEST_P(NodeTest, BadInputGetsItsErrorAndTheServerKeepsServing) {
  // Malformed request line.
  EXPECT_EQ(testing::SendRaw(port_, "GARBAGE\r\n\r\n").status, 400);
  // Malformed header.
  EXPECT_EQ(testing::SendRaw(port_, "GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n").status, 400);
  // Oversized header block.
  std::string big =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  EXPECT_EQ(testing::SendRaw(port_, big).status, 431);
  // An oversized body for a route that takes none: refused with a 4xx, never read whole
  // (413 on routes that take bodies is covered by src/http/server_test.cc).
  std::string body(2 * 1024 * 1024, 'x');
  auto large = testing::SendRaw(
      port_, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\n\r\n" + body.substr(0, 1000));
  EXPECT_GE(large.status, 400);
  EXPECT_LT(large.status, 500);
  // Unknown route, wrong method.
  auto unknown = testing::Get(port_, "/no/such/route");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown.body)["error"], "not_found");
  auto wrong = testing::Post(port_, "/jwks", "application/json", "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_NE(wrong.headers["allow"].find("GET"), std::string::npos);
  // Still serving.
  EXPECT_EQ(testing::Get(port_, "/healthz").status, 200);
}

TEST_P(NodeTest, ASlowClientIsCutOffWhileOthersAreServed) {
  std::atomic<bool> closed{false};
  std::thread slow([&] {
    // One byte at a time, 200 ms apart: headers never complete within read_timeout (500 ms).
    auto start = std::chrono::steady_clock::now();
    auto reply = testing::SendRaw(port_, "G", 3000);
    (void)reply;
    closed = std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500);
  });
  for (int i = 0; i < 5; ++i) EXPECT_EQ(testing::Get(port_, "/healthz").status, 200);
  slow.join();
  EXPECT_TRUE(closed.load()) << "the slow connection was not closed by the server";
}

TEST_P(NodeTest, RotationOnTheStoreReachesTheNode) {
  auto before = nlohmann::json::parse(testing::Get(port_, "/jwks").body);
  auto& node = instance_->node();
  auto report = node.key_store().Rotate({"ES256"}, node.clock().NowSeconds(), 600, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(node.keys().Reload().ok());  // what the periodic reloader does
  auto after = nlohmann::json::parse(testing::Get(port_, "/jwks").body);
  EXPECT_EQ(after["keys"].size(), before["keys"].size() + 1);  // + the new next key
  EXPECT_TRUE(audit::Verify(node.db())->ok);
}

TEST_P(NodeTest, OnAnyFreePortTheIssuerIsThePortBound) {
  // StartTestNode listens on 127.0.0.1:0 and names no issuer.
  const std::string issuer = "http://127.0.0.1:" + std::to_string(port_);
  EXPECT_EQ(instance_->node().config().server.issuer, issuer);
  auto r = testing::Get(port_, "/.well-known/openid-configuration");
  ASSERT_EQ(r.status, 200);
  auto discovery = nlohmann::json::parse(r.body);
  EXPECT_EQ(discovery["issuer"], issuer);
  EXPECT_EQ(discovery["authorization_endpoint"], issuer + "/authorize");
  EXPECT_EQ(discovery["jwks_uri"], issuer + "/jwks");
}

INSTANTIATE_TEST_SUITE_P(Backends, NodeTest, testing::AllBackends(), testing::BackendName);

TEST(NodeConfig, AGivenIssuerStaysOnAnyFreePort) {
  auto node = testing::StartTestNode(Backend::kSqlite, {{"server.issuer", "http://localhost:9"}});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto r = testing::Get((*node)->port(), "/.well-known/openid-configuration");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["issuer"], "http://localhost:9");
}

TEST(NodeConfig, WhatServeRefusesIsFoundBeforeAnythingIsOpened) {
  const std::string tmp = testing::TempDir();
  const std::string dir = tmp + "/data";
  const std::string missing = tmp + "/missing.pem";
  auto load = [&](std::map<std::string, std::string> overrides) {
    overrides["store.data_dir"] = dir;
    overrides["server.listen"] = "127.0.0.1:0";
    auto cfg = config::Load({.overrides = overrides});
    EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
    return *cfg;
  };
  const std::vector<std::pair<config::Config, std::string>> cases = {
      {load({{"server.trusted_proxies", "10.0.0.0/33"}}),
       "server.trusted_proxies: not an IP address or network: 10.0.0.0/33"},
      {load({{"server.tls_cert_file", missing}, {"server.tls_key_file", missing}}),
       "server.tls_cert_file: cannot read " + missing + ": No such file or directory"},
      {load({{"server.tls_cert_file", IDSCHEME_HTTP_TESTDATA_DIR "/test_cert.pem"},
             {"server.tls_key_file", IDSCHEME_HTTP_TESTDATA_DIR "/test_cert.pem"}}),
       "TLS key " IDSCHEME_HTTP_TESTDATA_DIR "/test_cert.pem"},
      {load({{"keys.kek_file", dir + "/kek"}}), "keys.kek_file: " + dir + "/kek does not exist"},
      {load({{"oauth.jwks_ca_file", tmp}}), "oauth.jwks_ca_file: " + tmp + " is a directory"},
  };
  for (const auto& [cfg, expected] : cases) {
    Status checked = CheckConfig(cfg);
    ASSERT_FALSE(checked.ok()) << expected;
    EXPECT_NE(checked.message().find(expected), std::string::npos) << checked.message();
    auto started = Instance::Start(cfg);
    ASSERT_FALSE(started.ok()) << expected;
    EXPECT_EQ(started.status().message(), checked.message());
  }
  EXPECT_TRUE(CheckConfig(load({})).ok());
  EXPECT_FALSE(std::filesystem::exists(dir));  // nothing created: no data directory, no KEK
}

TEST(NodeConfig, MissingKekWithPostgresIsAClearError) {
  IDS_REQUIRE_BACKEND(Backend::kPostgres);
  config::LoadOptions o;
  o.overrides = {{"store.url", testing::FreshDatabaseUrl(Backend::kPostgres)}};
  auto cfg = config::Load(o);
  ASSERT_TRUE(cfg.ok());
  auto node = Node::Open(*cfg);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.status().message().find("keys.kek"), std::string::npos);
}

TEST(NodeConfig, AnExclusiveSqliteStoreBelongsToItsNode) {
  const std::string dir = testing::TempDir();
  auto owner = testing::StartTestNode(
      Backend::kSqlite, {{"store.data_dir", dir}, {"store.sqlite_exclusive", "true"}});
  ASSERT_TRUE(owner.ok()) << owner.status().ToString();
  const uint16_t port = (*owner)->port();
  auto ready = testing::Get(port, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(testing::Get(port, "/jwks").status, 200);

  // The CLI's way in (a node of its own on the same data directory) is refused, saying why.
  config::LoadOptions o;
  o.overrides = {{"store.data_dir", dir}, {"keys.rsa_bits", "2048"}};
  auto cfg = config::Load(o);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto cli = Node::Open(*cfg);
  ASSERT_FALSE(cli.ok());
  EXPECT_EQ(cli.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(cli.status().message().find("store.sqlite_exclusive"), std::string::npos)
      << cli.status().message();
  EXPECT_EQ(testing::Get(port, "/readyz").status, 200);  // the owner is unaffected

  // Once the node stops, the file is anyone's, with what the node wrote (its signing keys).
  const auto jwks = nlohmann::json::parse(testing::Get(port, "/jwks").body);
  owner->reset();
  auto after = Node::Open(*cfg);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(*(*after)->keys().JwksJson()), jwks);
}

}  // namespace
}  // namespace idscheme::server
