#include "crypto/json.h"

#include <gtest/gtest.h>

#include <string>

namespace idscheme::crypto {
namespace {

TEST(StrictJson, ParsesOrdinaryJson) {
  auto v = ParseJsonObjectStrict(R"({"a":1,"b":[true,null,"x",{"c":2.5}],"d":{}})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)["a"], 1);
  EXPECT_EQ((*v)["b"][3]["c"], 2.5);
  EXPECT_TRUE(ParseJsonStrict("[1,2]").ok());
  EXPECT_TRUE(ParseJsonStrict(" \"s\" ").ok());
}

TEST(StrictJson, RejectsDuplicateMembersAtEveryLevel) {
  auto top = ParseJsonObjectStrict(R"({"alg":"HS256","alg":"none"})");
  ASSERT_FALSE(top.ok());
  EXPECT_NE(top.status().message().find("duplicate"), std::string::npos);
  EXPECT_FALSE(ParseJsonObjectStrict(R"({"a":{"b":1,"b":2}})").ok());
  EXPECT_FALSE(ParseJsonObjectStrict(R"({"a":[{"b":1,"b":1}]})").ok());
  // The same name in sibling objects is fine.
  EXPECT_TRUE(ParseJsonObjectStrict(R"({"a":{"b":1},"c":{"b":1}})").ok());
}

TEST(StrictJson, RejectsWhatIsNotExactlyJson) {
  EXPECT_FALSE(ParseJsonStrict("").ok());
  EXPECT_FALSE(ParseJsonStrict("{").ok());
  EXPECT_FALSE(ParseJsonStrict("{} {}").ok());                 // trailing data
  EXPECT_FALSE(ParseJsonStrict("{\"a\":1,}").ok());            // trailing comma
  EXPECT_FALSE(ParseJsonStrict("{\"a\":1} // c").ok());        // comments
  EXPECT_FALSE(ParseJsonStrict("\xEF\xBB\xBF{}").ok());        // byte-order mark
  EXPECT_FALSE(ParseJsonStrict("{\"a\":\"\xC3\x28\"}").ok());  // invalid UTF-8
  EXPECT_FALSE(ParseJsonStrict("{\"a\":1e400}").ok());         // not a finite number
  EXPECT_FALSE(ParseJsonStrict("{'a':1}").ok());
  EXPECT_FALSE(ParseJsonStrict(std::string("{\"a\":1}\0", 8)).ok());
}

TEST(StrictJson, ObjectOnlyWhenAsked) {
  EXPECT_FALSE(ParseJsonObjectStrict("[]").ok());
  EXPECT_FALSE(ParseJsonObjectStrict("\"{}\"").ok());
  EXPECT_FALSE(ParseJsonObjectStrict("null").ok());
}

TEST(StrictJson, BoundsNesting) {
  std::string deep(kMaxJsonDepth, '[');
  deep += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJsonStrict(deep).ok());
  std::string deeper(kMaxJsonDepth + 1, '[');
  deeper += std::string(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(ParseJsonStrict(deeper).ok());
  std::string huge(1000000, '[');  // would overflow a recursive parser's stack
  EXPECT_FALSE(ParseJsonStrict(huge).ok());
}

TEST(StrictJson, DumpNeverThrows) {
  nlohmann::json ok = {{"b", 1}, {"a", "x"}};
  EXPECT_EQ(*DumpJson(ok), R"({"a":"x","b":1})");
  nlohmann::json bad = {{"a", std::string("\xff")}};
  EXPECT_FALSE(DumpJson(bad).ok());
}

}  // namespace
}  // namespace idscheme::crypto
