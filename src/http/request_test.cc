#include "http/request.h"

#include <gtest/gtest.h>

#include <set>

namespace idscheme::http {
namespace {

TEST(RequestTarget, SplitsAndDecodesPath) {
  Request r;
  ASSERT_TRUE(r.SetTarget("/users/a%20b?x=1&y=%2F").ok());
  EXPECT_EQ(r.path(), "/users/a b");
  EXPECT_EQ(r.raw_query(), "x=1&y=%2F");
  EXPECT_EQ(r.target(), "/users/a%20b?x=1&y=%2F");
  EXPECT_EQ(r.QueryParams()->Get("y"), "/");
  ASSERT_TRUE(r.SetTarget("/").ok());
  EXPECT_EQ(r.path(), "/");
  EXPECT_EQ(r.raw_query(), "");
}

TEST(RequestTarget, RejectsWhatIsNotAStrictOriginFormPath) {
  for (const char* bad :
       {"", "*", "http://host/x", "x/y", "/a%2Fb", "/a%2fb", "/a%00", "/a%zz", "/a%", "/a/../b",
        "/a/./b", "/..", "/a/%2e%2e/b", "/a%0Ab", "/a#f", "/a%C3%28", "/a\x80"}) {
    Request r;
    Status st = r.SetTarget(bad);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.oauth_error(), "invalid_request") << bad;
  }
}

TEST(RequestHeaders, LookupIsCaseInsensitiveAndKeepsRepeats) {
  Request r;
  r.AddHeader("Content-Type", "application/json");
  r.AddHeader("DPoP", "a");
  r.AddHeader("dpop", "b");
  EXPECT_EQ(r.GetHeader("content-type"), "application/json");
  EXPECT_EQ(r.GetHeader("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(r.HeaderCount("DPOP"), 2u);
  EXPECT_EQ(r.GetHeaders("dpop"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(r.GetHeader("missing"), std::nullopt);
  r.Clear();
  EXPECT_EQ(r.headers().size(), 0u);
  EXPECT_EQ(r.GetHeader("dpop"), std::nullopt);
  r.AddHeader("X", "1");
  EXPECT_EQ(r.headers().size(), 1u);
}

Request WithBody(std::string content_type, std::string body) {
  Request r;
  if (!content_type.empty()) r.AddHeader("Content-Type", content_type);
  r.set_body(std::move(body));
  return r;
}

TEST(FormBody, NeedsTheFormContentType) {
  EXPECT_EQ(WithBody("application/x-www-form-urlencoded", "a=1").FormBody()->Get("a"), "1");
  EXPECT_TRUE(WithBody("Application/X-WWW-Form-Urlencoded; charset=UTF-8", "a=1").FormBody().ok());
  EXPECT_FALSE(WithBody("", "a=1").FormBody().ok());
  EXPECT_FALSE(WithBody("application/json", "a=1").FormBody().ok());
  EXPECT_FALSE(
      WithBody("application/x-www-form-urlencoded; charset=latin1", "a=1").FormBody().ok());
  EXPECT_FALSE(WithBody("application/x-www-form-urlencoded", "a=%zz").FormBody().ok());
}

TEST(JsonBody, ParsesStrictly) {
  auto ok = WithBody("application/json; charset=utf-8", R"({"a":[1,{"b":"é"}]})").JsonBody();
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["a"][1]["b"], "é");
  // The same key twice in the same object, at the top or nested, is refused; in sibling objects
  // it is fine.
  EXPECT_FALSE(WithBody("application/json", R"({"a":1,"a":2})").JsonBody().ok());
  EXPECT_FALSE(WithBody("application/json", R"({"x":{"a":1,"b":2,"a":3}})").JsonBody().ok());
  EXPECT_TRUE(WithBody("application/json", R"([{"a":1},{"a":2}])").JsonBody().ok());
  EXPECT_TRUE(WithBody("application/json", R"({"a":{"a":1}})").JsonBody().ok());

  for (const char* bad : {"", "{", "{'a':1}", "[1,]", "{} x", "/*c*/{}", "NaN", "\"\\ud800\""}) {
    auto r = WithBody("application/json", bad).JsonBody();
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().oauth_error(), "invalid_request");
  }
  EXPECT_FALSE(WithBody("application/json", "\"\xc3\x28\"").JsonBody().ok());
  EXPECT_FALSE(WithBody("text/plain", "{}").JsonBody().ok());
  EXPECT_FALSE(WithBody("", "{}").JsonBody().ok());
  EXPECT_FALSE(WithBody("application/json; charset=utf-16", "{}").JsonBody().ok());
}

TEST(JsonBody, LimitsNesting) {
  std::string ok(kMaxJsonDepth, '[');
  ok += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(WithBody("application/json", ok).JsonBody().ok());
  std::string deep(kMaxJsonDepth + 1, '[');
  deep += std::string(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(WithBody("application/json", deep).JsonBody().ok());
  // Brackets inside strings do not count.
  EXPECT_TRUE(WithBody("application/json", "[\"" + std::string(100, '[') + "\"]").JsonBody().ok());
}

TEST(MediaType, ParsesTypeAndCharset) {
  auto mt = ParseMediaType("Application/JSON ; Charset=\"UTF-8\"");
  ASSERT_TRUE(mt.ok());
  EXPECT_EQ(mt->type, "application/json");
  EXPECT_EQ(mt->charset, "utf-8");
  for (const char* bad : {"", "json", "/json", "application/", "a/b/c", "a/b; x", "a/b; =1",
                          "a b/c", "a/b; charset=utf-8; charset=utf-8"}) {
    EXPECT_FALSE(ParseMediaType(bad).ok()) << bad;
  }
}

TEST(RequestId, ValidatesAndGenerates) {
  EXPECT_TRUE(IsValidRequestId("abc-123_x.y:z"));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidRequestId("a b"));
  EXPECT_FALSE(IsValidRequestId("a\"b"));
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRequestId();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_TRUE(IsValidRequestId(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace idscheme::http
