#include "approval/jcs.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>

namespace idscheme::approval {
namespace {

using json = nlohmann::json;

std::string Canon(std::string_view text) {
  auto out = CanonicalizeText(text);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::string();
}

// RFC 8785 §3.2.2: the input/output example.
TEST(JcsTest, Rfc8785Section322Example) {
  const std::string input = R"({
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
  EXPECT_EQ(Canon(input),
            "{\"literals\":[null,true,false],"
            "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3: sorting by UTF-16 code units (the emoji sorts before U+FB33).
TEST(JcsTest, Rfc8785Section323Sorting) {
  const std::string input = R"({
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
})";
  EXPECT_EQ(Canon(input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
            "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
            "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

// RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript text.
TEST(JcsTest, Rfc8785AppendixBNumbers) {
  const struct {
    uint64_t bits;
    const char* text;
  } kCases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& c : kCases) {
    const double d = std::bit_cast<double>(c.bits);
    auto text = SerializeNumber(d);
    ASSERT_TRUE(text.ok()) << std::hex << c.bits;
    EXPECT_EQ(*text, c.text) << std::hex << c.bits;
    // The same number inside a document, and the text reads back as the same double.
    auto in_doc = Canonicalize(json::array({d}));
    ASSERT_TRUE(in_doc.ok());
    EXPECT_EQ(*in_doc, std::string("[") + c.text + "]");
    auto reparsed = json::parse(c.text);
    EXPECT_EQ(reparsed.get<double>(), d == 0 ? 0.0 : d) << c.text;
  }
}

// Appendix B: NaN and Infinity have no JSON form.
TEST(JcsTest, RejectsNonFiniteNumbers) {
  EXPECT_FALSE(SerializeNumber(std::numeric_limits<double>::quiet_NaN()).ok());
  EXPECT_FALSE(SerializeNumber(std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(SerializeNumber(-std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(Canonicalize(json::array({std::numeric_limits<double>::infinity()})).ok());
  EXPECT_FALSE(CanonicalizeText("[1e400]").ok());
}

TEST(JcsTest, NumberForms) {
  EXPECT_EQ(Canon("[1, -1, 0, -0, 100, 1.0, 1e2, 0.1, 1.5e-7, 123e18, 1e21]"),
            "[1,-1,0,0,100,1,100,0.1,1.5e-7,123000000000000000000,1e+21]");
  EXPECT_EQ(Canon("[9007199254740992, -9007199254740992]"), "[9007199254740992,-9007199254740992]");
}

// I-JSON (RFC 7493 §2.2): an integer a double would round is refused, not silently changed.
TEST(JcsTest, RejectsIntegersBeyondDoublePrecision) {
  EXPECT_FALSE(CanonicalizeText("[9007199254740993]").ok());
  EXPECT_FALSE(CanonicalizeText("[-9007199254740993]").ok());
  EXPECT_FALSE(Canonicalize(json(std::numeric_limits<uint64_t>::max())).ok());
  EXPECT_FALSE(Canonicalize(json(std::numeric_limits<int64_t>::min())).ok());
  EXPECT_FALSE(CanonicalizeText("[1152921504606846976]").ok());  // 2^60: written ...847000
}

// Found by fuzzing: 1e17 is written as an integer, which must canonicalise again unchanged.
TEST(JcsTest, LargeIntegralDoublesReadBack) {
  const std::string once = Canon("[1e17,1e20,-1e18]");
  EXPECT_EQ(once, "[100000000000000000,100000000000000000000,-1000000000000000000]");
  EXPECT_EQ(Canon(once), once);
  EXPECT_EQ(Canon("[100000000000000000]"), "[100000000000000000]");
  EXPECT_EQ(Canon("[1152921504606847000]"), "[1152921504606847000]");
  EXPECT_EQ(Canon("[-1000000000000000000]"), "[-1000000000000000000]");
}

TEST(JcsTest, StringEscapes) {
  json s = std::string("\x01\x1f\b\f\n\r\t\"\\/\x7f", 11);
  auto out = Canonicalize(s);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\x7f\"");
  EXPECT_EQ(*Canonicalize(json(std::string("a\0b", 3))), "\"a\\u0000b\"");
}

TEST(JcsTest, NestedStructuresAndLiterals) {
  EXPECT_EQ(Canon(R"({"b":[{"z":1,"a":[]},{}],"a":{"y":null,"x":true}})"),
            R"({"a":{"x":true,"y":null},"b":[{"a":[],"z":1},{}]})");
  EXPECT_EQ(Canon("\"x\""), "\"x\"");
  EXPECT_EQ(Canon("false"), "false");
}

TEST(JcsTest, RejectsInvalidInput) {
  EXPECT_FALSE(CanonicalizeText(R"({"a":1,"a":2})").ok());  // duplicate names
  EXPECT_FALSE(CanonicalizeText("{").ok());
  EXPECT_FALSE(CanonicalizeText("").ok());
  EXPECT_FALSE(CanonicalizeText("NaN").ok());
  // Invalid UTF-8 built in code (the parser refuses it already).
  EXPECT_FALSE(Canonicalize(json(std::string("\xC0\xAF"))).ok());          // overlong
  EXPECT_FALSE(Canonicalize(json(std::string("\xED\xA0\x80"))).ok());      // a surrogate
  EXPECT_FALSE(Canonicalize(json(std::string("\xF4\x90\x80\x80"))).ok());  // > U+10FFFF
  EXPECT_FALSE(Canonicalize(json(std::string("\xE2\x82"))).ok());          // truncated
  EXPECT_FALSE(Canonicalize(json::object({{std::string("\xFF"), 1}})).ok());
  EXPECT_FALSE(Canonicalize(json::binary({1, 2, 3})).ok());
}

TEST(JcsTest, RejectsDeepNesting) {
  json deep = 1;
  for (int i = 0; i < kMaxJcsDepth + 2; ++i) deep = json::array({deep});
  EXPECT_FALSE(Canonicalize(deep).ok());
  json ok = 1;
  for (int i = 0; i < kMaxJcsDepth; ++i) ok = json::array({ok});
  EXPECT_TRUE(Canonicalize(ok).ok());
}

// Canonicalising is idempotent: the canonical text is its own canonical form.
TEST(JcsTest, CanonicalFormIsAFixedPoint) {
  const std::string once = Canon(R"({"€":[1.5,2e-9,"\u0007"],"a":{"c":3,"b":[true]}})");
  EXPECT_EQ(Canon(once), once);
}

}  // namespace
}  // namespace idscheme::approval
