// The text check behind every name people see (display_name, client_name, identity attributes).
#include "registry/internal/fields.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idscheme::registry::internal {
namespace {

std::string TextError(std::string_view value) {
  Status s = CheckText("display_name", value, 200);
  return s.ok() ? "" : s.message();
}

TEST(CheckTextTest, OrdinaryTextInAnyScriptPasses) {
  for (const char* name : {"Acme Bank", "Bakkerij Jansen B.V.", "Société Générale", "Ærø Øl",
                           "Ελληνική Τράπεζα", "Сбербанк", "بنك مصر", "שלום בנק", "みずほ銀行",
                           "农业银行", "Anna\xC2\xA0Maria" /* inner U+00A0 */, "X",
                           "Café \xE2\x98\x95\xEF\xB8\x8F" /* emoji + variation selector */}) {
    EXPECT_EQ(TextError(name), "") << name;
  }
}

TEST(CheckTextTest, ControlsSeparatorsAndHiddenCharactersAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Acme\tBank", "display_name: must not contain control characters (U+0009)"},
      {"Acme\x7F", "display_name: must not contain control characters (U+007F)"},
      {"a\xC2\x85"
       "b",
       "display_name: must not contain control characters (U+0085)"},  // NEL
      {"a\xC2\x9F"
       "b",
       "display_name: must not contain control characters (U+009F)"},
      {"Acme\xE2\x80\xA8"
       "Bank",
       "display_name: must not contain line or paragraph separators (U+2028)"},
      {"Acme\xE2\x80\xA9"
       "Bank",
       "display_name: must not contain line or paragraph separators (U+2029)"},
  };
  for (const auto& [value, want] : cases) EXPECT_EQ(TextError(value), want);

  // Bidi controls and zero-width or other invisible characters: one class, the code point named.
  const std::vector<std::pair<std::string, std::string>> hidden = {
      {"Bank\xE2\x80\xAEknaB", "202E"},  // right-to-left override
      {"\xE2\x80\xAA"
       "Bank",
       "202A"},                      // left-to-right embedding
      {"Bank\xE2\x80\x8E", "200E"},  // left-to-right mark
      {"Bank\xE2\x80\x8F", "200F"},  // right-to-left mark
      {"Bank\xD8\x9C", "061C"},      // Arabic letter mark
      {"Bank\xE2\x81\xA6", "2066"},  // left-to-right isolate
      {"Bank\xE2\x81\xA9", "2069"},  // pop directional isolate
      {"\xE2\x80\x8B", "200B"},      // a lone zero-width space
      {"Ba\xE2\x80\x8Cnk", "200C"},  // zero-width non-joiner
      {"Ba\xE2\x80\x8Dnk", "200D"},  // zero-width joiner
      {"Ba\xE2\x81\xA0nk", "2060"},  // word joiner
      {"Ba\xE2\x81\xA4nk", "2064"},  // invisible plus
      {"\xEF\xBB\xBF"
       "Bank",
       "FEFF"},                           // byte order mark
      {"Ba\xC2\xADnk", "00AD"},           // soft hyphen
      {"Bank\xF3\xA0\x80\x81", "E0001"},  // language tag
      {"Bank\xE3\x85\xA4", "3164"},       // Hangul filler
  };
  for (const auto& [value, code] : hidden) {
    EXPECT_EQ(TextError(value),
              "display_name: must not contain invisible or direction-changing characters (U+" +
                  code + ")")
        << code;
  }
}

TEST(CheckTextTest, NoSpaceOfAnyKindAtEitherEndAndNotOnlySpaces) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" Acme", "display_name: must not start or end with a space (U+0020)"},
      {"Acme ", "display_name: must not start or end with a space (U+0020)"},
      {"\xC2\xA0"
       "Acme",
       "display_name: must not start or end with a space (U+00A0)"},
      {"Acme\xE3\x80\x80", "display_name: must not start or end with a space (U+3000)"},
      {"\xE2\x80\x83"
       "Acme",
       "display_name: must not start or end with a space (U+2003)"},
      {"Acme\xE2\x80\xAF", "display_name: must not start or end with a space (U+202F)"},
      {"\xE1\x9A\x80"
       "Acme",
       "display_name: must not start or end with a space (U+1680)"},
      {"Acme\xE2\x81\x9F", "display_name: must not start or end with a space (U+205F)"},
      {" ", "display_name: must not be only spaces"},
      {"\xC2\xA0\xE2\x80\x8A", "display_name: must not be only spaces"},
  };
  for (const auto& [value, want] : cases) EXPECT_EQ(TextError(value), want);
}

TEST(CheckTextTest, LengthAndEncodingComeFirst) {
  EXPECT_EQ(TextError(""), "display_name: must not be empty");
  EXPECT_EQ(TextError(std::string(201, 'x')), "display_name: longer than 200 bytes");
  EXPECT_EQ(TextError("Acme\xC0\xA0"), "display_name: is not valid UTF-8");
  EXPECT_EQ(TextError("\xED\xA0\x80"), "display_name: is not valid UTF-8");  // a surrogate
}

}  // namespace
}  // namespace idscheme::registry::internal
