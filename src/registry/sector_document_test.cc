#include "registry/sector_document.h"

#include <gtest/gtest.h>

#include "registry/registry_test_util.h"

namespace idscheme::registry {
namespace {

using json = nlohmann::json;

constexpr const char* kDoc = "https://shop.example/sector.json";

ClientMetadata Web(std::vector<std::string> redirects) {
  json m = testing::WebClientMetadata(redirects.front());
  m["redirect_uris"] = redirects;
  m["sector_identifier_uri"] = kDoc;
  auto v = ValidateClientMetadata(m);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : ClientMetadata{};
}

ClientMetadata Ciba(const std::string& mode, bool jwks_uri) {
  json m = {{"grant_types", {"urn:openid:params:grant-type:ciba"}},
            {"backchannel_token_delivery_mode", mode},
            {"sector_identifier_uri", kDoc}};
  if (mode != "poll") m["backchannel_client_notification_endpoint"] = "https://n.shop.example/ciba";
  if (jwks_uri) {
    m["jwks_uri"] = "https://k.shop.example/jwks";
  } else {
    m["jwks"] = testing::TestJwks();
  }
  auto v = ValidateClientMetadata(m);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : ClientMetadata{};
}

std::string ErrorOf(const ClientMetadata& m, std::string_view body) {
  Status s = CheckSectorDocument(m, body);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  return s.message();
}

TEST(SectorDocumentTest, ParsesAnArrayOfStrings) {
  auto uris = ParseSectorDocument(R"( [ "https://a.example/cb", "https://b.example/cb" ]
)");
  ASSERT_TRUE(uris.ok()) << uris.status().ToString();
  EXPECT_EQ(*uris, (std::vector<std::string>{"https://a.example/cb", "https://b.example/cb"}));
  // Escapes are JSON's: "\/" is "/".
  uris = ParseSectorDocument(R"(["https:\/\/a.example\/cb"])");
  ASSERT_TRUE(uris.ok());
  EXPECT_EQ(uris->front(), "https://a.example/cb");
  // A URI listed twice still vouches for it (Registration section 5 asks only that it be there).
  uris = ParseSectorDocument(R"(["https://a.example/cb", "https://a.example/cb"])");
  ASSERT_TRUE(uris.ok()) << uris.status().ToString();
  EXPECT_EQ(uris->size(), 2u);
}

TEST(SectorDocumentTest, ParseRejections) {
  struct Case {
    std::string body;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"", "JSON: syntax error"},
      {"['https://a.example/cb'", "JSON: syntax error"},
      {"['https://a.example/cb'] x", "JSON: syntax error"},
      {"['https://a.example/cb'][]", "JSON: syntax error"},
      {"['https://a.example/cb',]", "JSON: syntax error"},
      {"['https://a.example/cb']", "JSON: syntax error"},
      {"['https://a.example/cb'] // the shop", "JSON: syntax error"},
      {"\xEF\xBB\xBF['https://a.example/cb']", "JSON: byte-order mark not allowed"},
      {std::string("['https://a.example/cb']") + '\0' + "[]", "JSON: NUL byte"},
      {"['https://a.example/\xC0\xAF\"]", "JSON: syntax error"},  // overlong UTF-8
      {R"({"redirect_uris":["https://a.example/cb"]})", "it is a JSON object"},
      {R"({"a":1,"a":2})", "JSON: duplicate member name \"a\""},
      {R"("https://a.example/cb")", "it is a JSON string"},
      {"null", "it is a JSON null"},
      {"[]", "it is empty"},
      {R"(["https://a.example/cb", 1])", "element [1] is not a string"},
      {R"(["https://a.example/cb", null])", "element [1] is not a string"},
      {R"([["https://a.example/cb"]])", "element [0] is not a string"},
      {R"([{"uri":"https://a.example/cb"}])", "element [0] is not a string"},
      {R"(["https://a.example/cb", [[[]]]])", "JSON: nesting too deep"},
      {R"([{"a":1,"a":2}])", "JSON: duplicate member name \"a\""},
      {R"(["https://a.example/cb", ""])", "element [1] is empty"},
  };
  for (const auto& c : cases) {
    auto r = ParseSectorDocument(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind(c.error, 0), 0u) << c.body << ": " << r.status().message();
  }
}

TEST(SectorDocumentTest, SizeLimit) {
  // Exactly at the limit: accepted; one byte more: refused before parsing.
  std::string uri = "https://a.example/";
  std::string at_limit = "[\"" + uri + "\"]";
  at_limit.insert(at_limit.size() - 1, kMaxSectorDocumentBytes - at_limit.size(), ' ');
  ASSERT_EQ(at_limit.size(), kMaxSectorDocumentBytes);
  EXPECT_TRUE(ParseSectorDocument(at_limit).ok());
  auto over = ParseSectorDocument(at_limit + " ");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), "it is larger than 65536 bytes");
}

TEST(SectorDocumentTest, EveryRedirectUriMustBeListedExactly) {
  ClientMetadata m = Web({"https://a.shop.example/cb", "https://b.shop.example/cb?x=1"});
  EXPECT_EQ(ErrorOf(m, R"(["https://b.shop.example/cb?x=1", "https://a.shop.example/cb"])"), "");
  // Others may be listed too (the sector's other clients, at other providers).
  EXPECT_EQ(ErrorOf(m, R"(["https://a.shop.example/cb", "https://x.example/",
                           "https://b.shop.example/cb?x=1"])"),
            "");
  EXPECT_EQ(ErrorOf(m, R"(["https://a.shop.example/cb"])"),
            "sector_identifier_uri: the document at https://shop.example/sector.json does not "
            "list redirect_uris[1] 'https://b.shop.example/cb?x=1' (it must list every URI the "
            "client registers, exactly as registered); add it to the document");
  // OIDC Registration §5: string comparison, no normalisation of any kind.
  for (const char* near : {"https://b.shop.example/cb", "https://B.shop.example/cb?x=1",
                           "https://b.shop.example:443/cb?x=1", "https://b.shop.example/cb?x=1/",
                           "https://b.shop.example/cb?x=1 ", "https://b.shop.example/%63b?x=1",
                           "http://b.shop.example/cb?x=1"}) {
    json doc = {"https://a.shop.example/cb", near};
    EXPECT_NE(ErrorOf(m, doc.dump()).find("does not list redirect_uris[1]"), std::string::npos)
        << near;
  }
}

TEST(SectorDocumentTest, AnUnparsableDocumentNamesTheDocumentAndTheReason) {
  ClientMetadata m = Web({"https://a.shop.example/cb"});
  EXPECT_EQ(ErrorOf(m, R"({"redirect_uris":["https://a.shop.example/cb"]})"),
            "sector_identifier_uri: the document at https://shop.example/sector.json must be a "
            "JSON array of URI strings: it is a JSON object");
  EXPECT_EQ(ErrorOf(m, "<html>Not found</html>"),
            "sector_identifier_uri: the document at https://shop.example/sector.json must be a "
            "JSON array of URI strings: JSON: syntax error at byte 1");
}

// CIBA Core §4: without redirect URIs, the jwks_uri and the notification endpoint.
TEST(SectorDocumentTest, ACibaClientListsWhatItRegistered) {
  ClientMetadata both = Ciba("ping", true);
  EXPECT_EQ(ErrorOf(both, R"(["https://n.shop.example/ciba", "https://k.shop.example/jwks"])"), "");
  EXPECT_NE(ErrorOf(both, R"(["https://n.shop.example/ciba"])")
                .find("does not list jwks_uri 'https://k.shop.example/jwks'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(both, R"(["https://k.shop.example/jwks"])")
                .find("does not list backchannel_client_notification_endpoint "
                      "'https://n.shop.example/ciba'"),
            std::string::npos);

  ClientMetadata poll = Ciba("poll", true);  // no notification endpoint
  EXPECT_EQ(ErrorOf(poll, R"(["https://k.shop.example/jwks"])"), "");
  ClientMetadata push = Ciba("push", false);  // keys inline: no jwks_uri
  EXPECT_EQ(ErrorOf(push, R"(["https://n.shop.example/ciba"])"), "");
  auto must = UrisSectorDocumentMustList(push);
  ASSERT_TRUE(must.ok());
  ASSERT_EQ(must->size(), 1u);
  EXPECT_EQ((*must)[0].field, "backchannel_client_notification_endpoint");
}

TEST(SectorDocumentTest, NothingToVouchForIsRefusedWhateverTheDocument) {
  ClientMetadata m = Ciba("poll", true);
  ASSERT_TRUE(m.redirect_uris.empty());
  m.jwks_uri.clear();  // as no validated metadata can be (ValidateClientMetadata refuses it)
  const std::string expected =
      "sector_identifier_uri: the client registers no redirect_uris, jwks_uri or "
      "backchannel_client_notification_endpoint, so a sector document would vouch for nothing: "
      "register the jwks_uri or notification endpoint it should list, or leave "
      "sector_identifier_uri out";
  EXPECT_EQ(ErrorOf(m, R"(["https://k.shop.example/jwks"])"), expected);
  EXPECT_EQ(UrisSectorDocumentMustList(m).status().message(), expected);
}

TEST(SectorDocumentTest, RedirectUrisAloneDecideForACodeClient) {
  // A code client's jwks_uri need not be listed: Registration §5 asks for the redirect URIs.
  json m = testing::WebClientMetadata("https://a.shop.example/cb");
  m.erase("jwks");
  m["jwks_uri"] = "https://k.shop.example/jwks";
  m["sector_identifier_uri"] = kDoc;
  auto v = ValidateClientMetadata(m);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(ErrorOf(*v, R"(["https://a.shop.example/cb"])"), "");
}

}  // namespace
}  // namespace idscheme::registry
