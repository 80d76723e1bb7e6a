#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace idscheme::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& text) {
    auto path =
        std::filesystem::temp_directory_path() / ("idscheme-config-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(counter_++) + ".toml");
    std::ofstream(path) << text;
    files_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (auto& f : files_) std::filesystem::remove(f);
  }
  int counter_ = 0;
  std::vector<std::filesystem::path> files_;
};

TEST_F(ConfigTest, FlagsAloneAreEnough) {
  auto c = Load({.overrides = {{"store.data_dir", "/tmp/x"}, {"server.listen", "127.0.0.1:0"}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.issuer, "http://127.0.0.1:0");
  EXPECT_EQ(c->StoreUrl(), "/tmp/x/idscheme.db");
}

TEST_F(ConfigTest, ADerivedIssuerNamesThePortBound) {
  auto any = Load({.overrides = {{"store.data_dir", "/d"}, {"server.listen", "127.0.0.1:0"}}});
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  any->UseBoundPort(41234);
  EXPECT_EQ(any->server.issuer, "http://127.0.0.1:41234");
  EXPECT_EQ(any->server.listen, "127.0.0.1:0");  // what the operator asked for
  // A given issuer, or a fixed port, is left as it is.
  auto given = Load({.overrides = {{"store.data_dir", "/d"},
                                   {"server.listen", "127.0.0.1:0"},
                                   {"server.issuer", "http://localhost:8080"}}});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  given->UseBoundPort(41234);
  EXPECT_EQ(given->server.issuer, "http://localhost:8080");
  auto fixed = Load({.overrides = {{"store.data_dir", "/d"}, {"server.listen", "[::1]:8081"}}});
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  fixed->UseBoundPort(8081);
  EXPECT_EQ(fixed->server.issuer, "http://[::1]:8081");
  auto v6 = Load({.overrides = {{"store.data_dir", "/d"}, {"server.listen", "[::1]:0"}}});
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  v6->UseBoundPort(5);
  EXPECT_EQ(v6->server.issuer, "http://[::1]:5");
}

TEST_F(ConfigTest, PrecedenceIsFileThenEnvThenFlags) {
  std::string file =
      WriteFile("[server]\nlisten = \"127.0.0.1:1000\"\nthreads = 3\n[store]\ndata_dir = \"/d\"\n");
  auto c =
      Load({.file = file,
            .env = {{"IDSCHEME_SERVER_LISTEN", "127.0.0.1:2000"}, {"IDSCHEME_SERVER_THREADS", "5"}},
            .overrides = {{"server.listen", "127.0.0.1:3000"}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.listen, "127.0.0.1:3000");
  EXPECT_EQ(c->server.threads, 5);
  EXPECT_EQ(c->store.data_dir, "/d");
}

TEST_F(ConfigTest, BadValuesNameTheKey) {
  auto bad = [](std::map<std::string, std::string> o) {
    o.emplace("store.data_dir", "/d");
    auto c = Load({.overrides = o});
    EXPECT_FALSE(c.ok());
    return c.status().message();
  };
  EXPECT_NE(bad({{"server.threads", "many"}}).find("server.threads"), std::string::npos);
  EXPECT_NE(bad({{"server.threads", "-1"}}).find("between"), std::string::npos);
  EXPECT_NE(bad({{"server.listen", "nope"}}).find("server.listen"), std::string::npos);
  EXPECT_NE(bad({{"server.issuer", "http://example.com"}}).find("server.issuer"),
            std::string::npos);
  EXPECT_NE(bad({{"server.issuer", "https://example.com/"}}).find("'/'"), std::string::npos);
  EXPECT_NE(bad({{"server.issuer", "https://example.com"}}).find("tls_cert_file"),
            std::string::npos);
  EXPECT_NE(bad({{"log.level", "loud"}}).find("log.level"), std::string::npos);
  EXPECT_NE(bad({{"keys.kek", "short"}}).find("keys.kek"), std::string::npos);
  EXPECT_NE(bad({{"no.such", "1"}}).find("unknown"), std::string::npos);
  EXPECT_NE(bad({{"server.behind_tls_proxy", "yes"}}).find("true or false"), std::string::npos);
  // http for localhost is fine; a lookalike host is not.
  EXPECT_NE(bad({{"server.issuer", "http://localhost.evil.example"}}).find("server.issuer"),
            std::string::npos);
}

TEST_F(ConfigTest, HttpsIssuerBehindProxy) {
  auto c = Load({.overrides = {{"store.data_dir", "/d"},
                               {"server.issuer", "https://id.example.org"},
                               {"server.behind_tls_proxy", "true"}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(ConfigTest, FileErrorsAreReported) {
  auto c = Load({.file = WriteFile("[server]\nthreads = \"two\"\n")});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server.threads"), std::string::npos);
  auto syntax = Load({.file = WriteFile("[server\n")});
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("line 1"), std::string::npos);
  auto unknown = Load({.file = WriteFile("[server]\ncolour = 1\n")});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("server.colour"), std::string::npos);
  auto missing = Load({.file = std::string("/nonexistent/idscheme.toml")});
  EXPECT_FALSE(missing.ok());
}

TEST_F(ConfigTest, UnknownEnvironmentVariableInASectionIsAnError) {
  auto c = Load({.env = {{"IDSCHEME_SERVER_LISTN", "x"}}, .overrides = {{"store.data_dir", "/d"}}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("IDSCHEME_SERVER_LISTN"), std::string::npos);
  // Other tools' variables with the prefix are left alone.
  EXPECT_TRUE(
      Load({.env = {{"IDSCHEME_TEST_PG_URL", "x"}}, .overrides = {{"store.data_dir", "/d"}}}).ok());
}

TEST_F(ConfigTest, EverySectionsVariablesMustNameAKey) {
  // A typo in any section, not only the first few, is named rather than ignored.
  for (const char* typo :
       {"IDSCHEME_STORE_URLL", "IDSCHEME_APPROVAL_CODE_DIGITZ", "IDSCHEME_OIDC_REQUIRE_PCKE",
        "IDSCHEME_LOGIN_SESSION_LIFETIME", "IDSCHEME_IDENTITY_ACTIVATION_CODES",
        "IDSCHEME_OAUTH_ACCESS_TOKEN_TTL", "IDSCHEME_KEYS_KEK_PATH", "IDSCHEME_LOG_LEVLE"}) {
    auto c = Load({.env = {{typo, "1"}}, .overrides = {{"store.data_dir", "/d"}}});
    ASSERT_FALSE(c.ok()) << typo;
    EXPECT_NE(c.status().message().find(std::string(typo) + ": unknown configuration variable"),
              std::string::npos)
        << c.status().message();
  }
  // Every key's own variable is accepted.
  for (const auto& k : Keys()) {
    auto c = Load({.env = {{k.env, "?"}}, .overrides = {{"store.data_dir", "/d"}}});
    if (!c.ok()) EXPECT_EQ(c.status().message().find("unknown"), std::string::npos) << k.env;
  }
  // The tools' variables begin with no section's name: they stay allowed.
  for (const char* tool :
       {"IDSCHEME_TEST_PG_URL", "IDSCHEME_ALLOW_NO_PG", "IDSCHEME_BIN", "IDSCHEME_SOURCE_DIR",
        "IDSCHEME_APP_PIN", "IDSCHEME_CODE_MINT", "IDSCHEME_SERVE_ARGS", "IDSCHEME_LOGINS"}) {
    auto c = Load({.env = {{tool, "x"}}, .overrides = {{"store.data_dir", "/d"}}});
    EXPECT_TRUE(c.ok()) << tool << ": " << c.status().ToString();
  }
}

TEST_F(ConfigTest, SecretsAreRedacted) {
  auto c = Load({.overrides = {{"store.data_dir", "/d"},
                               {"store.url", "postgresql://app:hunter2@db:5432/ids"},
                               {"keys.kek", std::string(43, 'A')}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string shown = c->ToJson().dump();
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_EQ(shown.find(std::string(43, 'A')), std::string::npos);
  EXPECT_NE(shown.find("postgresql://app:<redacted>@db:5432/ids"), std::string::npos);
  EXPECT_NE(c->ToJson(false).dump().find("hunter2"), std::string::npos);
}

TEST_F(ConfigTest, EveryKeyHasAnEnvironmentName) {
  for (const auto& k : Keys()) {
    EXPECT_EQ(k.env.rfind("IDSCHEME_", 0), 0u);
    EXPECT_FALSE(k.description.empty()) << k.key;
  }
}

}  // namespace
}  // namespace idscheme::config
