#include "http/form.h"

#include <gtest/gtest.h>

namespace idscheme::http {
namespace {

TEST(ParseForm, DecodesPairsPlusAndPercent) {
  auto form = ParseForm("grant_type=authorization_code&code=a%2Bb+c&redirect_uri=https%3A%2F%2Fx");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ(form->Get("grant_type"), "authorization_code");
  EXPECT_EQ(form->Get("code"), "a+b c");
  EXPECT_EQ(form->Get("redirect_uri"), "https://x");
  EXPECT_EQ(form->Get("missing"), std::nullopt);
  EXPECT_EQ(form->size(), 3u);
}

TEST(ParseForm, EmptyInputAndEmptyPiecesAreFine) {
  EXPECT_TRUE(ParseForm("").ok());
  auto form = ParseForm("a=1&&b=2&");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->size(), 2u);
}

TEST(ParseForm, EmptyValuesCountAsOmitted) {
  // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
  auto form = ParseForm("scope=&state&nonce=n");
  ASSERT_TRUE(form.ok());
  EXPECT_FALSE(form->Has("scope"));
  EXPECT_FALSE(form->Has("state"));
  EXPECT_EQ(form->Get("nonce"), "n");
}

TEST(ParseForm, KeepsEveryValueOfARepeatedParameter) {
  auto form = ParseForm("scope=a&client_id=c&scope=b");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->Count("scope"), 2u);
  EXPECT_EQ(form->GetAll("scope"), (std::vector<std::string_view>{"a", "b"}));
  auto unique = form->Unique("scope");
  ASSERT_FALSE(unique.ok());
  EXPECT_EQ(unique.status().oauth_error(), "invalid_request");
  EXPECT_EQ(form->Unique("client_id").value(), "c");
  EXPECT_EQ(form->Unique("nope").value(), std::nullopt);
  Status dup = form->CheckNoDuplicates();
  EXPECT_FALSE(dup.ok());
  EXPECT_NE(dup.message().find("scope"), std::string::npos);
  EXPECT_TRUE(ParseForm("a=1&b=2")->CheckNoDuplicates().ok());
}

TEST(ParseForm, RejectsBadPercentEncoding) {
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "a=%G1", "a%=1", "a=1%2"}) {
    auto form = ParseForm(bad);
    ASSERT_FALSE(form.ok()) << bad;
    EXPECT_EQ(form.status().oauth_error(), "invalid_request") << bad;
  }
}

TEST(ParseForm, RejectsNulRawControlSpaceAndNonAscii) {
  for (std::string_view bad :
       {std::string_view("a=%00"), std::string_view("a%00=1"), std::string_view("a=b c"),
        std::string_view("a=b\tc"), std::string_view("a=\x7f"), std::string_view("a=\xc3\xa9"),
        std::string_view("a=b\0c", 5)}) {
    EXPECT_FALSE(ParseForm(bad).ok()) << bad;
  }
}

TEST(ParseForm, RejectsInvalidUtf8AfterDecoding) {
  EXPECT_TRUE(ParseForm("n=%C3%A9")->Get("n") == "\xc3\xa9");
  for (const char* bad :
       {"n=%C3%28", "n=%C0%AF", "n=%ED%A0%80", "n=%F4%90%80%80", "n=%80", "n=%E2%82"}) {
    EXPECT_FALSE(ParseForm(bad).ok()) << bad;
  }
}

TEST(ParseForm, RejectsEmptyNameAndTooManyParameters) {
  EXPECT_FALSE(ParseForm("=x").ok());
  std::string many;
  for (int i = 0; i < 5; ++i) many += "p" + std::to_string(i) + "=v&";
  EXPECT_TRUE(ParseForm(many, 5).ok());
  EXPECT_FALSE(ParseForm(many + "q=1", 5).ok());
}

TEST(PercentDecode, PlusIsSpaceOnlyInForms) {
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("a+b", false).value(), "a+b");
}

TEST(PercentEncode, RoundTripsThroughTheParser) {
  const std::string value = "https://rp.example/cb?x=1&y=2 é+";
  const std::string body = "v=" + PercentEncode(value);
  EXPECT_EQ(body.find_first_of(" &+é"), std::string::npos);
  EXPECT_EQ(ParseForm(body)->Get("v"), value);
}

TEST(IsValidUtf8, AcceptsAndRejects) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));   // U+1F600
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80"));  // 5-byte form
}

}  // namespace
}  // namespace idscheme::http
